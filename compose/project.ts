/**
 * The top level of a Compose file: services, networks, volumes, secrets,
 * configs, and the references between them. Names of engine objects are
 * fixed here (`<project>_default`, `<project>_<volume>`), so every consumer
 * agrees on them (spec: Networks/Volumes top-level element, `name`).
 */
import { posix } from 'node:path';
import type { FileObject, Network, Project, Service, Volume } from './model.js';
import { type Diagnostics, joinPath } from './problems.js';
import {
  checkKeys,
  extensionsOf,
  isMap,
  type RawMap,
  readBoolean,
  readList,
  readMap,
  readString,
  readStringMap,
} from './raw.js';
import { readService, type ServiceContext } from './service.js';

const TOP_KEYS = new Set([
  'version',
  'name',
  'services',
  'networks',
  'volumes',
  'secrets',
  'configs',
]);
const TOP_UNSUPPORTED = new Set(['include', 'models']);
const NETWORK_KEYS = new Set([
  'driver',
  'driver_opts',
  'attachable',
  'enable_ipv6',
  'external',
  'internal',
  'ipam',
  'labels',
  'name',
]);
const VOLUME_KEYS = new Set(['driver', 'driver_opts', 'external', 'labels', 'name']);
const FILE_KEYS = new Set(['file', 'environment', 'content', 'external', 'name']);

/** Lower-cases and strips what Docker does not allow in a project name, as Compose does. */
export function normaliseProjectName(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9_-]/g, '')
    .replace(/^[_-]+/, '');
}

/**
 * `external: true`, or the legacy `external: {name}` form. An external object
 * takes nothing but `name`: "If Compose detects any other attribute, it rejects
 * the Compose file as invalid" (spec: networks, volumes, configs, secrets → external).
 */
function readExternal(
  map: RawMap,
  path: string,
  diag: Diagnostics,
): { external: boolean; name?: string } {
  if (map.external === undefined) return { external: false };
  let out: { external: boolean; name?: string };
  if (isMap(map.external)) {
    const name = readString(map.external.name, joinPath(joinPath(path, 'external'), 'name'), diag);
    out = { external: true, ...(name !== undefined ? { name } : {}) };
  } else out = { external: readBoolean(map.external, joinPath(path, 'external'), diag) ?? false };
  if (out.external) {
    for (const key of Object.keys(map)) {
      if (key === 'external' || key === 'name' || key.startsWith('x-')) continue;
      diag.error(joinPath(path, key), 'cannot be combined with "external: true"');
    }
  }
  return out;
}

/** What networks and volumes share: name, external, driver and its options, labels. */
function readEngineObject(
  key: string,
  map: RawMap,
  path: string,
  project: string,
  diag: Diagnostics,
) {
  const { external, name: legacyName } = readExternal(map, path, diag);
  const name =
    map.name !== undefined ? readString(map.name, joinPath(path, 'name'), diag) : legacyName;
  const object: Volume = {
    name: name ?? (external ? key : `${project}_${key}`),
    external,
    driver_opts:
      map.driver_opts == null
        ? {}
        : readStringMap(map.driver_opts, joinPath(path, 'driver_opts'), diag),
    labels: map.labels == null ? {} : readStringMap(map.labels, joinPath(path, 'labels'), diag),
  };
  if (map.driver !== undefined)
    object.driver = readString(map.driver, joinPath(path, 'driver'), diag);
  return object;
}

function readFlag(map: RawMap, key: string, path: string, diag: Diagnostics): boolean {
  return map[key] === undefined
    ? false
    : (readBoolean(map[key], joinPath(path, key), diag) ?? false);
}

function readNetwork(
  key: string,
  raw: unknown,
  path: string,
  project: string,
  diag: Diagnostics,
): Network {
  const map = raw === null ? {} : (readMap(raw, path, diag) ?? {});
  checkKeys(map, path, diag, NETWORK_KEYS, new Set(['enable_ipv4']));
  const network: Network = {
    ...readEngineObject(key, map, path, project, diag),
    internal: readFlag(map, 'internal', path, diag),
    attachable: readFlag(map, 'attachable', path, diag),
  };
  if (map.enable_ipv6 !== undefined)
    network.enable_ipv6 = readBoolean(map.enable_ipv6, joinPath(path, 'enable_ipv6'), diag);
  if (map.ipam !== undefined) network.ipam = readIpam(map.ipam, joinPath(path, 'ipam'), diag);
  return network;
}

function readIpam(raw: unknown, path: string, diag: Diagnostics): Network['ipam'] {
  const map = readMap(raw, path, diag) ?? {};
  checkKeys(map, path, diag, new Set(['driver', 'config', 'options']));
  const config = (
    map.config === undefined ? [] : (readList(map.config, joinPath(path, 'config'), diag) ?? [])
  ).map((entry, i) => {
    const p = joinPath(joinPath(path, 'config'), i);
    const item = readMap(entry, p, diag) ?? {};
    checkKeys(item, p, diag, new Set(['subnet', 'ip_range', 'gateway', 'aux_addresses']));
    const out: NonNullable<Network['ipam']>['config'][number] = {
      aux_addresses:
        item.aux_addresses == null
          ? {}
          : readStringMap(item.aux_addresses, joinPath(p, 'aux_addresses'), diag),
    };
    for (const key of ['subnet', 'ip_range', 'gateway'] as const) {
      if (item[key] !== undefined) out[key] = readString(item[key], joinPath(p, key), diag);
    }
    return out;
  });
  return {
    ...(map.driver !== undefined
      ? { driver: readString(map.driver, joinPath(path, 'driver'), diag) }
      : {}),
    config,
    options: map.options == null ? {} : readStringMap(map.options, joinPath(path, 'options'), diag),
  };
}

function readVolume(
  key: string,
  raw: unknown,
  path: string,
  project: string,
  diag: Diagnostics,
): Volume {
  const map = raw === null ? {} : (readMap(raw, path, diag) ?? {});
  checkKeys(map, path, diag, VOLUME_KEYS);
  return readEngineObject(key, map, path, project, diag);
}

function readFileObject(
  key: string,
  raw: unknown,
  path: string,
  ctx: ServiceContext,
  project: string,
  diag: Diagnostics,
): FileObject {
  const map = readMap(raw, path, diag) ?? {};
  checkKeys(map, path, diag, FILE_KEYS);
  const { external } = readExternal(map, path, diag);
  const name =
    map.name !== undefined ? readString(map.name, joinPath(path, 'name'), diag) : undefined;
  const object: FileObject = { name: name ?? (external ? key : `${project}_${key}`), external };
  const sources = ['file', 'content', 'environment'].filter((k) => map[k] !== undefined);
  if (!external && sources.length !== 1)
    diag.error(path, 'needs exactly one of "file", "content" or "environment"');
  const file =
    map.file === undefined ? undefined : readString(map.file, joinPath(path, 'file'), diag);
  if (file !== undefined) object.file = posix.resolve(ctx.workingDir, file);
  if (map.content !== undefined)
    object.content = readString(map.content, joinPath(path, 'content'), diag);
  if (map.environment !== undefined) {
    const variable = readString(map.environment, joinPath(path, 'environment'), diag);
    if (variable !== undefined) {
      // Resolved now: the variable belongs to the project's environment, not the container's.
      object.environment = variable;
      object.content = ctx.lookup(variable) ?? '';
    }
  }
  return object;
}

/** Normalises a merged, interpolated document into a project; cross-references are checked by the caller. */
export function readProject(
  doc: RawMap,
  projectName: string,
  ctx: ServiceContext,
  diag: Diagnostics,
): Project {
  checkKeys(doc, '', diag, TOP_KEYS, TOP_UNSUPPORTED);
  // Spec (Version top-level element): "only informative", with a warning "that it is obsolete".
  if (doc.version !== undefined) diag.warn('version', 'the attribute is obsolete and ignored');
  const section = (key: string): RawMap =>
    doc[key] == null ? {} : (readMap(doc[key], key, diag) ?? {});
  const services: Record<string, Service> = {};
  const rawServices = section('services');
  if (Object.keys(rawServices).length === 0)
    diag.error('services', 'must define at least one service');
  for (const [name, raw] of Object.entries(rawServices)) {
    if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(name))
      diag.error(joinPath('services', name), 'invalid service name');
    services[name] = readService(name, raw, joinPath('services', name), ctx, diag);
  }
  const networks: Record<string, Network> = {};
  for (const [key, raw] of Object.entries(section('networks'))) {
    networks[key] = readNetwork(key, raw, joinPath('networks', key), projectName, diag);
  }
  const volumes: Record<string, Volume> = {};
  for (const [key, raw] of Object.entries(section('volumes'))) {
    volumes[key] = readVolume(key, raw, joinPath('volumes', key), projectName, diag);
  }
  const files = (kind: 'secrets' | 'configs') => {
    const out: Record<string, FileObject> = {};
    for (const [key, raw] of Object.entries(section(kind)))
      out[key] = readFileObject(key, raw, joinPath(kind, key), ctx, projectName, diag);
    return out;
  };
  return {
    name: projectName,
    working_dir: ctx.workingDir,
    services,
    networks,
    volumes,
    secrets: files('secrets'),
    configs: files('configs'),
    extensions: extensionsOf(doc),
  };
}
