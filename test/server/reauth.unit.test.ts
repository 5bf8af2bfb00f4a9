// Making a credential that outlives the session (an app password, an API token) asks for the
// member's password again (server/auth/reauth.ts), on the real app and store without Docker:
// right makes it; wrong is 403 and missing 400, neither makes anything, both audited as a
// refused creation without the password; wrong ones count against the sign-in's limits (429
// for that account from that address, the sign-in included; never a lock from elsewhere). A
// Bearer token is asked too; the local admin, who has no account, is refused as before.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, type TestContext, test } from 'node:test';
import { type ApiBox, bootApiBox, socketRequest } from '../support/api-box.js';

const PASSWORD = 'admin password 1';
const WRONG = 'not my password 9';
const HOST = 'localhost';
// Short slow-downs, so five failures do not wait seconds.
const loginLimits = { slowBaseMs: 20, slowCapMs: 80 };

interface Kind {
  what: string;
  url: string;
  body: Record<string, string>;
  /** The table a made one lands in. */
  table: string;
  /** The audit action of a refused creation. */
  refused: string;
  /** The value shown once, from the reply. */
  valueOf: (reply: { appPassword?: { password: string }; token?: string }) => string;
}

const KINDS: Kind[] = [
  {
    what: 'an app password',
    url: '/api/account/app-passwords',
    body: { label: 'Thunderbird' },
    table: 'app_passwords',
    refused: 'auth.app-password.refused',
    valueOf: (reply) => reply.appPassword!.password,
  },
  {
    what: 'an API token',
    url: '/api/tokens',
    body: { name: 'backup script' },
    table: 'api_tokens',
    refused: 'token.refused',
    valueOf: (reply) => reply.token!,
  },
];

async function boot(t: TestContext) {
  const logs: string[] = [];
  const box = await bootApiBox(t, {
    logger: { level: 'trace', stream: { write: (line: string) => void logs.push(line) } },
    loginLimits,
    local: true,
  });
  const cookie = `foyer_session=${await box.setUp(PASSWORD)}`;
  const session = { host: HOST, origin: `http://${HOST}`, cookie };
  const made = (table: string) =>
    box.store.db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;
  return { box, logs, session, made };
}

const post = (box: ApiBox, url: string, headers: object, payload: object, remoteAddress?: string) =>
  box.inject({ method: 'POST', url, headers: { ...headers }, payload, remoteAddress });

const auditRows = (box: ApiBox, action: string) =>
  box.store.db
    .prepare('SELECT actor, target, detail FROM audit_log WHERE action = ? ORDER BY id')
    .all(action) as { actor: string; target: string; detail: string }[];

for (const kind of KINDS) {
  describe(`making ${kind.what} asks for the password again`, () => {
    test('right: made; wrong: 403; missing or empty: 400; refusals audited, never the password', async (t) => {
      const { box, logs, session, made } = await boot(t);

      const wrong = await post(box, kind.url, session, { ...kind.body, password: WRONG });
      assert.equal(wrong.statusCode, 403, wrong.body);
      assert.equal(wrong.json().code, 'FOYER_WRONG_PASSWORD');
      for (const payload of [kind.body, { ...kind.body, password: '' }]) {
        const missing = await post(box, kind.url, session, payload);
        assert.equal(missing.statusCode, 400, missing.body);
        assert.match(missing.json().message, /^body\.password: type your current password to /);
      }
      assert.equal(made(kind.table), 0, 'nothing made');

      const refusals = auditRows(box, kind.refused);
      assert.deepEqual(
        refusals.map((row) => [row.actor, row.target, JSON.parse(row.detail).reason]),
        [
          ['admin', 'admin', 'wrong password'],
          ['admin', 'admin', 'no password'],
          ['admin', 'admin', 'no password'],
        ],
      );
      const named = Object.values(kind.body)[0]!;
      for (const row of refusals) assert.ok(row.detail.includes(named), 'says what was refused');

      const right = await post(box, kind.url, session, { ...kind.body, password: PASSWORD });
      assert.equal(right.statusCode, 201, right.body);
      assert.equal(made(kind.table), 1);

      const written = `${logs.join('\n')}\n${JSON.stringify(
        box.store.db.prepare('SELECT * FROM audit_log').all(),
      )}`;
      assert.ok(!written.includes(WRONG), 'the wrong password in a log or the audit');
      assert.ok(!written.includes(PASSWORD), 'the password in a log or the audit');
      assert.ok(!written.includes(kind.valueOf(right.json())), 'the value in a log or the audit');
    });

    test('wrong ones count as failed sign-ins: 429 for that account from that address, sign-in too', async (t) => {
      const { box, session, made } = await boot(t);
      // Rights are not failures: they never add up to a refusal.
      for (let i = 0; i < 6; i++) {
        const right = await post(box, kind.url, session, { ...kind.body, password: PASSWORD });
        assert.equal(right.statusCode, 201, right.body);
      }
      for (let i = 0; i < 5; i++) {
        const wrong = await post(box, kind.url, session, {
          ...kind.body,
          password: `${WRONG}${i}`,
        });
        assert.equal(wrong.statusCode, 403, wrong.body);
      }
      // Over the per-account-and-address limit: even the right password waits now…
      const limited = await post(box, kind.url, session, { ...kind.body, password: PASSWORD });
      assert.equal(limited.statusCode, 429, limited.body);
      assert.match(limited.headers['retry-after'] as string, /^[1-9][0-9]*$/);
      assert.equal(made(kind.table), 6, 'nothing made while limited');
      // …and so does the sign-in form for that account from that address: one limiter.
      const login = (remoteAddress: string) =>
        box.inject({
          method: 'POST',
          url: '/api/auth/login',
          remoteAddress,
          headers: { host: HOST },
          payload: { username: 'admin', password: PASSWORD },
        });
      assert.equal((await login('127.0.0.1')).statusCode, 429);
      // The owner, from elsewhere, is not locked out.
      assert.equal((await login('198.51.100.10')).statusCode, 200);
    });
  });
}

describe('who else may make one', () => {
  test('a Bearer token is asked for the password too; the local admin has no account (403)', async (t) => {
    const { box, session } = await boot(t);
    const made = await post(box, '/api/tokens', session, { name: 'script', password: PASSWORD });
    assert.equal(made.statusCode, 201, made.body);
    const bearer = { host: HOST, authorization: `Bearer ${made.json().token}` };
    for (const kind of KINDS) {
      const bare = await post(box, kind.url, bearer, kind.body);
      assert.equal(bare.statusCode, 400, `${kind.what} by token: ${bare.body}`);
      const wrong = await post(box, kind.url, bearer, { ...kind.body, password: WRONG });
      assert.equal(wrong.statusCode, 403, `${kind.what} by token: ${wrong.body}`);
      const right = await post(box, kind.url, bearer, { ...kind.body, password: PASSWORD });
      assert.equal(right.statusCode, 201, `${kind.what} by token: ${right.body}`);
    }
    const socket = join(box.dataDir, 'foyer.sock');
    for (const kind of KINDS) {
      const local = await socketRequest(socket, 'POST', kind.url, {
        ...kind.body,
        password: PASSWORD,
      });
      assert.equal(local.status, 403, `${kind.what} by the local socket: ${local.body}`);
      assert.match(JSON.parse(local.body).message, /local admin has no account/);
    }
  });
});
