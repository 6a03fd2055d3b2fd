import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { freePort } from './ports.js';
import { TEST_ENV } from './service.js';

/**
 * Runs the BUILT server (`node dist/src/server.js`, built by global-setup) as its own process on a
 * free loopback port, optionally under a wrapper such as strace. Used by the system tests that
 * look at the process from outside (syscalls, process memory).
 */
export interface SpawnedServer {
  readonly url: string;
  readonly child: ChildProcess;
  /** pid of the node process itself (the wrapper's child when wrapped). */
  readonly pid: number;
  /** Everything the process (and the wrapper) wrote to stderr so far. */
  stderr(): string;
  /** SIGTERM to the server, then waits for the wrapper/child to exit. */
  stop(): Promise<void>;
}

/** The pid of `parent`'s first child process (the tracee of strace), read from /proc. */
function childPidOf(parent: number): number | undefined {
  try {
    const children = readFileSync(`/proc/${parent}/task/${parent}/children`, 'latin1').trim().split(/\s+/);
    const pid = Number(children[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export async function spawnServer(options: {
  env?: Record<string, string>;
  wrapper?: readonly string[];
  /** The wrapper exec()s node (a shell with `exec "$@"`): the child's pid is node's own. */
  wrapperExecs?: boolean;
  /** Working directory of the server (default: the project's); the script path is absolute. */
  cwd?: string;
  readyTimeoutMs?: number;
} = {}): Promise<SpawnedServer> {
  const port = await freePort();
  const env = {
    ...process.env,
    // The same environment `npm start` uses (MALLOC_PERTURB_), unless the caller overrides it,
    // and the test key with limits no test reaches.
    MALLOC_PERTURB_: '165',
    MALLOC_ARENA_MAX: '2',
    GLIBC_TUNABLES: 'glibc.malloc.tcache_count=0',
    ...TEST_ENV,
    TFJS_BACKEND: 'wasm',
    POOL_SIZE: '1',
    LOG_LEVEL: 'warn',
    ...options.env,
    PORT: String(port),
    HOST: '127.0.0.1',
  };
  const command = [...(options.wrapper ?? []), process.execPath, resolve('dist/src/server.js')];
  const child = spawn(command[0]!, command.slice(1), { env, cwd: options.cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('latin1');
  child.stderr!.on('data', (text: string) => { stderr += text; });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;

  const deadline = Date.now() + (options.readyTimeoutMs ?? 120_000);
  let exitedEarly = false;
  void exited.then(() => { exitedEarly = true; });
  for (;;) {
    if (exitedEarly) throw new Error(`server exited before it was ready:\n${stderr.slice(-4000)}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server not ready within ${options.readyTimeoutMs ?? 120_000} ms:\n${stderr.slice(-4000)}`);
    }
    const res = await fetch(`${url}/readyz`).catch(() => undefined);
    if (res) await res.arrayBuffer();
    if (res?.status === 200) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const pid = options.wrapper && !options.wrapperExecs ? childPidOf(child.pid!) : child.pid;
  if (!pid) throw new Error('could not find the server process under its wrapper');

  return {
    url,
    child,
    pid,
    stderr: () => stderr,
    async stop() {
      if (!exitedEarly) {
        process.kill(pid, 'SIGTERM');
        const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
        await exited;
        clearTimeout(killer);
      }
    },
  };
}
