/**
 * The config hash of a service: a canonical, versioned projection (sorted
 * keys, defaults already filled by normalisation, the image digest instead
 * of its tag when known, the content of files put into the container) hashed
 * with SHA-256. Equal hashes mean "keep the container"; any difference
 * means "recreate". As Compose does, build, depends_on, replicas and profiles
 * are left out: they change how a service is produced or ordered, not the
 * container itself.
 */
import { createHash } from 'node:crypto';
import type { Project, Service } from './model.js';

/** Bumped whenever the projection changes, so old hashes never match new ones by accident. */
export const CONFIG_HASH_VERSION = 1;

// `x-` extensions are notes for tools (CasaOS keeps store texts there); they never reach the container.
const LEFT_OUT = new Set(['build', 'depends_on', 'replicas', 'profiles', 'extensions']);
/**
 * Keys added to the model after version 1 of the projection: left out while empty, so a
 * service that does not use them keeps its hash and a Foyer upgrade recreates nothing.
 */
const LEFT_OUT_WHEN_EMPTY = new Set(['device_cgroup_rules', 'gpus', 'links']);

/** JSON with object keys sorted at every level: the same value always gives the same text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/** The projection of a service that decides keep vs recreate. */
export function hashProjection(
  project: Project,
  service: Service,
  imageDigest?: string,
): Record<string, unknown> {
  const projection: Record<string, unknown> = { version: CONFIG_HASH_VERSION };
  for (const [key, value] of Object.entries(service)) {
    if (LEFT_OUT.has(key)) continue;
    if (LEFT_OUT_WHEN_EMPTY.has(key) && Array.isArray(value) && value.length === 0) continue;
    projection[key] = value;
  }
  // Mount consistency changes nothing on Linux (and was dropped before it was kept): no recreate.
  projection.volumes = service.volumes.map(({ consistency: _, ...mount }) => mount);
  if (imageDigest) projection.image = imageDigest;
  // Files put into the container change it as surely as its config does.
  const files = [
    ...service.secrets.map((r) => project.secrets[r.source]),
    ...service.configs.map((r) => project.configs[r.source]),
  ];
  projection.files = files.map(
    (f) => f && { file: f.file, content: f.content && sha256(f.content) },
  );
  // The engine names of the networks and volumes it joins are part of the container too.
  projection.network_names = Object.keys(service.networks).map((k) => project.networks[k]?.name);
  projection.volume_names = service.volumes.map((m) =>
    m.type === 'volume' && m.source ? project.volumes[m.source]?.name : null,
  );
  return projection;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The `com.docker.compose.config-hash` label value of a service. */
export function configHash(project: Project, service: Service, imageDigest?: string): string {
  return sha256(canonicalJson(hashProjection(project, service, imageDigest)));
}
