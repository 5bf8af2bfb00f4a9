/**
 * The last hour of an install's CPU and memory (issue 12 §4): a ring of at
 * most one point a minute, kept in memory only. Samples taken more often
 * (while someone watches) update the current figures but never crowd the
 * history, so an hour is always about sixty points whoever looks.
 */

/** One sample of an install: its containers' CPU and memory together. */
export interface ResourcePoint {
  /** Milliseconds since the epoch. */
  at: number;
  /** Percent of one CPU core since the previous reading (200 is two cores busy); null on a first reading. */
  cpuPercent: number | null;
  memoryBytes: number;
}

/** One point a minute, for an hour. */
export const HISTORY_STEP_MS = 60_000;
export const HISTORY_POINTS = 60;

export class ResourceHistory {
  private readonly points: ResourcePoint[] = [];

  constructor(
    private readonly stepMs = HISTORY_STEP_MS,
    private readonly size = HISTORY_POINTS,
  ) {}

  /** True when a point is due at `now`: none yet, or the last is a step old. */
  due(now: number): boolean {
    const last = this.points.at(-1);
    return last === undefined || now - last.at >= this.stepMs;
  }

  /** Keeps `point` when one is due (returns whether it was kept); drops what is over an hour old. */
  add(point: ResourcePoint): boolean {
    if (!this.due(point.at)) return false;
    this.points.push(point);
    while (this.points.length > this.size) this.points.shift();
    return true;
  }

  /** The points of the last hour before `now`, oldest first. */
  list(now: number): ResourcePoint[] {
    const since = now - this.stepMs * this.size;
    return this.points.filter((p) => p.at > since);
  }
}
