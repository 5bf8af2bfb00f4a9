/**
 * Daily windows in the box's local time, shared by the nightly backup and automatic updates
 * (issue 15): a window starts at `HH:MM` and lasts a number of milliseconds, possibly past
 * midnight. Pure: the caller hands in the time.
 */

/** A time of day, `HH:MM` (24 h). */
export const TIME_OF_DAY = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** A range of the day, `HH:MM-HH:MM`; the end may be past midnight (`23:00-01:00`). */
export const TIME_RANGE = /^(([01]\d|2[0-3]):[0-5]\d)-(([01]\d|2[0-3]):[0-5]\d)$/;

const DAY_MS = 86_400_000;

/** The start of the window occurrence `now` falls in, or undefined when outside every one. */
export function windowStart(now: Date, start: string, lengthMs: number): Date | undefined {
  const match = TIME_OF_DAY.exec(start);
  if (!match) return undefined;
  // Today's start, and yesterday's for a window that wraps past midnight.
  for (const daysBack of [0, 1]) {
    const at = new Date(now);
    at.setDate(at.getDate() - daysBack);
    at.setHours(Number(match[1]), Number(match[2]), 0, 0);
    const t = now.getTime() - at.getTime();
    if (t >= 0 && t < lengthMs) return at;
  }
  return undefined;
}

/** `HH:MM-HH:MM` as a start and a length; undefined when malformed or empty (start = end). */
export function parseTimeRange(range: string): { start: string; lengthMs: number } | undefined {
  const match = TIME_RANGE.exec(range);
  if (!match) return undefined;
  const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3));
  const length = (minutes(match[3] as string) - minutes(match[1] as string) + 1440) % 1440;
  if (length === 0) return undefined;
  return { start: match[1] as string, lengthMs: (length * DAY_MS) / 1440 };
}
