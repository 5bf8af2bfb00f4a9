/**
 * The normalised Compose model: one TypeBox schema per shape, so the same
 * source gives the TypeScript types and a runtime validator. Every short
 * syntax of the Compose Specification has been turned into its long form here
 * and every optional list or map is present (possibly empty), so consumers —
 * translation, hashing, the planner — never look at raw YAML.
 */
import { type Static, Type as T } from '@sinclair/typebox';

const StringMap = T.Record(T.String(), T.String());
const Opt = T.Optional;

export const PortSchema = T.Object({
  /** Always `ingress` or `host` (spec: ports long syntax, default `ingress`). */
  mode: T.Union([T.Literal('ingress'), T.Literal('host')]),
  target: T.Integer({ minimum: 1, maximum: 65535 }),
  /** A port or a `start-end` range; absent lets the engine choose. */
  published: Opt(T.String()),
  protocol: T.String(),
  host_ip: Opt(T.String()),
  app_protocol: Opt(T.String()),
  name: Opt(T.String()),
});
export type Port = Static<typeof PortSchema>;

export const MountSchema = T.Object({
  type: T.Union([T.Literal('volume'), T.Literal('bind'), T.Literal('tmpfs')]),
  /** Volume key (project-level name), absolute host path, or absent (tmpfs, anonymous volume). */
  source: Opt(T.String()),
  target: T.String(),
  read_only: Opt(T.Boolean()),
  bind: Opt(
    T.Object({
      propagation: Opt(T.String()),
      create_host_path: Opt(T.Boolean()),
      selinux: Opt(T.Union([T.Literal('z'), T.Literal('Z')])),
    }),
  ),
  volume: Opt(T.Object({ nocopy: Opt(T.Boolean()), subpath: Opt(T.String()) })),
  tmpfs: Opt(T.Object({ size: Opt(T.Integer()), mode: Opt(T.Integer()) })),
  /** Long syntax only, kept as written; Docker on Linux ignores it (spec: volumes long syntax). */
  consistency: Opt(T.String()),
});
export type Mount = Static<typeof MountSchema>;

export const HealthcheckSchema = T.Object({
  /** Docker's form: `["NONE"]`, `["CMD", …]` or `["CMD-SHELL", cmd]`. */
  test: T.Array(T.String()),
  /** Durations in nanoseconds, as the Engine API takes them. */
  interval: Opt(T.Integer()),
  timeout: Opt(T.Integer()),
  start_period: Opt(T.Integer()),
  start_interval: Opt(T.Integer()),
  retries: Opt(T.Integer()),
  disable: Opt(T.Boolean()),
});
export type Healthcheck = Static<typeof HealthcheckSchema>;

export const DependencySchema = T.Object({
  condition: T.Union([
    T.Literal('service_started'),
    T.Literal('service_healthy'),
    T.Literal('service_completed_successfully'),
  ]),
  required: T.Boolean(),
  restart: T.Boolean(),
});
export type Dependency = Static<typeof DependencySchema>;

export const ServiceNetworkSchema = T.Object({
  aliases: T.Array(T.String()),
  ipv4_address: Opt(T.String()),
  ipv6_address: Opt(T.String()),
  priority: Opt(T.Integer()),
});
export type ServiceNetwork = Static<typeof ServiceNetworkSchema>;

export const FileReferenceSchema = T.Object({
  /** Key of the top-level secret or config. */
  source: T.String(),
  /** Absolute path in the container. */
  target: T.String(),
  uid: Opt(T.String()),
  gid: Opt(T.String()),
  mode: Opt(T.Integer()),
});
export type FileReference = Static<typeof FileReferenceSchema>;

export const BuildSchema = T.Object({
  /** Absolute path of the build context. */
  context: T.String(),
  dockerfile: T.String(),
  args: StringMap,
  target: Opt(T.String()),
});
export type Build = Static<typeof BuildSchema>;

/** A device request (spec: deploy → devices, gpus): the Engine's `DeviceRequests` entry. */
export const DeviceRequestSchema = T.Object({
  capabilities: T.Array(T.String()),
  driver: Opt(T.String()),
  /** `all` is -1, as Compose and the Engine API have it. Absent when `device_ids` is set. */
  count: Opt(T.Integer({ minimum: -1 })),
  device_ids: Opt(T.Array(T.String())),
  options: StringMap,
});
export type DeviceRequest = Static<typeof DeviceRequestSchema>;

export const ResourcesSchema = T.Object({
  limits: T.Object({ cpus: Opt(T.Number()), memory: Opt(T.Integer()), pids: Opt(T.Integer()) }),
  reservations: T.Object({
    cpus: Opt(T.Number()),
    memory: Opt(T.Integer()),
    /** Absent rather than empty, so services without devices keep their config hash. */
    devices: Opt(T.Array(DeviceRequestSchema)),
  }),
});
export type Resources = Static<typeof ResourcesSchema>;

export const ServiceSchema = T.Object({
  name: T.String(),
  image: Opt(T.String()),
  build: Opt(BuildSchema),
  /** Null means "the image's default"; an empty list means "no arguments". */
  command: T.Union([T.Array(T.String()), T.Null()]),
  entrypoint: T.Union([T.Array(T.String()), T.Null()]),
  environment: StringMap,
  labels: StringMap,
  ports: T.Array(PortSchema),
  expose: T.Array(T.String()),
  volumes: T.Array(MountSchema),
  tmpfs: T.Array(T.String()),
  depends_on: T.Record(T.String(), DependencySchema),
  healthcheck: Opt(HealthcheckSchema),
  /** Absent when network_mode is set. */
  networks: T.Record(T.String(), ServiceNetworkSchema),
  network_mode: Opt(T.String()),
  /** Absent when the file leaves it unset; the runtime picks its default. */
  restart: Opt(T.String()),
  user: Opt(T.String()),
  working_dir: Opt(T.String()),
  hostname: Opt(T.String()),
  domainname: Opt(T.String()),
  container_name: Opt(T.String()),
  cap_add: T.Array(T.String()),
  cap_drop: T.Array(T.String()),
  devices: T.Array(T.Object({ source: T.String(), target: T.String(), permissions: T.String() })),
  /** Kernel device cgroup rules such as `c 189:* rmw` (spec: device_cgroup_rules). */
  device_cgroup_rules: T.Array(T.String()),
  /** `gpus`: device requests with an implicit `gpu` capability (spec: gpus). */
  gpus: T.Array(DeviceRequestSchema),
  /** `SERVICE` or `SERVICE:ALIAS` entries as written (spec: links); each also adds a depends_on. */
  links: T.Array(T.String()),
  /** `host:address` entries; the address may be `host-gateway`. */
  extra_hosts: T.Array(T.String()),
  dns: T.Array(T.String()),
  dns_search: T.Array(T.String()),
  dns_opt: T.Array(T.String()),
  ulimits: T.Record(T.String(), T.Object({ soft: T.Integer(), hard: T.Integer() })),
  sysctls: StringMap,
  logging: Opt(T.Object({ driver: Opt(T.String()), options: StringMap })),
  /** Seconds. */
  stop_grace_period: Opt(T.Integer()),
  stop_signal: Opt(T.String()),
  resources: ResourcesSchema,
  /** Legacy service-level resource keys, kept apart from deploy.resources. */
  cpu_shares: Opt(T.Integer()),
  cpu_period: Opt(T.Integer()),
  cpu_quota: Opt(T.Integer()),
  cpuset: Opt(T.String()),
  mem_swappiness: Opt(T.Integer()),
  memswap_limit: Opt(T.Integer()),
  oom_kill_disable: Opt(T.Boolean()),
  oom_score_adj: Opt(T.Integer()),
  shm_size: Opt(T.Integer()),
  replicas: T.Integer(),
  secrets: T.Array(FileReferenceSchema),
  configs: T.Array(FileReferenceSchema),
  profiles: T.Array(T.String()),
  privileged: T.Boolean(),
  read_only: T.Boolean(),
  init: T.Boolean(),
  tty: T.Boolean(),
  stdin_open: T.Boolean(),
  security_opt: T.Array(T.String()),
  group_add: T.Array(T.String()),
  pid: Opt(T.String()),
  ipc: Opt(T.String()),
  runtime: Opt(T.String()),
  platform: Opt(T.String()),
  pull_policy: Opt(T.String()),
  /** `x-` keys of the service, kept verbatim (spec: Extension). */
  extensions: T.Record(T.String(), T.Unknown()),
});
export type Service = Static<typeof ServiceSchema>;

export const NetworkSchema = T.Object({
  /** Full engine name: `<project>_<key>` unless `name` or external. */
  name: T.String(),
  external: T.Boolean(),
  driver: Opt(T.String()),
  driver_opts: StringMap,
  internal: T.Boolean(),
  attachable: T.Boolean(),
  enable_ipv6: Opt(T.Boolean()),
  ipam: Opt(
    T.Object({
      driver: Opt(T.String()),
      config: T.Array(
        T.Object({
          subnet: Opt(T.String()),
          ip_range: Opt(T.String()),
          gateway: Opt(T.String()),
          aux_addresses: StringMap,
        }),
      ),
      options: StringMap,
    }),
  ),
  labels: StringMap,
});
export type Network = Static<typeof NetworkSchema>;

export const VolumeSchema = T.Object({
  name: T.String(),
  external: T.Boolean(),
  driver: Opt(T.String()),
  driver_opts: StringMap,
  labels: StringMap,
});
export type Volume = Static<typeof VolumeSchema>;

export const FileObjectSchema = T.Object({
  name: T.String(),
  /** Exactly one of file (absolute host path), content (inline) or environment. */
  file: Opt(T.String()),
  content: Opt(T.String()),
  environment: Opt(T.String()),
  external: T.Boolean(),
});
export type FileObject = Static<typeof FileObjectSchema>;

export const ProjectSchema = T.Object({
  name: T.String({ pattern: '^[a-z0-9][a-z0-9_-]*$' }),
  /** Absolute folder that relative paths were resolved against. */
  working_dir: T.String(),
  services: T.Record(T.String(), ServiceSchema),
  networks: T.Record(T.String(), NetworkSchema),
  volumes: T.Record(T.String(), VolumeSchema),
  secrets: T.Record(T.String(), FileObjectSchema),
  configs: T.Record(T.String(), FileObjectSchema),
  extensions: T.Record(T.String(), T.Unknown()),
});
export type Project = Static<typeof ProjectSchema>;
