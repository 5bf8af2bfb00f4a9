/**
 * The permission gate (DESIGN.md "Security"): deny by default. A normalised
 * Compose project is scanned for every kind of host power it asks for; each
 * request must be covered by a permission the app declares in app.yaml AND
 * one the admin accepted. The same gate runs on every path that creates
 * containers, so it is pure: the caller hands it the project and the folders.
 *
 * Host paths are compared lexically after resolving `..`. Symlinks are the
 * caller's to resolve (`resolveHostPath`): a container may plant a symlink in
 * its own data folder, which a later bind through that folder would follow.
 */
import { posix } from 'node:path';
import { containerName, type Project, type Service } from '../../compose/index.js';
import { joinPath, type Problem } from '../../compose/problems.js';

/** One host power the project asks for, and the Compose path that asks for it. */
export interface PermissionRequest {
  permission: string;
  path: string;
}

/** Where the install may freely reach on the host. */
export interface PermissionContext {
  /** The install's data folder: binds at or under it need no permission. */
  appDataDir: string;
  /** The catalogue entry's folder: read-only binds, secret/config files and build contexts from it are free. */
  appDir?: string;
  /** Resolves symlinks of a host path (a realpath that tolerates a missing tail); default lexical only. */
  resolveHostPath?: (path: string) => string;
}

/** The gate's inputs beyond the project: what app.yaml declares and what the admin accepted. */
export interface PermissionGrant extends PermissionContext {
  declared: readonly string[];
  accepted: readonly string[];
}

/** The Docker engine's socket; reaching it is root on the host. */
const DOCKER_SOCKETS = ['/var/run/docker.sock', '/run/docker.sock'];

/** Every permission the project asks for, in document order, one per asking path. */
export function requestedPermissions(
  project: Project,
  ctx: PermissionContext,
): PermissionRequest[] {
  const out: PermissionRequest[] = [];
  const ask = (permission: string, path: string) => out.push({ permission, path });
  for (const [name, service] of Object.entries(project.services)) {
    serviceRequests(project, service, joinPath('services', name), ctx, ask);
  }
  for (const [key, volume] of Object.entries(project.volumes)) {
    const path = joinPath('volumes', key);
    ownershipRequest(project, 'volume', volume, path, ask);
    const driver = volume.driver ?? 'local';
    if (driver !== 'local') ask(`volume_driver:${driver}`, joinPath(path, 'driver'));
    else localVolumeRequests(volume.driver_opts, joinPath(path, 'driver_opts'), ctx, ask);
  }
  for (const [key, network] of Object.entries(project.networks)) {
    const path = joinPath('networks', key);
    ownershipRequest(project, 'network', network, path, ask);
    const driver = network.driver ?? 'bridge';
    // macvlan, ipvlan and the like put the container on the host's own network.
    if (driver !== 'bridge') ask(`network_driver:${driver}`, joinPath(path, 'driver'));
  }
  for (const kind of ['secrets', 'configs'] as const) {
    for (const [key, object] of Object.entries(project[kind])) {
      if (object.file === undefined) continue;
      hostPathRequests(object.file, true, joinPath(joinPath(kind, key), 'file'), ctx, ask);
    }
  }
  return out;
}

type Ask = (permission: string, path: string) => void;

/** An external object, or one named outside `<project>_`, may hold another install's data. */
function ownershipRequest(
  project: Project,
  kind: 'volume' | 'network',
  object: { name: string; external: boolean },
  path: string,
  ask: Ask,
): void {
  if (object.external) ask(`external_${kind}:${object.name}`, joinPath(path, 'external'));
  else if (!object.name.startsWith(`${project.name}_`)) {
    ask(`external_${kind}:${object.name}`, joinPath(path, 'name'));
  }
}

function serviceRequests(
  project: Project,
  service: Service,
  path: string,
  ctx: PermissionContext,
  ask: Ask,
): void {
  const at = (key: string) => joinPath(path, key);
  if (service.privileged) ask('privileged', at('privileged'));
  service.cap_add.forEach((cap, i) => {
    ask(`cap_add:${capability(cap)}`, joinPath(at('cap_add'), i));
  });
  service.devices.forEach((device, i) => {
    // A CDI name (`vendor.com/class=name`) is kept as written; a path has its `..` resolved.
    const source = device.source.startsWith('/') ? hostPath(device.source) : device.source;
    ask(`device:${source}`, joinPath(at('devices'), i));
  });
  // A cgroup rule lets the container open host devices by number, even ones created later.
  service.device_cgroup_rules.forEach((rule, i) => {
    ask(`device_cgroup_rule:${rule}`, joinPath(at('device_cgroup_rules'), i));
  });
  // Device requests hand host GPUs (or other accelerators) to the container through a driver.
  const reservations = joinPath(joinPath(at('deploy'), 'resources'), 'reservations');
  service.resources.reservations.devices?.forEach((request, i) => {
    ask(`gpu:${request.driver || 'any'}`, joinPath(joinPath(reservations, 'devices'), i));
  });
  service.gpus.forEach((request, i) => {
    ask(`gpu:${request.driver || 'any'}`, joinPath(at('gpus'), i));
  });
  namespaceRequest(project, 'network', service.network_mode, at('network_mode'), ask);
  namespaceRequest(project, 'pid', service.pid, at('pid'), ask);
  namespaceRequest(project, 'ipc', service.ipc, at('ipc'), ask);
  service.volumes.forEach((mount, i) => {
    if (mount.type !== 'bind' || mount.source === undefined) return;
    hostPathRequests(mount.source, mount.read_only === true, joinPath(at('volumes'), i), ctx, ask);
  });
  service.security_opt.forEach((opt, i) => {
    ask(`security_opt:${opt}`, joinPath(at('security_opt'), i));
  });
  for (const name of Object.keys(service.sysctls)) {
    ask(`sysctl:${name}`, joinPath(at('sysctls'), name));
  }
  // Another runtime (nvidia, a VM runtime) is software on the host with its own powers.
  if (service.runtime !== undefined && service.runtime !== 'runc') {
    ask(`runtime:${service.runtime}`, at('runtime'));
  }
  // The build context is read from the host and sent to the engine.
  if (service.build) {
    hostPathRequests(service.build.context, true, joinPath(at('build'), 'context'), ctx, ask);
  }
}

/** `network_mode`, `pid` and `ipc`: joining the host's or a foreign container's namespace. */
function namespaceRequest(
  project: Project,
  kind: 'network' | 'pid' | 'ipc',
  mode: string | undefined,
  path: string,
  ask: Ask,
): void {
  if (mode === undefined || mode === '' || mode.startsWith('service:')) return;
  if (mode === 'host') {
    ask(`${kind}:host`, path);
    return;
  }
  if (mode.startsWith('container:')) {
    const name = mode.slice('container:'.length);
    const ours = Object.values(project.services).some((s) => containerName(project, s) === name);
    if (!ours) ask(`${kind}:container`, path);
    return;
  }
  // Any other network_mode names an engine network (`bridge` included) the project does not own.
  if (kind === 'network') {
    if (mode !== 'none') ask(`external_network:${mode}`, path);
    return;
  }
  if (kind === 'ipc' && ['private', 'shareable', 'none'].includes(mode)) return;
  ask(`${kind}:${mode}`, path);
}

/** A local volume with driver_opts is a mount(2) the engine runs as root on the host. */
function localVolumeRequests(
  opts: Record<string, string>,
  path: string,
  ctx: PermissionContext,
  ask: Ask,
): void {
  if (opts.device === undefined) return;
  const options = (opts.o ?? '').split(',').map((o) => o.trim());
  if (options.includes('bind') || options.includes('rbind')) {
    hostPathRequests(opts.device, false, joinPath(path, 'device'), ctx, ask);
  } else if (opts.type !== 'tmpfs') {
    ask(`mount:${opts.type ?? 'none'}`, path);
  }
}

/** The permissions a host path asks for: free inside the install's folders, else `bind:`. */
function hostPathRequests(
  source: string,
  readOnly: boolean,
  path: string,
  ctx: PermissionContext,
  ask: Ask,
): void {
  const resolve = (p: string) => ctx.resolveHostPath?.(hostPath(p)) ?? hostPath(p);
  const resolved = resolve(source);
  if (isDockerSocket(resolved)) {
    ask('docker_socket', path);
    return;
  }
  const free =
    isWithin(resolved, resolve(ctx.appDataDir)) ||
    (readOnly && ctx.appDir !== undefined && isWithin(resolved, resolve(ctx.appDir)));
  if (!free) ask(`bind:${resolved}`, path);
  // Binding `/`, `/run` or `/var` hands over the socket inside them too.
  if (DOCKER_SOCKETS.some((socket) => isWithin(socket, resolved))) ask('docker_socket', path);
}

/** `..` resolved and trailing `/` dropped; a relative path is taken from `/`, never from our cwd. */
function hostPath(path: string): string {
  return posix.resolve('/', path);
}

function isWithin(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir === '/' ? '/' : `${dir}/`);
}

function isDockerSocket(path: string): boolean {
  return DOCKER_SOCKETS.includes(path) || path.endsWith('docker.sock');
}

/** `CAP_NET_ADMIN` and `net_admin` are both `NET_ADMIN`, as Docker accepts either. */
function capability(cap: string): string {
  const upper = cap.toUpperCase();
  return upper.startsWith('CAP_') ? upper.slice(4) : upper;
}

/** Every request not covered by both a declared and an accepted permission, at its Compose path. */
export function checkPermissions(project: Project, grant: PermissionGrant): Problem[] {
  const declared = grant.declared.map((p) => normalisePermission(p) ?? p);
  const accepted = grant.accepted.map((p) => normalisePermission(p) ?? p);
  const problems: Problem[] = [];
  for (const { permission, path } of requestedPermissions(project, grant)) {
    const who = !declared.some((d) => covers(d, permission))
      ? 'the app does not declare'
      : !accepted.some((a) => covers(a, permission))
        ? 'the admin has not accepted'
        : undefined;
    if (who) problems.push({ path, message: `needs the permission "${permission}", which ${who}` });
  }
  return problems;
}

/** Whether a granted permission covers a requested one: exact, or `bind:<dir>` for paths under it. */
export function covers(granted: string, requested: string): boolean {
  if (granted === requested) return true;
  if (!granted.startsWith('bind:') || !requested.startsWith('bind:')) return false;
  return isWithin(requested.slice(5), granted.slice(5));
}

/** Declared permissions no request needs, for the catalogue lint. */
export function unusedPermissions(
  requested: readonly PermissionRequest[],
  declared: readonly string[],
): string[] {
  return declared.filter((d) => {
    const granted = normalisePermission(d) ?? d;
    return !requested.some((r) => covers(granted, r.permission));
  });
}

/** Kinds that take no argument, and the shape of the argument of the others. */
const BARE = new Set(['privileged', 'docker_socket']);
const ARGUMENT: Record<string, RegExp> = {
  cap_add: /^[A-Z0-9_]+$/,
  device: /^\S+$/,
  network: /^\S+$/,
  pid: /^\S+$/,
  ipc: /^\S+$/,
  bind: /^\//,
  security_opt: /^\S+$/,
  sysctl: /^[A-Za-z0-9_.\-/*]+$/,
  external_network: /^\S+$/,
  external_volume: /^\S+$/,
  network_driver: /^\S+$/,
  volume_driver: /^\S+$/,
  mount: /^\S+$/,
  runtime: /^\S+$/,
  device_cgroup_rule: /^[abc] (\d+|\*):(\d+|\*) [rwm]{1,3}$/,
  gpu: /^\S+$/,
};

/** The canonical form of a permission string (`bind:/srv/` → `bind:/srv`), or undefined if unknown. */
export function normalisePermission(permission: string): string | undefined {
  if (BARE.has(permission)) return permission;
  const colon = permission.indexOf(':');
  if (colon <= 0) return undefined;
  const kind = permission.slice(0, colon);
  let arg = permission.slice(colon + 1);
  const pattern = ARGUMENT[kind];
  if (!pattern) return undefined;
  if (kind === 'cap_add') arg = capability(arg);
  if (kind === 'bind' && arg.startsWith('/')) arg = hostPath(arg);
  // `c 189:*  rmw` is the rule the Compose engine normalises to `c 189:* rmw`.
  if (kind === 'device_cgroup_rule') arg = arg.trim().replace(/\s+/g, ' ');
  return pattern.test(arg) ? `${kind}:${arg}` : undefined;
}

/** Plain words for a permission, for the admin who is asked to accept it. */
export function describePermission(permission: string): string {
  if (permission === 'privileged') return 'full access to the host (privileged mode)';
  if (permission === 'docker_socket') {
    return 'access to the Docker engine — equivalent to root on the host';
  }
  const colon = permission.indexOf(':');
  const kind = permission.slice(0, colon);
  const arg = permission.slice(colon + 1);
  const namespace = { network: 'network', pid: 'processes', ipc: 'shared memory' };
  switch (kind) {
    case 'cap_add':
      return arg === 'ALL' ? 'every Linux capability' : `the Linux capability ${arg}`;
    case 'device':
      return `the host device ${arg}`;
    case 'device_cgroup_rule':
      return `host devices matching the cgroup rule "${arg}" (any such device, even one plugged in later)`;
    case 'gpu':
      return arg === 'any'
        ? "the host's GPUs, through whichever driver the engine picks"
        : `the host's GPUs, through the ${arg} driver`;
    case 'network':
    case 'pid':
    case 'ipc': {
      const what = namespace[kind];
      if (arg === 'host') return `the host's ${what} (shares it instead of its own)`;
      if (arg === 'container') return `the ${what} of a container outside this app`;
      return `the ${what} mode "${arg}"`;
    }
    case 'bind':
      return `the host path ${arg}`;
    case 'security_opt':
      return `the security option ${arg} (changes how the container is confined)`;
    case 'sysctl':
      return `the kernel setting ${arg}`;
    case 'external_network':
      return `the Docker network ${arg}, which belongs to something else`;
    case 'external_volume':
      return `the Docker volume ${arg}, which belongs to something else`;
    case 'network_driver':
      return `a ${arg} network, which can put the app on the host's own network`;
    case 'volume_driver':
      return `the volume plugin ${arg}`;
    case 'mount':
      return `mounting a ${arg} file system (a disk or network share) as a volume`;
    case 'runtime':
      return `the container runtime ${arg}`;
    default:
      return `the unknown permission "${permission}"`;
  }
}
