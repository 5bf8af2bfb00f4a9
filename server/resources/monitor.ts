/**
 * Per-install CPU, memory and disk (issue 12 §4). Sampling policy: every
 * install once a minute at most (the hour's history), and every `watchMs`
 * an install someone watches (the app page's stream, a GET). A sample reads
 * cgroup files only; the engine is asked for the container list when the
 * reconciler reported a change since the last one (or a cgroup vanished),
 * for `/info` once, and for `/system/df` (costly: it walks every volume) at
 * most once a minute and only when someone asks for disk figures. No stats
 * stream is ever opened.
 */
import { readFileSync } from 'node:fs';
import type { ContainerSummary, DiskUsage, DockerAdapter } from '../docker/adapter.js';
import {
  type CgroupDirs,
  type CgroupMount,
  type CgroupReading,
  defaultContainerPath,
  dirsFromPath,
  dirsFromProcess,
  parseMountInfo,
  type ReadText,
  readCgroup,
} from './cgroups.js';
import { HISTORY_STEP_MS, ResourceHistory, type ResourcePoint } from './history.js';

/** Time and timers, so tests can drive the policy with a fake clock. */
export interface Clock {
  now(): number;
  setTimeout(run: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (run, ms) => setTimeout(run, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface ResourceMonitorOptions {
  docker: Pick<DockerAdapter, 'info' | 'listContainers' | 'inspectContainer' | 'diskUsage'>;
  /** This Foyer's instance id: only its containers and volumes are counted. */
  instance: string;
  /** The ids of the installs in the store. */
  installs: () => string[];
  readFile?: ReadText;
  clock?: Clock;
  /** How often an install someone watches is sampled (default 5 s). */
  watchMs?: number;
  /** How often every other install is sampled, and the history's step (default 1 min). */
  stepMs?: number;
  /** Called when a background sample fails (the engine is down, …). */
  onError?: (error: unknown) => void;
}

/** An install's current figures and the last hour. */
export interface InstallUsage {
  current: ResourcePoint;
  history: ResourcePoint[];
}

/** Disk an install holds: its named volumes, and the images its containers run. */
export interface InstallDisk {
  volumes: number;
  images: number;
}

interface Watched {
  history: ResourceHistory;
  latest?: ResourcePoint;
  watchers: Set<(point: ResourcePoint) => void>;
  sampling?: Promise<ResourcePoint>;
}

export class ResourceMonitor {
  private readonly clock: Clock;
  private readonly readFile: ReadText;
  private readonly watchMs: number;
  private readonly stepMs: number;
  private readonly byInstall = new Map<string, Watched>();
  private engine?: Promise<{ version: 1 | 2; driver: string; mounts: CgroupMount[] }>;
  /** The install's containers, or undefined when the reconciler has seen a change since. */
  private containers?: Promise<Map<string, ContainerSummary[]>>;
  private readonly dirs = new Map<string, CgroupDirs | null>();
  private readonly lastCpu = new Map<string, { nanos: number; at: number }>();
  private df?: { at: number; usage: Promise<DiskUsage> };
  private timer?: unknown;
  private running = false;

  constructor(private readonly options: ResourceMonitorOptions) {
    this.clock = options.clock ?? systemClock;
    this.readFile = options.readFile ?? ((path) => readFileSync(path, 'utf8'));
    this.watchMs = options.watchMs ?? 5_000;
    this.stepMs = options.stepMs ?? HISTORY_STEP_MS;
  }

  /** Starts the background sampling: the first pass a step from now, off the start path. */
  start(): void {
    this.running = true;
    this.schedule();
  }

  stop(): void {
    this.running = false;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** The reconciler saw a change (a container created, started, removed): list again next time. */
  invalidate(): void {
    this.containers = undefined;
  }

  /** The install's figures, sampled now unless a sample is younger than `watchMs`. */
  async usage(installId: string): Promise<InstallUsage> {
    const state = this.stateOf(installId);
    const fresh = state.latest && this.clock.now() - state.latest.at < this.watchMs;
    const current = fresh && state.latest ? state.latest : await this.sample(installId);
    return { current, history: state.history.list(this.clock.now()) };
  }

  /** Samples `installId` every `watchMs` (at once first) until the returned function is called. */
  watch(installId: string, listener: (point: ResourcePoint) => void): () => void {
    const state = this.stateOf(installId);
    state.watchers.add(listener);
    if (this.running) this.schedule(0);
    return () => {
      state.watchers.delete(listener);
    };
  }

  /** Bytes of the install's named volumes and of the images its containers run. */
  async disk(installId: string): Promise<InstallDisk> {
    const now = this.clock.now();
    if (!this.df || now - this.df.at >= this.stepMs) {
      const usage = this.options.docker.diskUsage();
      this.df = { at: now, usage };
      usage.catch(() => {
        if (this.df?.usage === usage) this.df = undefined;
      });
    }
    const usage = await this.df.usage;
    const containers = (await this.containersByInstall()).get(installId) ?? [];
    const imageIds = new Set(containers.map((c) => c.imageId));
    const positive = (n: number) => Math.max(0, n);
    const volumes = usage.volumes
      .filter(
        (v) =>
          v.labels['foyer.install'] === installId &&
          v.labels['foyer.instance'] === this.options.instance,
      )
      .reduce((sum, v) => sum + positive(v.size), 0);
    const images = usage.images
      .filter((i) => imageIds.has(i.id))
      .reduce((sum, i) => sum + positive(i.size), 0);
    return { volumes, images };
  }

  private stateOf(installId: string): Watched {
    let state = this.byInstall.get(installId);
    if (!state) {
      state = { history: new ResourceHistory(this.stepMs), watchers: new Set() };
      this.byInstall.set(installId, state);
    }
    return state;
  }

  /** The next pass: `watchMs` away while anyone watches, else a step. */
  private schedule(delay?: number): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    const watched = [...this.byInstall.values()].some((s) => s.watchers.size > 0);
    const wait = delay ?? (watched ? this.watchMs : this.stepMs);
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      void this.pass().finally(() => {
        if (this.running && this.timer === undefined) this.schedule();
      });
    }, wait);
  }

  /** Samples each install that is watched and due, or whose history point is due. */
  private async pass(): Promise<void> {
    const ids = this.options.installs();
    for (const id of this.byInstall.keys()) if (!ids.includes(id)) this.byInstall.delete(id);
    const now = this.clock.now();
    for (const id of ids) {
      const state = this.stateOf(id);
      const watchDue =
        state.watchers.size > 0 && (!state.latest || now - state.latest.at >= this.watchMs);
      if (!watchDue && !state.history.due(now)) continue;
      await this.sample(id).catch((error: unknown) => this.options.onError?.(error));
    }
  }

  /** One sample of the install (one at a time per install), kept and sent to its watchers. */
  private sample(installId: string): Promise<ResourcePoint> {
    const state = this.stateOf(installId);
    state.sampling ??= this.read(installId)
      .then((point) => {
        state.latest = point;
        state.history.add(point);
        for (const listener of state.watchers) listener(point);
        return point;
      })
      .finally(() => {
        state.sampling = undefined;
      });
    return state.sampling;
  }

  private async read(installId: string): Promise<ResourcePoint> {
    const at = this.clock.now();
    const containers = ((await this.containersByInstall()).get(installId) ?? []).filter(
      (c) => c.state === 'running',
    );
    let memoryBytes = 0;
    let cpuPercent: number | null = containers.length === 0 ? 0 : null;
    for (const container of containers) {
      const reading = await this.readContainer(container.id);
      if (!reading) continue;
      memoryBytes += reading.memoryBytes;
      const previous = this.lastCpu.get(container.id);
      this.lastCpu.set(container.id, { nanos: reading.cpuNanos, at });
      if (previous && at > previous.at && reading.cpuNanos >= previous.nanos) {
        const percent = ((reading.cpuNanos - previous.nanos) / ((at - previous.at) * 1e6)) * 100;
        cpuPercent = (cpuPercent ?? 0) + percent;
      }
    }
    if (cpuPercent !== null) cpuPercent = Math.round(cpuPercent * 10) / 10;
    return { at, cpuPercent, memoryBytes };
  }

  private async readContainer(containerId: string): Promise<CgroupReading | undefined> {
    const dirs = await this.dirsOf(containerId);
    if (!dirs) return undefined;
    try {
      return readCgroup(dirs, this.readFile);
    } catch {
      // The container stopped or was replaced since the list: list again next time.
      this.dirs.delete(containerId);
      this.invalidate();
      return undefined;
    }
  }

  /** Where a container's cgroup is: the engine's default place, else from its init process. */
  private async dirsOf(containerId: string): Promise<CgroupDirs | undefined> {
    const known = this.dirs.get(containerId);
    if (known !== undefined) return known ?? undefined;
    const engine = await this.engineFacts();
    const readable = (dirs: CgroupDirs | undefined) => {
      if (!dirs) return undefined;
      try {
        readCgroup(dirs, this.readFile);
        return dirs;
      } catch {
        return undefined;
      }
    };
    const path = defaultContainerPath(engine.driver, containerId);
    let dirs = readable(dirsFromPath(engine.mounts, engine.version, path));
    if (!dirs) {
      const details = await this.options.docker.inspectContainer(containerId);
      const pid = details?.state.pid ?? 0;
      if (pid > 0) {
        try {
          const procCgroup = this.readFile(`/proc/${pid}/cgroup`);
          dirs = readable(dirsFromProcess(engine.mounts, engine.version, procCgroup));
        } catch {
          // Another pid namespace (the daemon in a container): no figures for this container.
        }
      }
    }
    this.dirs.set(containerId, dirs ?? null);
    return dirs;
  }

  private engineFacts() {
    this.engine ??= this.options.docker.info().then((info) => ({
      version: info.cgroupVersion === '2' ? (2 as const) : (1 as const),
      driver: info.cgroupDriver,
      mounts: parseMountInfo(this.readFile('/proc/self/mountinfo')),
    }));
    this.engine.catch(() => {
      this.engine = undefined;
    });
    return this.engine;
  }

  /** This instance's containers by install: one list call, until the reconciler sees a change. */
  private containersByInstall(): Promise<Map<string, ContainerSummary[]>> {
    if (!this.containers) {
      const filter = [`foyer.instance=${this.options.instance}`];
      const listed = this.options.docker.listContainers(filter).then((rows) => {
        const byInstall = new Map<string, ContainerSummary[]>();
        for (const row of rows) {
          const id = row.labels['foyer.install'];
          if (id === undefined) continue;
          byInstall.set(id, [...(byInstall.get(id) ?? []), row]);
        }
        const live = new Set(rows.map((r) => r.id));
        for (const id of [...this.dirs.keys(), ...this.lastCpu.keys()]) {
          if (!live.has(id)) {
            this.dirs.delete(id);
            this.lastCpu.delete(id);
          }
        }
        return byInstall;
      });
      listed.catch(() => {
        if (this.containers === listed) this.containers = undefined;
      });
      this.containers = listed;
    }
    return this.containers;
  }
}
