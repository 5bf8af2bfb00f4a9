/**
 * One long-lived subscription to the engine's events for Foyer's containers,
 * drained continuously (a slow reader loses events and slows dockerd for
 * everyone) and reopened with `since` after it ends, with capped backoff
 * while the engine is away. Events only tell the reconciler which install to
 * look at; the periodic resync repairs whatever was missed (the engine keeps
 * only 256 events for replay).
 */
import type { DockerAdapter, EngineEvent, EventSubscription } from '../docker/adapter.js';

interface Log {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export class EventWatch {
  private subscription?: EventSubscription;
  private lastTimeNano?: number;
  private retry?: NodeJS.Timeout;
  private failures = 0;
  private stopped = false;

  constructor(
    private readonly docker: DockerAdapter,
    private readonly onEvent: (event: EngineEvent) => void,
    private readonly log: Log,
    /** The label that selects this Foyer's containers. */
    private readonly mine = 'foyer.managed=true',
  ) {}

  /** Opens the subscription; it reopens by itself until stop(). */
  start(): void {
    this.stopped = false;
    this.open();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retry);
    this.subscription?.close();
    this.subscription = undefined;
  }

  private open(): void {
    if (this.stopped) return;
    this.subscription = this.docker.events(
      {
        ...(this.lastTimeNano !== undefined ? { since: this.lastTimeNano } : {}),
        filters: { type: ['container'], label: [this.mine] },
      },
      (event) => {
        this.failures = 0;
        this.lastTimeNano = event.timeNano;
        this.onEvent(event);
      },
      (error) => this.ended(error),
    );
  }

  private ended(error?: Error): void {
    this.subscription = undefined;
    if (this.stopped) return;
    this.failures++;
    const delay = Math.min(30_000, 250 * 2 ** Math.min(this.failures - 1, 7));
    if (this.failures === 1)
      this.log.warn({ err: error?.message }, 'engine event stream ended; reopening');
    this.retry = setTimeout(() => this.open(), delay);
    this.retry.unref();
  }
}
