/**
 * Pure translation from the normalised model to Docker Engine API request
 * bodies (API 1.44+: several networks may be joined at create time):
 * `POST /containers/create`, `POST /networks/create`, `POST /volumes/create`.
 * The baseline is Engine API 1.41 — Docker 20.10, what Debian bookworm's
 * `docker.io` speaks — so a container joins one network at create and the
 * others through `POST /networks/{name}/connect` before it starts, as
 * Compose does on such engines. A feature the engine's API cannot express
 * is a path-qualified error, never dropped silently.
 * Every object carries Compose's labels, so `docker compose -p <project>`
 * understands what Foyer made, plus whatever labels the caller adds.
 */
import { configHash } from './hash.js';
import type { DeviceRequest, Mount, Network, Project, Service, Volume } from './model.js';
import { Diagnostics, joinPath } from './problems.js';
import { parseLink } from './service.js';

/** The oldest Engine API Foyer supports: Docker 20.10 (Debian bookworm). */
export const BASELINE_API_VERSION = '1.41';

/** Options shared by every body made for one project. */
export interface TranslateOptions {
  /** Extra labels for every object (Foyer's ownership labels). */
  labels?: Record<string, string>;
  /** Restart policy for services that set none (Foyer runs `unless-stopped`). */
  defaultRestart?: string;
  /** Image id or digest per service: part of the config hash (DESIGN: "image digest not tag"). */
  imageDigests?: Record<string, string>;
  /** The engine's API version (`GET /version` → ApiVersion); default BASELINE_API_VERSION. */
  apiVersion?: string;
  /**
   * Use `container_name` when a service sets it (default true, as Compose). Foyer turns it off:
   * two installs of one app must not fight over a name.
   */
  honourContainerName?: boolean;
}

/** A file the executor copies into the container before starting it (inline secrets and configs). */
export interface ContainerFile {
  path: string;
  content: string;
  mode: number;
  uid?: string;
  gid?: string;
}

/** One `POST /networks/{network}/connect` body, sent after create and before start. */
export interface NetworkConnection {
  network: string;
  body: { Container: string; EndpointConfig: Record<string, unknown> };
}

export interface ContainerSpec {
  name: string;
  body: Record<string, unknown>;
  /** Networks beyond the first, joined after create and before start. */
  connect: NetworkConnection[];
  files: ContainerFile[];
}

/** True when API version `have` is at least `need` (`1.41` < `1.44`). */
export function apiAtLeast(have: string, need: string): boolean {
  const [hMajor = 0, hMinor = 0] = have.split('.').map(Number);
  const [nMajor = 0, nMinor = 0] = need.split('.').map(Number);
  return hMajor !== nMajor ? hMajor > nMajor : hMinor >= nMinor;
}

/**
 * Features of the model that need an Engine API newer than the baseline. (`DeviceRequests`,
 * 1.40, and `DeviceCgroupRules`, 1.28, are older than the baseline and need no entry.)
 */
const API_FEATURES: { need: string; path: string; used: (s: Service) => boolean }[] = [
  {
    need: '1.44',
    path: 'healthcheck.start_interval',
    used: (s) => s.healthcheck?.start_interval !== undefined,
  },
  {
    need: '1.45',
    path: 'volumes',
    used: (s) => s.volumes.some((m) => m.volume?.subpath !== undefined),
  },
  {
    need: '1.48',
    path: 'networks',
    used: (s) => Object.values(s.networks).some((n) => n.priority !== undefined),
  },
];

/** Reports every service feature the engine's API version cannot express. */
export function checkApiSupport(project: Project, apiVersion: string): void {
  const diag = new Diagnostics();
  for (const service of Object.values(project.services)) {
    for (const feature of API_FEATURES) {
      if (feature.used(service) && !apiAtLeast(apiVersion, feature.need)) {
        diag.error(
          `${joinPath('services', service.name)}.${feature.path}`,
          `needs Docker Engine API ${feature.need} or newer; this engine speaks ${apiVersion}`,
        );
      }
    }
  }
  diag.throwIfAny();
}

/** The image a service runs: its `image`, or `<project>-<service>` for one that is only built. */
export function imageReference(project: Project, service: Service): string {
  return service.image ?? `${project.name}-${service.name}`;
}

/** `<project>-<service>-1` unless the service names its container (spec: container_name). */
export function containerName(
  project: Project,
  service: Service,
  honourContainerName = true,
): string {
  const own = honourContainerName ? service.container_name : undefined;
  return own ?? `${project.name}-${service.name}-1`;
}

/** `service:x` (spec: network_mode, pid, ipc) is Docker's `container:<x's container name>`. */
function namespaceMode(
  project: Project,
  mode: string | undefined,
  options: TranslateOptions,
): string | undefined {
  if (!mode?.startsWith('service:')) return mode;
  const target = project.services[mode.slice('service:'.length)];
  return target ? `container:${containerName(project, target, options.honourContainerName)}` : mode;
}

function projectLabels(project: Project, options: TranslateOptions): Record<string, string> {
  return { 'com.docker.compose.project': project.name, ...options.labels };
}

function restartPolicy(restart: string | undefined): { Name: string; MaximumRetryCount?: number } {
  if (!restart || restart === 'no') return { Name: 'no' };
  const [name, count] = restart.split(':');
  return count === undefined ? { Name: name! } : { Name: name!, MaximumRetryCount: Number(count) };
}

/**
 * `HostConfig.Links` entries, `<container>:<alias>`, as Compose makes them. On a user-defined
 * network the engine reads them from each endpoint's `Links` instead: there the alias resolves,
 * for this container only, to the linked one (the legacy `/etc/hosts` links are bridge-only).
 */
function links(project: Project, service: Service, options: TranslateOptions): string[] {
  return service.links.flatMap((link) => {
    const parsed = parseLink(link);
    const target = parsed && project.services[parsed.service];
    if (!parsed || !target) return [];
    return [`${containerName(project, target, options.honourContainerName)}:${parsed.alias}`];
  });
}

/** One `DeviceRequests` entry; `gpus` adds the implicit `gpu` capability (spec: gpus), as Compose does. */
function deviceRequest(request: DeviceRequest, gpu: boolean): Record<string, unknown> {
  const capabilities = gpu ? [...request.capabilities, 'gpu'] : request.capabilities;
  return {
    Driver: request.driver ?? '',
    Count: request.count ?? 0,
    DeviceIDs: request.device_ids ?? [],
    Capabilities: [capabilities],
    Options: request.options,
  };
}

function mountBody(
  project: Project,
  mount: Mount,
  options: TranslateOptions,
): Record<string, unknown> {
  const body: Record<string, unknown> = {
    Type: mount.type,
    Target: mount.target,
    ReadOnly: mount.read_only ?? false,
  };
  const declared =
    mount.type === 'volume' && mount.source ? project.volumes[mount.source] : undefined;
  if (mount.type === 'volume' && mount.source) body.Source = declared?.name ?? mount.source;
  if (mount.type === 'bind') {
    body.Source = mount.source;
    if (mount.bind?.propagation) body.BindOptions = { Propagation: mount.bind.propagation };
  }
  const volumeOptions: Record<string, unknown> = {};
  if (mount.volume && (mount.volume.nocopy || mount.volume.subpath)) {
    volumeOptions.NoCopy = mount.volume.nocopy ?? false;
    if (mount.volume.subpath) volumeOptions.Subpath = mount.volume.subpath;
  }
  // The engine makes a missing volume itself when it creates the container, with only the
  // labels given here: a volume removed between its create and the container's (by a person,
  // or a restore) must come back with its own labels, not as nobody's.
  if (declared && !declared.external) {
    volumeOptions.Labels = volumeSpec(project, mount.source!, declared, options).Labels;
    const opts = declared.driver_opts ?? {};
    if ((declared.driver && declared.driver !== 'local') || Object.keys(opts).length > 0)
      volumeOptions.DriverConfig = dropUndefined({
        Name: declared.driver ?? 'local',
        Options: declared.driver_opts,
      });
  }
  if (Object.keys(volumeOptions).length > 0) body.VolumeOptions = volumeOptions;
  if (mount.tmpfs) body.TmpfsOptions = { SizeBytes: mount.tmpfs.size, Mode: mount.tmpfs.mode };
  return body;
}

/** Short-syntax binds that create their host path go through `Binds`, as Docker only creates it there. */
function bindString(mount: Mount): string {
  const options = [
    mount.read_only ? 'ro' : 'rw',
    mount.bind?.selinux,
    mount.bind?.propagation,
  ].filter(Boolean);
  return `${mount.source}:${mount.target}:${options.join(',')}`;
}

function portBindings(service: Service): {
  exposed: Record<string, object>;
  bindings: Record<string, object[]>;
} {
  const exposed: Record<string, object> = {};
  const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const entry of service.expose) exposed[entry.includes('/') ? entry : `${entry}/tcp`] = {};
  for (const port of service.ports) {
    const key = `${port.target}/${port.protocol}`;
    exposed[key] = {};
    bindings[key] = [
      ...(bindings[key] ?? []),
      { HostIp: port.host_ip ?? '', HostPort: port.published ?? '' },
    ];
  }
  return { exposed, bindings };
}

function hostConfig(
  project: Project,
  service: Service,
  options: TranslateOptions,
): Record<string, unknown> {
  const { bindings } = portBindings(service);
  const legacyBinds = service.volumes.filter((m) => m.type === 'bind' && m.bind?.create_host_path);
  const mounts = service.volumes
    .filter((m) => !legacyBinds.includes(m))
    .map((m) => mountBody(project, m, options));
  for (const [kind, dir] of [
    ['secrets', project.secrets],
    ['configs', project.configs],
  ] as const) {
    for (const ref of service[kind]) {
      const file = dir[ref.source]?.file;
      if (file) mounts.push({ Type: 'bind', Source: file, Target: ref.target, ReadOnly: true });
    }
  }
  const firstNetwork = Object.keys(service.networks)[0];
  const { limits, reservations } = service.resources;
  const body: Record<string, unknown> = {
    Binds: legacyBinds.map(bindString),
    Mounts: mounts,
    PortBindings: bindings,
    RestartPolicy: restartPolicy(service.restart ?? options.defaultRestart),
    NetworkMode:
      namespaceMode(project, service.network_mode, options) ??
      (firstNetwork ? project.networks[firstNetwork]?.name : 'none'),
    CapAdd: service.cap_add,
    CapDrop: service.cap_drop,
    Devices: service.devices.map((d) => ({
      PathOnHost: d.source,
      PathInContainer: d.target,
      CgroupPermissions: d.permissions,
    })),
    DeviceCgroupRules: nonEmpty(service.device_cgroup_rules),
    DeviceRequests: nonEmpty([
      ...(reservations.devices ?? []).map((r) => deviceRequest(r, false)),
      ...service.gpus.map((r) => deviceRequest(r, true)),
    ]),
    Links: nonEmpty(links(project, service, options)),
    ExtraHosts: service.extra_hosts,
    Dns: service.dns,
    DnsSearch: service.dns_search,
    DnsOptions: service.dns_opt,
    Ulimits: Object.entries(service.ulimits).map(([Name, { soft, hard }]) => ({
      Name,
      Soft: soft,
      Hard: hard,
    })),
    Sysctls: service.sysctls,
    Tmpfs: Object.fromEntries(
      service.tmpfs.map((t) => [t.split(':')[0], t.split(':').slice(1).join(':')]),
    ),
    Privileged: service.privileged,
    ReadonlyRootfs: service.read_only,
    Init: service.init,
    SecurityOpt: service.security_opt,
    GroupAdd: service.group_add,
    Memory: limits.memory,
    MemoryReservation: reservations.memory,
    NanoCpus: limits.cpus === undefined ? undefined : Math.round(limits.cpus * 1e9),
    PidsLimit: limits.pids,
    CpuShares: service.cpu_shares,
    CpuPeriod: service.cpu_period,
    CpuQuota: service.cpu_quota,
    CpusetCpus: service.cpuset,
    MemorySwap: service.memswap_limit,
    MemorySwappiness: service.mem_swappiness,
    OomKillDisable: service.oom_kill_disable || undefined,
    OomScoreAdj: service.oom_score_adj,
    ShmSize: service.shm_size,
    PidMode: namespaceMode(project, service.pid, options),
    IpcMode: namespaceMode(project, service.ipc, options),
    Runtime: service.runtime,
    LogConfig: service.logging && {
      Type: service.logging.driver ?? '',
      Config: service.logging.options,
    },
  };
  return dropUndefined(body);
}

/** Keys added after the first bodies are sent only when used, so existing bodies stay as they were. */
function nonEmpty<T>(list: T[]): T[] | undefined {
  return list.length > 0 ? list : undefined;
}

function dropUndefined(body: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined));
}

/** Endpoint settings per engine network name, in the service's order. */
function endpoints(
  project: Project,
  service: Service,
  options: TranslateOptions,
): [string, Record<string, unknown>][] {
  if (service.network_mode !== undefined) return [];
  const linkAliases = links(project, service, options);
  return Object.entries(service.networks).map(([key, net]) => {
    const ipam = dropUndefined({ IPv4Address: net.ipv4_address, IPv6Address: net.ipv6_address });
    return [
      project.networks[key]?.name ?? key,
      {
        // The service name is an alias on every network, so services find each other by name.
        Aliases: [service.name, ...net.aliases],
        ...(Object.keys(ipam).length > 0 ? { IPAMConfig: ipam } : {}),
        ...(net.priority !== undefined ? { GwPriority: net.priority } : {}),
        ...(linkAliases.length > 0 ? { Links: linkAliases } : {}),
      },
    ];
  });
}

function contentFiles(project: Project, service: Service): ContainerFile[] {
  const files: ContainerFile[] = [];
  for (const [kind, dir] of [
    ['secrets', project.secrets],
    ['configs', project.configs],
  ] as const) {
    for (const ref of service[kind]) {
      const object = dir[ref.source];
      if (object?.content === undefined || object.file) continue;
      files.push({
        path: ref.target,
        content: object.content,
        mode: ref.mode ?? 0o444,
        uid: ref.uid,
        gid: ref.gid,
      });
    }
  }
  return files;
}

/** The create-container request for one service, with the files to copy in before start. */
export function containerSpec(
  project: Project,
  serviceName: string,
  options: TranslateOptions = {},
): ContainerSpec {
  const service = project.services[serviceName];
  if (!service) throw new Error(`no service "${serviceName}" in project "${project.name}"`);
  const { exposed } = portBindings(service);
  const [first, ...others] = endpoints(project, service, options);
  const name = containerName(project, service, options.honourContainerName);
  // The container names its image by reference, as Compose does; the digest goes into the
  // hash, so a reference that moves to another image recreates the container.
  const image = imageReference(project, service);
  const check = service.healthcheck;
  const body: Record<string, unknown> = {
    Image: image,
    Cmd: service.command ?? undefined,
    Entrypoint: service.entrypoint ?? undefined,
    Env: Object.entries(service.environment).map(([k, v]) => `${k}=${v}`),
    Labels: {
      ...service.labels,
      ...projectLabels(project, options),
      'com.docker.compose.service': service.name,
      'com.docker.compose.container-number': '1',
      'com.docker.compose.oneoff': 'False',
      'com.docker.compose.config-hash': configHash(
        project,
        service,
        options.imageDigests?.[serviceName],
      ),
    },
    User: service.user,
    WorkingDir: service.working_dir,
    Hostname: service.hostname,
    Domainname: service.domainname,
    ExposedPorts: exposed,
    Tty: service.tty,
    OpenStdin: service.stdin_open,
    StopSignal: service.stop_signal,
    StopTimeout: service.stop_grace_period,
    Healthcheck:
      check &&
      dropUndefined({
        Test: check.test.length > 0 ? check.test : undefined,
        Interval: check.interval,
        Timeout: check.timeout,
        StartPeriod: check.start_period,
        StartInterval: check.start_interval,
        Retries: check.retries,
      }),
    HostConfig: hostConfig(project, service, options),
    NetworkingConfig: { EndpointsConfig: first ? { [first[0]]: first[1] } : {} },
  };
  return {
    name,
    body: dropUndefined(body),
    connect: others.map(([network, EndpointConfig]) => ({
      network,
      body: { Container: name, EndpointConfig },
    })),
    files: contentFiles(project, service),
  };
}

/** The create-network request for a declared, non-external network. */
export function networkSpec(
  project: Project,
  key: string,
  network: Network,
  options: TranslateOptions = {},
): Record<string, unknown> {
  const ipam = network.ipam;
  return dropUndefined({
    Name: network.name,
    Driver: network.driver ?? 'bridge',
    Options: network.driver_opts,
    Internal: network.internal,
    Attachable: network.attachable,
    EnableIPv6: network.enable_ipv6,
    IPAM: ipam && {
      Driver: ipam.driver ?? 'default',
      Config: ipam.config.map((c) =>
        dropUndefined({
          Subnet: c.subnet,
          IPRange: c.ip_range,
          Gateway: c.gateway,
          AuxiliaryAddresses: c.aux_addresses,
        }),
      ),
      Options: ipam.options,
    },
    Labels: {
      ...network.labels,
      ...projectLabels(project, options),
      'com.docker.compose.network': key,
    },
  });
}

/** The create-volume request for a declared, non-external volume. */
export function volumeSpec(
  project: Project,
  key: string,
  volume: Volume,
  options: TranslateOptions = {},
): Record<string, unknown> {
  return dropUndefined({
    Name: volume.name,
    Driver: volume.driver ?? 'local',
    DriverOpts: volume.driver_opts,
    Labels: {
      ...volume.labels,
      ...projectLabels(project, options),
      'com.docker.compose.volume': key,
    },
  });
}

/** Every body a project needs: networks and volumes it owns, and one container per service. */
export function translateProject(project: Project, options: TranslateOptions = {}) {
  checkApiSupport(project, options.apiVersion ?? BASELINE_API_VERSION);
  return {
    networks: Object.entries(project.networks)
      .filter(([, n]) => !n.external)
      .map(([key, n]) => networkSpec(project, key, n, options)),
    volumes: Object.entries(project.volumes)
      .filter(([, v]) => !v.external)
      .map(([key, v]) => volumeSpec(project, key, v, options)),
    containers: Object.keys(project.services).map((name) => containerSpec(project, name, options)),
  };
}
