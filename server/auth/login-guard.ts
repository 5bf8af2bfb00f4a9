/**
 * How sign-in and password checks are limited (issue 11 §3): never so that
 * someone else can lock an account. Failed guesses are counted, before the
 * slow argon2 check, per client address (any account) and per account and
 * address; either one over its limit answers 429 to that address only. The
 * account as a whole, across every address, is never locked: after a few
 * failures each attempt on it waits a delay that doubles with every further
 * failure, up to a cap, so guessing from many addresses is slowed while the
 * owner, from their own address, still gets in after at most the cap.
 * Sessions, API tokens and the local socket never pass through here.
 * Refusals and the start of a slow-down are audited once per episode, so an
 * attacker cannot fill the audit log with them; passwords never are.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { AuditLog } from '../store/audit.js';
import { addressKey, FailureLimiter } from './rate-limit.js';

export interface LoginLimits {
  /** How long a failure counts. */
  windowMs: number;
  /** Failures one address may make, whatever the accounts, before it gets 429. */
  perAddress: number;
  /** Failures one address may make on one account before it gets 429 for that account. */
  perAccountAddress: number;
  /** Failures on an account, from anywhere, before its attempts are slowed down. */
  slowAfter: number;
  /** The first delay; each further failure doubles it. */
  slowBaseMs: number;
  /** The longest an attempt waits, so the owner always gets an answer. */
  slowCapMs: number;
}

export const DEFAULT_LOGIN_LIMITS: LoginLimits = {
  windowMs: 15 * 60 * 1000,
  perAddress: 10,
  perAccountAddress: 5,
  slowAfter: 5,
  slowBaseMs: 1000,
  slowCapMs: 10_000,
};

/** How long an attempt on an account with `failures` recent failures waits before it is checked. */
export function slowdownMs(failures: number, limits: LoginLimits): number {
  if (failures < limits.slowAfter) return 0;
  const doublings = Math.min(failures - limits.slowAfter, 30);
  return Math.min(limits.slowCapMs, limits.slowBaseMs * 2 ** doublings);
}

/** One counted attempt: take it back when it did not fail. */
export interface Attempt {
  /** The attempt succeeded (or was not a guess): it no longer counts as a failure. */
  forgive(): void;
}

export type Admission = Attempt | { retryAfter: number };

export interface LoginGuardOptions {
  audit: AuditLog;
  limits?: Partial<LoginLimits>;
  now?: () => number;
  wait?: (ms: number) => Promise<unknown>;
}

/** The sign-in limits of one daemon, kept in memory (see ./rate-limit.ts for why). */
export class LoginGuard {
  readonly limits: LoginLimits;
  private readonly byAddress: FailureLimiter;
  private readonly byAccountAddress: FailureLimiter;
  private readonly byAccount: FailureLimiter;
  /** Keys whose current refusal or slow-down is already in the audit log. */
  private readonly announced = new Set<string>();
  private readonly audit: AuditLog;
  private readonly wait: (ms: number) => Promise<unknown>;

  constructor(options: LoginGuardOptions) {
    this.limits = { ...DEFAULT_LOGIN_LIMITS, ...options.limits };
    const { windowMs } = this.limits;
    const now = options.now ?? Date.now;
    this.byAddress = new FailureLimiter(this.limits.perAddress, windowMs, now);
    this.byAccountAddress = new FailureLimiter(this.limits.perAccountAddress, windowMs, now);
    // Never refuses (no limit is reached): it only counts, for the slow-down.
    this.byAccount = new FailureLimiter(Number.POSITIVE_INFINITY, windowMs, now);
    this.audit = options.audit;
    this.wait = options.wait ?? sleep;
  }

  /**
   * Counts an attempt from `address` (on `account`, when one is named) before it is checked, or
   * says how many seconds the address must wait. Slowed accounts wait here before the answer.
   */
  async admit(address: string, account?: string, actor = 'anonymous'): Promise<Admission> {
    const from = addressKey(address);
    const name = account?.toLowerCase();
    const keys: [FailureLimiter, string, string][] = [[this.byAddress, from, 'address']];
    if (name !== undefined) {
      keys.push([this.byAccountAddress, `${name}\n${from}`, 'account and address']);
    }
    for (const [limiter, key, limit] of keys) {
      const retryAfter = limiter.retryAfter(key);
      if (retryAfter === 0) {
        this.announced.delete(key);
        continue;
      }
      this.announceOnce(key, actor, 'auth.login.throttled', account, {
        address,
        limit,
        retryAfter,
      });
      return { retryAfter };
    }
    for (const [limiter, key] of keys) limiter.hit(key);
    if (name === undefined) return this.attempt(keys);

    const failures = this.byAccount.count(name);
    this.byAccount.hit(name);
    keys.push([this.byAccount, name, 'account']);
    const delayMs = slowdownMs(failures, this.limits);
    if (delayMs === 0) this.announced.delete(`slow\n${name}`);
    else {
      this.announceOnce(`slow\n${name}`, actor, 'auth.login.slowed', account, {
        address,
        failures,
        delayMs,
      });
      await this.wait(delayMs);
    }
    return this.attempt(keys);
  }

  /** A success from `address` on `account`: that address starts afresh on it. */
  succeeded(address: string, account: string): void {
    this.byAccountAddress.reset(`${account.toLowerCase()}\n${addressKey(address)}`);
  }

  private attempt(keys: [FailureLimiter, string, string][]): Attempt {
    return {
      forgive: () => {
        for (const [limiter, key] of keys) limiter.forgive(key);
      },
    };
  }

  private announceOnce(
    key: string,
    actor: string,
    action: string,
    target: string | undefined,
    detail: Record<string, unknown>,
  ): void {
    if (this.announced.has(key)) return;
    this.announced.add(key);
    // Bounded like the limiters' keys: the oldest announcements are forgotten first.
    if (this.announced.size > 10_000) {
      this.announced.delete(this.announced.values().next().value!);
    }
    this.audit.record(actor, action, target, detail);
  }
}
