/**
 * The time "3 minutes ago" is counted from, as reactive state: one timer for
 * the whole UI moves it every 10 s, so relative times on screen stay true
 * without each list keeping a timer of its own, and every row of a list is
 * counted from the same instant (rows re-rendered at different times would
 * otherwise disagree about which came first).
 */
import { formatAgo } from './format.ts';

export const clock = $state({ now: Date.now() });

setInterval(() => {
  clock.now = Date.now();
}, 10_000);

/**
 * How long before the clock `iso` was, never in the future: a time made since the last tick,
 * or by a server whose clock is ahead of this device's, is "now", not "in 8 seconds".
 */
export function sinceNow(iso: string): string {
  return formatAgo(iso, Math.max(clock.now, Date.parse(iso) || 0));
}
