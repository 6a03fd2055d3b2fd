import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { AppError, errors } from '../src/errors.js';
import { createMetrics } from '../src/metrics/metrics.js';
import { createCapacity } from '../src/request/capacity.js';

/**
 * The docs are pinned to the code, as fastify pins its error docs: docs/errors.md lists exactly
 * the codes of the error catalogue (src/errors.ts), docs/configuration.md exactly the variables
 * the config reader (src/config.ts) reads; every relative link in README.md and docs/ points at
 * a file of the repository; the README stays short.
 */
const ROOT = join(import.meta.dirname, '..');
const read = (file: string): string => readFileSync(join(ROOT, file), 'utf8');

/** README.md's size limit (issue 12: "README ≤ 12 KB"); the reference belongs in docs/. */
const README_MAX_BYTES = 12 * 1024;

/**
 * Plausible arguments for the factories of the catalogue that need some. A factory missing here
 * is called with none; if that throws, the test says which one to add.
 */
const FACTORY_ARGS: Readonly<Record<string, readonly unknown[]>> = {
  malformedMultipart: ['Unexpected end of form.'],
  invalidParameter: ['quality', 'an integer from 1 to 100'],
  payloadTooLarge: [15 * 1024 * 1024],
  imageTooLarge: [60_000_000, 50_000_000],
  decodeTooCostly: [300 * 1024 * 1024, 150 * 1024 * 1024],
  faceTooSmall: [40],
  methodNotAllowed: [['GET', 'HEAD']],
  overloaded: [3],
  forbidden: ['effects'],
  rateLimited: [2, { 'RateLimit-Limit': '5' }],
  quotaExceeded: [3600, { 'RateLimit-Limit': '10000' }],
};

/** code → status of every error the catalogue can make. */
function catalogue(): Map<string, number> {
  const codes = new Map<string, number>();
  for (const [name, factory] of Object.entries(errors)) {
    let error: unknown;
    try {
      error = (factory as (...args: unknown[]) => unknown)(...(FACTORY_ARGS[name] ?? []));
    } catch (cause) {
      throw new Error(`errors.${name} needs arguments: add plausible ones to FACTORY_ARGS in test/docs.test.ts`, { cause });
    }
    if (!(error instanceof AppError)) throw new Error(`errors.${name} did not return an AppError`);
    codes.set(error.code, error.status);
  }
  return codes;
}

/** The `## ` section of a markdown file whose heading starts with `heading`. */
function section(markdown: string, heading: string): string {
  const found = markdown.split(/^## /m).find((part) => part.startsWith(heading));
  if (found === undefined) throw new Error(`no "## ${heading}" section`);
  return found;
}

/** The cells of every table body row (header and separator rows left out). */
function tableRows(markdown: string): string[][] {
  const lines = markdown.split('\n').filter((line) => line.trimStart().startsWith('|'));
  const rows = lines.map((line) => line.trim().replace(/^\||\|$/g, '').split(/(?<!\\)\|/).map((cell) => cell.trim()));
  return rows.filter((cells, i) => !cells.every((c) => /^:?-+:?$/.test(c)) && !(rows[i + 1]?.every((c) => /^:?-+:?$/.test(c))));
}

/** `CODE` or `NAME` from a cell holding exactly one backticked identifier, else undefined. */
const backticked = (cell: string | undefined): string | undefined => /^`([A-Za-z0-9_]+)`$/.exec(cell ?? '')?.[1];

/** Every variable name `loadConfig` reads from `env` (it only ever reads `env[name]`). */
function variablesRead(env: Record<string, string>): Set<string> {
  const reads = new Set<string>();
  const spy = new Proxy(env, {
    get(target, property) {
      if (typeof property === 'string') reads.add(property);
      return Reflect.get(target, property);
    },
  });
  loadConfig(spy);
  return reads;
}

/** README.md and every markdown file under docs/. */
function markdownFiles(): string[] {
  const walk = (dir: string): string[] => readdirSync(join(ROOT, dir)).flatMap((name) => {
    const path = `${dir}/${name}`;
    if (statSync(join(ROOT, path)).isDirectory()) return walk(path);
    return name.endsWith('.md') ? [path] : [];
  });
  return ['README.md', ...walk('docs')];
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  const withoutCode = markdown.replace(/^```[\s\S]*?^```/gm, '');
  for (const [, text] of withoutCode.matchAll(/^#{1,6}\s+(.*)$/gm)) {
    const base = text!.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    result.add(n === 0 ? base : `${base}-${n}`);
  }
  return result;
}

/** Relative link targets of a markdown file (inline links outside code blocks and code spans). */
function relativeLinks(markdown: string): string[] {
  const prose = markdown.replace(/^```[\s\S]*?^```/gm, '').replace(/`[^`\n]*`/g, '');
  return [...prose.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)]
    .map((m) => m[1]!)
    .filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target));
}

describe('docs/errors.md', () => {
  const rows = tableRows(read('docs/errors.md'))
    .map(([status, code]) => ({ status: Number(status), code: backticked(code) }))
    .filter((row): row is { status: number; code: string } => row.code !== undefined);

  it('lists every code of the error catalogue with its status', () => {
    const documented = new Map(rows.map((r) => [r.code, r.status]));
    const missing = [...catalogue()].filter(([code, status]) => documented.get(code) !== status)
      .map(([code, status]) => `${status} ${code}`);
    expect(missing, 'codes of src/errors.ts missing from docs/errors.md (or with another status)').toEqual([]);
  });

  it('lists no code the catalogue does not have, and each code once', () => {
    const codes = catalogue();
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.filter((r) => !codes.has(r.code)).map((r) => r.code), 'codes in docs/errors.md that src/errors.ts does not make').toEqual([]);
    expect(rows.length, 'a code appears twice in docs/errors.md').toBe(new Set(rows.map((r) => r.code)).size);
  });
});

describe('docs/configuration.md', () => {
  const documented = tableRows(section(read('docs/configuration.md'), 'Settings'))
    .map(([name]) => backticked(name))
    .filter((name): name is string => name !== undefined);
  // The JWT_* variables past the first are read only when JWT verification is on.
  const read1 = variablesRead({});
  const read2 = variablesRead({ JWT_SECRET: 'x'.repeat(32), JWT_ISSUER: 'https://issuer.example', JWT_AUDIENCE: 'mayfly' });
  const readByConfig = new Set([...read1, ...read2]);

  it('sees the variables the reader reads (the spy works, the JWT branch included)', () => {
    expect(read1.has('PORT')).toBe(true);
    expect(read1.has('JWT_ALGORITHM')).toBe(false);
    expect(read2.has('JWT_ALGORITHM')).toBe(true);
  });

  it('documents every variable loadConfig reads', () => {
    expect([...readByConfig].filter((name) => !documented.includes(name)).sort(),
      'variables read by src/config.ts missing from the Settings table of docs/configuration.md').toEqual([]);
  });

  it('documents no variable loadConfig does not read, and each once', () => {
    expect(documented.filter((name) => !readByConfig.has(name)),
      'variables in the Settings table of docs/configuration.md that src/config.ts does not read').toEqual([]);
    expect(documented.length, 'a variable appears twice in the Settings table').toBe(new Set(documented).size);
  });
});

describe('docs/operations.md, metrics', () => {
  // The service's own metrics: the request metrics and the load gauges capacity registers
  // (prom-client's default process_* and nodejs_* metrics are named by a wildcard row).
  const metrics = createMetrics();
  createCapacity({
    maxInFlight: 1, maxConcurrentUploads: 1, maxUploadsPerClient: 1, retryAfterMaxS: 1, memoryBudgetBytes: 1, maxDecodeBytes: 1,
    state: { phase: 'ready' }, registry: metrics.registry, detectorStats: () => undefined,
  });
  const registered = metrics.registry.getMetricsAsArray().map((m) => m.name)
    .filter((name) => !/^mayfly_(process|nodejs)_/.test(name));
  const documented = tableRows(section(read('docs/operations.md'), 'Metrics'))
    .flatMap((cells) => [...(cells[0] ?? '').matchAll(/`(mayfly_[a-z_]+)(?:\{[^}]*\})?`/g)].map((m) => m[1]!))
    .filter((name) => !name.endsWith('_'));

  it('documents every metric the service registers, and none it does not', () => {
    expect(registered.length).toBeGreaterThan(8);
    expect(registered.filter((name) => !documented.includes(name)), 'registered but not documented').toEqual([]);
    expect(documented.filter((name) => !registered.includes(name)), 'documented but not registered').toEqual([]);
  });
});

describe('links in README.md and docs/', () => {
  it('every relative link points at a file of the repository (and an existing heading)', () => {
    const broken: string[] = [];
    for (const file of markdownFiles()) {
      const markdown = read(file);
      for (const link of relativeLinks(markdown)) {
        const [path = '', fragment] = link.split('#');
        const target = path === '' ? join(ROOT, file) : resolve(dirname(join(ROOT, file)), decodeURIComponent(path));
        const inRepo = relative(ROOT, target).split(sep).join('/');
        if (inRepo.startsWith('../') || inRepo === '..') {
          broken.push(`${file}: ${link} (outside the repository)`);
        } else if (!existsSync(target)) {
          broken.push(`${file}: ${link} (no such file)`);
        } else if (fragment !== undefined && target.endsWith('.md') && !anchors(readFileSync(target, 'utf8')).has(fragment)) {
          broken.push(`${file}: ${link} (no such heading)`);
        }
      }
    }
    expect(broken).toEqual([]);
  });

  it('finds links at all (the pattern is not vacuous)', () => {
    expect(relativeLinks(read('README.md')).length).toBeGreaterThan(3);
    expect(relativeLinks('see [errors](docs/errors.md#codes) and [site](https://example.com)')).toEqual(['docs/errors.md#codes']);
  });
});

describe('README.md', () => {
  const readme = readFileSync(join(ROOT, 'README.md'));

  it(`is at most ${README_MAX_BYTES} bytes: the reference lives in docs/`, () => {
    expect(readme.byteLength).toBeLessThanOrEqual(README_MAX_BYTES);
  });

  it('gives the two commands', () => {
    expect(readme.toString('utf8')).toContain('npm install && npm start');
    expect(readme.toString('utf8')).toContain('npm install && npm test');
  });
});
