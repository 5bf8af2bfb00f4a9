/**
 * When the nightly backup runs (issue 15): once per day inside a window people choose
 * (02:00 for 4 hours by default, the box's local time), checked by a timer once a minute.
 * The decision is pure: given the time, the window and when the last scheduled run started,
 * is one due? A box that was off during the whole window simply waits for the next one.
 */
import { TIME_OF_DAY, windowStart } from '../schedule/window.js';
import { DEFAULT_RETENTION, type Retention } from './restic-args.js';

export interface BackupSchedule {
  enabled: boolean;
  /** Start of the window, `HH:MM`, local time. */
  window: string;
  /** Length of the window in hours (1 to 23). */
  hours: number;
  retention: Retention;
  /** Restore each install's new snapshot into a scratch install after each backup. */
  verifyAfterBackup: boolean;
  /** Days between periodic `restic check --read-data-subset` runs (0: never). */
  checkEveryDays: number;
  /** Into how many parts the check divides the data: each run reads the next one, `n/N`. */
  checkParts: number;
}

export const DEFAULT_SCHEDULE: BackupSchedule = {
  enabled: true,
  window: '02:00',
  hours: 4,
  retention: DEFAULT_RETENTION,
  verifyAfterBackup: true,
  checkEveryDays: 7,
  checkParts: 12,
};

export const WINDOW_PATTERN = TIME_OF_DAY;

/** The start of the window occurrence `now` falls in, or undefined when outside every window. */
export function currentWindow(now: Date, schedule: BackupSchedule): Date | undefined {
  return windowStart(now, schedule.window, schedule.hours * 3_600_000);
}

/** A scheduled run is due: enabled, inside the window, and none started in this window yet. */
export function isDue(now: Date, schedule: BackupSchedule, lastRun: Date | undefined): boolean {
  if (!schedule.enabled) return false;
  const start = currentWindow(now, schedule);
  if (!start) return false;
  return lastRun === undefined || lastRun.getTime() < start.getTime();
}

/**
 * A periodic check is due: checks enabled, inside the nightly window (so it reads the
 * targets when the backups do), and none for `checkEveryDays` (an hour's slack, so a weekly
 * check started at 02:00:30 is due again at 02:00 a week later).
 */
export function isCheckDue(
  now: Date,
  schedule: BackupSchedule,
  last: { at: Date } | undefined,
): boolean {
  if (!schedule.enabled || schedule.checkEveryDays <= 0) return false;
  if (!currentWindow(now, schedule)) return false;
  if (!last) return true;
  return now.getTime() - last.at.getTime() >= schedule.checkEveryDays * 86_400_000 - 3_600_000;
}

/** The part the next check reads: after part n of N, n+1 (and 1 after N), so all is read in turn. */
export function nextCheckPart(last: { part: number } | undefined, parts: number): number {
  if (!last || last.part < 1 || last.part >= parts) return 1;
  return last.part + 1;
}

/** restic's `--read-data-subset` value for part `n` of `parts`. */
export const checkSubset = (part: number, parts: number) => `${part}/${parts}`;

/** Problems of a schedule people send, path-qualified; empty when it is fine. */
export function scheduleProblems(schedule: BackupSchedule): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = [];
  if (!WINDOW_PATTERN.test(schedule.window))
    problems.push({ path: 'window', message: 'must be a time of day, HH:MM (24 h)' });
  if (!Number.isInteger(schedule.hours) || schedule.hours < 1 || schedule.hours > 23)
    problems.push({ path: 'hours', message: 'must be a whole number of hours, 1 to 23' });
  for (const key of ['daily', 'weekly', 'monthly'] as const) {
    const n = schedule.retention[key];
    if (!Number.isInteger(n) || n < 0 || n > 1000)
      problems.push({ path: `retention.${key}`, message: 'must be a whole number, 0 to 1000' });
  }
  if (
    !Number.isInteger(schedule.checkEveryDays) ||
    schedule.checkEveryDays < 0 ||
    schedule.checkEveryDays > 365
  )
    problems.push({ path: 'checkEveryDays', message: 'must be a whole number of days, 0 to 365' });
  if (
    !Number.isInteger(schedule.checkParts) ||
    schedule.checkParts < 1 ||
    schedule.checkParts > 1000
  )
    problems.push({ path: 'checkParts', message: 'must be a whole number, 1 to 1000' });
  if (schedule.retention.daily + schedule.retention.weekly + schedule.retention.monthly === 0)
    problems.push({ path: 'retention', message: 'must keep at least one snapshot' });
  return problems;
}
