/**
 * The normalised project in the shape of Compose v2's
 * `docker compose config --format json`, for `foyer compose config`:
 * long-form ports (`published` as a string) and volumes, environment as a
 * map, networks as a map, durations as Go duration strings, and top-level
 * networks and volumes carrying their full engine names.
 */
import type { DeviceRequest, FileObject, Healthcheck, Network, Project, Service } from './model.js';
import { formatDuration } from './units.js';

type Json = Record<string, unknown>;

/** Copies `value` under `key` unless it is undefined, an empty list or an empty map. */
function put(out: Json, key: string, value: unknown): void {
  if (value === undefined) return;
  if (Array.isArray(value) && value.length === 0) return;
  if (
    value !== null &&
    typeof value === 'object' &&
    !Array.isArray(value) &&
    Object.keys(value).length === 0
  )
    return;
  out[key] = value;
}

function healthcheckJson(check: Healthcheck): Json {
  const out: Json = { test: check.test };
  for (const key of ['interval', 'timeout', 'start_period', 'start_interval'] as const) {
    if (check[key] !== undefined) out[key] = formatDuration(check[key]);
  }
  put(out, 'retries', check.retries);
  if (check.disable) out.disable = true;
  return out;
}

/** Compose prints a device request's `count: all` as -1 and leaves out empty fields. */
function deviceRequestJson(request: DeviceRequest): Json {
  const out: Json = {};
  put(out, 'capabilities', request.capabilities);
  put(out, 'driver', request.driver);
  put(out, 'count', request.count);
  put(out, 'device_ids', request.device_ids);
  put(out, 'options', request.options);
  return out;
}

function deployJson(service: Service): Json | undefined {
  const { limits, reservations } = service.resources;
  const resources: Json = {};
  const limitsJson: Json = {};
  put(limitsJson, 'cpus', limits.cpus);
  put(limitsJson, 'memory', limits.memory);
  put(limitsJson, 'pids', limits.pids);
  const reservationsJson: Json = {};
  put(reservationsJson, 'cpus', reservations.cpus);
  put(reservationsJson, 'memory', reservations.memory);
  put(reservationsJson, 'devices', reservations.devices?.map(deviceRequestJson));
  put(resources, 'limits', limitsJson);
  put(resources, 'reservations', reservationsJson);
  if (Object.keys(resources).length === 0 && service.replicas === 1) return undefined;
  return { ...(service.replicas !== 1 ? { replicas: service.replicas } : {}), resources };
}

function serviceJson(service: Service): Json {
  const out: Json = { command: service.command, entrypoint: service.entrypoint };
  put(out, 'image', service.image);
  put(out, 'build', service.build);
  put(out, 'container_name', service.container_name);
  put(out, 'environment', service.environment);
  put(out, 'labels', service.labels);
  put(out, 'depends_on', service.depends_on);
  put(out, 'healthcheck', service.healthcheck && healthcheckJson(service.healthcheck));
  put(out, 'deploy', deployJson(service));
  put(out, 'ports', service.ports);
  put(out, 'expose', service.expose);
  put(out, 'volumes', service.volumes);
  put(out, 'tmpfs', service.tmpfs);
  put(out, 'network_mode', service.network_mode);
  put(out, 'gpus', service.gpus.map(deviceRequestJson));
  if (service.network_mode === undefined) {
    // Compose prints a network without options as null.
    out.networks = Object.fromEntries(
      Object.entries(service.networks).map(([name, net]) => {
        const json: Json = {};
        put(json, 'aliases', net.aliases);
        put(json, 'ipv4_address', net.ipv4_address);
        put(json, 'ipv6_address', net.ipv6_address);
        put(json, 'priority', net.priority);
        return [name, Object.keys(json).length > 0 ? json : null];
      }),
    );
  }
  put(
    out,
    'stop_grace_period',
    service.stop_grace_period === undefined
      ? undefined
      : formatDuration(service.stop_grace_period * 1e9),
  );
  const skip = new Set([
    'name',
    'image',
    'build',
    'command',
    'entrypoint',
    'container_name',
    'environment',
    'labels',
    'depends_on',
    'healthcheck',
    'resources',
    'replicas',
    'ports',
    'expose',
    'volumes',
    'tmpfs',
    'network_mode',
    'gpus',
    'networks',
    'stop_grace_period',
    'extensions',
  ]);
  for (const [key, value] of Object.entries(service)) {
    if (skip.has(key) || value === false) continue;
    put(out, key, value);
  }
  for (const [key, value] of Object.entries(service.extensions)) out[key] = value;
  return out;
}

/** Like every other block, empty lists and maps are left out (Compose prints no `aux_addresses: {}`). */
function ipamJson(ipam: NonNullable<Network['ipam']>): Json {
  const out: Json = {};
  put(out, 'driver', ipam.driver);
  put(
    out,
    'config',
    ipam.config.map((pool) => {
      const json: Json = {};
      put(json, 'subnet', pool.subnet);
      put(json, 'ip_range', pool.ip_range);
      put(json, 'gateway', pool.gateway);
      put(json, 'aux_addresses', pool.aux_addresses);
      return json;
    }),
  );
  put(out, 'options', ipam.options);
  return out;
}

function networkJson(network: Network): Json {
  const out: Json = { name: network.name };
  put(out, 'driver', network.driver);
  put(out, 'driver_opts', network.driver_opts);
  out.ipam = network.ipam ? ipamJson(network.ipam) : {};
  if (network.external) out.external = true;
  if (network.internal) out.internal = true;
  if (network.attachable) out.attachable = true;
  put(out, 'enable_ipv6', network.enable_ipv6);
  put(out, 'labels', network.labels);
  return out;
}

function fileObjectJson(object: FileObject): Json {
  const out: Json = { name: object.name };
  put(out, 'file', object.file);
  put(out, 'environment', object.environment);
  if (object.content !== undefined && object.environment === undefined)
    out.content = object.content;
  if (object.external) out.external = true;
  return out;
}

/** The project as `docker compose config --format json` would print it. */
export function toComposeConfig(project: Project): Json {
  const out: Json = { name: project.name };
  out.services = Object.fromEntries(
    Object.entries(project.services).map(([k, s]) => [k, serviceJson(s)]),
  );
  put(
    out,
    'networks',
    Object.fromEntries(Object.entries(project.networks).map(([k, n]) => [k, networkJson(n)])),
  );
  put(
    out,
    'volumes',
    Object.fromEntries(
      Object.entries(project.volumes).map(([k, v]) => {
        const json: Json = { name: v.name };
        put(json, 'driver', v.driver);
        put(json, 'driver_opts', v.driver_opts);
        if (v.external) json.external = true;
        put(json, 'labels', v.labels);
        return [k, json];
      }),
    ),
  );
  put(
    out,
    'secrets',
    Object.fromEntries(Object.entries(project.secrets).map(([k, s]) => [k, fileObjectJson(s)])),
  );
  put(
    out,
    'configs',
    Object.fromEntries(Object.entries(project.configs).map(([k, c]) => [k, fileObjectJson(c)])),
  );
  for (const [key, value] of Object.entries(project.extensions)) out[key] = value;
  return out;
}
