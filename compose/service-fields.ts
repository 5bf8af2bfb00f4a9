/**
 * Readers for the structured service keys: healthcheck, depends_on,
 * networks, deploy, devices, extra_hosts, ulimits, secrets/configs, build,
 * command. Each follows the spec section of the same name and reports
 * problems by path.
 */
import { posix } from 'node:path';
import type { Lookup } from './interpolate.js';
import type {
  Build,
  Dependency,
  DeviceRequest,
  FileReference,
  Healthcheck,
  Resources,
  ServiceNetwork,
} from './model.js';
import { type Diagnostics, joinPath } from './problems.js';
import {
  checkKeys,
  isMap,
  readBoolean,
  readInteger,
  readList,
  readMap,
  readNumber,
  readString,
  readStringList,
  readStringMap,
} from './raw.js';
import { splitShellWords } from './shell-words.js';
import { parseBytes, parseDuration } from './units.js';

type Reader<V> = (value: unknown, path: string, diag: Diagnostics) => V | undefined;

/** A duration in nanoseconds (spec: Specifying durations). */
export const readDuration: Reader<number> = (value, path, diag) => {
  try {
    return parseDuration(value as string | number);
  } catch (error) {
    diag.error(path, (error as Error).message);
    return undefined;
  }
};

/** A byte count; `-1` is kept as "unlimited" where Docker accepts it (spec: Specifying byte values). */
export const readBytes: Reader<number> = (value, path, diag) => {
  if (value === -1 || value === '-1') return -1;
  try {
    return parseBytes(value as string | number);
  } catch (error) {
    diag.error(path, (error as Error).message);
    return undefined;
  }
};

/** `command`/`entrypoint`: a string is split like a shell would, a list is kept (spec: command). */
export function readCommand(value: unknown, path: string, diag: Diagnostics): string[] | null {
  if (value === null) return null;
  if (typeof value === 'string') {
    try {
      return splitShellWords(value);
    } catch (error) {
      diag.error(path, (error as Error).message);
      return null;
    }
  }
  return readStringList(value, path, diag);
}

const HEALTH_KEYS = new Set([
  'test',
  'interval',
  'timeout',
  'start_period',
  'start_interval',
  'retries',
  'disable',
]);

/** `healthcheck`, with the test in Docker's `CMD`/`CMD-SHELL`/`NONE` list form. */
export function readHealthcheck(
  value: unknown,
  path: string,
  diag: Diagnostics,
): Healthcheck | undefined {
  const map = readMap(value, path, diag);
  if (!map) return undefined;
  checkKeys(map, path, diag, HEALTH_KEYS);
  const check: Healthcheck = { test: [] };
  const testPath = joinPath(path, 'test');
  if (typeof map.test === 'string') check.test = ['CMD-SHELL', map.test];
  else if (map.test !== undefined) {
    check.test = readStringList(map.test, testPath, diag);
    if (!['NONE', 'CMD', 'CMD-SHELL'].includes(check.test[0] ?? '')) {
      diag.error(testPath, 'a list must start with "NONE", "CMD" or "CMD-SHELL"');
    }
  }
  for (const key of ['interval', 'timeout', 'start_period', 'start_interval'] as const) {
    if (map[key] !== undefined) check[key] = readDuration(map[key], joinPath(path, key), diag);
  }
  if (map.retries !== undefined) {
    check.retries = readInteger(map.retries, joinPath(path, 'retries'), diag, { min: 0 });
  }
  if (map.disable !== undefined && readBoolean(map.disable, joinPath(path, 'disable'), diag)) {
    check.disable = true;
    check.test = ['NONE'];
  }
  // No test is valid: the other fields then tune the image's own HEALTHCHECK (spec: healthcheck).
  return check;
}

const CONDITIONS = new Set([
  'service_started',
  'service_healthy',
  'service_completed_successfully',
]);

/** `depends_on` as a list of names or a map with conditions (spec: depends_on). */
export function readDependsOn(
  value: unknown,
  path: string,
  diag: Diagnostics,
): Record<string, Dependency> {
  const out: Record<string, Dependency> = {};
  if (Array.isArray(value)) {
    for (const name of readStringList(value, path, diag)) {
      out[name] = { condition: 'service_started', required: true, restart: false };
    }
    return out;
  }
  const map = readMap(value, path, diag) ?? {};
  for (const [name, raw] of Object.entries(map)) {
    const itemPath = joinPath(path, name);
    const dep: Dependency = { condition: 'service_started', required: true, restart: false };
    if (raw !== null) {
      const item = readMap(raw, itemPath, diag) ?? {};
      checkKeys(item, itemPath, diag, new Set(['condition', 'required', 'restart']));
      if (item.condition !== undefined) {
        if (CONDITIONS.has(item.condition as string))
          dep.condition = item.condition as Dependency['condition'];
        else
          diag.error(
            joinPath(itemPath, 'condition'),
            `must be one of ${[...CONDITIONS].join(', ')}`,
          );
      }
      for (const key of ['required', 'restart'] as const) {
        if (item[key] === undefined) continue;
        dep[key] = readBoolean(item[key], joinPath(itemPath, key), diag) ?? dep[key];
      }
    }
    out[name] = dep;
  }
  return out;
}

const NETWORK_KEYS = new Set(['aliases', 'ipv4_address', 'ipv6_address', 'priority']);
const NETWORK_UNSUPPORTED = new Set([
  'link_local_ips',
  'mac_address',
  'driver_opts',
  'gw_priority',
  'interface_name',
]);

/** Service `networks` as a list or a map with aliases and static addresses (spec: networks). */
export function readServiceNetworks(
  value: unknown,
  path: string,
  diag: Diagnostics,
): Record<string, ServiceNetwork> {
  const out: Record<string, ServiceNetwork> = {};
  if (Array.isArray(value)) {
    for (const name of readStringList(value, path, diag)) out[name] = { aliases: [] };
    return out;
  }
  const map = readMap(value, path, diag) ?? {};
  for (const [name, raw] of Object.entries(map)) {
    const itemPath = joinPath(path, name);
    const net: ServiceNetwork = { aliases: [] };
    const item = raw === null ? {} : (readMap(raw, itemPath, diag) ?? {});
    checkKeys(item, itemPath, diag, NETWORK_KEYS, NETWORK_UNSUPPORTED);
    if (item.aliases !== undefined)
      net.aliases = readStringList(item.aliases, joinPath(itemPath, 'aliases'), diag);
    for (const key of ['ipv4_address', 'ipv6_address'] as const) {
      if (item[key] !== undefined) net[key] = readString(item[key], joinPath(itemPath, key), diag);
    }
    if (item.priority !== undefined)
      net.priority = readInteger(item.priority, joinPath(itemPath, 'priority'), diag);
    out[name] = net;
  }
  return out;
}

const DEPLOY_KEYS = new Set(['resources', 'replicas', 'restart_policy']);
const DEPLOY_UNSUPPORTED = new Set([
  'mode',
  'placement',
  'update_config',
  'rollback_config',
  'endpoint_mode',
  'labels',
]);
const RESTART_CONDITIONS: Record<string, string> = {
  none: 'no',
  'on-failure': 'on-failure',
  any: 'always',
};

/** What `deploy` contributes: resources, replicas, and a restart policy (spec: Compose Deploy Specification). */
export function readDeploy(
  value: unknown,
  path: string,
  diag: Diagnostics,
  resources: Resources,
): { replicas?: number; restart?: string } {
  const map = readMap(value, path, diag) ?? {};
  checkKeys(map, path, diag, DEPLOY_KEYS, DEPLOY_UNSUPPORTED);
  const out: { replicas?: number; restart?: string } = {};
  if (map.replicas !== undefined) {
    out.replicas = readInteger(map.replicas, joinPath(path, 'replicas'), diag, { min: 0 });
    if (out.replicas !== undefined && out.replicas > 1) {
      diag.error(joinPath(path, 'replicas'), 'more than one replica is not supported by Foyer');
    }
  }
  if (map.restart_policy !== undefined) {
    const p = joinPath(path, 'restart_policy');
    const policy = readMap(map.restart_policy, p, diag) ?? {};
    checkKeys(
      policy,
      p,
      diag,
      new Set(['condition', 'max_attempts']),
      new Set(['delay', 'window']),
    );
    const condition = RESTART_CONDITIONS[(policy.condition as string | undefined) ?? 'any'];
    if (!condition) diag.error(joinPath(p, 'condition'), 'must be one of none, on-failure, any');
    const attempts =
      policy.max_attempts === undefined
        ? undefined
        : readInteger(policy.max_attempts, joinPath(p, 'max_attempts'), diag, { min: 0 });
    out.restart = condition === 'on-failure' && attempts ? `on-failure:${attempts}` : condition;
  }
  if (map.resources !== undefined)
    readResources(map.resources, joinPath(path, 'resources'), diag, resources);
  return out;
}

/**
 * Sets a deploy resource. The service-level key for the same thing (`cpus`,
 * `mem_limit`, `mem_reservation`, `pids_limit`) is read first; when both are
 * set they "must be consistent" (spec: cpus, mem_limit, mem_reservation, pids_limit).
 */
function setResource<K extends string>(
  into: { [key in K]?: number },
  key: K,
  value: number | undefined,
  legacyKey: string,
  path: string,
  diag: Diagnostics,
): void {
  const earlier = into[key];
  if (value !== undefined && earlier !== undefined && value !== earlier)
    diag.error(path, `${value} differs from "${legacyKey}: ${earlier}"; the two must agree`);
  into[key] = value;
}

function readResources(
  value: unknown,
  path: string,
  diag: Diagnostics,
  resources: Resources,
): void {
  const map = readMap(value, path, diag) ?? {};
  checkKeys(map, path, diag, new Set(['limits', 'reservations']));
  if (map.limits !== undefined) {
    const p = joinPath(path, 'limits');
    const limits = readMap(map.limits, p, diag) ?? {};
    checkKeys(limits, p, diag, new Set(['cpus', 'memory', 'pids']));
    const at = (key: string) => joinPath(p, key);
    if (limits.cpus !== undefined) {
      const cpus = readNumber(limits.cpus, at('cpus'), diag);
      setResource(resources.limits, 'cpus', cpus, 'cpus', at('cpus'), diag);
    }
    if (limits.memory !== undefined) {
      const memory = readBytes(limits.memory, at('memory'), diag);
      setResource(resources.limits, 'memory', memory, 'mem_limit', at('memory'), diag);
    }
    if (limits.pids !== undefined) {
      const pids = readInteger(limits.pids, at('pids'), diag);
      setResource(resources.limits, 'pids', pids, 'pids_limit', at('pids'), diag);
    }
  }
  if (map.reservations !== undefined) {
    const p = joinPath(path, 'reservations');
    const reservations = readMap(map.reservations, p, diag) ?? {};
    checkKeys(
      reservations,
      p,
      diag,
      new Set(['cpus', 'memory', 'devices']),
      new Set(['generic_resources']),
    );
    if (reservations.cpus !== undefined)
      resources.reservations.cpus = readNumber(reservations.cpus, joinPath(p, 'cpus'), diag);
    if (reservations.memory !== undefined) {
      const memory = readBytes(reservations.memory, joinPath(p, 'memory'), diag);
      const at = joinPath(p, 'memory');
      setResource(resources.reservations, 'memory', memory, 'mem_reservation', at, diag);
    }
    if (reservations.devices !== undefined) {
      const devices = readDeviceRequests(reservations.devices, joinPath(p, 'devices'), diag, true);
      if (devices.length > 0) resources.reservations.devices = devices;
    }
  }
}

const DEVICE_REQUEST_KEYS = new Set(['capabilities', 'driver', 'count', 'device_ids', 'options']);

/**
 * Device requests (spec: deploy → devices; gpus): `count` is a number or `all` (-1), exclusive
 * with `device_ids`; with neither, every matching device is reserved, so `count` becomes -1.
 * `deploy` requires `capabilities`; `gpus` implies `gpu` (added at translation, as Compose does).
 */
export function readDeviceRequests(
  value: unknown,
  path: string,
  diag: Diagnostics,
  capabilitiesRequired: boolean,
): DeviceRequest[] {
  const out: DeviceRequest[] = [];
  (readList(value, path, diag) ?? []).forEach((raw, i) => {
    const itemPath = joinPath(path, i);
    const item = readMap(raw, itemPath, diag);
    if (!item) return;
    checkKeys(item, itemPath, diag, DEVICE_REQUEST_KEYS);
    const at = (key: string) => joinPath(itemPath, key);
    const request: DeviceRequest = {
      capabilities:
        item.capabilities === undefined
          ? []
          : readStringList(item.capabilities, at('capabilities'), diag),
      options: item.options == null ? {} : readStringMap(item.options, at('options'), diag),
    };
    if (capabilitiesRequired && request.capabilities.length === 0)
      diag.error(at('capabilities'), 'is required: the capabilities the device must have');
    if (item.driver !== undefined) request.driver = readString(item.driver, at('driver'), diag);
    if (item.device_ids !== undefined)
      request.device_ids = readStringList(item.device_ids, at('device_ids'), diag);
    if (item.count !== undefined) {
      request.count =
        typeof item.count === 'string' && item.count.toLowerCase() === 'all'
          ? -1
          : readInteger(item.count, at('count'), diag, { min: 1 });
      if (item.device_ids !== undefined)
        diag.error(at('count'), 'cannot be combined with "device_ids"');
    } else if (item.device_ids === undefined) request.count = -1;
    out.push(request);
  });
  return out;
}

const CDI_DEVICE = /^[a-z0-9.-]+\/[a-z0-9._-]+=[^:]+$/i;

/** `devices` as `HOST[:CONTAINER[:PERMISSIONS]]` strings or long mappings (spec: devices). */
export function readDevices(value: unknown, path: string, diag: Diagnostics) {
  const out: { source: string; target: string; permissions: string }[] = [];
  (readList(value, path, diag) ?? []).forEach((item, i) => {
    const itemPath = joinPath(path, i);
    if (isMap(item)) {
      checkKeys(item, itemPath, diag, new Set(['source', 'target', 'permissions']));
      const source = readString(item.source, joinPath(itemPath, 'source'), diag);
      const target =
        item.target === undefined
          ? source
          : readString(item.target, joinPath(itemPath, 'target'), diag);
      const permissions =
        item.permissions === undefined
          ? 'rwm'
          : readString(item.permissions, joinPath(itemPath, 'permissions'), diag);
      if (source && target && permissions) out.push({ source, target, permissions });
      return;
    }
    const text = readString(item, itemPath, diag);
    if (text === undefined) return;
    // `vendor.com/class=name` lets a CDI runtime pick the device (spec: devices), which
    // needs the Engine's DeviceRequests, not a device path: refused like GPU requests.
    if (CDI_DEVICE.test(text)) {
      diag.error(itemPath, `CDI device "${text}" is not supported by Foyer`);
      return;
    }
    const [source = '', target = source, permissions = 'rwm', ...extra] = text.split(':');
    if (!source || extra.length > 0)
      diag.error(itemPath, `invalid device "${text}": expected HOST[:CONTAINER[:PERMISSIONS]]`);
    else out.push({ source, target, permissions });
  });
  return out;
}

/** `extra_hosts` as `host:ip`/`host=ip` strings or a map of host to address(es), as `host:ip` entries. */
export function readExtraHosts(value: unknown, path: string, diag: Diagnostics): string[] {
  const out: string[] = [];
  if (isMap(value)) {
    for (const [host, addresses] of Object.entries(value)) {
      for (const address of readStringList(addresses, joinPath(path, host), diag))
        out.push(`${host}:${unbracket(address)}`);
    }
    return out;
  }
  readStringList(value, path, diag).forEach((entry, i) => {
    const m = /^([^:=\s]+)[:=](.+)$/.exec(entry);
    if (!m) diag.error(joinPath(path, i), `invalid extra host "${entry}": expected HOST:ADDRESS`);
    else out.push(`${m[1]}:${unbracket(m[2]!)}`);
  });
  return out;
}

/** `[::1]` → `::1`: "IPv6 addresses can be enclosed in square brackets" (spec: extra_hosts), in either form. */
function unbracket(address: string): string {
  return address.replace(/^\[(.*)\]$/, '$1');
}

/** `ulimits`: a single number (soft = hard) or `{soft, hard}` per resource (spec: ulimits). */
export function readUlimits(value: unknown, path: string, diag: Diagnostics) {
  const out: Record<string, { soft: number; hard: number }> = {};
  for (const [name, raw] of Object.entries(readMap(value, path, diag) ?? {})) {
    const p = joinPath(path, name);
    if (isMap(raw)) {
      checkKeys(raw, p, diag, new Set(['soft', 'hard']));
      const soft = readInteger(raw.soft, joinPath(p, 'soft'), diag);
      const hard = readInteger(raw.hard, joinPath(p, 'hard'), diag);
      if (soft !== undefined && hard !== undefined) out[name] = { soft, hard };
    } else {
      const n = readInteger(raw, p, diag);
      if (n !== undefined) out[name] = { soft: n, hard: n };
    }
  }
  return out;
}

/**
 * Service `secrets`/`configs` references, short (a name) or long. Secrets
 * default to `/run/secrets/<name>`, configs to `/<name>` (spec: secrets, configs).
 */
export function readFileReferences(
  value: unknown,
  path: string,
  diag: Diagnostics,
  defaultDir: string,
): FileReference[] {
  const out: FileReference[] = [];
  (readList(value, path, diag) ?? []).forEach((item, i) => {
    const itemPath = joinPath(path, i);
    if (!isMap(item)) {
      const source = readString(item, itemPath, diag);
      if (source !== undefined) out.push({ source, target: posix.join(defaultDir, source) });
      return;
    }
    checkKeys(item, itemPath, diag, new Set(['source', 'target', 'uid', 'gid', 'mode']));
    const source = readString(item.source, joinPath(itemPath, 'source'), diag);
    if (source === undefined) return;
    const target =
      item.target === undefined
        ? source
        : readString(item.target, joinPath(itemPath, 'target'), diag);
    const ref: FileReference = { source, target: posix.resolve(defaultDir, target ?? source) };
    for (const key of ['uid', 'gid'] as const) {
      if (item[key] !== undefined) ref[key] = readString(item[key], joinPath(itemPath, key), diag);
    }
    if (item.mode !== undefined) {
      const mode = typeof item.mode === 'string' ? Number.parseInt(item.mode, 8) : item.mode;
      if (typeof mode === 'number' && Number.isInteger(mode)) ref.mode = mode;
      else diag.error(joinPath(itemPath, 'mode'), 'must be a file mode such as 0440');
    }
    out.push(ref);
  });
  return out;
}

const BUILD_KEYS = new Set(['context', 'dockerfile', 'args', 'target']);
const BUILD_UNSUPPORTED = new Set([
  'additional_contexts',
  'cache_from',
  'cache_to',
  'dockerfile_inline',
  'entitlements',
  'extra_hosts',
  'isolation',
  'labels',
  'network',
  'no_cache',
  'platforms',
  'privileged',
  'provenance',
  'pull',
  'sbom',
  'secrets',
  'shm_size',
  'ssh',
  'tags',
  'ulimits',
]);

/** `build` as a context path or a mapping; the context is made absolute (spec: build). */
export function readBuild(
  value: unknown,
  path: string,
  diag: Diagnostics,
  workingDir: string,
  lookup: Lookup,
): Build | undefined {
  const map = typeof value === 'string' ? { context: value } : readMap(value, path, diag);
  if (!map) return undefined;
  checkKeys(map, path, diag, BUILD_KEYS, BUILD_UNSUPPORTED);
  const context =
    map.context === undefined ? '.' : readString(map.context, joinPath(path, 'context'), diag);
  if (context === undefined) return undefined;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(context)) {
    diag.error(joinPath(path, 'context'), 'a remote build context is not supported by Foyer');
    return undefined;
  }
  const build: Build = {
    context: posix.resolve(workingDir, context),
    dockerfile:
      map.dockerfile === undefined
        ? 'Dockerfile'
        : (readString(map.dockerfile, joinPath(path, 'dockerfile'), diag) ?? 'Dockerfile'),
    // A bare `ARG` takes the project's value and is left out when it has none (Build spec: args).
    args:
      map.args === undefined ? {} : readStringMap(map.args, joinPath(path, 'args'), diag, lookup),
  };
  if (map.target !== undefined)
    build.target = readString(map.target, joinPath(path, 'target'), diag);
  return build;
}
