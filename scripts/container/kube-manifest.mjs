// Writes what `podman kube play` runs for the container test: deploy/k8s's Secret (from
// secrets.example.yaml, with the SHA-256 of the given key in place of the placeholder) and its
// Deployment, with the image reference that kustomization.yaml's `images:` gives (the one place
// it is stated). Prints that reference.
//   node scripts/container/kube-manifest.mjs <api-key> <out.yaml>
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';

const [key, out] = process.argv.slice(2);
if (!key || !out) throw new Error('usage: kube-manifest.mjs <api-key> <out.yaml>');
const dir = join(import.meta.dirname, '..', '..', 'deploy', 'k8s');
const load = (file) => parseAllDocuments(readFileSync(join(dir, file), 'utf8')).map((d) => d.toJS());

/** kustomize's `images:` rule: newName replaces the name, digest (else newTag) the tag. */
export function imageReference(kustomization, name) {
  const entry = (kustomization.images ?? []).find((i) => i.name === name);
  if (!entry) throw new Error(`kustomization.yaml has no images: entry for ${name}`);
  const repo = entry.newName ?? name;
  return entry.digest ? `${repo}@${entry.digest}` : `${repo}:${entry.newTag ?? 'latest'}`;
}

const [kustomization] = load('kustomization.yaml');
const deployment = load('deployment.yaml').find((d) => d.kind === 'Deployment' && d.metadata.name === 'mayfly');
const container = deployment.spec.template.spec.containers[0];
const ref = imageReference(kustomization, container.image);
container.image = ref;
const secret = load('secrets.example.yaml').find((d) => d.kind === 'Secret' && d.metadata.name === 'mayfly-api-keys');
const sha256 = createHash('sha256').update(key).digest('hex');
secret.stringData['keys.json'] = secret.stringData['keys.json'].replace('<64 hex digits>', sha256);
writeFileSync(out, [secret, deployment].map((d) => stringify(d)).join('---\n'));
console.log(ref);
