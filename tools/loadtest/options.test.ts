import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HELP, HelpRequested, parseOptions, UsageError } from './options.js';

const base = ['--url', 'http://127.0.0.1:8080', '--concurrency', '1'];
const dir = mkdtempSync('/tmp/mayfly-loadtest-options-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const errorOf = (argv: string[]): Error => {
  try {
    parseOptions(argv);
  } catch (error) {
    return error as Error;
  }
  throw new Error('parseOptions accepted it');
};

describe('loadtest options', () => {
  it.each([['--help'], ['-h']])('%s asks for the help, whatever else is given', (flag) => {
    expect(errorOf([flag])).toBeInstanceOf(HelpRequested);
    expect(errorOf([...base, flag])).toBeInstanceOf(HelpRequested);
  });

  it('the help explains every option the parser takes', () => {
    const options = ['url', 'key', 'rate', 'concurrency', 'duration', 'endpoint', 'images', 'report', 'max-p99',
      'max-error-rate', 'timeout', 'ignore-retry-after', 'max-outstanding', 'field', 'json', 'compare', 'help'];
    for (const name of options) expect(HELP).toMatch(new RegExp(`^ +(-h, )?--${name}\\b[^\\n]* {2,}\\S`, 'm'));
    expect(HELP).toMatch(/Exit codes/);
  });

  it('--field name=value, repeatable, becomes form fields', () => {
    const options = parseOptions([...base, '--field', 'strength=80', '--field', 'format=png', '--field', 'face=all']);
    expect(options.fields).toEqual({ strength: '80', format: 'png', face: 'all' });
    expect(parseOptions(base).fields).toEqual({});
    // The value may hold "=".
    expect(parseOptions([...base, '--field', 'a=b=c']).fields).toEqual({ a: 'b=c' });
  });

  it.each([['noequals'], ['=x'], ['image=x'], ['a b=1']])('refuses --field %s', (field) => {
    const error = errorOf([...base, '--field', field]);
    expect(error).toBeInstanceOf(UsageError);
    expect(error.message).toMatch(/--field must look like name=value/);
  });

  it('a missing --images folder is one line, without the usage text', () => {
    const error = errorOf([...base, '--images', join(dir, 'nope')]);
    expect(error).toBeInstanceOf(UsageError);
    expect(error.message).toBe(`--images: no such folder: ${join(dir, 'nope')}`);
    // A file is not a folder either.
    writeFileSync(join(dir, 'file.jpg'), 'x');
    expect(errorOf([...base, '--images', join(dir, 'file.jpg')]).message).toMatch(/^--images: no such folder/);
  });

  it('--json and --compare name files; --compare must exist', () => {
    writeFileSync(join(dir, 'prev.json'), '{}');
    const options = parseOptions([...base, '--json', join(dir, 'now.json'), '--compare', join(dir, 'prev.json')]);
    expect(options.json).toBe(join(dir, 'now.json'));
    expect(options.compare).toBe(join(dir, 'prev.json'));
    expect(errorOf([...base, '--compare', join(dir, 'missing.json')]).message).toBe(`--compare: no such file: ${join(dir, 'missing.json')}`);
  });
});
