/**
 * Keeps slapd in step with the store (issue 14), the reconciler's way:
 * level-triggered (each run reads the whole directory and the whole tree,
 * so a missed nudge or a slapd that lost its data is made good by the next
 * run), idempotent (a run with nothing to change writes nothing), and
 * coalescing (nudges during a run cause one more run, not one each).
 *
 * slapd is on an internal Docker network with no host port; the daemon
 * reaches it on its ldapi unix socket, bind-mounted from the install's data
 * folder. ldapts 8 knows only ldap:// and ldaps:// URLs, so the socket is
 * opened through its `createConnection` hook.
 */
import { connect } from 'node:net';
// ldapts is loaded at the first sync, so a box without members never holds it (the daemon's
// idle memory, issue 12 §5).
import type { Client, Entry as LdapEntry } from 'ldapts';
import {
  ADMIN_DN,
  BASE_DN,
  type Change,
  desiredEntries,
  diff,
  type Entry,
  MANAGED_ATTRIBUTES,
} from './entries.js';
import type { DirectorySnapshot } from './members.js';

export interface SyncOptions {
  /** The ldapi socket's path on the host. */
  socketPath: string;
  snapshot: () => DirectorySnapshot;
  /** The admin secret; undefined while the directory is not installed. */
  adminSecret: () => string | undefined;
  log?: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
  /** A full run this often even without nudges (ms); default 60 s. */
  resyncMs?: number;
}

export interface SyncResult {
  adds: number;
  modifies: number;
  deletes: number;
}

/** An ldapts client on the ldapi socket. */
export async function socketClient(socketPath: string): Promise<Client> {
  const { Client } = await import('ldapts');
  return new Client({
    url: 'ldap://directory',
    timeout: 10_000,
    connectTimeout: 3_000,
    createConnection: (() => connect(socketPath)) as unknown as typeof connect,
  });
}

/** Every entry under the base DN, with the attributes Foyer manages. */
export async function observe(client: Client): Promise<Entry[]> {
  try {
    const { searchEntries } = await client.search(BASE_DN, {
      scope: 'sub',
      attributes: [...MANAGED_ATTRIBUTES],
      paged: { pageSize: 500 },
    });
    return searchEntries.map(toEntry);
  } catch (error) {
    // 32: no such object, an empty database (a fresh or wiped slapd).
    if ((error as { code?: number }).code === 32) return [];
    throw error;
  }
}

function toEntry(found: LdapEntry): Entry {
  const attributes: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(found)) {
    if (name === 'dn') continue;
    const values = (Array.isArray(value) ? value : [value]).map((v) =>
      Buffer.isBuffer(v) ? v.toString('utf8') : String(v),
    );
    attributes[name] = values;
  }
  return { dn: found.dn, attributes };
}

/** Applies changes in order; an add of an entry that exists (a race) is retried as a modify. */
export async function apply(client: Client, changes: Change[]): Promise<void> {
  const { Attribute, Change: LdapChange } = await import('ldapts');
  for (const change of changes) {
    if (change.kind === 'add') {
      await client.add(change.entry.dn, change.entry.attributes);
    } else if (change.kind === 'delete') {
      await client.del(change.dn);
    } else {
      await client.modify(
        change.dn,
        Object.entries(change.replace).map(
          ([type, values]) =>
            new LdapChange({ operation: 'replace', modification: new Attribute({ type, values }) }),
        ),
      );
    }
  }
}

export class DirectorySync {
  #running = false;
  #again = false;
  #timer: NodeJS.Timeout | undefined;
  #retry: NodeJS.Timeout | undefined;
  #failures = 0;
  #stopped = false;
  #idle: (() => void)[] = [];
  /** The last run's outcome, for tests and the bench. */
  last: { at: number; result?: SyncResult; error?: string } | undefined;

  constructor(readonly options: SyncOptions) {}

  start(): void {
    this.#stopped = false;
    this.request();
    const every = this.options.resyncMs ?? 60_000;
    this.#timer = setInterval(() => this.request(), every);
    this.#timer.unref();
  }

  stop(): void {
    this.#stopped = true;
    clearInterval(this.#timer);
    clearTimeout(this.#retry);
  }

  /** Something changed (or may have): run now, or once more after the current run. */
  request(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    clearTimeout(this.#retry);
    this.#running = true;
    void this.#loop();
  }

  /** Resolves once no run is in progress or pending. */
  idle(): Promise<void> {
    if (!this.#running) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  async #loop(): Promise<void> {
    do {
      this.#again = false;
      try {
        const result = await this.runOnce();
        this.last = { at: Date.now(), ...(result ? { result } : {}) };
        this.#failures = 0;
      } catch (error) {
        this.#failures++;
        this.last = { at: Date.now(), error: (error as Error).message };
        // slapd starting, restarting or rebuilt: try again soon, then less often.
        const wait = Math.min(250 * 2 ** Math.min(this.#failures, 7), 30_000);
        if (this.#failures === 1 || this.#failures % 10 === 0) {
          this.options.log?.warn(
            { err: (error as Error).message, retryInMs: wait },
            'directory sync failed',
          );
        }
        if (!this.#stopped) {
          this.#retry = setTimeout(() => this.request(), wait);
          this.#retry.unref();
        }
      }
    } while (this.#again && !this.#stopped);
    this.#running = false;
    for (const resolve of this.#idle.splice(0)) resolve();
  }

  /** One full pass; undefined when the directory is not installed. */
  async runOnce(): Promise<SyncResult | undefined> {
    const secret = this.options.adminSecret();
    if (secret === undefined) return undefined;
    const client = await socketClient(this.options.socketPath);
    try {
      await client.bind(ADMIN_DN, secret);
      const desired = desiredEntries(this.options.snapshot());
      const changes = diff(desired, await observe(client));
      await apply(client, changes);
      const result = {
        adds: changes.filter((c) => c.kind === 'add').length,
        modifies: changes.filter((c) => c.kind === 'modify').length,
        deletes: changes.filter((c) => c.kind === 'delete').length,
      };
      if (changes.length > 0) this.options.log?.info(result, 'directory synced');
      return result;
    } finally {
      await client.unbind().catch(() => {});
    }
  }
}
