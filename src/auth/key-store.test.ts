import { describe, expect, it } from 'vitest';
import { createKeyStore, sha256, storedKey } from './key-store.js';
import { parseKeyFile } from './key-file.js';
import { loadCredentials } from './credentials.js';
import { loadConfig } from '../config.js';

const KEY_A = 'mk_live_aaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const KEY_B = 'mk_live_bbbbbbbbbbbbbbbbbbbbbbbbbbbb';

describe('key store', () => {
  const store = createKeyStore([storedKey('acme', KEY_A), storedKey('globex', KEY_B, ['landmarks'])]);

  it('finds the principal of a presented key, and only its id', () => {
    const acme = store.find(KEY_A)!;
    expect(acme.id).toBe('key:acme');
    expect(acme.kind).toBe('api_key');
    expect([...acme.scopes].sort()).toEqual(['effects', 'landmarks']);
    expect(JSON.stringify(acme)).not.toContain(KEY_A);
    expect([...store.find(KEY_B)!.scopes]).toEqual(['landmarks']);
  });

  it('refuses near misses, prefixes, extensions, the digest itself and empty strings', () => {
    for (const wrong of [KEY_A.slice(0, -1), `${KEY_A}x`, KEY_A.toUpperCase(), sha256(KEY_A).toString('hex'), '', ' ']) {
      expect(store.find(wrong)).toBeUndefined();
    }
  });
});

describe('API_KEYS_FILE', () => {
  const file = (keys: unknown): string => JSON.stringify({ keys });

  it('reads hashed keys with scopes and per-key limits; the key itself is never in the file', () => {
    const parsed = parseKeyFile(file([
      { id: 'acme', sha256: sha256(KEY_A).toString('hex'), scopes: ['landmarks'], limits: { rps: 2, daily: 50 } },
      { id: 'globex', sha256: sha256(KEY_B).toString('hex').toUpperCase() },
    ]));
    if (!('keys' in parsed)) throw new Error(parsed.problems.join('; '));
    const store = createKeyStore(parsed.keys);
    expect(store.find(KEY_A)).toMatchObject({ id: 'key:acme', limits: { rps: 2, daily: 50 } });
    expect([...store.find(KEY_A)!.scopes]).toEqual(['landmarks']);
    expect([...store.find(KEY_B)!.scopes].sort()).toEqual(['effects', 'landmarks']);
  });

  it('reports every problem at once, with paths', () => {
    const parsed = parseKeyFile(file([
      { id: 'bad id!', sha256: 'abc' },
      { id: 'ok', sha256: sha256(KEY_A).toString('hex'), scopes: ['admin'] },
      { id: 'extra', sha256: sha256(KEY_B).toString('hex'), key: KEY_B },
    ]));
    expect('problems' in parsed && parsed.problems.length).toBeGreaterThanOrEqual(4);
    const text = 'problems' in parsed ? parsed.problems.join('\n') : '';
    expect(text).toContain('keys.0.id');
    expect(text).toContain('keys.0.sha256');
    expect(text).toContain('keys.1.scopes.0');
    expect(text).toContain('keys.2');
  });

  it('refuses duplicate ids and non-JSON', () => {
    const h = sha256(KEY_A).toString('hex');
    expect(parseKeyFile(file([{ id: 'a', sha256: h }, { id: 'a', sha256: h }]))).toEqual({ problems: ['API_KEYS_FILE: id "a" appears twice'] });
    expect(parseKeyFile('{ nope')).toEqual({ problems: ['API_KEYS_FILE is not valid JSON'] });
  });

  it('is read through loadCredentials, and an unreadable file is a config error', async () => {
    const config = loadConfig({ API_KEYS_FILE: '/etc/mayfly/keys.json' });
    const credentials = await loadCredentials(config, (path) => {
      expect(path).toBe('/etc/mayfly/keys.json');
      return file([{ id: 'acme', sha256: sha256(KEY_A).toString('hex') }]);
    });
    expect(credentials.keys.find(KEY_A)?.id).toBe('key:acme');
    expect(credentials.devKey).toBeUndefined();
    await expect(loadCredentials(config, () => { throw Object.assign(new Error('x'), { code: 'ENOENT' }); }))
      .rejects.toThrow(/API_KEYS_FILE could not be read \(ENOENT\)/);
  });
});

describe('credentials without any configuration', () => {
  it('are never open: a fresh random development key, different on every start', async () => {
    const one = await loadCredentials(loadConfig({}));
    const two = await loadCredentials(loadConfig({}));
    expect(one.devKey).toMatch(/^mk_dev_[A-Za-z0-9_-]{32}$/);
    expect(two.devKey).not.toBe(one.devKey);
    expect(one.keys.size).toBe(1);
    expect(one.keys.find(one.devKey!)?.id).toBe('key:dev');
    expect(one.keys.find(two.devKey!)).toBeUndefined();
  });
});

describe('auth settings', () => {
  it('parses API_KEYS and refuses short keys, bad ids and duplicates without echoing keys', () => {
    expect(loadConfig({ API_KEYS: `acme:${KEY_A}, globex:${KEY_B}` }).apiKeys).toEqual([
      { id: 'acme', key: KEY_A }, { id: 'globex', key: KEY_B },
    ]);
    let message = '';
    try {
      loadConfig({ API_KEYS: `a:short,b c:${KEY_A},acme:${KEY_B},acme:${KEY_B}` });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('at least 24 characters');
    expect(message).toContain('entry 2 of API_KEYS');
    expect(message).toContain('"acme" appears twice');
    expect(message).not.toContain(KEY_B);
  });

  it('requires issuer and audience with JWT, a long enough secret, one key kind, and a PEM', () => {
    const problems = (env: Record<string, string>): string => {
      try {
        loadConfig(env);
        return '';
      } catch (error) {
        return (error as Error).message;
      }
    };
    expect(problems({ JWT_SECRET: 'x'.repeat(32) })).toContain('JWT_ISSUER and JWT_AUDIENCE');
    expect(problems({ JWT_SECRET: 'short', JWT_ISSUER: 'i', JWT_AUDIENCE: 'a' })).toContain('at least 32 bytes');
    expect(problems({ JWT_PUBLIC_KEY: 'nope', JWT_ISSUER: 'i', JWT_AUDIENCE: 'a' })).toContain('PEM');
    expect(problems({ JWT_PUBLIC_KEY: '-----BEGIN PUBLIC KEY-----\\nx\\n-----END PUBLIC KEY-----', JWT_ISSUER: 'i', JWT_AUDIENCE: 'a', JWT_ALGORITHM: 'HS256' }))
      .toContain('RS256|ES256');
    expect(problems({ API_KEYS: `a:${KEY_A}`, API_KEYS_FILE: '/k.json' })).toContain('only one of API_KEYS and API_KEYS_FILE');
    expect(problems({ CORS_ORIGINS: 'https://app.example.com,javascript:alert(1)' })).toContain('javascript:alert(1)');
    expect(problems({ REDIS_URL: 'http://redis' })).toContain('REDIS_URL');
    expect(problems({ METRICS_TOKEN: 'short' })).toContain('METRICS_TOKEN');
    const jwt = loadConfig({ JWT_SECRET: 'x'.repeat(32), JWT_ISSUER: 'https://app.example', JWT_AUDIENCE: 'mayfly' }).jwt;
    expect(jwt).toEqual({ algorithm: 'HS256', key: 'x'.repeat(32), issuer: 'https://app.example', audience: 'mayfly', clockToleranceS: 30 });
  });
});
