/**
 * A work queue keyed by install id (controller-runtime's workqueue, small):
 * an id is queued at most once; an id enqueued while it is being worked on is
 * worked on again afterwards (level-triggered: the worker re-reads
 * everything); a failure retries with capped exponential backoff and jitter;
 * a terminal failure waits until something enqueues the id again.
 */

/** An error retrying cannot fix (an invalid catalogue entry, a refused permission). */
export class TerminalError extends Error {
  override name = 'TerminalError';
}

export interface QueueOptions {
  /** Works on one id; throwing schedules a retry unless the error is terminal. */
  work: (id: string) => Promise<void>;
  /** Called after each failure with the delay chosen (undefined for terminal errors). */
  onError?: (id: string, error: unknown, retryInMs: number | undefined) => void;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** How many ids are worked on at once. */
  concurrency?: number;
  random?: () => number;
}

/** Backoff before retry number `attempt` (1-based): base·2^(attempt-1), capped, jittered ×[0.5, 1.5). */
export function backoffDelay(
  attempt: number,
  base: number,
  max: number,
  random: () => number,
): number {
  const capped = Math.min(max, base * 2 ** Math.max(0, attempt - 1));
  return Math.round(capped * (0.5 + random()));
}

export class WorkQueue {
  private readonly queued = new Set<string>();
  private readonly active = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly waiters: (() => void)[] = [];
  private stopped = false;

  constructor(private readonly options: QueueOptions) {}

  /**
   * Asks for `id` to be worked on; cancels a pending retry, since a change is
   * fresher news. `retryFirst` (a periodic resync, which brings no news) leaves
   * a pending retry to its backoff instead.
   */
  enqueue(id: string, options: { retryFirst?: boolean } = {}): void {
    if (this.stopped) return;
    const timer = this.timers.get(id);
    if (timer && options.retryFirst) return;
    if (timer) {
      clearTimeout(timer);
      this.timers.delete(id);
    }
    if (this.active.has(id)) {
      this.dirty.add(id);
      return;
    }
    this.queued.add(id);
    this.pump();
  }

  /** Whether `id` is being worked on right now. */
  isActive(id: string): boolean {
    return this.active.has(id);
  }

  /** Resolves when nothing is queued, active or waiting for a retry. */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Stops taking work and cancels retries; active work finishes on its own. */
  stop(): void {
    this.stopped = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.queued.clear();
  }

  private isIdle(): boolean {
    return this.queued.size === 0 && this.active.size === 0 && this.timers.size === 0;
  }

  private pump(): void {
    const concurrency = this.options.concurrency ?? 2;
    // Once stopped, an id enqueued during its own pass (`dirty`) waits for the next start.
    if (this.stopped) this.queued.clear();
    for (const id of this.queued) {
      if (this.active.size >= concurrency) break;
      this.queued.delete(id);
      this.active.add(id);
      void this.run(id);
    }
    if (this.isIdle()) for (const resolve of this.waiters.splice(0)) resolve();
  }

  private async run(id: string): Promise<void> {
    try {
      await this.options.work(id);
      this.failures.delete(id);
    } catch (error) {
      this.fail(id, error);
    } finally {
      this.active.delete(id);
      if (this.dirty.delete(id)) this.queued.add(id);
      this.pump();
    }
  }

  private fail(id: string, error: unknown): void {
    if (error instanceof TerminalError || this.stopped) {
      this.failures.delete(id);
      this.options.onError?.(id, error, undefined);
      return;
    }
    const attempt = (this.failures.get(id) ?? 0) + 1;
    this.failures.set(id, attempt);
    const delay = backoffDelay(
      attempt,
      this.options.baseDelayMs ?? 500,
      this.options.maxDelayMs ?? 60_000,
      this.options.random ?? Math.random,
    );
    this.options.onError?.(id, error, delay);
    // A change that arrives while this one was failing is fresher than the retry.
    if (this.dirty.has(id)) return;
    this.timers.set(
      id,
      setTimeout(() => {
        this.timers.delete(id);
        this.enqueue(id);
      }, delay).unref(),
    );
  }
}
