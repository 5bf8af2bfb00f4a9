/**
 * The event hub: one stream of what changes in Foyer (install status, job
 * progress, engine reachability), fanned out to every server-sent event
 * client. Producers publish; the SSE route subscribes. Nothing is buffered
 * for a client that is gone.
 */
import { EventEmitter } from 'node:events';

export type HubEvent =
  | { type: 'status'; data: unknown }
  | { type: 'job'; data: unknown }
  | { type: 'progress'; data: unknown }
  | { type: 'engine'; data: { reachable: boolean } };

export class EventHub {
  private readonly emitter = new EventEmitter();

  constructor() {
    // Every SSE client is a listener; the default limit of 10 is for leaks, not for this.
    this.emitter.setMaxListeners(0);
  }

  publish(event: HubEvent): void {
    this.emitter.emit('event', event);
  }

  /** Calls `listener` for every event from now on; returns the unsubscribe function. */
  subscribe(listener: (event: HubEvent) => void): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }
}
