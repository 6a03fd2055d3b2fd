import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { START_NODE_FLAGS } from '../tools/bench/server-process.js';

/**
 * `npm start`, the Dockerfile, deploy/k8s and the benchmark's server process start node the same
 * way: the same node flags and the same glibc settings (the privacy notes and the measured figures
 * in docs/privacy.md and docs/performance.md depend on them).
 */
const ROOT = join(import.meta.dirname, '..');
const read = (file: string): string => readFileSync(join(ROOT, file), 'utf8');
const GLIBC = { MALLOC_PERTURB_: '165', MALLOC_ARENA_MAX: '2', GLIBC_TUNABLES: 'glibc.malloc.tcache_count=0' };

function npmStart(): { env: Record<string, string>; flags: string[] } {
  const start = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts.start!;
  const words = start.split('&&').at(-1)!.trim().split(/\s+/);
  const env = Object.fromEntries(words.filter((w) => /^[A-Z_]+=/.test(w)).map((w) => [w.slice(0, w.indexOf('=')), w.slice(w.indexOf('=') + 1)]));
  const node = words.indexOf('node');
  return { env, flags: words.slice(node + 1, words.indexOf('dist/src/server.js')) };
}

function dockerfile(): { env: Record<string, string>; flags: string[] } {
  const text = read('Dockerfile').replace(/\\\n/g, ' ');
  const final = text.slice(text.lastIndexOf('\nFROM '));
  const env = Object.fromEntries([...final.matchAll(/^ENV (.*)$/gm)].flatMap((m) => m[1]!.trim().split(/\s+/))
    .map((w) => [w.slice(0, w.indexOf('=')), w.slice(w.indexOf('=') + 1)]));
  const cmd = JSON.parse(/^CMD (\[.*\])$/m.exec(final)![1]!) as string[];
  return { env, flags: cmd.slice(1, cmd.indexOf('dist/src/server.js')) };
}

function k8s(): { env: Record<string, string>; flags: string[] } {
  interface Container { command: string[]; env: { name: string; value?: string }[] }
  interface Doc { kind: string; metadata: { name: string }; spec: { template: { spec: { containers: Container[] } } } }
  const docs = parseAllDocuments(read('deploy/k8s/deployment.yaml')).map((d) => d.toJS() as Doc);
  const container = docs.find((d) => d.kind === 'Deployment' && d.metadata.name === 'mayfly')!.spec.template.spec.containers[0]!;
  const env = Object.fromEntries(container.env.filter((e) => e.value !== undefined).map((e) => [e.name, e.value!]));
  return { env, flags: container.command.slice(1, container.command.indexOf('dist/src/server.js')) };
}

describe('launch settings', () => {
  it.each([['npm start', npmStart], ['Dockerfile', dockerfile], ['deploy/k8s', k8s]])('%s: node flags and glibc settings as the benchmark runs them', (_name, launcher) => {
    const { env, flags } = launcher();
    expect(flags).toEqual([...START_NODE_FLAGS]);
    expect(env).toMatchObject(GLIBC);
  });
});
