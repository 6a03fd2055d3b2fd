/**
 * A partner's client for mayfly, typed from the service's own /openapi.json.
 *
 *   types:  node scripts/api-types.mjs https://mayfly.example/openapi.json examples/mayfly-api.d.ts
 *   run:    node examples/partner.ts <base-url> <api-key> <photo.jpg>   (Node ≥ 22.18 strips the types;
 *           on older Node: npx tsx examples/partner.ts …)
 *
 * It lists the templates, finds the faces of a photo, applies one template of every kind
 * (overlay, face-in-hole, face-swap) and shows what an error looks like. test/partner-client.test.ts
 * type-checks it against types generated from a running service, and runs it.
 */
import createClient from 'openapi-fetch';
import type { components, paths } from './mayfly-api.js';

export type Client = ReturnType<typeof createClient<paths>>;
export type EffectRequest = components['schemas']['EffectRequest'];
export type Problem = components['schemas']['Problem'];
export type TemplateKind = components['schemas']['Templates']['templates'][number]['kind'];

export function mayflyClient(baseUrl: string, apiKey: string): Client {
  return createClient<paths>({ baseUrl, headers: { 'X-API-Key': apiKey } });
}

/** Multipart text fields are strings on the wire: numbers are sent as their decimal text. */
export function toFormData(body: EffectRequest | { image: Blob }): FormData {
  const form = new FormData();
  for (const [name, value] of Object.entries(body)) {
    if (value === undefined) continue;
    if (value instanceof Blob) form.append(name, value, 'photo');
    else form.append(name, String(value));
  }
  return form;
}

export async function listTemplates(client: Client) {
  const { data, error } = await client.GET('/v1/templates');
  if (error) throw new Error(`templates: ${error.code}`);
  return data.templates;
}

export async function findFaces(client: Client, photo: Blob) {
  const { data, error } = await client.POST('/v1/landmarks', { body: { image: photo }, bodySerializer: toFormData });
  if (error) throw new Error(`landmarks: ${error.code}: ${error.detail}`);
  return data;
}

export interface EffectResult {
  readonly image: Blob;
  readonly contentType: string;
  readonly facesUsed: number;
}

/** The picture, or the problem the service answered with (its `code` is what to branch on). */
export async function applyEffect(
  client: Client, templateId: string, fields: EffectRequest,
): Promise<{ ok: true; result: EffectResult } | { ok: false; status: number; problem: Problem }> {
  const { data, error, response } = await client.POST('/v1/effects/{templateId}', {
    params: { path: { templateId } },
    body: fields,
    bodySerializer: toFormData,
    parseAs: 'blob',
  });
  // Error bodies are parsed as JSON whatever parseAs says: the problem+json of the answer.
  if (error !== undefined) return { ok: false, status: response.status, problem: error };
  return {
    ok: true,
    result: {
      image: data,
      contentType: response.headers.get('content-type') ?? '',
      facesUsed: Number(response.headers.get('x-faces-used') ?? 0),
    },
  };
}

export interface PartnerRun {
  readonly templates: number;
  readonly faces: number;
  readonly effects: { readonly kind: TemplateKind; readonly template: string; readonly contentType: string; readonly bytes: number; readonly facesUsed: number }[];
  readonly error: { readonly status: number; readonly code: string };
}

export async function runPartner(baseUrl: string, apiKey: string, photo: Blob): Promise<PartnerRun> {
  const client = mayflyClient(baseUrl, apiKey);
  const templates = await listTemplates(client);
  const { faces } = await findFaces(client, photo);

  const effects: PartnerRun['effects'][number][] = [];
  const kinds: TemplateKind[] = ['overlay', 'face-in-hole', 'face-swap'];
  for (const kind of kinds) {
    const template = templates.find((t) => t.kind === kind);
    if (!template) throw new Error(`no ${kind} template`);
    const fields: EffectRequest = { image: photo, format: kind === 'face-swap' ? 'webp' : 'jpg', quality: 80, maxSize: 512, face: 'largest' };
    if (kind === 'face-swap') fields.strength = 70;
    const answer = await applyEffect(client, template.id, fields);
    if (!answer.ok) throw new Error(`${template.id}: ${answer.problem.code}: ${answer.problem.detail}`);
    effects.push({ kind, template: template.id, contentType: answer.result.contentType, bytes: answer.result.image.size, facesUsed: answer.result.facesUsed });
  }

  // An error, as a partner meets one: a template id that does not exist.
  const refused = await applyEffect(client, 'no-such-template', { image: photo });
  if (refused.ok) throw new Error('an unknown template was accepted');
  return { templates: templates.length, faces: faces.length, effects, error: { status: refused.status, code: refused.problem.code } };
}

const invokedDirectly = typeof process !== 'undefined' && process.argv[1] !== undefined
  && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (invokedDirectly) {
  const [baseUrl = 'http://127.0.0.1:8080', apiKey = process.env.MAYFLY_API_KEY ?? '', photoPath] = process.argv.slice(2);
  if (!photoPath) throw new Error('usage: partner.ts <base-url> <api-key> <photo.jpg>');
  const { readFile } = await import('node:fs/promises');
  console.log(JSON.stringify(await runPartner(baseUrl, apiKey, new Blob([await readFile(photoPath)])), null, 2));
}
