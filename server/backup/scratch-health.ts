/**
 * When a scratch install (a verification restore, issue 15) counts as healthy: every service
 * with a Compose health check `healthy`, every one-shot service exited 0, every other service
 * running — all of it holding for a moment, within the app's time limit. A failed health check,
 * a crash or a restart ends the wait at once: the restored data did not bring the app up.
 * Pure, so the rules are tested without an engine.
 */

export interface ScratchService {
  name: string;
  hasHealthcheck: boolean;
  oneShot: boolean;
}

/** What the engine says of one service's container (undefined: no container). */
export interface ScratchContainerState {
  running: boolean;
  status: string;
  exitCode: number;
  restartCount: number;
  health?: { status: string; lastOutput?: string };
}

export type ScratchVerdict =
  | { kind: 'healthy'; note: string }
  | { kind: 'waiting' }
  | { kind: 'failed'; note: string };

export interface ScratchHealthInput {
  services: ScratchService[];
  states: Record<string, ScratchContainerState | undefined>;
  now: number;
  deadline: number;
  /** Since when every service has been fine without a break, if it is now. */
  fineSince: number | undefined;
  stableMs: number;
}

/** Whether one service is fine now, failed for good, or still on its way. */
function serviceVerdict(
  s: ScratchService,
  c: ScratchContainerState | undefined,
): 'fine' | 'waiting' | string {
  if (!c) return 'waiting';
  if (s.oneShot && !c.running && c.status === 'exited')
    return c.exitCode === 0 ? 'fine' : `"${s.name}" exited with code ${c.exitCode}`;
  if (c.restartCount > 0 || c.status === 'restarting' || (!c.running && c.status === 'exited'))
    return `"${s.name}" crashed (exit code ${c.exitCode}, ${c.restartCount} restarts)`;
  if (s.hasHealthcheck) {
    const health = c.health?.status;
    if (health === 'unhealthy') {
      const output = c.health?.lastOutput?.trim();
      return `"${s.name}" is unhealthy${output ? `: ${output.slice(-300)}` : ''}`;
    }
    return health === 'healthy' ? 'fine' : 'waiting';
  }
  return c.running ? 'fine' : 'waiting';
}

/** The verdict on the whole scratch install now. */
export function judgeScratch(input: ScratchHealthInput): ScratchVerdict {
  const waiting: string[] = [];
  for (const s of input.services) {
    const verdict = serviceVerdict(s, input.states[s.name]);
    if (verdict === 'waiting') waiting.push(s.name);
    else if (verdict !== 'fine') return { kind: 'failed', note: verdict };
  }
  if (
    waiting.length === 0 &&
    input.fineSince !== undefined &&
    input.now - input.fineSince >= input.stableMs
  ) {
    const checked = input.services.filter((s) => s.hasHealthcheck).length;
    return {
      kind: 'healthy',
      note:
        `restored into a scratch install: ${input.services.length} service(s) up` +
        (checked > 0 ? `, ${checked} health check(s) passing` : ''),
    };
  }
  if (input.now >= input.deadline) {
    const what = waiting.length > 0 ? `waiting for ${waiting.join(', ')}` : 'not stable';
    return { kind: 'failed', note: `not healthy within the app's time limit (${what})` };
  }
  return { kind: 'waiting' };
}

/** Whether every service is fine now (to know since when), ignoring the stability wait. */
export function allFine(
  services: ScratchService[],
  states: Record<string, ScratchContainerState | undefined>,
): boolean {
  return services.every((s) => serviceVerdict(s, states[s.name]) === 'fine');
}
