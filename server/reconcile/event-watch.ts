/**
 * One long-lived subscription to the engine's events, drained continuously (a slow reader loses events and slows dockerd for
 * everyone) and reopened with `since` after it ends, with capped backoff
 * while the engine is away. Events only tell the reconciler which install to
 * look at; the periodic resync repairs whatever was missed (the engine keeps
 * only 256 events for replay).
 *
 * Only the actions that can change what Foyer decides are asked for (issue
 * 12): a health check's `exec_create`/`exec_start`/`exec_die` every second
 * never reach the daemon, so an idle box makes no Docker calls but its
 * periodic resync.
 */
import type { DockerAdapter, EngineEvent, EventSubscription } from '../docker/adapter.js';

/** Container actions that can change a plan or a status; never exec events. */
export const CONTAINER_ACTIONS = [
  'create',
  'start',
  'die',
  'stop',
  'kill',
  'oom',
  'destroy',
  'rename',
  // The engine matches "health_status" against "health_status: healthy" and the like.
  'health_status',
  'pause',
  'unpause',
] as const;

/** Network and volume actions that can change a plan (volumes' mount/unmount cannot). */
export const OBJECT_ACTIONS = ['create', 'destroy', 'connect', 'disconnect'] as const;

/** The subscriptions the reconciler keeps: its containers by label; networks and volumes by action. */
export function eventFilters(mine: string): Record<string, string[]>[] {
  return [
    { type: ['container'], label: [mine], event: [...CONTAINER_ACTIONS] },
    // Network and volume events carry no labels to filter on: they are told apart by name.
    { type: ['network', 'volume'], event: [...OBJECT_ACTIONS] },
  ];
}

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
    /** Engine API event filters, e.g. one of `eventFilters(…)`. */
    private readonly filters: Record<string, string[]>,
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
        filters: this.filters,
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
