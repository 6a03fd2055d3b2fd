import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';

/**
 * The service as operators run it: `node dist/src/server.js` in its own process on a free loopback
 * port, so its memory is measured on its own (/proc/PID/status) and the load generator's CPU is
 * at least in a different process.
 */
export interface ServerProcess {
  readonly url: string;
  readonly pid: number;
  /** ms from spawn until /readyz answered 200. */
  readonly readyAfterMs: number;
  memory(): { rssMb: number; hwmMb: number };
  /** CPU time (user + system, all threads) the server process has used so far, in ms. */
  cpuMs(): number;
  /** The same per thread (by thread id): what the inference workers used, apart from the rest. */
  threadCpuMs(): Map<string, number>;
  stop(): Promise<void>;
}

const SERVER = fileURLToPath(new URL('../../src/server.js', import.meta.url));
/**
 * The node flags `npm start`, the Dockerfile and deploy/k8s run the server with (a test keeps them
 * equal). Measured (docs/performance.md): without the first, V8 ran a major GC per effect request
 * (its old-generation limit sat just above the live heap); the default 16 MB semi-spaces of the
 * main thread and each inference worker cost about 50 MB more resident memory than 4 MB ones.
 */
export const START_NODE_FLAGS = ['--initial-old-space-size=64', '--max-semi-space-size=4'] as const;

function kb(status: string, field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  return match ? Number(match[1]) : Number.NaN;
}

/** utime + stime from a /proc stat file (fields 14 and 15, in USER_HZ = 100 ticks/s on Linux). */
function statCpuMs(path: string): number {
  const stat = readFileSync(path, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

export function readCpuMs(pid: number): number {
  return statCpuMs(`/proc/${pid}/stat`);
}

/** CPU ms of each live thread of `pid` (a thread that ends between listing and reading is left out). */
export function readThreadCpuMs(pid: number): Map<string, number> {
  const threads = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      threads.set(tid, statCpuMs(`/proc/${pid}/task/${tid}/stat`));
    } catch {
      // gone already
    }
  }
  return threads;
}

export function readMemory(pid: number): { rssMb: number; hwmMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return { rssMb: kb(status, 'VmRSS') / 1024, hwmMb: kb(status, 'VmHWM') / 1024 };
}

/** A free loopback port (the OS picks it; the server binds it a moment later). */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve, reject) => probe.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

function exitOf(child: ChildProcess): Promise<never> {
  return new Promise<never>((_resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`server exited with code ${code} before it was ready`)));
  });
}

/** Polls /readyz every `intervalMs` until it answers 200. */
export async function waitReady(url: string, timeoutMs = 120_000, intervalMs = 10): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    try {
      const res = await fetch(`${url}/readyz`);
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch {
      // not accepting yet
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`${url} not ready within ${timeoutMs} ms`);
}

/** `entry`: another build's server.js (the bench's --baseline), else this build's. */
export async function startServerProcess(env: Record<string, string>, entry = SERVER): Promise<ServerProcess> {
  const started = performance.now();
  // The node flags and glibc settings of `npm start`: freed memory overwritten with tcache off, and
  // two malloc arenas so libvips' threads do not each keep their own fragmented arena (measured:
  // −100 MB peak RSS).
  // The server logs at its default level, as in production, to /dev/null: its log writes are
  // synchronous, and a stdout pipe read by this busy, niced process could fill and stall them.
  const port = await freePort();
  const child = spawn(process.execPath, [...START_NODE_FLAGS, entry], {
    env: { MALLOC_PERTURB_: '165', MALLOC_ARENA_MAX: '2', GLIBC_TUNABLES: 'glibc.malloc.tcache_count=0', ...process.env, LOG_LEVEL: 'info', ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  const exited = exitOf(child);
  exited.catch(() => undefined);
  await Promise.race([waitReady(url), exited]);
  const readyAfterMs = performance.now() - started;
  const pid = child.pid!;
  return {
    url,
    pid,
    readyAfterMs,
    memory: () => readMemory(pid),
    cpuMs: () => readCpuMs(pid),
    threadCpuMs: () => readThreadCpuMs(pid),
    stop: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null) {
        resolve();
        return;
      }
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    }),
  };
}
