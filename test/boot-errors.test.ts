import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

/**
 * A deployment with a bad setting fails at boot with one complete message and exit code 2 (no
 * stack trace), whether the problem is in the environment or in a file a setting names.
 */
function boot(env: Record<string, string>): { status: number | null; stderr: string } {
  const run = spawnSync(process.execPath, ['dist/src/server.js'], {
    env: { PATH: process.env.PATH ?? '', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', ...env },
    encoding: 'utf8', timeout: 30_000,
  });
  return { status: run.status, stderr: run.stderr };
}

describe('configuration problems at boot', () => {
  it('reports every bad variable at once and exits 2', () => {
    const run = boot({ POOL_SIZE: 'many', MAX_UPLOADS_PER_CLIENT: '0', TFJS_BACKEND: 'gpu' });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('POOL_SIZE');
    expect(run.stderr).toContain('MAX_UPLOADS_PER_CLIENT');
    expect(run.stderr).toContain('TFJS_BACKEND');
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('an unreadable API_KEYS_FILE is a configuration problem too: its message, exit 2, no stack', () => {
    const run = boot({ API_KEYS_FILE: '/nonexistent/mayfly-keys.json' });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('API_KEYS_FILE could not be read (ENOENT)');
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});
