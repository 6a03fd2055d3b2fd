import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** The real group photos that ship with @vladmandic/face-api (demo/sample1.jpg … sample6.jpg). */
const require = createRequire(import.meta.url);
export const SAMPLE_DIR = join(dirname(require.resolve('@vladmandic/face-api/package.json')), 'demo');
export const SAMPLE_NUMBERS = [1, 2, 3, 4, 5, 6] as const;

export function samplePath(n: number): string {
  return join(SAMPLE_DIR, `sample${n}.jpg`);
}

export function readSample(n: number): Buffer {
  return readFileSync(samplePath(n));
}
