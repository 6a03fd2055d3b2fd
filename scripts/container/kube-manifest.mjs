// Writes what `podman kube play` runs for the container test: deploy/k8s's Deployment, with the
// image reference that kustomization.yaml's `images:` gives (the one place it is stated), and its
// Secret (from secrets.example.yaml, with the SHA-256 of the given key in place of the
// placeholder), for `podman secret create`. Prints the image reference.
//   node scripts/container/kube-manifest.mjs <api-key> <deployment.yaml> <secret.yaml>
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';

const [key, out, secretOut] = process.argv.slice(2);
if (!key || !out || !secretOut) throw new Error('usage: kube-manifest.mjs <api-key> <deployment.yaml> <secret.yaml>');
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
// What podman 4.3's kube play would do differently from a cluster, undone here (and said):
// it publishes every containerPort on the host's 0.0.0.0 (hostPort defaults to containerPort),
// so two replicas collide and the service would face the machine's network. The test runs the
// pods without a network (--network none) and probes them from inside; the named probe ports
// become numbers, as there is no ports: list left to name them.
const portNumber = Object.fromEntries((container.ports ?? []).map((p) => [p.name, p.containerPort]));
for (const probe of [container.startupProbe, container.livenessProbe, container.readinessProbe]) {
  if (probe?.httpGet && typeof probe.httpGet.port === 'string') probe.httpGet.port = portNumber[probe.httpGet.port];
}
delete container.ports;
process.stderr.write('kube play adaptation: the container\'s ports: removed (podman 4.3 would publish each on 0.0.0.0 of the host), probe ports by number\n');
const secret = load('secrets.example.yaml').find((d) => d.kind === 'Secret' && d.metadata.name === 'mayfly-api-keys');
const sha256 = createHash('sha256').update(key).digest('hex');
const keys = secret.stringData['keys.json'].replace('<64 hex digits>', sha256);
// podman 4.3 (Debian bookworm) ignores stringData in a secret volume and writes each `data`
// value into it without base64-decoding it; played from YAML, a Secret's data must be base64.
// So the test creates the podman secret itself (`podman secret create`, which stores the YAML as
// given), with the key file in plain text under `data`.
delete secret.stringData;
secret.data = { 'keys.json': keys };
process.stderr.write('kube play adaptation: the Secret is created with `podman secret create`, its data in plain text (podman 4.3 does not decode it)\n');
writeFileSync(secretOut, stringify(secret, { lineWidth: 0 }));
writeFileSync(out, stringify(deployment, { lineWidth: 0 }));
console.log(ref);
