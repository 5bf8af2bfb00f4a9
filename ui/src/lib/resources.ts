/**
 * The app page's resource chart (issue 12 §4): the daemon's hour of one
 * point a minute, with the live samples of its stream added by the same
 * rule, and the points of an SVG sparkline. Pure, so it is unit-tested.
 */
import type { ResourcePoint } from './types.ts';

/** A minute between history points, as the daemon keeps them (server/resources/history.ts). */
export const STEP_MS = 60_000;
const HOUR_MS = 60 * STEP_MS;

/** The history with a live sample: kept when a minute after the last point, the hour trimmed. */
export function withSample(history: ResourcePoint[], point: ResourcePoint): ResourcePoint[] {
  const at = Date.parse(point.at);
  const last = history.at(-1);
  if (last && at - Date.parse(last.at) < STEP_MS) return history;
  return [...history, point].filter((p) => Date.parse(p.at) > at - HOUR_MS);
}

/**
 * `points` of an SVG polyline for `values` in a `width`×`height` box: time runs left to right
 * over the hour ending at `now`, the value from the bottom up to `max` (or the largest value).
 */
export function sparkline(
  samples: { at: number; value: number }[],
  { width, height, now, max }: { width: number; height: number; now: number; max?: number },
): string {
  const top = Math.max(max ?? 0, ...samples.map((s) => s.value), 1e-9);
  const x = (at: number) => Math.max(0, Math.min(width, width - ((now - at) / HOUR_MS) * width));
  const y = (value: number) => height - (Math.max(0, value) / top) * height;
  return samples.map((s) => `${x(s.at).toFixed(1)},${y(s.value).toFixed(1)}`).join(' ');
}
