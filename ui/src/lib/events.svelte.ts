/**
 * Live state from the daemon's one event stream (`GET /api/events`, SSE):
 * every install with its status, jobs as they start and finish, and the
 * progress of each install's current job (plan steps, per-layer pulls, build
 * lines). One connection for the whole UI, reconnecting with backoff; screens
 * read `live` and never poll (issue: "no polling loops per component").
 *
 * The install list is read as the stream opens (statuses that arrive
 * first are laid over it), and again after a broken stream is back — the
 * daemon ends each connection's snapshot of statuses with `engine`.
 */
import { api } from './api.ts';
import type { BackupProgressEvent, Install, InstallStatus, Job, ProgressEvent } from './types.ts';

/** One layer of an image pull: Docker's status text and bytes so far. */
export interface LayerProgress {
  status: string;
  current?: number;
  total?: number;
}

/** What an install's current job is doing, as the progress events tell it. */
export interface InstallProgress {
  /** The job these events belong to (unknown for reconciler work no job asked for). */
  job?: string;
  step?: { index: number; total: number; kind: string; target?: string; done: boolean };
  /** The service whose image is being pulled or built. */
  imageService?: string;
  /** Overall pull text without a layer ("Pulling from library/debian", "Digest: …"). */
  pullStatus?: string;
  layers: Record<string, LayerProgress>;
  /** The last lines of a build. */
  buildLines: string[];
}

/** A backup, restore or verify job's progress: its current step and restic's last figures. */
export interface BackupProgress {
  /** The install being worked on now (a run of every install moves from one to the next). */
  install: string | null;
  /** The daemon's step text (`web → usb-disk`, `restoring snapshot 1a2b3c4d`). */
  step?: string;
  /** restic's figures of the current step, 0 to 1. */
  percent?: number;
  bytesDone?: number;
  totalBytes?: number;
  secondsRemaining?: number;
}

const BUILD_LINES = 6;

export const live = $state({
  /** The stream is open and its first snapshot arrived. */
  connected: false,
  /** The stream broke and is not back yet (a first connection still opening is not "lost"). */
  lost: false,
  /** The Docker engine answers (the daemon's `engine` event). */
  engineReachable: true,
  /** Installs by id, as `/api/installs` answers, their `status` kept live. */
  installs: {} as Record<string, Install>,
  /** False until the first install list arrived (screens show "loading" until then). */
  installsLoaded: false,
  /** Jobs seen since the page loaded, by id (started here or elsewhere). */
  jobs: {} as Record<string, Job>,
  /** Progress of each install's current work, by install id. */
  progress: {} as Record<string, InstallProgress>,
  /** Progress of backup, restore and verify jobs, by job id. */
  backups: {} as Record<string, BackupProgress>,
});

let source: EventSource | undefined;
let retryMs = 1000;
let retryTimer: ReturnType<typeof setTimeout> | undefined;
const fetching = new Set<string>();

/** Opens the stream (once signed in); calling it again while open does nothing. */
export function connectEvents(): void {
  if (source) return;
  clearTimeout(retryTimer);
  const stream = new EventSource('/api/events');
  source = stream;
  // The first list is read beside the stream opening, not after it: the home screen shows sooner.
  if (!live.installsLoaded) refreshInstalls().catch(() => undefined);
  stream.addEventListener('status', (e) => onStatus(parse(e)));
  stream.addEventListener('job', (e) => onJob(parse(e)));
  stream.addEventListener('progress', (e) => onProgress(parse(e)));
  stream.addEventListener('engine', (e) => onEngine(parse(e)));
  stream.onerror = () => {
    // EventSource retries by itself only on some failures (never after a 401): retry here.
    stream.close();
    if (source !== stream) return;
    source = undefined;
    live.connected = false;
    live.lost = true;
    retryTimer = setTimeout(connectEvents, retryMs);
    retryMs = Math.min(retryMs * 2, 30_000);
  };
}

/** Closes the stream (signed out) and forgets what it showed. */
export function disconnectEvents(): void {
  clearTimeout(retryTimer);
  source?.close();
  source = undefined;
  live.connected = false;
  live.lost = false;
  early.clear();
  live.installs = {};
  live.installsLoaded = false;
  live.jobs = {};
  live.progress = {};
  live.backups = {};
}

/** Statuses that arrived before the install list: laid over it when it lands. */
const early = new Map<string, InstallStatus>();

/** Reads the install list again (after a change this page made, to show it at once). */
export async function refreshInstalls(): Promise<void> {
  const list = await api.get<Install[]>('/installs');
  const installs = Object.fromEntries(list.map((i) => [i.id, i]));
  for (const [id, status] of early) {
    const install = installs[id];
    if (install) install.status = status;
  }
  early.clear();
  live.installs = installs;
  live.installsLoaded = true;
}

/** Records an install and job a change answered with (202), before their events arrive. */
export function trackJob(accepted: { install: Install; job: Job }): void {
  const status = live.installs[accepted.install.id]?.status;
  live.installs[accepted.install.id] = {
    ...accepted.install,
    status: status ?? accepted.install.status,
  };
  onJob(accepted.job);
}

/** Records a job a backup call answered with (202 `{ job }`), before its events arrive. */
export function trackBackupJob(job: Job): void {
  onJob(job);
}

function parse<T>(event: Event): T {
  return JSON.parse((event as MessageEvent<string>).data) as T;
}

function onStatus(status: InstallStatus & { install: string; state: string }): void {
  if (status.state === 'removed') {
    delete live.installs[status.install];
    delete live.progress[status.install];
    return;
  }
  const install = live.installs[status.install];
  if (install) install.status = status;
  else if (live.installsLoaded) void fetchInstall(status.install);
  else early.set(status.install, status);
}

/** An install the list did not have yet (made elsewhere): read it once. */
async function fetchInstall(id: string): Promise<void> {
  if (fetching.has(id)) return;
  fetching.add(id);
  try {
    const install = await api.get<Install>(`/installs/${encodeURIComponent(id)}`);
    live.installs[id] = install;
  } catch {
    // Gone again before it could be read: its removal event follows.
  } finally {
    fetching.delete(id);
  }
}

/** Jobs whose end changes what the install view says (its last verified restore). */
const BACKUP_KINDS = new Set(['backup', 'verify', 'restore']);

function onJob(job: Job): void {
  live.jobs[job.id] = job;
  if (job.installId && job.state === 'running') {
    const current = live.progress[job.installId];
    if (current?.job !== job.id) live.progress[job.installId] = emptyProgress(job.id);
  }
  if (job.state !== 'running' && BACKUP_KINDS.has(job.kind)) {
    refreshInstalls().catch(() => {
      // Read again at the next job's end or connection.
    });
  }
}

function emptyProgress(job?: string): InstallProgress {
  return { job, layers: {}, buildLines: [] };
}

function onProgress(event: ProgressEvent | BackupProgressEvent): void {
  if (event.kind === 'backup-step' || event.kind === 'backup') {
    onBackupProgress(event);
    return;
  }
  let progress = live.progress[event.install];
  if (!progress || (event.job !== undefined && progress.job !== event.job)) {
    progress = emptyProgress(event.job);
    live.progress[event.install] = progress;
  }
  if (event.kind === 'step') {
    const op = event.operation;
    // Layers and build lines belong to the step that pulls or builds.
    if (event.phase === 'start') {
      progress.layers = {};
      progress.pullStatus = undefined;
      progress.buildLines = [];
    }
    progress.step = {
      index: event.index,
      total: event.total,
      kind: op.kind,
      target: op.service ?? op.name,
      done: event.phase === 'done',
    };
    return;
  }
  progress.imageService = event.service;
  const p = event.progress;
  if (p.kind === 'build') {
    const line = p.line.trim();
    if (line) progress.buildLines = [...progress.buildLines.slice(1 - BUILD_LINES), line];
  } else if (p.layer) {
    progress.layers[p.layer] = { status: p.status, current: p.current, total: p.total };
  } else {
    progress.pullStatus = p.status;
  }
}

function onBackupProgress(event: BackupProgressEvent): void {
  const current = live.backups[event.job];
  const progress: BackupProgress = current ?? { install: event.install };
  progress.install = event.install;
  if (event.kind === 'backup-step') {
    // A new step: the figures of the one before no longer apply.
    progress.step = event.text;
    progress.percent = undefined;
    progress.bytesDone = undefined;
    progress.totalBytes = undefined;
    progress.secondsRemaining = undefined;
  } else {
    progress.percent = event.percent;
    progress.bytesDone = event.bytesDone;
    progress.totalBytes = event.totalBytes;
    progress.secondsRemaining = event.secondsRemaining;
  }
  if (!current) live.backups[event.job] = progress;
}

function onEngine(engine: { reachable: boolean }): void {
  live.engineReachable = engine.reachable;
  if (live.connected) return;
  // The first `engine` event ends the snapshot of a new connection. After a break, read the
  // list again: installs made or removed meanwhile show up or go.
  retryMs = 1000;
  live.connected = true;
  const reconnected = live.lost;
  live.lost = false;
  if (reconnected || !live.installsLoaded) {
    refreshInstalls().catch(() => {
      // Read again on the next connection.
    });
  }
}
