/**
 * Status of an install and its services, derived from what the engine shows
 * now (never only from a job finishing: a crash would leave that stale —
 * the runtipi lesson in STYLE.md), what Foyer wants, the last error and the
 * supervision log.
 */
import type { ContainerSummary, PublishedPort } from '../docker/adapter.js';
import { exitCode } from './plan.js';
import type { SupervisionLog } from './supervision.js';
import type { DesiredRun, DesiredService } from './types.js';

export type InstallState =
  | 'installing'
  | 'starting'
  | 'running'
  | 'degraded'
  | 'crash-looping'
  | 'stopping'
  | 'stopped'
  | 'removing'
  | 'failed';

export type ServiceState =
  | 'missing'
  | 'created'
  | 'starting'
  | 'running'
  | 'unhealthy'
  | 'restarting'
  | 'crash-looping'
  | 'completed'
  | 'exited';

export interface ServiceStatus {
  name: string;
  state: ServiceState;
  health?: string;
  /** Deaths seen in the crash window. */
  restarts: number;
  /** Restarts Foyer made because of a failed health check, in the restart window. */
  healthRestarts: number;
  exitCode?: number;
  reason?: string;
  /** Ports its container publishes on the host (the web UI links the app's web entry). */
  ports?: PublishedPort[];
}

export interface InstallStatus {
  install: string;
  state: InstallState;
  reason?: string;
  /** Set on a failure retrying cannot fix, until the install changes. */
  terminal?: boolean;
  services: ServiceStatus[];
}

export interface StatusInput {
  install: string;
  run: DesiredRun;
  /** Undefined when the install could not be rendered. */
  services?: DesiredService[];
  containers: ContainerSummary[];
  error?: { message: string; terminal: boolean };
  supervision: SupervisionLog;
}

function serviceStatus(
  s: DesiredService,
  c: ContainerSummary | undefined,
  log: SupervisionLog,
): ServiceStatus {
  const base = { name: s.name, restarts: 0, healthRestarts: 0 };
  if (!c) return { ...base, state: 'missing', reason: 'no container yet' };
  const restarts = log.recentDeaths(c.name).length;
  const healthRestarts = log.recentRestarts(c.name).length;
  const out: ServiceStatus = {
    ...base,
    state: 'running',
    restarts,
    healthRestarts,
    ...(c.health ? { health: c.health } : {}),
    ...(c.ports ? { ports: c.ports } : {}),
  };
  const code = exitCode(c);
  if (code !== undefined) out.exitCode = code;
  if (log.crashLooping(c.name)) {
    const last = log.recentDeaths(c.name).at(-1);
    return {
      ...out,
      state: 'crash-looping',
      reason: `exited ${restarts} times in the last minute (last exit code ${last?.exitCode})`,
    };
  }
  if (c.state === 'restarting')
    return { ...out, state: 'restarting', reason: 'restarting after it exited' };
  if (c.state === 'created')
    return { ...out, state: 'created', reason: 'created, not started yet' };
  if (c.state === 'exited' || c.state === 'dead') {
    if (s.oneShot && code === 0) return { ...out, state: 'completed' };
    return { ...out, state: 'exited', reason: `exited with code ${code ?? '?'}` };
  }
  if (c.health === 'unhealthy') {
    const gaveUp = healthRestarts > 0 ? `; Foyer restarted it ${healthRestarts} times` : '';
    return { ...out, state: 'unhealthy', reason: `its health check fails${gaveUp}` };
  }
  if (c.health === 'starting')
    return { ...out, state: 'starting', reason: 'health check not passed yet' };
  return { ...out, state: 'running' };
}

function summarise(
  run: DesiredRun,
  services: ServiceStatus[],
  error: StatusInput['error'],
): { state: InstallState; reason?: string; terminal?: boolean } {
  const first = (state: ServiceState) => services.find((s) => s.state === state);
  const named = (s: ServiceStatus) => `${s.name}: ${s.reason ?? s.state}`;
  if (error?.terminal) return { state: 'failed', reason: error.message, terminal: true };
  if (run === 'stopped') {
    const up = services.filter((s) =>
      ['running', 'starting', 'unhealthy', 'restarting'].includes(s.state),
    );
    return up.length > 0 ? { state: 'stopping' } : { state: 'stopped' };
  }
  const looping = first('crash-looping');
  if (looping) return { state: 'crash-looping', reason: named(looping) };
  if (first('missing')) {
    return error
      ? { state: 'failed', reason: `${error.message} (retrying)` }
      : { state: 'installing' };
  }
  const broken = first('unhealthy') ?? first('exited') ?? first('restarting');
  if (broken) return { state: 'degraded', reason: named(broken) };
  const waiting = first('created') ?? first('starting');
  if (waiting) return { state: 'starting', reason: named(waiting) };
  if (error) return { state: 'degraded', reason: `${error.message} (retrying)` };
  return { state: 'running' };
}

/** The status of one install. */
export function deriveStatus(input: StatusInput): InstallStatus {
  const { install, run, containers, error, supervision } = input;
  if (run === 'absent') {
    return { install, state: 'removing', services: [] };
  }
  if (!input.services) {
    return {
      install,
      state: 'failed',
      reason: error?.message ?? 'cannot be rendered',
      terminal: true,
      services: [],
    };
  }
  const services = input.services.map((s) =>
    serviceStatus(
      s,
      containers.find((c) => c.name === s.containerName),
      supervision,
    ),
  );
  return { install, ...summarise(run, services, error), services };
}
