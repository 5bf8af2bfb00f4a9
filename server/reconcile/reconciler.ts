/**
 * The reconciler: keeps every install's containers as its desired state says,
 * level-triggered and keyed by install id (DESIGN: "How a change flows").
 * API calls and engine events only enqueue an id; a worker then re-reads the
 * install from the store, observes it, plans and executes, and re-queues it
 * until a plan comes back empty. A periodic resync observes everything in
 * three calls and enqueues only installs whose plan is not empty, so a steady
 * state costs three reads and no writes.
 */
import { EventEmitter } from 'node:events';
import { mkdirSync, rmSync } from 'node:fs';
import { ComposeError, formatProblem, type Project } from '../../compose/index.js';
import {
  ConflictError,
  type DockerAdapter,
  type EngineEvent,
  EngineUnreachableError,
} from '../docker/adapter.js';
import {
  type AppSource,
  appDataDir,
  desiredState,
  handOverFolders,
  type InstallRecord,
  instanceFilter,
  type RenderContext,
  renderProject,
} from './desired.js';
import { EventWatch, eventFilters } from './event-watch.js';
import { type ExecutionEvent, execute } from './execute.js';
import { observeAll, observeBuiltImages, observeInstall, type Snapshot } from './observe.js';
import { conflictMessage, ownerOf } from './ownership.js';
import { plan, planToString } from './plan.js';
import { TerminalError, WorkQueue } from './queue.js';
import { deriveStatus, type InstallStatus } from './status.js';
import { SupervisionLog } from './supervision.js';
import type { DesiredState, ObservedState, Supervision } from './types.js';

/** Where the reconciler reads desired state: the store, narrowed. */
export interface InstallSource {
  list(): InstallRecord[];
  get(id: string): InstallRecord | undefined;
  /** Forgets an install whose objects are all gone. */
  delete(id: string): void;
}

export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface ReconcilerOptions {
  docker: DockerAdapter;
  installs: InstallSource;
  loadApp: (appDir: string) => AppSource;
  render: RenderContext;
  log: Logger;
  /** Full resync period (default 30 s). */
  resyncMs?: number;
  /** Passes in a row with work left before an install counts as not converging. */
  maxPasses?: number;
  waitTimeoutMs?: number;
  supervision?: SupervisionLog;
}

interface Rendered {
  generation: number;
  project?: Project;
  /** Host folders to make before containers are created (handed-over certificates). */
  folders?: string[];
  error?: string;
  buildHashes: Record<string, string>;
  /** The last translation, valid while the known images and API version are unchanged. */
  desired?: { key: string; state: DesiredState };
}

const EMPTY: Snapshot = { containers: [], networks: [], volumes: [] };

export class Reconciler extends EventEmitter {
  private readonly queue: WorkQueue;
  private readonly renders = new Map<string, Rendered>();
  private readonly images = new Map<string, ObservedState['images'][string]>();
  /** The last error per install, with the generation it happened at. */
  private readonly errors = new Map<
    string,
    { message: string; terminal: boolean; generation?: number }
  >();
  /** Bumped whenever `images` changes, so cached translations know they are stale. */
  private imagesVersion = 0;
  private readonly statuses = new Map<string, InstallStatus>();
  private readonly passes = new Map<string, number>();
  /** The generation each install's latest pass started from. */
  private readonly passGenerations = new Map<string, number | undefined>();
  /** Installs whose objects someone works on directly (adopt): passes skip them. */
  private readonly held = new Set<string>();
  /** Restarts and updates people asked for, honoured by the next plan that runs to the end. */
  private readonly requests = new Map<string, { restart?: boolean; refresh?: boolean }>();
  private readonly supervision: SupervisionLog;
  private readonly watches: EventWatch[];
  /** Installs an event asked about, waiting out the settle window (one pass per burst). */
  private readonly settling = new Map<string, NodeJS.Timeout>();
  private apiVersion?: string;
  private timer?: NodeJS.Timeout;
  private stopped = false;
  /** The resync in flight, if any, which a shutdown waits for. */
  private resyncing: Promise<void> = Promise.resolve();
  private resyncBusy = false;
  private engineReachable = true;

  constructor(private readonly options: ReconcilerOptions) {
    super();
    this.supervision = options.supervision ?? new SupervisionLog();
    this.queue = new WorkQueue({
      work: (id) => this.reconcile(id),
      onError: (id, error, retryInMs) => this.failed(id, error, retryInMs),
    });
    this.watches = eventFilters(instanceFilter(options.render.instance)).map(
      (filters) =>
        new EventWatch(options.docker, (event) => this.onEngineEvent(event), options.log, filters),
    );
  }

  /** Starts watching events and resyncing; the first resync runs at once. */
  start(): void {
    this.stopped = false;
    for (const watch of this.watches) watch.start();
    this.startResync();
    this.timer = setInterval(() => this.startResync(), this.options.resyncMs ?? 30_000);
  }

  /** A periodic resync; skipped while the last one still runs (a slow engine), never stacked. */
  private startResync(): void {
    if (this.stopped || this.resyncBusy) return;
    this.resyncBusy = true;
    this.resyncing = this.resync()
      .catch((error) => this.options.log.error({ err: error }, 'resync failed'))
      .finally(() => {
        this.resyncBusy = false;
      });
  }

  /** Stops taking work; work in progress finishes on its own. */
  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    for (const watch of this.watches) watch.stop();
    for (const timer of this.settling.values()) clearTimeout(timer);
    this.settling.clear();
    this.queue.stop();
  }

  /**
   * Runs `work` on an install's objects with the reconciler keeping off them: passes started
   * meanwhile do nothing, a pass under way is waited for (up to 60 s); the install is looked at
   * again afterwards.
   */
  async hold<T>(id: string, work: () => Promise<T>): Promise<T> {
    this.held.add(id);
    try {
      const deadline = Date.now() + 60_000;
      while (this.queue.isActive(id) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      return await work();
    } finally {
      this.held.delete(id);
      this.queue.enqueue(id);
    }
  }

  /**
   * Stops taking work and waits, at most `timeoutMs`, for the passes and the resync in flight
   * to end. True when they did; false when some were abandoned (a pull or a build that takes
   * longer): their installs converge at the next start, as after a crash (DESIGN: crash-safe).
   */
  async shutdown(timeoutMs: number): Promise<boolean> {
    this.stop();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
      timer.unref();
    });
    const drained = Promise.all([this.queue.idle(), this.resyncing]).then(() => true);
    try {
      return await Promise.race([drained, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * The render context changed (a domain set or changed, issue 13): every install is rendered
   * again and looked at; only what the new render changes is recreated.
   */
  renderContextChanged(): void {
    this.renders.clear();
    for (const install of this.options.installs.list()) this.enqueue(install.id);
  }

  /** Asks for one install to be reconciled (after an API call or an event). */
  enqueue(id: string): void {
    // A failure retrying could not fix lasts "until the install changes": once it has, the
    // status stops saying so at once, not at the next pass (a job of the change would read it).
    const error = this.errors.get(id);
    const generation = this.options.installs.get(id)?.generation;
    if (error?.terminal && generation !== undefined && error.generation !== generation) {
      this.errors.delete(id);
      const status = this.statuses.get(id);
      // Applying the change, as far as anyone watching can tell, until the next pass says more.
      if (status?.terminal)
        this.setStatus({
          install: id,
          state: 'installing',
          reason: 'a change is being applied',
          services: status.services,
        });
    }
    this.queue.enqueue(id);
  }

  /** Resolves when no reconcile is queued, running or waiting to retry. */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  /** The last derived status of an install. */
  status(id: string): InstallStatus | undefined {
    return this.statuses.get(id);
  }

  /** True unless the last attempt to reach the engine failed. */
  get reachable(): boolean {
    return this.engineReachable;
  }

  /**
   * Observes everything in three calls and enqueues each install whose plan is
   * not empty — and installs that have objects but no store row, which are
   * removed (their volumes kept: desired state is never inferred from Docker).
   */
  async resync(): Promise<void> {
    let snapshots: Map<string, Snapshot>;
    try {
      snapshots = await observeAll(
        this.options.docker,
        instanceFilter(this.options.render.instance),
      );
      this.reached(true);
    } catch (error) {
      if (error instanceof EngineUnreachableError) return this.reached(false, error);
      this.options.log.error({ err: error }, 'resync failed');
      return;
    }
    const installs = this.options.installs.list();
    const ids = new Set([...installs.map((i) => i.id), ...snapshots.keys()]);
    for (const id of ids) {
      const install = installs.find((i) => i.id === id);
      // Objects of no install that someone works on (a verification's scratch install): not ours
      // to report or remove while held.
      if (!install && this.held.has(id)) continue;
      const snapshot = snapshots.get(id) ?? EMPTY;
      const desired = this.tryDesired(id, install);
      this.updateStatus(id, install, desired, snapshot);
      const error = this.errors.get(id);
      // A terminal error waits for the install to change (a new generation), not for time.
      if (!desired || (error?.terminal && error.generation === install?.generation)) continue;
      if (isHeld(install)) continue;
      const unknownImage = desired.services.some((s) => !this.images.has(s.image));
      if (
        unknownImage ||
        this.plan(desired, snapshot).length > 0 ||
        install?.desired === 'absent'
      ) {
        this.queue.enqueue(id, { retryFirst: true });
      }
    }
  }

  private reached(reachable: boolean, error?: Error): void {
    if (reachable === this.engineReachable) return;
    this.engineReachable = reachable;
    if (reachable) this.options.log.info({}, 'the Docker engine is reachable again');
    else
      this.options.log.warn({ err: error?.message }, 'the Docker engine is unreachable; retrying');
    this.emit('engine', { reachable });
  }

  private async ensureApiVersion(): Promise<string> {
    this.apiVersion ??= (await this.options.docker.version()).apiVersion;
    return this.apiVersion;
  }

  /** The rendered project of an install, cached by generation; render errors are terminal. */
  private rendered(install: InstallRecord): Rendered {
    const cached = this.renders.get(install.id);
    if (cached?.generation === install.generation) return cached;
    let entry: Rendered;
    try {
      const app = this.options.loadApp(install.appDir);
      const project = renderProject(install, app, this.options.render);
      const folders = handOverFolders(install, app, this.options.render);
      entry = { generation: install.generation, project, folders, buildHashes: {} };
    } catch (error) {
      const message =
        error instanceof ComposeError
          ? error.problems.map(formatProblem).join('; ')
          : String((error as Error).message ?? error);
      entry = { generation: install.generation, error: message, buildHashes: {} };
    }
    this.renders.set(install.id, entry);
    return entry;
  }

  private desiredFor(id: string, install: InstallRecord | undefined): DesiredState {
    if (!install)
      return { install: id, run: 'absent', purge: false, networks: [], volumes: [], services: [] };
    if (install.desired === 'absent')
      return {
        install: id,
        run: 'absent',
        purge: install.purge,
        networks: [],
        volumes: [],
        services: [],
      };
    const rendered = this.rendered(install);
    if (!rendered.project) throw new TerminalError(rendered.error ?? 'cannot be rendered');
    const key = `${this.imagesVersion}/${this.apiVersion}/${install.desired}/${install.purge}/${install.stage}`;
    if (rendered.desired?.key !== key) {
      const images = Object.fromEntries(this.images);
      const options = {
        apiVersion: this.apiVersion,
        buildHashes: rendered.buildHashes,
        instance: this.options.render.instance,
      };
      const state = desiredState(install, rendered.project, images, options);
      // Build hashes read the context folder: once per generation is enough.
      for (const s of state.services) if (s.build) rendered.buildHashes[s.name] = s.build.hash;
      rendered.desired = { key, state };
    }
    return rendered.desired.state;
  }

  private tryDesired(id: string, install: InstallRecord | undefined): DesiredState | undefined {
    try {
      return this.desiredFor(id, install);
    } catch (error) {
      const terminal = error instanceof TerminalError;
      this.errors.set(id, {
        message: (error as Error).message,
        terminal,
        generation: install?.generation,
      });
      return undefined;
    }
  }

  private supervisionFor(desired: DesiredState, snapshot: Snapshot): Supervision {
    const restartUnhealthy = new Set<string>();
    for (const s of desired.services) {
      const c = snapshot.containers.find((x) => x.name === s.containerName);
      if (c?.health === 'unhealthy' && this.supervision.mayRestart(c.name))
        restartUnhealthy.add(s.name);
    }
    const asked = this.requests.get(desired.install);
    return { restartUnhealthy, restartAll: asked?.restart, refreshImages: asked?.refresh };
  }

  /** Asks for every running service of an install to be restarted, in dependency order. */
  requestRestart(id: string): void {
    this.requests.set(id, { ...this.requests.get(id), restart: true });
    this.queue.enqueue(id);
  }

  /** Asks for an install's images to be pulled or rebuilt; changed images recreate their containers. */
  requestUpdate(id: string): void {
    this.requests.set(id, { ...this.requests.get(id), refresh: true });
    this.queue.enqueue(id);
  }

  /** Drops a pull or rebuild asked for and not yet done (an update that is being rolled back). */
  dropUpdateRequest(id: string): void {
    const asked = this.requests.get(id);
    if (asked) this.requests.set(id, { ...asked, refresh: false });
  }

  /** Images were tagged behind the planner's back (a rollback): look them up again. */
  imagesChanged(): void {
    this.forgetImages();
  }

  private plan(desired: DesiredState, snapshot: Snapshot) {
    const observed: ObservedState = { ...snapshot, images: Object.fromEntries(this.images) };
    return plan(desired, observed, this.supervisionFor(desired, snapshot));
  }

  /** Looks up the images the desired state needs and Foyer does not know yet. */
  private async learnImages(desired: DesiredState): Promise<void> {
    for (const s of desired.services) {
      if (this.images.has(s.image)) continue;
      const image = await this.options.docker.inspectImage(s.image);
      this.images.set(
        s.image,
        image && { id: image.id, buildHash: image.labels['foyer.build-hash'] },
      );
      this.imagesVersion++;
    }
  }

  /** One pass for one install: re-read, observe, plan, execute, and go again until steady. */
  private async reconcile(id: string): Promise<void> {
    // Held while someone works on its objects directly (adopt): the pass would fight them.
    if (this.held.has(id)) return;
    const install = this.options.installs.get(id);
    // An update works on it directly, as recorded in the store (so this holds across restarts).
    if (isHeld(install)) return;
    this.passGenerations.set(id, install?.generation);
    await this.ensureApiVersion();
    let desired = this.desiredFor(id, install);
    await this.learnImages(desired);
    desired = this.desiredFor(id, install);
    const mine = instanceFilter(this.options.render.instance);
    const snapshot = await observeInstall(this.options.docker, id, mine);
    if (desired.run === 'absent' && desired.purge) {
      snapshot.builtImages = await observeBuiltImages(
        this.options.docker,
        id,
        mine,
        snapshot.containers,
      );
    }
    this.reached(true);
    const operations = this.plan(desired, snapshot);
    this.errors.delete(id);
    this.updateStatus(id, install, desired, snapshot);
    if (operations.length === 0) {
      this.passes.delete(id);
      this.requests.delete(id);
      // Jobs wait for this: the engine matches the install as of this generation.
      this.emit('settled', {
        install: id,
        generation: install?.generation ?? 0,
        ...(install?.stage ? { stage: install.stage } : {}),
      });
      if (
        install?.desired === 'absent' ||
        (!install && snapshot.containers.length + snapshot.networks.length === 0)
      ) {
        this.finishRemoval(id, install);
      }
      return;
    }
    const pass = (this.passes.get(id) ?? 0) + 1;
    this.passes.set(id, pass);
    if (pass > (this.options.maxPasses ?? 8)) {
      this.passes.delete(id);
      throw new Error(
        `did not settle after ${pass - 1} passes; still to do:\n${planToString(operations)}`,
      );
    }
    if (desired.run === 'running') {
      mkdirSync(appDataDir(this.options.render, id), { recursive: true, mode: 0o750 });
      for (const folder of this.renders.get(id)?.folders ?? [])
        mkdirSync(folder, { recursive: true, mode: 0o755 });
    }
    this.options.log.info({ install: id, plan: planToString(operations) }, 'reconciling');
    await this.run(id, operations);
    this.requests.delete(id);
    this.queue.enqueue(id);
  }

  private async run(id: string, operations: ReturnType<typeof plan>): Promise<void> {
    try {
      await execute(operations, {
        docker: this.options.docker,
        waitTimeoutMs: this.options.waitTimeoutMs,
        report: (event: ExecutionEvent) => {
          this.emit('progress', { install: id, ...event });
          if (event.kind !== 'step' || event.phase !== 'done') return;
          const op = event.operation;
          if (op.kind === 'PullImage' || op.kind === 'BuildImage' || op.kind === 'RemoveImage')
            this.forgetImages();
          if (op.kind === 'RestartContainer') this.supervision.restarted(op.container);
          if (op.kind === 'RemoveContainer') this.supervision.forget(op.container);
        },
      });
    } catch (error) {
      if (error instanceof ConflictError) await this.checkConflict(id, error);
      throw error;
    }
  }

  /**
   * A name held by an object Foyer does not own cannot be fixed by retrying (issue 12 §2): the
   * job fails within seconds with who owns it and what to do. A name held by one of this
   * Foyer's own objects (a crash's leftover) is adopted by the next pass.
   */
  private async checkConflict(id: string, error: ConflictError): Promise<void> {
    const object = error.object;
    if (!object) return;
    const labels =
      object.kind === 'container'
        ? (await this.options.docker.inspectContainer(object.name))?.labels
        : (await this.options.docker.inspectLabels(object.kind, object.name))?.labels;
    // Gone since: the next pass creates it.
    if (labels === undefined) return;
    const message = conflictMessage(object, ownerOf(labels, this.options.render.instance), id);
    if (message) throw new TerminalError(message);
  }

  private finishRemoval(id: string, install: InstallRecord | undefined): void {
    if (install?.purge)
      rmSync(appDataDir(this.options.render, id), { recursive: true, force: true });
    if (install) this.options.installs.delete(id);
    this.renders.delete(id);
    this.errors.delete(id);
    // Said even when no status was ever derived (an install removed before its first pass), so
    // a job following the install ends rather than waiting forever (issue 11 §1).
    if (this.statuses.delete(id) || install)
      this.emit('status', { install: id, state: 'removed', services: [] });
  }

  /** Drops what Foyer knows of images; they are looked up again when a plan needs them. */
  private forgetImages(): void {
    this.images.clear();
    this.imagesVersion++;
  }

  private failed(id: string, error: unknown, retryInMs: number | undefined): void {
    if (error instanceof EngineUnreachableError) this.reached(false, error);
    // The pass limit catches plans that succeed yet never settle; failures have their backoff.
    this.passes.delete(id);
    // An image removed behind Foyer's back fails a create; look images up afresh.
    this.forgetImages();
    const message = (error as Error)?.message ?? String(error);
    const install = this.options.installs.get(id);
    const generation = this.passGenerations.get(id);
    // A pass of an older generation failed for good while a newer change came in: that change
    // may well fix it, so it is tried rather than reported (a job of the new generation would
    // otherwise fail on the old one's error).
    if (retryInMs === undefined && install && generation !== install.generation) {
      this.queue.enqueue(id);
      return;
    }
    this.errors.set(id, { message, terminal: retryInMs === undefined, generation });
    this.options.log.warn({ install: id, err: message, retryInMs }, 'reconcile failed');
    const status = this.statuses.get(id);
    this.setStatus({
      install: id,
      state: 'failed',
      terminal: retryInMs === undefined,
      reason:
        retryInMs === undefined
          ? message
          : `${message} (retrying in ${Math.round(retryInMs / 1000)} s)`,
      services: status?.services ?? [],
    });
    if (install && retryInMs === undefined) this.renders.delete(id);
  }

  private updateStatus(
    id: string,
    install: InstallRecord | undefined,
    desired: DesiredState | undefined,
    snapshot: Snapshot,
  ): void {
    if (!install && snapshot.containers.length === 0) return;
    this.setStatus(
      deriveStatus({
        install: id,
        run: install?.desired ?? 'absent',
        services: desired?.services,
        containers: snapshot.containers,
        error: this.errors.get(id),
        supervision: this.supervision,
      }),
    );
  }

  private setStatus(status: InstallStatus): void {
    const before = this.statuses.get(status.install);
    this.statuses.set(status.install, status);
    if (JSON.stringify(before) !== JSON.stringify(status)) this.emit('status', status);
  }

  private onEngineEvent(event: EngineEvent): void {
    const id =
      event.type === 'container' ? event.attributes['foyer.install'] : installOfObject(event);
    if (!id) return;
    // Networks and volumes are matched by name only: another Foyer's objects of the same name
    // cost one pass that finds nothing to do; objects of no install of ours cost nothing.
    if (event.type !== 'container' && !this.statuses.has(id) && !this.options.installs.get(id))
      return;
    if (event.type === 'container' && event.action === 'die') {
      this.supervision.died(
        event.attributes.name ?? event.id,
        Number(event.attributes.exitCode ?? -1),
      );
      // Docker 20.10 sends "die" before its container list shows the exit (the list reads a copy
      // updated after cleanup), so a pass started now may still see "running". An inspect waits
      // for the container's lock, held until that copy is updated: look again once it answers.
      void this.options.docker
        .inspectContainer(event.id)
        .catch(() => undefined)
        .then(() => this.queue.enqueue(id));
    }
    if (event.type === 'container' && event.action === 'stop') {
      this.supervision.stopped(event.attributes.name ?? event.id);
    }
    this.settle(id);
  }

  /**
   * Enqueues an install once its burst of events is over: a stop sends kill, die and stop
   * within milliseconds, and one pass after the last sees all of it (issue 12).
   */
  private settle(id: string): void {
    if (this.settling.has(id)) return;
    const timer = setTimeout(() => {
      this.settling.delete(id);
      this.queue.enqueue(id);
    }, SETTLE_MS);
    timer.unref();
    this.settling.set(id, timer);
  }
}

/** An install an update holds (stage `hold`), unless it is being removed: uninstall always wins. */
function isHeld(install: InstallRecord | undefined): boolean {
  return install?.stage === 'hold' && install.desired !== 'absent';
}

/** How long a burst of events for one install may last before it is looked at. */
const SETTLE_MS = 100;

/** The install a network or volume event is about: its name is `<install>_<key>`. */
function installOfObject(event: EngineEvent): string | undefined {
  const name = event.type === 'network' ? event.attributes.name : event.id;
  const owner = name?.split('_')[0];
  return owner && owner !== name ? owner : undefined;
}
