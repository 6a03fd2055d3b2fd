import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from './ports.js';

/**
 * A real redis-server for the shared-rate-limit tests (Debian package `redis-server`; .ci/run
 * installs it). Loopback only, a free ephemeral port, no persistence at all (no RDB snapshots,
 * no AOF) and its working directory is / so that it could not write into the repository even if
 * it tried. It can be killed, paused and restarted on the same port to simulate outages.
 */
export interface TestRedis {
  readonly port: number;
  readonly url: string;
  kill(): Promise<void>;
  pause(): void;
  resume(): void;
  restart(): Promise<void>;
}

function launch(port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', [
    '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
    '--dir', '/', '--protected-mode', 'yes', '--logfile', '',
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        child.stdout!.off('data', onData);
        child.stdout!.resume();
        resolve(child);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.resume();
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`redis-server exited (${code}): ${output.slice(-400)}`)));
  });
}

export async function startTestRedis(): Promise<TestRedis> {
  const port = await freePort();
  let child = await launch(port);
  const kill = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGCONT');
    child.kill('SIGKILL');
    await exited;
  };
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    kill,
    pause: () => { child.kill('SIGSTOP'); },
    resume: () => { child.kill('SIGCONT'); },
    async restart() {
      await kill();
      child = await launch(port);
    },
  };
}
