import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeyStore, storedKey } from '../src/auth/key-store.js';
import { multipartBody, rawExchange, requestHead } from './raw-http.js';
import { readSample } from './samples.js';
import { startTestService, type TestService } from './service.js';

/**
 * Authorization is attached to the route that serves a request, never matched against the URL:
 * express routes case-insensitively and accepts the absolute form of a request target, so every
 * spelling that reaches a route must meet that route's scope.
 */
const KEYS = {
  landmarks: 'mk_live_scopes_landmarks_only_0000000',
  effects: 'mk_live_scopes_effects_only_000000000',
  both: 'mk_live_scopes_both_00000000000000000',
} as const;

let svc: TestService;
let port: number;
beforeAll(async () => {
  svc = await startTestService({}, {
    credentials: {
      keys: createKeyStore([
        storedKey('landmarks-only', KEYS.landmarks, ['landmarks']),
        storedKey('effects-only', KEYS.effects, ['effects']),
        storedKey('both', KEYS.both, ['landmarks', 'effects']),
      ]),
    },
  });
  port = Number(new URL(svc.url).port);
});
afterAll(async () => { await svc?.close(); });

const photo = readSample(2);
const boundary = 'scopes-boundary';
const body = multipartBody(boundary, [{ name: 'image', filename: 'p.jpg', contentType: 'image/jpeg', data: photo }]);

async function post(target: string, key: string): Promise<number> {
  const head = requestHead(target, {
    Authorization: `Bearer ${key}`, 'Content-Type': `multipart/form-data; boundary=${boundary}`, 'Content-Length': body.length, Connection: 'close',
  });
  return (await rawExchange(port, [head, body]).response).status;
}

const routes = [
  { scope: 'landmarks', path: '/v1/landmarks', variants: ['/v1/landmarks', '/v1/Landmarks', '/V1/LANDMARKS', '/v1/landmarks/'] },
  { scope: 'effects', path: '/v1/effects/astronaut', variants: ['/v1/effects/astronaut', '/v1/Effects/astronaut', '/V1/EFFECTS/astronaut'] },
] as const;

describe('every route with every scope, in every spelling', () => {
  for (const route of routes) {
    for (const [keyName, key] of Object.entries(KEYS)) {
      const allowed = keyName === 'both' || keyName === route.scope;
      it(`${route.path} with a ${keyName} key: ${allowed ? '200' : '403'} in every case variant and in absolute form`, async () => {
        const targets = [...route.variants, `http://127.0.0.1:${port}${route.path}`, `http://127.0.0.1:${port}${route.variants[2]}`];
        const statuses = [];
        for (const target of targets) statuses.push(await post(target, key));
        expect(statuses).toEqual(targets.map(() => (allowed ? 200 : 403)));
      });
    }
  }
});

describe('routes that do not exist are told apart before credentials are looked at', () => {
  it('an unknown /v1 path is 404 and a wrong method 405 (with Allow), with or without a key', async () => {
    for (const headers of [{}, { Authorization: 'Bearer not-a-key' }] as Record<string, string>[]) {
      const unknown = await fetch(`${svc.url}/v1/nothing-here`, { method: 'POST', headers });
      expect([unknown.status, ((await unknown.json()) as { code: string }).code]).toEqual([404, 'not_found']);
      const method = await fetch(`${svc.url}/v1/landmarks`, { method: 'GET', headers });
      expect([method.status, method.headers.get('allow')]).toEqual([405, 'POST']);
      await method.body?.cancel();
    }
  });
});
