import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { descriptorDistance, faceNearest, facesIn, type IdentityFace } from '../scripts/identity.mjs';
import type { FaceSwapTemplate } from '../src/pipeline/kinds/index.js';
import { readSample, SAMPLE_NUMBERS } from './samples.js';
import { postImage, startTestService, type TestService } from './service.js';

/**
 * Does a face swap carry the person over? face-api's recognition net (128-d descriptors, on
 * wasm: deterministic) compares each result face with the user and with the template's own
 * person. Users: the two largest faces of every sample photo, each cropped as a selfie (as
 * npm run bench:swap does). Before issue 15 (colour transfer + feather, no shape) 10 of 18 results
 * were closer to the user and the mean distance to the user was 0.59; face-api calls < 0.6 the
 * same person.
 */
let svc: TestService;
beforeAll(async () => { svc = await startTestService(); });
afterAll(async () => { await svc?.close(); });

interface User { readonly name: string; readonly bytes: Buffer; readonly face: IdentityFace }

async function users(): Promise<User[]> {
  const list: User[] = [];
  for (const n of SAMPLE_NUMBERS) {
    const photo = readSample(n);
    const meta = await sharp(photo).metadata();
    for (const [k, f] of (await facesIn(photo, Math.max(meta.width!, meta.height!))).slice(0, 2).entries()) {
      const side = Math.max(f.box.width, f.box.height) * 2.4;
      const left = Math.max(0, Math.round(f.box.x + f.box.width / 2 - side / 2));
      const top = Math.max(0, Math.round(f.box.y + f.box.height / 2 - side / 2));
      const bytes = await sharp(photo).extract({ left, top, width: Math.min(meta.width! - left, Math.round(side)), height: Math.min(meta.height! - top, Math.round(side)) })
        .jpeg({ quality: 95 }).toBuffer();
      const face = (await facesIn(bytes, 4096))[0];
      if (face) list.push({ name: `sample${n} face ${k}`, bytes, face });
    }
  }
  return list;
}

interface Distances { readonly dUser: number; readonly dTemplate: number }

/**
 * Every user into every slot of both face-swap portraits with `fields`: the distances on face-api's
 * own axis-aligned descriptor (`rows`) and on the upright one (scripts/identity.mjs: the face turned
 * eye-line level before the net, as dlib trained it).
 */
async function swapDistances(people: readonly User[], fields: Record<string, string>): Promise<{ rows: Distances[]; upright: Distances[] }> {
  const rows: Distances[] = [];
  const upright: Distances[] = [];
  for (const id of ['portrait-swap', 'duo-swap']) {
    const template = svc.service.state.templates!.get(id) as FaceSwapTemplate;
    const art = await sharp(template.art.data, { raw: { width: template.width, height: template.height, channels: template.art.channels } }).png().toBuffer();
    const templateFaces = await facesIn(art, 4096);
    for (const person of people) {
      const res = await postImage(`${svc.url}/v1/effects/${id}`, person.bytes, { format: 'png', maxSize: '1024', face: 'largest', ...fields });
      if (res.status === 422) continue; // a pose past the limit (none of these, today)
      expect(res.status).toBe(200);
      const resultFaces = await facesIn(Buffer.from(await res.arrayBuffer()), 4096);
      for (const slot of template.slots) {
        const at: [number, number] = [(slot.anchors.leftEye[0] + slot.anchors.rightEye[0]) / 2, (slot.anchors.leftEye[1] + slot.anchors.rightEye[1]) / 2];
        const own = faceNearest(templateFaces, at)!;
        // sample3's second face is the portrait-swap template's own person: nothing to compare.
        if (descriptorDistance(own.descriptor, person.face.descriptor) < 0.45) continue;
        const got = faceNearest(resultFaces, at);
        expect(got, `${id} × ${person.name}: a face in the result`).not.toBeNull();
        const dUser = descriptorDistance(got!.descriptor, person.face.descriptor);
        const dTemplate = descriptorDistance(got!.descriptor, own.descriptor);
        const up = {
          dUser: descriptorDistance(got!.alignedDescriptor!, person.face.alignedDescriptor!),
          dTemplate: descriptorDistance(got!.alignedDescriptor!, own.alignedDescriptor!),
        };
        console.log(`identity ${id} × ${person.name} (${JSON.stringify(fields)}): d(user) ${dUser.toFixed(3)}, d(template) ${dTemplate.toFixed(3)}; upright ${up.dUser.toFixed(3)}, ${up.dTemplate.toFixed(3)}`);
        rows.push({ dUser, dTemplate });
        upright.push(up);
      }
    }
  }
  return { rows, upright };
}

describe('identity: at strength 100 and shape 100 the result looks like the user', () => {
  it('results are closer to the user than to the template person; mean distance to the user ≤ 0.45', async () => {
    const people = await users();
    expect(people.length).toBeGreaterThanOrEqual(10);
    const { rows, upright } = await swapDistances(people, { strength: '100', shape: '100' });
    const carried = rows.filter((r) => r.dUser < r.dTemplate).length;
    const mean = rows.reduce((s, r) => s + r.dUser, 0) / rows.length;
    const carriedUpright = upright.filter((r) => r.dUser < r.dTemplate).length;
    const meanUpright = upright.reduce((s, r) => s + r.dUser, 0) / upright.length;
    console.log(`identity: ${carried} of ${rows.length} closer to the user; mean d(user) ${mean.toFixed(3)}`);
    console.log(`identity, upright: ${carriedUpright} of ${upright.length} closer to the user; mean d(user) ${meanUpright.toFixed(3)}`);
    // The goal, on the upright measure: the recognition net is dlib's, trained on faces
    // turned eye-line level, so every face (user, template, result) is turned so before it is
    // described (scripts/identity.mjs; test/identity-measure.test.ts pins the measure). Measured:
    // 32 of 32, mean 0.348. With the template left as it is (strength 0, shape 0) it gives 0 of 32.
    expect(carriedUpright).toBe(upright.length);
    expect(meanUpright).toBeLessThanOrEqual(0.45);
    // face-api's own axis-aligned crop, kept as a guard: 28 of 32 and 0.443. The four left are
    // faces rolled in the user's photo (sample1's largest 44°, sample4's largest 27°), which reach
    // the net rolled on that measure while the result's face is upright.
    expect(carried / rows.length).toBeGreaterThanOrEqual(28 / 32);
    expect(mean).toBeLessThanOrEqual(0.45);
  }, 300_000);

  it('the measure can fail: with the template left as it is (strength 0, shape 0) no result is the user', async () => {
    const { rows, upright } = await swapDistances(await users(), { strength: '0', shape: '0' });
    const carried = upright.filter((r) => r.dUser < r.dTemplate).length;
    console.log(`identity control, strength 0: ${carried} of ${upright.length} closer to the user upright, ${rows.filter((r) => r.dUser < r.dTemplate).length} axis-aligned`);
    // Measured: 0 of 32 on either measure.
    expect(upright.length).toBeGreaterThanOrEqual(28);
    expect(carried).toBe(0);
  }, 300_000);
});
