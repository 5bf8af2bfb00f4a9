/**
 * The Docker adapter: the one narrow interface through which Foyer talks to
 * the engine. `dockerode-adapter.ts` implements it (the only module that
 * imports dockerode); tests wrap it to count calls. Methods are idempotent
 * where the reconciler needs them to be: removing what is gone and stopping
 * what is stopped succeed; creating what exists throws `ConflictError`, which
 * the executor reads as "adopt what is there" (DESIGN: crash-safe).
 */
import type { ContainerFile } from '../../compose/index.js';

export type ContainerState =
  | 'created'
  | 'running'
  | 'paused'
  | 'restarting'
  | 'removing'
  | 'exited'
  | 'dead';
export type HealthState = 'starting' | 'healthy' | 'unhealthy';

/** One row of `GET /containers/json?all=1`. */
export interface ContainerSummary {
  id: string;
  /** Without the leading slash. */
  name: string;
  labels: Record<string, string>;
  state: ContainerState;
  /** Docker's human text, e.g. "Up 5 minutes (healthy)". */
  status: string;
  /** Parsed from `status`; absent when the container has no health check. */
  health?: HealthState;
  imageId: string;
  /** Seconds since the epoch. */
  created: number;
  /** Ports published on the host (absent when none), for the web entry's address. */
  ports?: PublishedPort[];
}

/** A container port published on the host, as the list shows it. */
export interface PublishedPort {
  container: number;
  host: number;
  /** The host address it is bound to: `0.0.0.0`, `::`, `127.0.0.1`, … */
  ip: string;
  protocol: string;
}

export interface NetworkSummary {
  id: string;
  name: string;
  labels: Record<string, string>;
  /** `bridge`, `overlay`, `macvlan`, …; absent when an adapter does not say. */
  driver?: string;
  /** The IPAM subnets (`172.18.0.0/16`). */
  subnets?: string[];
  /** The host interface of a bridge network (`com.docker.network.bridge.name`), when set. */
  bridge?: string;
}

export interface VolumeSummary {
  name: string;
  labels: Record<string, string>;
}

export interface ImageSummary {
  id: string;
  tags: string[];
  labels: Record<string, string>;
}

/** What `GET /containers/{id}/json` says about a container's life. */
export interface ContainerDetails {
  id: string;
  name: string;
  labels: Record<string, string>;
  imageId: string;
  state: {
    status: ContainerState;
    running: boolean;
    /** The init process's id on the engine's host; 0 when not running. */
    pid: number;
    exitCode: number;
    restartCount: number;
    oomKilled: boolean;
    error: string;
    startedAt: string;
    finishedAt: string;
    health?: { status: HealthState; failingStreak: number; lastOutput?: string };
  };
  restartPolicy: string;
}

/** Progress of a pull (per layer) or a build (per output line), for whoever started the work. */
export type ImageProgress =
  | { kind: 'pull'; layer?: string; status: string; current?: number; total?: number }
  | { kind: 'build'; line: string };

export interface BuildOptions {
  /** Absolute folder sent to the engine as a tar stream. */
  context: string;
  dockerfile: string;
  tag: string;
  args: Record<string, string>;
  target?: string;
  labels: Record<string, string>;
  /** Build every step again (an update: fresh security updates from the distribution). */
  noCache?: boolean;
}

/** One event of the engine's `GET /events` stream. */
export interface EngineEvent {
  type: string;
  action: string;
  id: string;
  /** The actor's attributes: labels of containers, plus name, exitCode, … */
  attributes: Record<string, string>;
  /** Nanoseconds since the epoch (`timeNano`), for reconnecting with `since`. */
  timeNano: number;
}

export interface EventSubscription {
  close(): void;
}

/** What `inspectLabels` tells of a network or volume. */
export interface ObjectDetails {
  labels: Record<string, string>;
  createdAt?: string;
  /** Volumes: the driver, its options and where the data is on the engine's host. */
  driver?: string;
  options?: Record<string, string>;
  mountpoint?: string;
}

/** A named engine object: what a name conflict is about. */
export interface EngineObject {
  kind: 'container' | 'network' | 'volume';
  name: string;
}

/** The engine refused to create something because it exists (409). */
export class ConflictError extends Error {
  override name = 'ConflictError';
  constructor(
    message: string,
    /** The object whose name is taken, when the call knows it. */
    readonly object?: EngineObject,
  ) {
    super(message);
  }
}

/** The engine cannot be reached (socket missing, refused, reset). */
export class EngineUnreachableError extends Error {
  override name = 'EngineUnreachableError';
}

/** Any other error answer from the engine, with its HTTP status. */
export class EngineError extends Error {
  override name = 'EngineError';
  constructor(
    message: string,
    readonly statusCode: number,
  ) {
    super(message);
  }
}

/** What `GET /info` says about where the engine keeps containers (issue 12 §4). */
export interface EngineInfo {
  /** `cgroupfs` or `systemd`. */
  cgroupDriver: string;
  /** `1` or `2`. */
  cgroupVersion: string;
  /** The engine's data root, e.g. `/var/lib/docker`. */
  dockerRootDir: string;
}

/** Sizes from `GET /system/df`, in bytes; -1 where the engine did not compute one. */
export interface DiskUsage {
  volumes: { name: string; labels: Record<string, string>; size: number }[];
  images: { id: string; size: number }[];
}

export interface DockerAdapter {
  version(): Promise<{ version: string; apiVersion: string }>;
  info(): Promise<EngineInfo>;
  /** Sizes of every volume and image; costly for the engine (it walks every volume). */
  diskUsage(): Promise<DiskUsage>;
  /** Containers (all states) carrying every one of `labels` (`key=value` or `key`). */
  listContainers(labels: string[]): Promise<ContainerSummary[]>;
  listNetworks(labels: string[]): Promise<NetworkSummary[]>;
  listVolumes(labels: string[]): Promise<VolumeSummary[]>;
  /** Images, all or those carrying every one of `labels`. */
  listImages(labels?: string[]): Promise<ImageSummary[]>;
  /** Succeeds when already gone; throws ConflictError when a container uses it. */
  removeImage(id: string): Promise<void>;
  /** Gives the image `id` (an id or reference) the reference `reference` too, moving it if taken. */
  tagImage(id: string, reference: string): Promise<void>;
  /**
   * Removes one reference of an image; the image goes with it only when it was its last one and
   * no container uses it. Succeeds when the reference is gone; a conflict is left as it is.
   */
  untagImage(reference: string): Promise<void>;
  /** Undefined when the image is not in the engine. */
  inspectImage(ref: string): Promise<ImageSummary | undefined>;
  /** Undefined when the container does not exist. */
  inspectContainer(idOrName: string): Promise<ContainerDetails | undefined>;
  /** A network's or volume's labels (and a volume's driver and folder); undefined when gone. */
  inspectLabels(kind: 'network' | 'volume', name: string): Promise<ObjectDetails | undefined>;
  pullImage(ref: string, onProgress: (p: ImageProgress) => void): Promise<void>;
  buildImage(options: BuildOptions, onProgress: (p: ImageProgress) => void): Promise<void>;
  /** Throws ConflictError when a network of that name exists. */
  createNetwork(body: Record<string, unknown>): Promise<void>;
  /** Succeeds when the network is already gone. */
  removeNetwork(name: string): Promise<void>;
  /**
   * Creates a volume, or finds it there: the engine answers with the existing volume, so one
   * carrying another owner's `foyer.instance` (or none, when the body has one) throws
   * ConflictError, as creating a network or container of a taken name does.
   */
  createVolume(body: Record<string, unknown>): Promise<void>;
  /** Succeeds when the volume is already gone. */
  removeVolume(name: string): Promise<void>;
  /** Returns the new container's id; throws ConflictError when the name is taken. */
  createContainer(name: string, body: Record<string, unknown>): Promise<string>;
  /** Succeeds when the container is already connected. */
  connectNetwork(network: string, body: Record<string, unknown>): Promise<void>;
  /** Copies files into a container (a tar archive at `/`), before it starts. */
  putFiles(container: string, files: ContainerFile[]): Promise<void>;
  /** Succeeds when already running. */
  startContainer(idOrName: string): Promise<void>;
  /** Succeeds when already stopped. */
  stopContainer(idOrName: string, timeoutSeconds?: number): Promise<void>;
  restartContainer(idOrName: string, timeoutSeconds?: number): Promise<void>;
  /** Succeeds when already gone; `force` kills a running container first. */
  removeContainer(idOrName: string, force?: boolean): Promise<void>;
  renameContainer(idOrName: string, newName: string): Promise<void>;
  /** Runs a command in a running container and waits for it: its exit code and output. */
  exec(
    idOrName: string,
    command: string[],
    options?: { signal?: AbortSignal },
  ): Promise<{ exitCode: number; output: string }>;
  /**
   * A container's log lines (stdout and stderr), the last `tail` of them, then
   * new ones while `follow` holds; ends when `signal` aborts or the container stops.
   */
  logs(
    idOrName: string,
    options: { tail?: number; follow?: boolean; timestamps?: boolean; signal?: AbortSignal },
  ): AsyncGenerator<{ stream: 'stdout' | 'stderr'; text: string }>;
  /**
   * Streams engine events matching `filters` (Engine API filter JSON, e.g.
   * `{ label: ['foyer.managed=true'] }`) from `since` (nanoseconds) on. The
   * stream is drained continuously; `onEnd` is called once when it ends or
   * fails, so the caller can reconnect with the last `timeNano` it saw.
   */
  events(
    options: { since?: number; filters: Record<string, string[]> },
    onEvent: (event: EngineEvent) => void,
    onEnd: (error?: Error) => void,
  ): EventSubscription;
}
