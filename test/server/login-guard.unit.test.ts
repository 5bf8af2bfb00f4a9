/**
 * The sign-in limits (issue 11 §3) on a fake clock: an address over its
 * limit is refused, never the account as a whole, which is only slowed down
 * by a delay that doubles up to a cap; refusals and slow-downs reach the
 * audit log once per episode.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type Admission,
  DEFAULT_LOGIN_LIMITS,
  LoginGuard,
  slowdownMs,
} from '../../server/auth/login-guard.js';
import { addressKey } from '../../server/auth/rate-limit.js';
import type { AuditLog } from '../../server/store/audit.js';

interface Recorded {
  actor: string;
  action: string;
  target: string | undefined;
  detail: Record<string, unknown> | undefined;
}

function guarded() {
  let now = 1_000_000;
  const waits: number[] = [];
  const entries: Recorded[] = [];
  const audit = {
    record: (actor, action, target, detail) => void entries.push({ actor, action, target, detail }),
    list: () => [],
  } satisfies AuditLog;
  const guard = new LoginGuard({
    audit,
    now: () => now,
    wait: async (ms) => void waits.push(ms),
  });
  return {
    guard,
    waits,
    entries,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

const refused = (admission: Admission) => ('retryAfter' in admission ? admission.retryAfter : 0);

describe('slowdownMs', () => {
  test('nothing for the first failures, then doubling up to the cap', () => {
    const limits = { ...DEFAULT_LOGIN_LIMITS, slowAfter: 5, slowBaseMs: 1000, slowCapMs: 10_000 };
    assert.deepEqual(
      [0, 4, 5, 6, 7, 8, 9, 50, 10_000].map((n) => slowdownMs(n, limits)),
      [0, 0, 1000, 2000, 4000, 8000, 10_000, 10_000, 10_000],
    );
  });
});

describe('LoginGuard', () => {
  test('five failures on an account from one address refuse that address, not another', async () => {
    const { guard, waits } = guarded();
    for (let i = 0; i < 5; i++) {
      assert.equal(refused(await guard.admit('192.0.2.1', 'admin')), 0);
    }
    assert.ok(refused(await guard.admit('192.0.2.1', 'Admin')) > 0, 'same address, same account');
    // Another account from that address is still allowed (the address limit is 10).
    assert.equal(refused(await guard.admit('192.0.2.1', 'mia')), 0);
    // The account is not locked: another address is admitted, after the account's delay.
    assert.equal(refused(await guard.admit('198.51.100.2', 'admin')), 0);
    assert.deepEqual(waits, [1000]);
  });

  test('failures from many addresses slow the account down, capped, and never refuse it', async () => {
    const { guard, waits } = guarded();
    for (let i = 1; i <= 40; i++) {
      assert.equal(refused(await guard.admit(`203.0.113.${i}`, 'admin')), 0, `attempt ${i}`);
    }
    assert.deepEqual(waits.slice(0, 6), [1000, 2000, 4000, 8000, 10_000, 10_000]);
    assert.equal(Math.max(...waits), DEFAULT_LOGIN_LIMITS.slowCapMs);
  });

  test('the slow-down ends when the failures leave the window', async () => {
    const { guard, waits, advance } = guarded();
    for (let i = 1; i <= 8; i++) await guard.admit(`203.0.113.${i}`, 'admin');
    advance(DEFAULT_LOGIN_LIMITS.windowMs + 1);
    waits.length = 0;
    await guard.admit('203.0.113.99', 'admin');
    assert.deepEqual(waits, []);
  });

  test('a forgiven attempt does not count; a success clears its address on that account', async () => {
    const { guard } = guarded();
    for (let i = 0; i < 4; i++) await guard.admit('192.0.2.1', 'admin');
    const right = await guard.admit('192.0.2.1', 'admin');
    assert.ok(!('retryAfter' in right));
    right.forgive();
    guard.succeeded('192.0.2.1', 'admin');
    for (let i = 0; i < 5; i++) {
      assert.equal(refused(await guard.admit('192.0.2.1', 'admin')), 0, `after success ${i}`);
    }
  });

  test('ten failures from one address refuse it for every account', async () => {
    const { guard } = guarded();
    for (let i = 0; i < 10; i++) await guard.admit('192.0.2.7', `nobody${i}`);
    assert.ok(refused(await guard.admit('192.0.2.7', 'admin')) > 0);
    assert.ok(refused(await guard.admit('192.0.2.7')) > 0, 'setup attempts too');
    assert.equal(refused(await guard.admit('192.0.2.8', 'admin')), 0);
  });

  test('an IPv6 host is limited by its /64, however it rotates its address', async () => {
    const { guard } = guarded();
    for (let i = 1; i <= 10; i++) await guard.admit(`2001:db8:1:2::${i.toString(16)}`, `n${i}`);
    assert.ok(refused(await guard.admit('2001:db8:1:2:ffff::1', 'admin')) > 0);
    assert.equal(refused(await guard.admit('2001:db8:1:3::1', 'admin')), 0);
  });

  test('refusals and the slow-down are audited once per episode, with no password', async () => {
    const { guard, entries, advance } = guarded();
    for (let i = 0; i < 5; i++) await guard.admit('192.0.2.1', 'admin');
    for (let i = 0; i < 20; i++) await guard.admit('192.0.2.1', 'admin');
    const throttled = entries.filter((e) => e.action === 'auth.login.throttled');
    assert.equal(throttled.length, 1);
    assert.deepEqual(throttled[0], {
      actor: 'anonymous',
      action: 'auth.login.throttled',
      target: 'admin',
      detail: { address: '192.0.2.1', limit: 'account and address', retryAfter: 900 },
    });
    for (let i = 0; i < 3; i++) await guard.admit('198.51.100.7', 'admin');
    const slowed = entries.filter((e) => e.action === 'auth.login.slowed');
    assert.deepEqual(slowed, [
      {
        actor: 'anonymous',
        action: 'auth.login.slowed',
        target: 'admin',
        detail: { address: '198.51.100.7', failures: 5, delayMs: 1000 },
      },
    ]);
    // Once the window has passed, a new episode is audited again.
    advance(DEFAULT_LOGIN_LIMITS.windowMs + 1);
    await guard.admit('192.0.2.1', 'admin');
    for (let i = 0; i < 5; i++) await guard.admit('192.0.2.1', 'admin');
    assert.equal(entries.filter((e) => e.action === 'auth.login.throttled').length, 2);
  });
});

describe('addressKey', () => {
  test('IPv4 as is, IPv4-mapped as IPv4, IPv6 by its /64', () => {
    assert.equal(addressKey('192.0.2.1'), '192.0.2.1');
    assert.equal(addressKey('::ffff:192.0.2.1'), '192.0.2.1');
    assert.equal(addressKey('2001:db8:0:1::5'), '2001:db8:0:1::/64');
    assert.equal(addressKey('2001:0db8:0000:0001:abcd::'), '2001:db8:0:1::/64');
    assert.equal(addressKey('fe80::1%eth0'), 'fe80:0:0:0::/64');
    assert.equal(addressKey('2001:db8::1:2:3:192.0.2.1'), '2001:db8:0:1::/64');
    assert.equal(addressKey('::1'), '0:0:0:0::/64');
  });
});
