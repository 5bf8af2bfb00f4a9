/**
 * Who can reach the daemon and how (issue 11 §3, §4), through the real app:
 * a lockout from one address does not keep the owner out from another, and
 * sessions, tokens and the local socket keep working during an attack, which
 * the audit log records without passwords.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type ApiBox, bootApiBox } from '../support/api-box.js';

const PASSWORD = 'correct horse battery';
// Short slow-downs, so a test measures the delay without waiting ten seconds for it.
const loginLimits = { slowBaseMs: 60, slowCapMs: 240 };

async function setUp(box: ApiBox): Promise<string> {
  const response = await box.inject({
    method: 'POST',
    url: '/api/setup',
    headers: { host: 'localhost' },
    payload: { code: box.code, username: 'admin', password: PASSWORD },
  });
  assert.equal(response.statusCode, 201, response.body);
  return response.cookies.find((c) => c.name === 'foyer_session')!.value;
}

function login(box: ApiBox, password: string, remoteAddress: string, username = 'admin') {
  return box.inject({
    method: 'POST',
    url: '/api/auth/login',
    remoteAddress,
    headers: { host: 'localhost' },
    payload: { username, password },
  });
}

async function timed<T>(what: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const result = await what();
  return [result, performance.now() - started];
}

describe('sign-in under attack (issue 11 §3)', () => {
  test('wrong passwords from one address do not lock the owner out from another', async (t) => {
    const box = await bootApiBox(t, { loginLimits });
    await setUp(box);
    for (let i = 1; i <= 5; i++) {
      assert.equal((await login(box, `wrong ${i}`, '192.0.2.66')).statusCode, 401);
    }
    // That address is refused on that account, even with the right password…
    const refused = await login(box, PASSWORD, '192.0.2.66');
    assert.equal(refused.statusCode, 429);
    assert.equal(refused.json().code, 'FOYER_TOO_MANY_REQUESTS');
    assert.ok(Number(refused.headers['retry-after']) > 0);
    // …but the owner, elsewhere, gets in: the account is slowed down, never locked.
    const [owner, ms] = await timed(() => login(box, PASSWORD, '198.51.100.10'));
    assert.equal(owner.statusCode, 200, owner.body);
    assert.ok(ms >= loginLimits.slowBaseMs, `answered in ${ms} ms, before the slow-down`);
  });

  test('a flood from many addresses slows the account to its cap and never refuses it', async (t) => {
    const box = await bootApiBox(t, { loginLimits });
    await setUp(box);
    for (let i = 1; i <= 12; i++) {
      assert.equal((await login(box, 'wrong', `203.0.113.${i}`)).statusCode, 401);
    }
    const [owner, ms] = await timed(() => login(box, PASSWORD, '198.51.100.10'));
    assert.equal(owner.statusCode, 200, owner.body);
    assert.ok(ms >= loginLimits.slowCapMs, `answered in ${ms} ms`);
    assert.ok(ms < loginLimits.slowCapMs + 2000, `answered in ${ms} ms, past the cap`);
  });

  test('sessions, API tokens and the local socket keep working during an attack', async (t) => {
    const box = await bootApiBox(t, { loginLimits, local: true });
    const session = await setUp(box);
    const created = await box.inject({
      method: 'POST',
      url: '/api/tokens',
      headers: {
        host: 'localhost',
        cookie: `foyer_session=${session}`,
        origin: 'http://localhost',
      },
      payload: { name: 'cli' },
    });
    assert.equal(created.statusCode, 201, created.body);
    const token = created.json().token as string;
    for (let i = 1; i <= 12; i++) await login(box, 'wrong', `203.0.113.${i}`);
    for (let i = 1; i <= 10; i++) await login(box, 'wrong', '127.0.0.1', `nobody${i}`);
    const me = async (headers: Record<string, string>) => {
      const [response, ms] = await timed(() =>
        box.inject({ url: '/api/auth/me', remoteAddress: '127.0.0.1', headers }),
      );
      assert.equal(response.statusCode, 200, response.body);
      assert.ok(ms < loginLimits.slowBaseMs, `answered in ${ms} ms: slowed down`);
      return response.json().actor.kind;
    };
    assert.equal(await me({ host: 'localhost', cookie: `foyer_session=${session}` }), 'session');
    assert.equal(await me({ host: 'localhost', authorization: `Bearer ${token}` }), 'token');
    const local = await box.local('GET', '/api/auth/me');
    assert.equal(local.status, 200, local.body);
    assert.equal(JSON.parse(local.body).actor.kind, 'local');
  });

  test('failures, refusals and slow-downs are in the audit log, without a password', async (t) => {
    const box = await bootApiBox(t, { loginLimits });
    await setUp(box);
    for (let i = 1; i <= 5; i++) await login(box, `wrong password ${i}`, '192.0.2.66');
    for (let i = 0; i < 5; i++) await login(box, PASSWORD, '192.0.2.66');
    assert.equal((await login(box, PASSWORD, '198.51.100.10')).statusCode, 200);
    const entries = box.store.db
      .prepare('SELECT actor, action, target, detail FROM audit_log ORDER BY id')
      .all() as { actor: string; action: string; target: string; detail: string }[];
    assert.deepEqual(
      entries.map((e) => e.action),
      [
        'setup',
        ...Array(5).fill('auth.login.failed'),
        // Five refusals, one entry: an attacker cannot fill the log with them.
        'auth.login.throttled',
        'auth.login.slowed',
        'auth.login',
      ],
    );
    const throttled = entries.find((e) => e.action === 'auth.login.throttled')!;
    assert.equal(throttled.target, 'admin');
    assert.equal(JSON.parse(throttled.detail).address, '192.0.2.66');
    const slowed = JSON.parse(entries.find((e) => e.action === 'auth.login.slowed')!.detail);
    assert.deepEqual(slowed, { address: '198.51.100.10', failures: 5, delayMs: 60 });
    const text = JSON.stringify(entries);
    assert.ok(!text.includes(PASSWORD) && !text.includes('wrong password'));
  });
});
