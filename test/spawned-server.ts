import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from './ports.js';
import { TEST_ENV } from './service.js';

export interface Spawned {
  readonly child: ChildProcess;
  readonly url: string;
  readonly metricsUrl: string;
  readonly logs: Record<string, unknown>[];
  waitForLog(msg: string): Promise<Record<string, unknown>>;
  readonly exited: Promise<number | null>;
  /** Resolves once stdout has ended (every log line has been read). */
  readonly outputDone: Promise<void>;
  stderr(): string;
}

/**
 * Runs the built server (node dist/src/server.js) as production does, on loopback ports, with the
 * test key and limits unless `withTestEnv` is false. Its JSON log lines are collected from stdout.
 */
export async function spawnServer(env: Record<string, string>, withTestEnv = true): Promise<Spawned> {
  const metricsPort = await freePort();
  const child = spawn(process.execPath, ['dist/src/server.js'], {
    env: {
      PATH: process.env.PATH ?? '', ...(withTestEnv ? TEST_ENV : {}), TFJS_BACKEND: 'wasm', POOL_SIZE: '1', PORT: '0', HOST: '127.0.0.1',
      METRICS_PORT: String(metricsPort), LOG_LEVEL: 'info', ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Record<string, unknown>[] = [];
  const waiters: { msg: string; resolve: (line: Record<string, unknown>) => void }[] = [];
  let buffered = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const line = JSON.parse(buffered.slice(0, newline)) as Record<string, unknown>;
      buffered = buffered.slice(newline + 1);
      logs.push(line);
      for (const w of waiters.filter((x) => x.msg === line.msg)) w.resolve(line);
    }
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  const outputDone = new Promise<void>((resolve) => child.stdout!.once('end', () => resolve()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const waitForLog = (msg: string): Promise<Record<string, unknown>> => {
    const seen = logs.find((l) => l.msg === msg);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      waiters.push({ msg, resolve });
      void exited.then((code) => reject(new Error(`server exited (${code}) before "${msg}": ${stderr.slice(-500)}`)));
    });
  };
  const listening = await waitForLog('listening');
  await waitForLog('models loaded');
  return {
    child, logs, waitForLog, exited, outputDone, stderr: () => stderr,
    url: `http://127.0.0.1:${String(listening.port)}`,
    metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
  };
}

