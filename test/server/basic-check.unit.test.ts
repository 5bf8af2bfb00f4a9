/**
 * The edge's HTTP Basic check (issue 14), `GET /api/auth/basic/:install`, on the real app and
 * store without Docker: 200 and Remote-User for a member whose group may use the install, 401
 * with a challenge for no or wrong credentials and for a disabled member, 403 for a member
 * outside the granted groups, 429 with Retry-After past the sign-in limits (an
 * X-Forwarded-For from anyone but the edge changes nothing). A success is remembered for a few
 * seconds, but a disable, a new password or a revoked grant is refused at the next request; no
 * password or Authorization header reaches the log or the audit. A member with two-step
 * verification on gets in with an app password only; a revoked one is refused at once.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, type TestContext, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApp, type FoyerServices } from '../../server/app.js';
import { BasicCheckCache, basicAccess, parseBasic } from '../../server/auth/basic-check.js';
import { membersRepository } from '../../server/directory/members.js';
import { EventHub } from '../../server/events.js';
import { auditLog } from '../../server/store/audit.js';
import { openStore } from '../../server/store/index.js';

const root = mkdtempSync(join(tmpdir(), 'foyer-basic-check-'));
after(() => rmSync(root, { recursive: true, force: true }));
const HOST = 'foyer.test';
const ALICE = { name: 'alice', password: 'alice: "pa$$" word 1' };
const CAROL = { name: 'carol', password: 'carol password 1' };
const NEW_PASSWORD = 'alice password 2';
const basic = (name: string, password: string) =>
  `Basic ${Buffer.from(`${name}:${password}`).toString('base64')}`;

describe('parseBasic and the cache, pure', () => {
  test('parseBasic reads name and password (UTF-8, colons in the password); refuses the rest', () => {
    assert.deepEqual(parseBasic(basic('alice', 'a:b:c')), { name: 'alice', password: 'a:b:c' });
    assert.deepEqual(
      parseBasic(`basic  ${Buffer.from('élodie:mot de passe').toString('base64')}`),
      {
        name: 'élodie',
        password: 'mot de passe',
      },
    );
    for (const header of [
      undefined,
      '',
      'Bearer abc',
      'Basic',
      'Basic !!!',
      basic('', 'no name'),
      basic('alice', ''),
      `Basic ${Buffer.from('no colon').toString('base64')}`,
      basic('a'.repeat(65), 'x'),
      basic('alice', 'x'.repeat(1025)),
    ]) {
      assert.equal(parseBasic(header), undefined, String(header));
    }
  });

  test('a success is remembered under an HMAC, for at most the TTL, and forgotten on a new hash', () => {
    let now = 1000;
    const cache = new BasicCheckCache({ ttlMs: 5000, now: () => now });
    cache.remember('calendar', ALICE, 'hash-1');
    assert.ok(cache.has('calendar', ALICE, 'hash-1'));
    assert.ok(!cache.has('other', ALICE, 'hash-1'), 'per install');
    assert.ok(!cache.has('calendar', { ...ALICE, password: 'other' }, 'hash-1'));
    // Nothing of the password is kept: the keys are HMACs under a key of this process.
    const kept = JSON.stringify([
      ...(cache as unknown as { entries: Map<string, unknown> }).entries,
    ]);
    assert.ok(!kept.includes(ALICE.password) && !kept.includes('alice'), kept);
    now += 4999;
    assert.ok(cache.has('calendar', ALICE, 'hash-1'));
    now += 1;
    assert.ok(!cache.has('calendar', ALICE, 'hash-1'), 'at most 5 s old');
    assert.equal(cache.size, 0);
    cache.remember('calendar', ALICE, 'hash-1');
    assert.ok(!cache.has('calendar', ALICE, 'hash-2'), 'a new password forgets it');
    assert.equal(cache.size, 0);
    const small = new BasicCheckCache({ maxEntries: 2, now: () => now });
    for (const install of ['a', 'b', 'c']) small.remember(install, ALICE, 'h');
    assert.equal(small.size, 2);
    assert.ok(!small.has('a', ALICE, 'h') && small.has('c', ALICE, 'h'), 'the oldest go first');
  });

  test('access: active and in a granted group; admins get no exception', () => {
    assert.ok(basicAccess({ state: 'active', groups: ['family'] }, ['family']));
    assert.ok(!basicAccess({ state: 'disabled', groups: ['family'] }, ['family']));
    assert.ok(!basicAccess({ state: 'active', groups: ['neighbours'] }, ['family']));
    assert.ok(!basicAccess(undefined, ['family']));
  });
});

async function boot(t: TestContext) {
  const dataDir = mkdtempSync(join(root, 'data-'));
  const store = openStore(join(dataDir, 'foyer.db'));
  const audit = auditLog(store.db);
  const logs: string[] = [];
  // Installs' pinned app.yaml, as the edge would read it: only `dav` takes Basic credentials.
  const manifests: Record<string, unknown> = {
    dav: { web: { service: 'dav', port: 5232, auth: 'members-basic' } },
    gated: { web: { service: 'web', port: 80, auth: true } },
  };
  const services = {
    dataDir,
    store,
    audit,
    hub: new EventHub(),
    reconciler: { reachable: true, status: () => undefined },
    catalog: { list: () => [], get: () => undefined },
    pins: { of: (install: { id: string }) => ({ manifest: manifests[install.id] ?? {} }) },
    docker: {},
    jobs: {},
  } as unknown as FoyerServices;
  for (const id of Object.keys(manifests)) {
    store.installs.create({
      id,
      appId: id,
      appDir: `/catalog/${id}`,
      settings: {},
      secrets: {},
      acceptedPermissions: [],
    });
  }
  const members = membersRepository(store.db);
  members.addGroup('family');
  members.addGroup('neighbours');
  await members.add({ ...ALICE, email: 'alice@example.org', groups: ['family'] });
  await members.add({ ...CAROL, email: 'carol@example.org', groups: ['neighbours'] });
  members.grant('dav', 'family');
  const app: FastifyInstance = await buildApp(services, {
    // Trace: every line Fastify would ever write about a request.
    logger: { level: 'trace', stream: { write: (line: string) => void logs.push(line) } },
    loginLimits: { slowBaseMs: 10, slowCapMs: 20 },
    access: { hostnames: [HOST], trustedProxies: [] },
  });
  await app.ready();
  t.after(async () => {
    await app.close();
    store.close();
  });
  // Counts the argon2 checks the route makes.
  let checks = 0;
  const users = app.auth.users;
  const verify = users.verifyPassword.bind(users);
  users.verifyPassword = (name, password) => {
    checks += 1;
    return verify(name, password);
  };
  const ask = (install: string, headers: Record<string, string> = {}) =>
    app.inject({
      method: 'GET',
      url: `/api/auth/basic/${install}`,
      headers: { host: HOST, ...headers },
    });
  const as = (who: { name: string; password: string }, extra: Record<string, string> = {}) =>
    ask('dav', { authorization: basic(who.name, who.password), ...extra });
  return { app, store, audit, members, logs, ask, as, checks: () => checks };
}

describe('GET /api/auth/basic/:install', () => {
  test('200 with Remote-User, 401 with a challenge, 403 without access, 404 for other installs', async (t) => {
    const box = await boot(t);
    const yes = await box.as(ALICE, { 'remote-user': 'carol' });
    assert.equal(yes.statusCode, 200, yes.body);
    assert.equal(yes.headers['remote-user'], 'alice');

    const nobody = await box.ask('dav');
    assert.equal(nobody.statusCode, 401);
    assert.equal(nobody.headers['www-authenticate'], 'Basic realm="dav", charset="UTF-8"');
    assert.equal(nobody.headers['remote-user'], undefined);
    const wrong = await box.as({ ...ALICE, password: 'not it' });
    assert.equal(wrong.statusCode, 401);
    assert.match(String(wrong.headers['www-authenticate']), /^Basic realm="dav"/);
    const unknown = await box.as({ name: 'zoe', password: 'whatever 1' });
    assert.equal(unknown.statusCode, 401);
    const bearer = await box.ask('dav', { authorization: 'Bearer abc' });
    assert.equal(bearer.statusCode, 401);

    const carol = await box.as(CAROL);
    assert.equal(carol.statusCode, 403, carol.body);
    assert.equal(carol.headers['remote-user'], undefined);

    for (const install of ['gated', 'nosuch']) {
      const res = await box.ask(install, { authorization: basic(ALICE.name, ALICE.password) });
      assert.equal(res.statusCode, 404, install);
      assert.equal(res.headers['remote-user'], undefined);
    }
  });

  test('a remembered success spares argon2, but a change is refused at the next request', async (t) => {
    const box = await boot(t);
    assert.equal((await box.as(ALICE)).statusCode, 200);
    const before = box.checks();
    for (let i = 0; i < 5; i++) assert.equal((await box.as(ALICE)).statusCode, 200);
    assert.equal(box.checks(), before, 'DAV requests within seconds are not checked again');

    box.members.setState('alice', 'disabled');
    assert.equal((await box.as(ALICE)).statusCode, 401, 'disabled: refused at once');
    box.members.setState('alice', 'active');
    assert.equal((await box.as(ALICE)).statusCode, 200);

    box.members.revoke('dav', 'family');
    assert.equal((await box.as(ALICE)).statusCode, 403, 'grant revoked: refused at once');
    box.members.grant('dav', 'family');
    assert.equal((await box.as(ALICE)).statusCode, 200);

    box.members.update('alice', { groups: ['neighbours'] });
    assert.equal((await box.as(ALICE)).statusCode, 403, 'out of the group: refused at once');
    box.members.update('alice', { groups: ['family'] });
    assert.equal((await box.as(ALICE)).statusCode, 200);

    await box.members.setPassword('alice', NEW_PASSWORD);
    assert.equal((await box.as(ALICE)).statusCode, 401, 'old password: refused at once');
    assert.equal((await box.as({ ...ALICE, password: NEW_PASSWORD })).statusCode, 200);

    box.members.remove('alice');
    assert.equal((await box.as({ ...ALICE, password: NEW_PASSWORD })).statusCode, 401);
  });

  test('a check reads the member and their door hashes once; an unknown name takes argon2 too', async (t) => {
    const box = await boot(t);
    const { users } = box.app.auth;
    const reads = { byName: 0, hash: 0 };
    const byName = users.getByUsername.bind(users);
    const hash = users.passwordHash.bind(users);
    users.getByUsername = (name) => {
      reads.byName += 1;
      return byName(name);
    };
    users.passwordHash = (name) => {
      reads.hash += 1;
      return hash(name);
    };
    // A miss: the door hashes once (before the check, then remembered), the user from the check.
    assert.equal((await box.as(ALICE)).statusCode, 200);
    assert.deepEqual(reads, { byName: 1, hash: 1 });
    assert.equal(box.checks(), 1);
    // A wrong password: the member is read once more, to try their app passwords.
    assert.equal((await box.as({ ...ALICE, password: 'a guess 1' })).statusCode, 401);
    assert.deepEqual(reads, { byName: 3, hash: 2 });
    // An unknown name: one argon2 verification all the same.
    assert.equal((await box.as({ name: 'nobody', password: 'a guess 2' })).statusCode, 401);
    assert.equal(box.checks(), 3, 'argon2 for every check, known names or not');
    // The success was remembered against the hashes read before it: no check the next time.
    assert.equal((await box.as(ALICE)).statusCode, 200);
    assert.equal(box.checks(), 3);
  });

  test('app passwords: with two-step verification on, only they open the door', async (t) => {
    const box = await boot(t);
    const { users, appPasswords } = box.app.auth;
    const alice = users.getByUsername('alice')!;
    const phone = await appPasswords.create(alice.id, 'phone');
    const laptop = await appPasswords.create(alice.id, 'laptop');
    const withApp = (made: { password: string }) => ({ ...ALICE, password: made.password });
    // Off: the password and any app password.
    assert.equal((await box.as(ALICE)).statusCode, 200);
    assert.equal((await box.as(withApp(phone))).statusCode, 200);
    assert.equal((await box.as(withApp(laptop))).statusCode, 200);
    assert.notEqual(appPasswords.list(alice.id)[0]!.lastUsedAt, null, 'last use is kept');
    // Carol cannot use Alice's app password under her own name, nor Alice under another's.
    assert.equal((await box.as({ ...CAROL, password: phone.password })).statusCode, 401);

    // On: the remembered success of the main password is forgotten at once.
    users.setTotpSecret(alice.id, 'JBSWY3DPEHPK3PXP');
    users.setTotpEnabled(alice.id, true);
    assert.equal((await box.as(ALICE)).statusCode, 401, 'the main password alone: refused');
    assert.equal((await box.as(withApp(phone))).statusCode, 200);

    // A revoke is refused at the next request, remembered or not; the other still works.
    assert.ok(appPasswords.revoke(alice.id, phone.id));
    assert.equal((await box.as(withApp(phone))).statusCode, 401, 'revoked: refused at once');
    assert.equal((await box.as(withApp(laptop))).statusCode, 200);
    box.members.setState('alice', 'disabled');
    assert.equal((await box.as(withApp(laptop))).statusCode, 401, 'disabled: refused at once');
    box.members.setState('alice', 'active');

    // Off again: the main password is back.
    users.setTotpSecret(alice.id, null);
    assert.equal((await box.as(ALICE)).statusCode, 200);
    const written = `${box.logs.join('\n')}\n${JSON.stringify(box.audit.list({ limit: 100 }))}`;
    assert.ok(!written.includes(laptop.password) && !written.includes(phone.password));
  });

  test('429 with Retry-After past the limits; a forged X-Forwarded-For changes nothing', async (t) => {
    const box = await boot(t);
    let last = await box.as({ ...ALICE, password: 'guess 0' });
    for (let i = 1; i <= 5 && last.statusCode === 401; i++) {
      last = await box.as(
        { ...ALICE, password: `guess ${i}` },
        { 'x-forwarded-for': `198.51.100.${i}` },
      );
    }
    assert.equal(last.statusCode, 429, last.body);
    assert.ok(Number(last.headers['retry-after']) > 0, String(last.headers['retry-after']));
    // The right password from the same address waits too: the limit is the address's.
    const right = await box.as(ALICE, { 'x-forwarded-for': '203.0.113.9' });
    assert.equal(right.statusCode, 429);
    const audit = box.audit.list({ limit: 100 });
    assert.ok(audit.some((e) => e.action === 'auth.login.failed' && e.detail?.via === 'basic'));
    assert.ok(audit.some((e) => e.action === 'auth.login.throttled'));
  });

  test('no password, Authorization header or its base64 in the log or the audit', async (t) => {
    const box = await boot(t);
    await box.as(ALICE);
    await box.as({ ...ALICE, password: 'a wrong one' });
    await box.as(CAROL);
    const written = `${box.logs.join('\n')}\n${JSON.stringify(box.audit.list({ limit: 100 }))}`;
    assert.ok(
      box.logs.some((l) => l.includes('/api/auth/basic/dav')),
      'requests are logged',
    );
    for (const secret of [ALICE.password, 'a wrong one', CAROL.password]) {
      assert.ok(!written.includes(secret), `a password in the log: ${secret}`);
    }
    for (const who of [ALICE, CAROL]) {
      const encoded = Buffer.from(`${who.name}:${who.password}`).toString('base64');
      assert.ok(!written.includes(encoded), 'an Authorization header in the log');
    }
    assert.ok(!/authorization/i.test(box.logs.join('\n')), 'request headers in the log');
  });
});
