/**
 * Keeps the edge's Caddy running the config desired state gives (issue 13), level-triggered
 * like the reconciler: on every resync and on every change of the installs or the domain it
 * computes the config, reads Caddy's (`GET /config/`) and loads the new one only when they
 * differ, so a steady state makes no write, and a Caddy that lost its config (killed,
 * recreated) has it again within one resync. A config Caddy refuses is kept as the error (with
 * Caddy's words) and not pushed again until desired state changes; Caddy keeps serving the
 * previous one.
 */
import { type CaddyAdmin, CaddyError } from './admin-client.js';

export interface EdgeSyncState {
  /** `off`: no domain; `waiting`: the edge does not answer yet; `synced`; `failed`. */
  state: 'off' | 'waiting' | 'synced' | 'failed';
  error?: string;
  /** When Caddy last accepted a config from Foyer, and how long the push took. */
  lastPushAt?: string;
  lastPushMs?: number;
}

export interface EdgeSyncOptions {
  admin: CaddyAdmin;
  /** The config desired state gives now; undefined while no domain is set. */
  desired(): Record<string, unknown> | undefined;
  /** Runs before a push (writes files the config names, such as the ACME root). */
  beforePush?(): void;
  /** Full resync period (default 30 s, as the reconciler's). */
  resyncMs?: number;
  log: { info(o: object, m?: string): void; warn(o: object, m?: string): void };
  now?: () => Date;
}

/** JSON with every object's keys sorted: Caddy gives its config back in its own key order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as object).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
}

export class EdgeSync {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private again = false;
  private rejected?: string;
  private current: EdgeSyncState = { state: 'off' };
  private readonly listeners = new Set<(state: EdgeSyncState) => void>();

  constructor(private readonly options: EdgeSyncOptions) {}

  start(): void {
    this.trigger();
    this.timer = setInterval(() => this.trigger(), this.options.resyncMs ?? 30_000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  get status(): EdgeSyncState {
    return this.current;
  }

  /** Called with every new state. */
  onChange(listener: (state: EdgeSyncState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Something changed (or a resync is due): one sync runs now, or after the one under way. */
  trigger(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          await this.syncOnce();
        } while (this.again);
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  private set(state: EdgeSyncState): void {
    const before = JSON.stringify(this.current);
    this.current = state;
    if (before !== JSON.stringify(state)) for (const l of this.listeners) l(state);
  }

  /** One level-triggered pass: read, compare, load only on a difference. */
  private async syncOnce(): Promise<void> {
    const want = this.options.desired();
    if (!want) return this.set({ state: 'off' });
    const wanted = canonicalJson(want);
    let running: unknown;
    try {
      running = await this.options.admin.getConfig();
    } catch (error) {
      // The container is starting or being recreated: the next trigger or resync pushes.
      return this.set({
        ...this.current,
        state: 'waiting',
        error: `the edge does not answer yet: ${(error as Error).message}`,
      });
    }
    if (canonicalJson(running) === wanted) {
      this.rejected = undefined;
      const { error: _error, ...rest } = this.current;
      return this.set({ ...rest, state: 'synced' });
    }
    // Refused before and nothing changed since: pushing it again would be refused again.
    if (this.rejected === wanted) return;
    this.options.beforePush?.();
    const started = performance.now();
    try {
      await this.options.admin.load(want);
    } catch (error) {
      if (!(error instanceof CaddyError)) {
        return this.set({ ...this.current, state: 'waiting', error: (error as Error).message });
      }
      this.rejected = wanted;
      this.options.log.warn(
        { err: error.message },
        'the edge refused its config; it keeps the previous one',
      );
      return this.set({
        ...this.current,
        state: 'failed',
        error: `Caddy refused the config (the previous one keeps serving): ${error.message}`,
      });
    }
    const ms = Math.round((performance.now() - started) * 10) / 10;
    this.rejected = undefined;
    this.options.log.info({ ms }, 'edge config loaded');
    this.set({
      state: 'synced',
      lastPushAt: (this.options.now ?? (() => new Date()))().toISOString(),
      lastPushMs: ms,
    });
  }
}
