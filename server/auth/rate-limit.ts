/**
 * In-memory failure counters for sign-in and setup: a sliding window of
 * failure times per key (a client address or an account). Memory only, by
 * design: a restart forgets them, which costs an attacker a restart they
 * cannot cause, and keeps the hot path free of database writes.
 */

import { isIPv6 } from 'node:net';

// Keys are client input (addresses, usernames); past this many the oldest are dropped so a
// flood of made-up usernames cannot grow the map without bound.
const MAX_KEYS = 10_000;

/** Counts failures per key within a window and says how long a key must wait. */
export class FailureLimiter {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whole seconds until `key` may try again; 0 when it may now. */
  retryAfter(key: string): number {
    const times = this.recent(key);
    if (times.length < this.limit) return 0;
    const oldestThatCounts = times[times.length - this.limit]!;
    return Math.max(1, Math.ceil((oldestThatCounts + this.windowMs - this.now()) / 1000));
  }

  /**
   * Counts one attempt as failed. Callers count before the slow check and
   * `forgive` after a success, so parallel guesses cannot all slip past the limit.
   */
  hit(key: string): void {
    const times = this.recent(key);
    times.push(this.now());
    this.failures.delete(key);
    this.failures.set(key, times);
    if (this.failures.size > MAX_KEYS) this.evict();
  }

  /** Takes back the latest `hit` of `key`: the attempt it stood for did not fail. */
  forgive(key: string): void {
    this.failures.get(key)?.pop();
  }

  /** How many failures of `key` are in the window. */
  count(key: string): number {
    return this.recent(key).length;
  }

  /** Forgets every failure of `key`. */
  reset(key: string): void {
    this.failures.delete(key);
  }

  private recent(key: string): number[] {
    const since = this.now() - this.windowMs;
    const times = (this.failures.get(key) ?? []).filter((t) => t > since);
    if (times.length === 0) this.failures.delete(key);
    else this.failures.set(key, times);
    return times;
  }

  private evict(): void {
    for (const key of [...this.failures.keys()]) this.recent(key);
    // Map order is insertion order and `hit` re-inserts, so the first keys are the stalest.
    for (const key of this.failures.keys()) {
      if (this.failures.size <= MAX_KEYS) break;
      this.failures.delete(key);
    }
  }
}

/**
 * The key an address is limited by: IPv4 as is (an IPv4-mapped IPv6 address as its IPv4), IPv6
 * by its /64, the smallest block a home or a host is given, so one host cannot rotate through the
 * 2^64 addresses of its own network to get a fresh allowance each time.
 */
export function addressKey(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (!isIPv6(address)) return address;
  const [head = '', tail = ''] = address.toLowerCase().split('%')[0]!.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  // A trailing dotted quad (`64:ff9b::192.0.2.1`) stands for two groups.
  const width = (groups: string[]) => groups.reduce((n, g) => n + (g.includes('.') ? 2 : 1), 0);
  const groups = address.includes('::')
    ? [...left, ...Array(8 - width(left) - width(right)).fill('0'), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}
