/**
 * The update's phase machine (issue 15), pure so it is unit-tested: which
 * phase follows which, what the reconciler may do to the install in each, and
 * whether the new (or the restored old) version counts as healthy.
 *
 * preparing ─▶ pulling ─▶ snapshotting ─▶ recreating ─▶ checking ─▶ succeeded
 *     └────────────┴────────────┴──────────────┴────────────┴──▶ restoring ─▶ reverting ─▶ rolled-back
 *
 * Every phase is stored before its work starts and its work is idempotent, so
 * a daemon killed at any instant re-enters the stored phase at its next start
 * and converges: it finishes the rollback, or keeps the new version if it is
 * healthy within the deadline stored when recreating began.
 */
import type { InstallStatus } from '../reconcile/status.js';
import type { UpdatePhase } from '../store/updates.js';

/** What one phase's work came to. */
export type Outcome = { kind: 'done' } | { kind: 'failed'; reason: string };

/** The phase after `phase`, given how its work ended. */
export function nextPhase(phase: UpdatePhase, outcome: Outcome['kind']): UpdatePhase {
  const ok = outcome === 'done';
  switch (phase) {
    case 'preparing':
      return ok ? 'pulling' : 'restoring';
    case 'pulling':
      return ok ? 'snapshotting' : 'restoring';
    case 'snapshotting':
      return ok ? 'recreating' : 'restoring';
    case 'recreating':
      return ok ? 'checking' : 'restoring';
    case 'checking':
      return ok ? 'succeeded' : 'restoring';
    case 'restoring':
      // The old pin and data could not be put back: a person must look (the snapshot stays).
      return ok ? 'reverting' : 'failed';
    case 'reverting':
      return ok ? 'rolled-back' : 'failed';
    default:
      return phase;
  }
}

/**
 * What the reconciler may do to the install while an update is in `phase`: nothing (`hold`,
 * the update stops, copies or restores its volumes itself), fetch images only, or everything.
 */
export function stageOf(phase: UpdatePhase | undefined): 'hold' | 'images' | undefined {
  switch (phase) {
    case 'preparing':
    case 'snapshotting':
    case 'restoring':
      return 'hold';
    case 'pulling':
      return 'images';
    default:
      return undefined;
  }
}

export type HealthVerdict =
  | { kind: 'healthy' }
  | { kind: 'waiting' }
  | { kind: 'failed'; reason: string };

export interface HealthInput {
  /** A reconcile pass of the update's generation found nothing left to do. */
  settled: boolean;
  status: InstallStatus | undefined;
  /** When the status was first seen `running` without a break since (ms), if it is. */
  runningSince: number | undefined;
  /** A service's failed health check seen since the first settled pass (supervision may restart it). */
  unhealthy?: string;
  now: number;
  deadline: number;
  /** How long `running` must hold (services without a health check could still crash). */
  stableMs: number;
}

/**
 * Whether every service is healthy (or running, without a health check) for long enough. A
 * failed health check, a crash loop or a failure retrying cannot fix ends the wait at once;
 * otherwise it lasts until the deadline.
 */
export function judgeHealth(input: HealthInput): HealthVerdict {
  const { status, settled } = input;
  if (status?.state === 'failed' && status.terminal)
    return { kind: 'failed', reason: status.reason ?? 'the reconciler gave up' };
  // Only after a pass of this generation: until then the status may still be the old
  // containers' (a rollback's old version reuses the failed one's container names).
  if (settled && status?.state === 'crash-looping')
    return { kind: 'failed', reason: status.reason ?? 'crash-looping' };
  if (settled && input.unhealthy) return { kind: 'failed', reason: input.unhealthy };
  if (
    settled &&
    status?.state === 'running' &&
    input.runningSince !== undefined &&
    input.now - input.runningSince >= input.stableMs
  )
    return { kind: 'healthy' };
  if (input.now >= input.deadline) {
    const why = status?.reason ?? status?.state ?? 'no status yet';
    return { kind: 'failed', reason: `not healthy within the time limit (${why})` };
  }
  return { kind: 'waiting' };
}

/** The first service whose health check fails in `status`, named for people. */
export function unhealthyService(status: InstallStatus | undefined): string | undefined {
  const service = status?.services.find((s) => s.state === 'unhealthy');
  return service && `${service.name}: ${service.reason ?? 'its health check fails'}`;
}

/** The rollback tag that keeps an image while an update runs: `<repository>:foyer-rollback-<install>`. */
export function rollbackTag(reference: string, install: string): string {
  return `${repositoryOf(reference)}:foyer-rollback-${install}`;
}

/** A reference without its tag or digest (`127.0.0.1:5000/app:1` → `127.0.0.1:5000/app`). */
export function repositoryOf(reference: string): string {
  const at = reference.indexOf('@');
  const name = at === -1 ? reference : reference.slice(0, at);
  // A colon after the last slash separates the tag; one before it is a registry's port.
  const colon = name.lastIndexOf(':');
  return colon > name.lastIndexOf('/') ? name.slice(0, colon) : name;
}
