import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
// kubernetes-models 4.x: 5.x needs Node 22, and the tests run on Node 20 here.
import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { Ingress, NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { Secret, Service } from 'kubernetes-models/v1';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { loadConfig } from '../src/config.js';

/** The deploy/k8s manifests keep the promises the docs make about how mayfly runs. */
const DIR = join(import.meta.dirname, '..', 'deploy', 'k8s');
interface Doc { kind: string; metadata: { name: string }; spec: Record<string, unknown> }
const manifestFiles = readdirSync(DIR).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
const load = (f: string): Doc[] => parseAllDocuments(readFileSync(join(DIR, f), 'utf8')).map((d) => d.toJS() as Doc);
const docs: Doc[] = manifestFiles.filter((f) => !f.includes('example')).flatMap(load);
interface Kustomization { resources: string[]; images?: { name: string; newName?: string; newTag?: string; digest?: string }[] }
const kustomization = load('kustomization.yaml')[0] as unknown as Kustomization;

/** Every kind the manifests use, by apiVersion/kind, with its schema (validate() throws on a violation). */
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'apps/v1/Deployment': Deployment, 'v1/Service': Service, 'v1/Secret': Secret,
  'networking.k8s.io/v1/Ingress': Ingress, 'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler, 'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
};
const find = (kind: string, name: string): Doc => {
  const doc = docs.find((d) => d.kind === kind && d.metadata.name === name);
  if (!doc) throw new Error(`no ${kind} ${name}`);
  return doc;
};

interface Container {
  name: string;
  env?: { name: string; value?: string }[];
  securityContext: { readOnlyRootFilesystem?: boolean; allowPrivilegeEscalation?: boolean; capabilities?: { drop?: string[] } };
  resources: { requests?: Record<string, string>; limits?: Record<string, string> };
  livenessProbe?: { httpGet?: { path: string } };
  readinessProbe?: { httpGet?: { path: string } };
  volumeMounts?: { readOnly?: boolean }[];
  lifecycle?: { preStop?: { sleep?: { seconds: number } } };
}
interface PodSpec {
  securityContext: { runAsNonRoot?: boolean };
  containers: Container[];
  volumes?: Record<string, unknown>[];
  terminationGracePeriodSeconds?: number;
}
const podOf = (doc: Doc): PodSpec => (doc.spec.template as { spec: PodSpec }).spec;

describe('deploy/k8s', () => {
  it.each(manifestFiles)('%s: every document is valid against the Kubernetes schema of its kind', (file) => {
    const documents = load(file) as unknown as { apiVersion: string; kind: string }[];
    expect(documents.length).toBeGreaterThan(0);
    for (const doc of documents) {
      const Model = MODELS[`${doc.apiVersion}/${doc.kind}`];
      expect(Model, `${file}: no schema for ${doc.apiVersion} ${doc.kind}`).toBeDefined();
      expect(() => new Model!(doc as never).validate()).not.toThrow();
    }
  });

  it('the validation catches a broken manifest', () => {
    const broken = structuredClone(find('Deployment', 'mayfly')) as unknown as { spec: { replicas: unknown } };
    broken.spec.replicas = 'two';
    expect(() => new Deployment(broken as never).validate()).toThrow();
  });

  it('kustomization.yaml lists every manifest but the example Secret, and names the image once', () => {
    expect([...kustomization.resources].sort()).toEqual(manifestFiles.filter((f) => !f.includes('example')).sort());
    const images = podOf(find('Deployment', 'mayfly')).containers.map((c) => (c as unknown as { image: string }).image);
    expect(images).toEqual(['mayfly']);
    const entry = kustomization.images?.find((i) => i.name === 'mayfly');
    expect(entry?.newName).toMatch(/\/mayfly$/);
    expect(entry?.newTag ?? entry?.digest).toBeDefined();
    // Nowhere else: no manifest names a registry image of mayfly.
    for (const f of manifestFiles) expect(readFileSync(join(DIR, f), 'utf8')).not.toMatch(/image: \S+\/mayfly/);
  });

  it('the Ingress routes to the Service\'s http port', () => {
    const ingress = find('Ingress', 'mayfly').spec as { rules: { http: { paths: { backend: { service: { name: string; port: { name: string } } } }[] } }[] };
    const backend = ingress.rules[0]!.http.paths[0]!.backend.service;
    expect(backend.name).toBe('mayfly');
    const ports = find('Service', 'mayfly').spec.ports as { name: string }[];
    expect(ports.map((p) => p.name)).toContain(backend.port.name);
  });

  it.each(['mayfly', 'mayfly-redis'])('%s: non-root, read-only root, no capabilities, no writable volume, resources', (name) => {
    const pod = podOf(find('Deployment', name));
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    for (const volume of pod.volumes ?? []) {
      expect(Object.keys(volume).filter((k) => k !== 'name')).toEqual(['secret']);
    }
    for (const c of pod.containers) {
      expect(c.securityContext.readOnlyRootFilesystem).toBe(true);
      expect(c.securityContext.allowPrivilegeEscalation).toBe(false);
      expect(c.securityContext.capabilities?.drop).toEqual(['ALL']);
      expect(c.resources.requests?.cpu).toBeDefined();
      expect(c.resources.requests?.memory).toBeDefined();
      expect(c.resources.limits?.memory).toBeDefined();
      for (const mount of c.volumeMounts ?? []) expect(mount.readOnly).toBe(true);
    }
  });

  it('mayfly: the service\'s user can read the API key Secret (mode 0440: group access through fsGroup)', () => {
    const pod = podOf(find('Deployment', 'mayfly')) as PodSpec & { securityContext: { runAsGroup?: number; fsGroup?: number } };
    const secretVolume = (pod.volumes ?? []).find((v) => 'secret' in v) as { secret: { defaultMode?: number } } | undefined;
    const mode = secretVolume?.secret.defaultMode ?? 0o644;
    // Kubernetes makes the files root-owned; without world read, only fsGroup's group can read them.
    if ((mode & 0o004) === 0) {
      expect(mode & 0o040).toBe(0o040);
      expect(pod.securityContext.fsGroup).toBe(pod.securityContext.runAsGroup);
    }
  });

  it('mayfly: probes on /healthz and /readyz, a grace period longer than the drain, settings the service accepts', () => {
    const pod = podOf(find('Deployment', 'mayfly'));
    const c = pod.containers[0]!;
    expect(c.livenessProbe?.httpGet?.path).toBe('/healthz');
    expect(c.readinessProbe?.httpGet?.path).toBe('/readyz');
    const env = Object.fromEntries((c.env ?? []).filter((e) => e.value !== undefined).map((e) => [e.name, e.value!]));
    const config = loadConfig(env);
    expect(config.redisUrl).toBe('redis://mayfly-redis:6379');
    expect(config.metricsPort).toBe(9090);
    const preStop = c.lifecycle?.preStop?.sleep?.seconds ?? 0;
    expect(pod.terminationGracePeriodSeconds! * 1000).toBeGreaterThan(config.shutdownGraceMs + preStop * 1000);
  });

  it('Service, HPA and PDB point at the Deployment', () => {
    const labels = (find('Deployment', 'mayfly').spec.selector as { matchLabels: Record<string, string> }).matchLabels;
    expect(find('Service', 'mayfly').spec.selector).toEqual(labels);
    expect((find('PodDisruptionBudget', 'mayfly').spec.selector as { matchLabels: unknown }).matchLabels).toEqual(labels);
    expect(find('HorizontalPodAutoscaler', 'mayfly').spec.scaleTargetRef).toMatchObject({ kind: 'Deployment', name: 'mayfly' });
    const redisPort = (find('Service', 'mayfly-redis').spec.ports as { port: number }[])[0]!.port;
    expect(redisPort).toBe(6379);
  });
});
