/**
 * A running Foyer's presence on its engine (issue 12 §2): an empty volume
 * `foyer-presence-<instance>`, made again every few minutes so its creation
 * time is a lease, and removed at a clean stop. `foyer adopt` takes over the
 * objects of another Foyer only when its lease has run out: a Foyer lost with
 * its SD card stops renewing, a second Foyer that runs beside this one does
 * not. Two calls every five minutes; nothing at all between.
 */
import type { DockerAdapter } from '../docker/adapter.js';

/** How often the lease is renewed. */
export const PRESENCE_RENEW_MS = 5 * 60_000;
/** A lease older than this belongs to a Foyer that is gone (three renewals missed). */
export const PRESENCE_EXPIRES_MS = 3 * PRESENCE_RENEW_MS;

/** The presence volume of an instance. */
export function presenceVolume(instance: string): string {
  return `foyer-presence-${instance}`;
}

/** Keeps this instance's lease fresh until stop(). */
export class Presence {
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly docker: DockerAdapter,
    private readonly instance: string,
    private readonly log: { warn(obj: object, msg?: string): void },
  ) {}

  start(): void {
    void this.renew();
    this.timer = setInterval(() => void this.renew(), PRESENCE_RENEW_MS);
    this.timer.unref();
  }

  /** Stops renewing and removes the lease: a Foyer stopped on purpose is not running. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.docker.removeVolume(presenceVolume(this.instance)).catch(() => undefined);
  }

  private async renew(): Promise<void> {
    const name = presenceVolume(this.instance);
    try {
      // Removed and made again: a volume's creation time is the only clock the engine keeps.
      await this.docker.removeVolume(name);
      // No foyer.managed label: the lease is never taken for an install's volume.
      await this.docker.createVolume({ Name: name, Labels: { 'foyer.presence': this.instance } });
    } catch (error) {
      this.log.warn({ err: (error as Error).message }, 'presence lease not renewed');
    }
  }
}

/** Whether the Foyer `instance` renewed its lease recently, as the engine tells. */
export async function isPresent(
  docker: DockerAdapter,
  instance: string,
  now = Date.now(),
): Promise<boolean> {
  const lease = await docker.inspectLabels('volume', presenceVolume(instance));
  if (!lease?.createdAt) return false;
  return now - Date.parse(lease.createdAt) < PRESENCE_EXPIRES_MS;
}
