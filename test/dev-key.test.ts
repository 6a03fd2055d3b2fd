import { describe, expect, it } from 'vitest';
import { readSample } from './samples.js';
import { postImage } from './service.js';
import { spawnServer } from './spawned-server.js';

describe('npm start with no credentials configured', () => {
  it('is never open: it prints a random development key once on the console and accepts only that', async () => {
    const server = await spawnServer({}, false);
    try {
      const printed = server.stderr().match(/mk_dev_[A-Za-z0-9_-]{32}/g) ?? [];
      expect(printed).toHaveLength(1);
      const key = printed[0]!;
      const without = await postImage(`${server.url}/v1/landmarks`, readSample(1), {}, 'image', 'p.jpg', {});
      expect(without.status).toBe(401);
      // One character off (a random key ends in 'A' one time in 64: then it is 'B').
      const guess = `${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}`;
      const guessed = await postImage(`${server.url}/v1/landmarks`, readSample(1), {}, 'image', 'p.jpg', { 'X-API-Key': guess });
      expect(guessed.status).toBe(401);
      const ok = await postImage(`${server.url}/v1/landmarks`, readSample(1), {}, 'image', 'p.jpg', { Authorization: `Bearer ${key}` });
      expect(ok.status).toBe(200);
      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(0);
      await server.outputDone;
      // The log (stdout) says a development key is in use and who called, never the key itself.
      const logText = JSON.stringify(server.logs);
      expect(logText).toContain('generated development key');
      expect(logText).toContain('"keyId":"key:dev"');
      expect(logText).not.toContain(key);
    } finally {
      server.child.kill('SIGKILL');
    }
  });
});
