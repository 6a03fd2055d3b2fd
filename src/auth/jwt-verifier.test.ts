import { exportSPKI, generateKeyPair, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { createJwtVerifier, looksLikeJwt, TokenRejected } from './jwt-verifier.js';

const SECRET = 'a-shared-secret-of-at-least-32-bytes!!';
const base = { issuer: 'https://app.example', audience: 'mayfly', clockToleranceS: 0 };
const hs = new TextEncoder().encode(SECRET);

function token(claims: Record<string, unknown> = {}, options: { iss?: string; aud?: string; exp?: string | number; sub?: string | null } = {}) {
  const jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuedAt()
    .setIssuer(options.iss ?? base.issuer).setAudience(options.aud ?? base.audience);
  if (options.sub !== null) jwt.setSubject(options.sub ?? 'user-42');
  if (options.exp !== undefined) jwt.setExpirationTime(options.exp);
  else jwt.setExpirationTime('5m');
  return jwt.sign(hs);
}

describe('JWT verifier (HS256)', async () => {
  const verifier = await createJwtVerifier({ ...base, algorithm: 'HS256', key: SECRET });

  it('accepts a valid token; the principal is jwt:<sub>, scopes from the scope claim', async () => {
    const all = await verifier.verify(await token());
    expect(all.id).toBe('jwt:user-42');
    expect([...all.scopes].sort()).toEqual(['effects', 'landmarks']);
    const some = await verifier.verify(await token({ scope: 'landmarks openid' }));
    expect([...some.scopes]).toEqual(['landmarks']);
  });

  it('refuses expired tokens, wrong issuer, wrong audience, missing sub, wrong secret', async () => {
    await expect(verifier.verify(await token({}, { exp: Math.floor(Date.now() / 1000) - 60 }))).rejects.toThrow('expired');
    await expect(verifier.verify(await token({}, { iss: 'https://evil.example' }))).rejects.toBeInstanceOf(TokenRejected);
    await expect(verifier.verify(await token({}, { aud: 'someone-else' }))).rejects.toBeInstanceOf(TokenRejected);
    await expect(verifier.verify(await token({}, { sub: null }))).rejects.toBeInstanceOf(TokenRejected);
    const other = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setIssuer(base.issuer).setAudience(base.audience)
      .setSubject('u').setExpirationTime('5m').sign(new TextEncoder().encode('another-secret-of-at-least-32-bytes!!'));
    await expect(verifier.verify(other)).rejects.toBeInstanceOf(TokenRejected);
  });

  it('refuses a token without exp', async () => {
    const noExp = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setIssuer(base.issuer).setAudience(base.audience)
      .setSubject('u').sign(hs);
    await expect(verifier.verify(noExp)).rejects.toBeInstanceOf(TokenRejected);
  });

  it('refuses alg "none" and tampered payloads', async () => {
    const valid = await token();
    const [, payload] = valid.split('.');
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${payload}.`;
    await expect(verifier.verify(none)).rejects.toBeInstanceOf(TokenRejected);
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), sub: 'admin' })).toString('base64url');
    const [h, , s] = valid.split('.');
    await expect(verifier.verify(`${h}.${forged}.${s}`)).rejects.toBeInstanceOf(TokenRejected);
  });
});

describe.each(['RS256', 'ES256'] as const)('JWT verifier (%s public key)', (alg) => {
  it('accepts tokens signed by the private key, refuses HS256 tokens signed with the public key text', async () => {
    const { publicKey, privateKey } = await generateKeyPair(alg);
    const pem = await exportSPKI(publicKey);
    const verifier = await createJwtVerifier({ ...base, algorithm: alg, key: pem });
    const good = await new SignJWT({}).setProtectedHeader({ alg }).setIssuer(base.issuer).setAudience(base.audience)
      .setSubject('device-7').setExpirationTime('2m').sign(privateKey);
    expect((await verifier.verify(good)).id).toBe('jwt:device-7');
    // Algorithm confusion: an HS256 token whose "secret" is the public PEM.
    const confused = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setIssuer(base.issuer).setAudience(base.audience)
      .setSubject('device-7').setExpirationTime('2m').sign(new TextEncoder().encode(pem));
    await expect(verifier.verify(confused)).rejects.toBeInstanceOf(TokenRejected);
  });
});

describe('looksLikeJwt', () => {
  it('tells compact JWS from API keys', async () => {
    expect(looksLikeJwt(await token())).toBe(true);
    expect(looksLikeJwt('mk_live_aaaaaaaaaaaaaaaaaaaaaaaaaaaa')).toBe(false);
  });
});
