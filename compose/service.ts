/**
 * One service: raw mapping → normalised `Service`. The handler table below is
 * the list of keys Foyer implements, in the order they are applied (env_file
 * before environment, legacy resource keys before deploy, deploy's restart
 * policy before `restart`). Keys the spec defines that are not in the table
 * are refused as "not supported" — never dropped silently.
 */
import { posix } from 'node:path';
import { parseDotenv } from './dotenv.js';
import type { Lookup } from './interpolate.js';
import type { Service } from './model.js';
import { type PathContext, readMounts } from './mounts.js';
import { readExpose, readPorts } from './ports.js';
import { type Diagnostics, joinPath } from './problems.js';
import {
  checkKeys,
  extensionsOf,
  isMap,
  type RawMap,
  readBoolean,
  readInteger,
  readList,
  readNumber,
  readString,
  readStringList,
  readStringMap,
} from './raw.js';
import {
  readBuild,
  readBytes,
  readCommand,
  readDependsOn,
  readDeploy,
  readDeviceRequests,
  readDevices,
  readDuration,
  readExtraHosts,
  readFileReferences,
  readHealthcheck,
  readServiceNetworks,
  readUlimits,
} from './service-fields.js';

/** What normalising a service may read beyond its own mapping. */
export interface ServiceContext extends PathContext {
  /** Resolves `KEY` entries without a value in `environment` (the project's variables). */
  lookup: Lookup;
  /** Reads an `env_file`; undefined when the file does not exist. Injected: compose/ does no I/O. */
  readFile: (absolutePath: string) => string | undefined;
}

type Handler = (
  value: unknown,
  path: string,
  s: Service,
  c: ServiceContext,
  d: Diagnostics,
) => void;

const str =
  (
    key:
      | 'image'
      | 'user'
      | 'working_dir'
      | 'hostname'
      | 'domainname'
      | 'container_name'
      | 'stop_signal'
      | 'pid'
      | 'ipc'
      | 'runtime'
      | 'platform'
      | 'pull_policy'
      | 'network_mode'
      | 'cpuset',
  ): Handler =>
  (v, p, s, _c, d) => {
    s[key] = readString(v, p, d);
  };
const list =
  (
    key:
      | 'cap_add'
      | 'cap_drop'
      | 'dns'
      | 'dns_search'
      | 'dns_opt'
      | 'security_opt'
      | 'group_add'
      | 'profiles'
      | 'tmpfs',
  ): Handler =>
  (v, p, s, _c, d) => {
    s[key] = readStringList(v, p, d);
  };
const bool =
  (key: 'privileged' | 'read_only' | 'init' | 'tty' | 'stdin_open' | 'oom_kill_disable'): Handler =>
  (v, p, s, _c, d) => {
    s[key] = readBoolean(v, p, d) ?? false;
  };
const int =
  (
    key: 'cpu_shares' | 'cpu_period' | 'cpu_quota' | 'mem_swappiness' | 'oom_score_adj',
    bounds: { min?: number; max?: number } = {},
  ): Handler =>
  (v, p, s, _c, d) => {
    s[key] = readInteger(v, p, d, bounds);
  };

/** The keys Foyer implements, in application order. */
const HANDLERS: [string, Handler][] = [
  ['image', str('image')],
  ['build', (v, p, s, c, d) => (s.build = readBuild(v, p, d, c.workingDir, c.lookup))],
  ['command', (v, p, s, _c, d) => (s.command = readCommand(v, p, d))],
  ['entrypoint', (v, p, s, _c, d) => (s.entrypoint = readCommand(v, p, d))],
  ['env_file', readEnvFiles],
  ['environment', readEnvironment],
  ['labels', readLabels],
  ['ports', (v, p, s, _c, d) => (s.ports = readPorts(v, p, d))],
  ['expose', (v, p, s, _c, d) => (s.expose = readExpose(v, p, d))],
  ['volumes', (v, p, s, c, d) => (s.volumes = readMounts(v, p, d, c))],
  ['tmpfs', list('tmpfs')],
  ['depends_on', (v, p, s, _c, d) => (s.depends_on = readDependsOn(v, p, d))],
  ['healthcheck', (v, p, s, _c, d) => (s.healthcheck = readHealthcheck(v, p, d))],
  ['networks', (v, p, s, _c, d) => (s.networks = readServiceNetworks(v, p, d))],
  ['network_mode', str('network_mode')],
  ['user', str('user')],
  ['working_dir', str('working_dir')],
  ['hostname', str('hostname')],
  ['domainname', str('domainname')],
  ['container_name', str('container_name')],
  ['cap_add', list('cap_add')],
  ['cap_drop', list('cap_drop')],
  ['devices', (v, p, s, _c, d) => (s.devices = readDevices(v, p, d))],
  ['device_cgroup_rules', readDeviceCgroupRules],
  ['gpus', readGpus],
  ['links', readLinks],
  ['extra_hosts', (v, p, s, _c, d) => (s.extra_hosts = readExtraHosts(v, p, d))],
  ['dns', list('dns')],
  ['dns_search', list('dns_search')],
  ['dns_opt', list('dns_opt')],
  ['ulimits', (v, p, s, _c, d) => (s.ulimits = readUlimits(v, p, d))],
  ['sysctls', (v, p, s, _c, d) => (s.sysctls = readStringMap(v, p, d))],
  ['logging', readLogging],
  ['stop_grace_period', readStopGracePeriod],
  ['stop_signal', str('stop_signal')],
  ['cpu_shares', int('cpu_shares')],
  ['cpu_period', int('cpu_period')],
  ['cpu_quota', int('cpu_quota')],
  ['cpuset', str('cpuset')],
  ['cpus', (v, p, s, _c, d) => (s.resources.limits.cpus = readNumber(v, p, d))],
  ['mem_limit', (v, p, s, _c, d) => (s.resources.limits.memory = readBytes(v, p, d))],
  ['mem_reservation', (v, p, s, _c, d) => (s.resources.reservations.memory = readBytes(v, p, d))],
  ['pids_limit', (v, p, s, _c, d) => (s.resources.limits.pids = readInteger(v, p, d))],
  ['memswap_limit', (v, p, s, _c, d) => (s.memswap_limit = readBytes(v, p, d))],
  // Spec: "a percentage, a value between 0 and 100".
  ['mem_swappiness', int('mem_swappiness', { min: 0, max: 100 })],
  ['oom_kill_disable', bool('oom_kill_disable')],
  // Spec: "Value must be within [-1000,1000] range".
  ['oom_score_adj', int('oom_score_adj', { min: -1000, max: 1000 })],
  ['shm_size', (v, p, s, _c, d) => (s.shm_size = readBytes(v, p, d))],
  ['deploy', readDeployKey],
  ['restart', readRestart],
  ['secrets', (v, p, s, _c, d) => (s.secrets = readFileReferences(v, p, d, '/run/secrets'))],
  ['configs', (v, p, s, _c, d) => (s.configs = readFileReferences(v, p, d, '/'))],
  ['profiles', list('profiles')],
  ['privileged', bool('privileged')],
  ['read_only', bool('read_only')],
  ['init', bool('init')],
  ['tty', bool('tty')],
  ['stdin_open', bool('stdin_open')],
  ['security_opt', list('security_opt')],
  ['group_add', list('group_add')],
  ['pid', str('pid')],
  ['ipc', str('ipc')],
  ['runtime', str('runtime')],
  ['platform', str('platform')],
  ['pull_policy', str('pull_policy')],
];
const SUPPORTED = new Set(HANDLERS.map(([key]) => key));

/** Keys the spec defines for a service that Foyer does not implement. */
export const UNSUPPORTED_SERVICE_KEYS: ReadonlySet<string> = new Set([
  'annotations',
  'attach',
  'blkio_config',
  'cgroup',
  'cgroup_parent',
  'cpu_count',
  'cpu_percent',
  'cpu_rt_period',
  'cpu_rt_runtime',
  'credential_spec',
  'develop',
  'extends',
  'external_links',
  'isolation',
  'label_file',
  'mac_address',
  'models',
  'post_start',
  'pre_start',
  'pre_stop',
  'provider',
  'scale',
  'storage_opt',
  'use_api_socket',
  'userns_mode',
  'uts',
  'volumes_from',
]);

/** A kernel device cgroup rule: type, `major:minor` (`*` for any), access (devices.allow format). */
const CGROUP_RULE = /^[abc] (\d+|\*):(\d+|\*) [rwm]{1,3}$/;

/** `device_cgroup_rules`, each checked against the kernel's format so the engine never sees a typo. */
function readDeviceCgroupRules(
  v: unknown,
  p: string,
  s: Service,
  _c: ServiceContext,
  d: Diagnostics,
): void {
  s.device_cgroup_rules = [];
  readStringList(v, p, d).forEach((rule, i) => {
    const text = rule.trim().replace(/\s+/g, ' ');
    if (CGROUP_RULE.test(text)) s.device_cgroup_rules.push(text);
    else
      d.error(joinPath(p, i), `invalid device cgroup rule "${rule}": expected e.g. "c 189:* rmw"`);
  });
}

/** `gpus: all` or a list of device requests (spec: gpus). */
function readGpus(v: unknown, p: string, s: Service, _c: ServiceContext, d: Diagnostics): void {
  if (typeof v === 'string') {
    if (v.toLowerCase() === 'all') s.gpus = [{ capabilities: [], count: -1, options: {} }];
    else d.error(p, 'must be "all" or a list of device requests');
    return;
  }
  s.gpus = readDeviceRequests(v, p, d, false);
}

/** A `links` entry's service and alias (the service name when none is given), or undefined if malformed. */
export function parseLink(link: string): { service: string; alias: string } | undefined {
  const [service = '', alias = service, ...rest] = link.split(':');
  return service === '' || alias === '' || rest.length > 0 ? undefined : { service, alias };
}

/**
 * `links`: `SERVICE` or `SERVICE:ALIAS` (spec: links). Entries are kept at their index so later
 * checks name the right one; a malformed entry fails the load here.
 */
function readLinks(v: unknown, p: string, s: Service, _c: ServiceContext, d: Diagnostics): void {
  s.links = readStringList(v, p, d);
  s.links.forEach((link, i) => {
    if (!parseLink(link))
      d.error(joinPath(p, i), `invalid link "${link}": expected SERVICE or SERVICE:ALIAS`);
  });
}

/**
 * Links imply `depends_on: {condition: service_started, restart: true}` unless the service
 * already depends on the target, as Compose's loader adds it (compose-go normalize).
 */
function addLinkDependencies(service: Service): void {
  for (const link of service.links) {
    const target = parseLink(link)?.service;
    if (target === undefined) continue;
    service.depends_on[target] ??= { condition: 'service_started', required: true, restart: true };
  }
}

const RESTART = /^(no|always|unless-stopped|on-failure(:\d+)?)$/;
/** Spec (profiles): "`profiles` follow the regex format of `[a-zA-Z0-9][a-zA-Z0-9_.-]+`". */
const PROFILE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;
const PULL_POLICIES = new Set(['always', 'never', 'missing', 'if_not_present', 'build']);
/** The spec's periodic policies (`daily`, `weekly`, `every_<duration>`): valid, but Foyer does not re-check registries. */
const PERIODIC_PULL = /^(daily|weekly|every_(\d+[wdhms])+)$/;

function readRestart(v: unknown, p: string, s: Service, _c: ServiceContext, d: Diagnostics): void {
  const restart = readString(v, p, d);
  if (restart === undefined) return;
  if (RESTART.test(restart)) s.restart = restart;
  else d.error(p, 'must be one of "no", always, on-failure[:N], unless-stopped');
}

function readDeployKey(
  v: unknown,
  p: string,
  s: Service,
  _c: ServiceContext,
  d: Diagnostics,
): void {
  const deploy = readDeploy(v, p, d, s.resources);
  if (deploy.replicas !== undefined) s.replicas = deploy.replicas;
  if (deploy.restart !== undefined) s.restart = deploy.restart;
}

function readStopGracePeriod(
  v: unknown,
  p: string,
  s: Service,
  _c: ServiceContext,
  d: Diagnostics,
): void {
  const ns = readDuration(v, p, d);
  // Docker's StopTimeout is whole seconds; round up so a grace period is never shortened.
  if (ns !== undefined) s.stop_grace_period = Math.ceil(ns / 1e9);
}

function readLogging(v: unknown, p: string, s: Service, _c: ServiceContext, d: Diagnostics): void {
  if (!isMap(v)) {
    d.error(p, 'must be a mapping');
    return;
  }
  checkKeys(v, p, d, new Set(['driver', 'options']));
  s.logging = {
    ...(v.driver !== undefined ? { driver: readString(v.driver, joinPath(p, 'driver'), d) } : {}),
    options: v.options == null ? {} : readStringMap(v.options, joinPath(p, 'options'), d),
  };
}

/**
 * `environment` over whatever `env_file` set. A bare `KEY` takes the project's
 * value; one that resolves to nothing is removed, even when an env file set it
 * (spec: environment, "the variable is unset"; env_file, "even if those values
 * are empty or undefined").
 */
function readEnvironment(
  v: unknown,
  p: string,
  s: Service,
  c: ServiceContext,
  d: Diagnostics,
): void {
  const unset: string[] = [];
  const resolve = (key: string) => {
    const value = c.lookup(key);
    if (value === undefined) unset.push(key);
    return value;
  };
  const values = readStringMap(v, p, d, resolve);
  for (const key of unset) delete s.environment[key];
  Object.assign(s.environment, values);
}

/** `labels`; the `com.docker.compose` prefix is reserved and "results in a runtime error" (spec: labels). */
function readLabels(v: unknown, p: string, s: Service, _c: ServiceContext, d: Diagnostics): void {
  s.labels = readStringMap(v, p, d);
  for (const key of Object.keys(s.labels)) {
    if (key.startsWith('com.docker.compose.'))
      d.error(joinPath(p, key), 'the "com.docker.compose" prefix is reserved');
  }
}

/** `format: raw`: `KEY=VALUE` lines taken as they are, no quotes or interpolation (spec: env_file format). */
function parseRawEnv(content: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of content.split(/\r?\n/)) {
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    const eq = line.indexOf('=');
    // Without `=VAL` the variable is unset (spec: Env_file format).
    if (eq > 0) out[line.slice(0, eq).trim()] = line.slice(eq + 1);
  }
  return out;
}

/** `env_file`: files read in order, later ones win; `environment` overrides them all (spec: env_file). */
function readEnvFiles(v: unknown, p: string, s: Service, c: ServiceContext, d: Diagnostics): void {
  const entries = typeof v === 'string' ? [v] : (readList(v, p, d) ?? []);
  entries.forEach((entry, i) => {
    const entryPath = typeof v === 'string' ? p : joinPath(p, i);
    let file: string | undefined;
    let required = true;
    let raw = false;
    if (isMap(entry)) {
      checkKeys(entry, entryPath, d, new Set(['path', 'required', 'format']));
      file = readString(entry.path, joinPath(entryPath, 'path'), d);
      if (entry.required !== undefined)
        required = readBoolean(entry.required, joinPath(entryPath, 'required'), d) ?? true;
      raw = entry.format === 'raw';
      if (entry.format !== undefined && !raw) {
        d.error(
          joinPath(entryPath, 'format'),
          `format "${String(entry.format)}" is not supported by Foyer`,
        );
      }
    } else file = readString(entry, entryPath, d);
    if (file === undefined) return;
    // Spec: "Compose warns you when such a path is used", absolute paths not being portable.
    if (posix.isAbsolute(file))
      d.warn(entryPath, `absolute path ${file} makes the file less portable`);
    const absolute = posix.resolve(c.workingDir, file);
    const content = c.readFile(absolute);
    if (content === undefined) {
      if (required) d.error(entryPath, `env file ${absolute} not found`);
      return;
    }
    // Values may refer to what earlier files set, then to the project's variables.
    const lookup = (name: string) =>
      Object.hasOwn(s.environment, name) ? s.environment[name] : c.lookup(name);
    const values = raw ? parseRawEnv(content) : parseDotenv(content, absolute, lookup, d);
    Object.assign(s.environment, values);
  });
}

/** A service with every list and map present and nothing set. */
function emptyService(name: string): Service {
  return {
    name,
    command: null,
    entrypoint: null,
    environment: {},
    labels: {},
    ports: [],
    expose: [],
    volumes: [],
    tmpfs: [],
    depends_on: {},
    networks: {},
    cap_add: [],
    cap_drop: [],
    devices: [],
    device_cgroup_rules: [],
    gpus: [],
    links: [],
    extra_hosts: [],
    dns: [],
    dns_search: [],
    dns_opt: [],
    ulimits: {},
    sysctls: {},
    resources: { limits: {}, reservations: {} },
    replicas: 1,
    secrets: [],
    configs: [],
    profiles: [],
    privileged: false,
    read_only: false,
    init: false,
    tty: false,
    stdin_open: false,
    security_opt: [],
    group_add: [],
    extensions: {},
  };
}

/** Normalises one service mapping; problems go to `diag` with paths under `path`. */
export function readService(
  name: string,
  raw: unknown,
  path: string,
  ctx: ServiceContext,
  diag: Diagnostics,
): Service {
  const service = emptyService(name);
  const map: RawMap = raw === null ? {} : isMap(raw) ? raw : {};
  if (raw !== null && !isMap(raw)) diag.error(path, 'must be a mapping');
  checkKeys(map, path, diag, SUPPORTED, UNSUPPORTED_SERVICE_KEYS);
  for (const [key, handler] of HANDLERS) {
    if (map[key] !== undefined) handler(map[key], joinPath(path, key), service, ctx, diag);
  }
  service.extensions = extensionsOf(map);
  addLinkDependencies(service);
  const mode = service.network_mode;
  // The engine refuses links beside another container's or the host's namespace, or none.
  const sharedNamespace =
    mode === 'host' || mode === 'none' || /^(container|service):/.test(mode ?? '');
  if (service.links.length > 0 && sharedNamespace) {
    diag.error(joinPath(path, 'links'), `cannot be combined with "network_mode: ${mode}"`);
  }
  if (!service.image && !service.build) diag.error(path, 'has neither "image" nor "build"');
  if (service.network_mode !== undefined && map.networks !== undefined) {
    diag.error(joinPath(path, 'network_mode'), 'cannot be combined with "networks"');
    // Already refused: its networks would only add "not declared" echoes of this problem.
    service.networks = {};
  }
  service.profiles.forEach((profile, i) => {
    if (!PROFILE.test(profile))
      diag.error(joinPath(joinPath(path, 'profiles'), i), `invalid profile name "${profile}"`);
  });
  if (service.pull_policy !== undefined && PERIODIC_PULL.test(service.pull_policy)) {
    diag.error(joinPath(path, 'pull_policy'), `"${service.pull_policy}" is not supported by Foyer`);
  } else if (service.pull_policy !== undefined && !PULL_POLICIES.has(service.pull_policy)) {
    diag.error(joinPath(path, 'pull_policy'), `must be one of ${[...PULL_POLICIES].join(', ')}`);
  }
  return service;
}
