import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { loadConfig } from '../src/config.js';

/** The deploy/k8s manifests keep the promises the docs make about how mayfly runs. */
const DIR = join(import.meta.dirname, '..', 'deploy', 'k8s');
interface Doc { kind: string; metadata: { name: string }; spec: Record<string, unknown> }
const docs: Doc[] = readdirSync(DIR).filter((f) => f.endsWith('.yaml') && !f.includes('example') && f !== 'kustomization.yaml')
  .flatMap((f) => parseAllDocuments(readFileSync(join(DIR, f), 'utf8')).map((d) => d.toJS() as Doc));
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
