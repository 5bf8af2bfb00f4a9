/**
 * Supervision memory: when containers died and when Foyer restarted an
 * unhealthy one. Docker restarts crashed containers by their restart policy
 * but never restarts on a failed health check, so Foyer does that itself,
 * at most `maxRestarts` times per window, and then reports the install
 * degraded instead of restarting forever.
 */
export interface SupervisionLimits {
  /** Deaths within `crashWindowMs` that make a crash loop. */
  crashLoopDeaths: number;
  crashWindowMs: number;
  /** Unhealthy restarts Foyer makes per container within `restartWindowMs`. */
  maxRestarts: number;
  restartWindowMs: number;
}

export const DEFAULT_LIMITS: SupervisionLimits = {
  crashLoopDeaths: 3,
  crashWindowMs: 60_000,
  maxRestarts: 3,
  restartWindowMs: 10 * 60_000,
};

export class SupervisionLog {
  private readonly deaths = new Map<string, { at: number; exitCode: number }[]>();
  private readonly restarts = new Map<string, number[]>();

  constructor(
    private readonly limits: SupervisionLimits = DEFAULT_LIMITS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records a `die` event of a container. */
  died(container: string, exitCode: number): void {
    this.deaths.set(container, [...this.recentDeaths(container), { at: this.now(), exitCode }]);
  }

  /**
   * Records a `stop` event: the engine sends one after the `die` of a container someone
   * stopped or restarted (Foyer, a person, `docker restart`), never after a crash, so that
   * death was asked for and is not counted against the container.
   */
  stopped(container: string): void {
    const deaths = this.deaths.get(container);
    if (deaths && deaths.length > 0) this.deaths.set(container, deaths.slice(0, -1));
  }

  /** Records that Foyer restarted an unhealthy container. */
  restarted(container: string): void {
    this.restarts.set(container, [...this.recentRestarts(container), this.now()]);
  }

  recentDeaths(container: string): { at: number; exitCode: number }[] {
    const since = this.now() - this.limits.crashWindowMs;
    return (this.deaths.get(container) ?? []).filter((d) => d.at >= since);
  }

  recentRestarts(container: string): number[] {
    const since = this.now() - this.limits.restartWindowMs;
    return (this.restarts.get(container) ?? []).filter((t) => t >= since);
  }

  /** True when the container died often enough lately to call it a crash loop. */
  crashLooping(container: string): boolean {
    return this.recentDeaths(container).length >= this.limits.crashLoopDeaths;
  }

  /** True while Foyer may still restart this unhealthy container. */
  mayRestart(container: string): boolean {
    return this.recentRestarts(container).length < this.limits.maxRestarts;
  }

  /** Forgets a container that is gone, so a recreated one starts with a clean slate. */
  forget(container: string): void {
    this.deaths.delete(container);
    this.restarts.delete(container);
  }
}
