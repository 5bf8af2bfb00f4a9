// The directory's API (issue 14) on the real app and store, without Docker: admins only,
// members added, disabled (signed out, refused at sign-in), removed; a one-time link sets a
// password once; a bad CSV line is named and imports nothing; no password in any answer,
// log line or audit entry.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, type TestContext, test } from 'node:test';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { buildApp, type FoyerServices } from '../../server/app.js';
import { EventHub } from '../../server/events.js';
import { auditLog } from '../../server/store/audit.js';
import { openStore, type Store } from '../../server/store/index.js';
import { usersRepository } from '../../server/store/users.js';

const root = mkdtempSync(join(tmpdir(), 'foyer-members-api-'));
after(() => rmSync(root, { recursive: true, force: true }));
const HOST = 'foyer.test';
const ADMIN_PASSWORD = 'admin password 1';
const PASSWORDS = [ADMIN_PASSWORD, 'alice password 1', 'alice password 2', 'bob password 12'];
const logs: string[] = [];

async function boot(t: TestContext) {
  const dataDir = mkdtempSync(join(root, 'data-'));
  const store: Store = openStore(join(dataDir, 'foyer.db'));
  const audit = auditLog(store.db);
  const services = {
    dataDir,
    store,
    audit,
    hub: new EventHub(),
    reconciler: { reachable: true, status: () => undefined },
    catalog: { list: () => [], get: () => undefined },
    docker: {},
    jobs: {},
  } as unknown as FoyerServices;
  await usersRepository(store.db).create({
    username: 'admin',
    password: ADMIN_PASSWORD,
    role: 'admin',
  });
  const app: FastifyInstance = await buildApp(services, {
    logger: { level: 'info', stream: { write: (line: string) => void logs.push(line) } },
    loginLimits: { slowBaseMs: 10, slowCapMs: 20 },
    access: { hostnames: [HOST], trustedProxies: [] },
  });
  await app.ready();
  t.after(async () => {
    await app.close();
    store.close();
  });
  const signIn = async (username: string, password: string) => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/auth/login',
      headers: { host: HOST },
      payload: { username, password },
    });
    return res.statusCode === 200
      ? res.cookies.find((c) => c.name === 'foyer_session')!.value
      : undefined;
  };
  const session = (await signIn('admin', ADMIN_PASSWORD))!;
  const as = (cookie: string | undefined) => (options: InjectOptions) =>
    app.inject({
      ...options,
      headers: {
        host: HOST,
        origin: `http://${HOST}`,
        ...(cookie ? { cookie: `foyer_session=${cookie}` } : {}),
      },
    });
  return { app, audit, store, signIn, admin: as(session), as };
}

describe('the members API', () => {
  test('add, sign in, disable, enable, remove; members may not manage members', async (t) => {
    const box = await boot(t);
    assert.equal(
      (await box.admin({ method: 'POST', url: '/api/groups', payload: { name: 'family' } }))
        .statusCode,
      201,
    );
    const added = await box.admin({
      method: 'POST',
      url: '/api/members',
      payload: {
        name: 'alice',
        email: 'alice@example.org',
        password: 'alice password 1',
        groups: ['family'],
      },
    });
    assert.equal(added.statusCode, 201, added.body);
    assert.equal(added.json().member.directoryPassword, true);
    const alice = await box.signIn('alice', 'alice password 1');
    assert.ok(alice, 'a member signs in to Foyer with the same password');
    const forbidden = await box.as(alice)({ method: 'GET', url: '/api/members' });
    assert.equal(forbidden.statusCode, 403);

    const taken = await box.admin({
      method: 'POST',
      url: '/api/members',
      payload: { name: 'alice', email: 'x@example.org' },
    });
    assert.equal(taken.statusCode, 409);
    const reserved = await box.admin({
      method: 'POST',
      url: '/api/members',
      payload: { name: 'postmaster', email: 'p@example.org' },
    });
    assert.equal(reserved.statusCode, 400);
    assert.match(reserved.json().message, /name: "postmaster" is reserved/);

    assert.equal(
      (
        await box.admin({
          method: 'PUT',
          url: '/api/members/alice/password',
          payload: { password: 'alice password 2' },
        })
      ).statusCode,
      204,
    );
    assert.equal(await box.signIn('alice', 'alice password 1'), undefined);
    const again = await box.signIn('alice', 'alice password 2');
    assert.ok(again);

    assert.equal(
      (await box.admin({ method: 'POST', url: '/api/members/alice/disable' })).json().member.state,
      'disabled',
    );
    assert.equal(
      (await box.as(again)({ method: 'GET', url: '/api/auth/me' })).statusCode,
      401,
      'signed out',
    );
    assert.equal(await box.signIn('alice', 'alice password 2'), undefined);
    await box.admin({ method: 'POST', url: '/api/members/alice/enable' });
    assert.ok(await box.signIn('alice', 'alice password 2'));

    const refused = await box.admin({ method: 'DELETE', url: '/api/members/alice?data=nuke' });
    assert.equal(refused.statusCode, 400, refused.body);
    assert.match(refused.json().message, /data/);
    assert.equal(
      (await box.admin({ method: 'GET', url: '/api/members' })).json().members.length,
      2,
      'a refused removal changes nothing',
    );
    // Kept by default: nothing deleted, and the audit line says so.
    const removed = await box.admin({ method: 'DELETE', url: '/api/members/alice' });
    assert.equal(removed.statusCode, 200, removed.body);
    assert.deepEqual(removed.json(), { name: 'alice', data: 'keep', deleted: [], failed: [] });
    const line = box.store.db
      .prepare("SELECT detail FROM audit_log WHERE action = 'member.removed'")
      .get() as { detail: string };
    assert.deepEqual(JSON.parse(line.detail), { data: 'kept' });
    assert.equal(
      (await box.admin({ method: 'GET', url: '/api/members' })).json().members.length,
      1,
    );
    assert.equal(
      (await box.admin({ method: 'DELETE', url: '/api/members/admin' })).statusCode,
      409,
    );
  });

  test('an import is whole or nothing, and each link sets a password once', async (t) => {
    const box = await boot(t);
    await box.admin({ method: 'POST', url: '/api/groups', payload: { name: 'family' } });
    const bad = await box.admin({
      method: 'POST',
      url: '/api/members/import',
      payload: {
        file: 'village.csv',
        csv: 'name,email,display_name,groups\nbob,bob@example.org,Bob,family\ncarol,carol@example.org,,nosuchgroup\n',
      },
    });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().message, 'village.csv:3: groups: no group "nosuchgroup"');
    assert.equal(
      (await box.admin({ method: 'GET', url: '/api/members' })).json().members.length,
      1,
    );

    const good = await box.admin({
      method: 'POST',
      url: '/api/members/import',
      payload: {
        file: 'village.csv',
        csv: 'name,email,display_name,groups\nbob,bob@example.org,Bob,family\n',
      },
    });
    assert.equal(good.statusCode, 201, good.body);
    const [{ token, link }] = good.json().links;
    assert.equal(link, `http://${HOST}/set-password#${token}`);
    const page = await box.as(undefined)({ method: 'GET', url: '/set-password' });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /<script src="\/set-password\.js"/);
    assert.match(String(page.headers['content-security-policy']), /script-src 'self'/);
    assert.equal(await box.signIn('bob', ''), undefined);
    const set = await box.as(undefined)({
      method: 'POST',
      url: '/api/members/set-password',
      payload: { token, password: 'bob password 12' },
    });
    assert.equal(set.statusCode, 200, set.body);
    const reuse = await box.as(undefined)({
      method: 'POST',
      url: '/api/members/set-password',
      payload: { token, password: 'bob password 13' },
    });
    assert.equal(reuse.statusCode, 404);
    assert.ok(await box.signIn('bob', 'bob password 12'));

    const grant = await box.admin({ method: 'PUT', url: '/api/installs/nosuch/access/family' });
    assert.equal(grant.statusCode, 404);
    const openapi = (await box.admin({ method: 'GET', url: '/api/openapi.json' })).json();
    for (const path of [
      '/api/members',
      '/api/groups',
      '/api/installs/{id}/access',
      '/api/members/set-password',
    ]) {
      assert.ok(openapi.paths[path], `${path} in OpenAPI`);
    }
    const audit = JSON.stringify(box.audit.list({ limit: 1000 }));
    for (const secret of [...PASSWORDS, token]) {
      assert.ok(!audit.includes(secret), 'no password or link in the audit');
      assert.ok(!logs.some((l) => l.includes(secret)), 'no password or link in a log line');
    }
  });

  test('an admin edits a member all or nothing; a member reads their own services only', async (t) => {
    const box = await boot(t);
    for (const name of ['family', 'friends']) {
      await box.admin({ method: 'POST', url: '/api/groups', payload: { name } });
    }
    const added = await box.admin({
      method: 'POST',
      url: '/api/members',
      payload: { name: 'carol', email: 'carol@example.org', password: 'carol password 1' },
    });
    assert.equal(added.statusCode, 201, added.body);
    await box.admin({
      method: 'POST',
      url: '/api/members',
      payload: { name: 'dave', email: 'dave@example.org' },
    });

    const bad = await box.admin({
      method: 'PATCH',
      url: '/api/members/carol',
      payload: { displayName: 'Carol', email: 'dave@example.org', groups: ['nosuch'] },
    });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.json().message, /email: "dave@example.org" is dave's already/);
    assert.match(bad.json().message, /groups: no group "nosuch"/);
    const unchanged = (await box.admin({ method: 'GET', url: '/api/members' })).json().members;
    assert.equal(unchanged.find((m: { name: string }) => m.name === 'carol').displayName, '');

    const changed = await box.admin({
      method: 'PATCH',
      url: '/api/members/carol',
      payload: { displayName: 'Carol Lune', email: 'carol@lune.example', groups: ['friends'] },
    });
    assert.equal(changed.statusCode, 200, changed.body);
    assert.deepEqual(
      [
        changed.json().member.displayName,
        changed.json().member.email,
        changed.json().member.groups,
      ],
      ['Carol Lune', 'carol@lune.example', ['friends']],
    );
    const regrouped = await box.admin({
      method: 'PATCH',
      url: '/api/members/carol',
      payload: { groups: ['family'] },
    });
    assert.deepEqual(regrouped.json().member.groups, ['family']);
    assert.equal(regrouped.json().member.email, 'carol@lune.example', 'absent fields stay');

    const install = (id: string, appId: string, settings: Record<string, string>) =>
      box.store.installs.create({
        id,
        appId,
        appDir: `/catalog/${appId}`,
        settings,
        secrets: { ADMIN_PASSWORD: 'not shown 12345' },
        acceptedPermissions: [],
      });
    install('mail', 'mail', { DOMAIN: 'lune.example', SUBMISSION_PORT: '1587' });
    install('chat', 'chat', { DOMAIN: 'lune.example', C2S_PORT: '5222' });
    install('calendar', 'calendar', { PORT: '5232' });
    for (const [id, group] of [
      ['mail', 'family'],
      ['chat', 'friends'],
      ['calendar', 'family'],
    ]) {
      const res = await box.admin({ method: 'PUT', url: `/api/installs/${id}/access/${group}` });
      assert.equal(res.statusCode, 200, res.body);
    }

    const carol = await box.signIn('carol', 'carol password 1');
    const mine = await box.as(carol)({ method: 'GET', url: '/api/account/services' });
    assert.equal(mine.statusCode, 200, mine.body);
    assert.equal(mine.json().member.name, 'carol');
    const services = mine.json().services as {
      install: string;
      kind: string;
      fields: { key: string; value: string }[];
    }[];
    assert.deepEqual(
      services.map((s) => s.install),
      ['calendar', 'mail'],
      'only the installs her group may use (not chat: friends only)',
    );
    const mail = Object.fromEntries(services[1]!.fields.map((f) => [f.key, f.value]));
    assert.deepEqual(mail, {
      address: 'carol@lune.example',
      username: 'carol',
      server: 'mail.lune.example',
      imaps: '993',
      imap: '143',
      submission: '1587',
    });
    assert.deepEqual(services[0]!.fields, [
      { key: 'username', value: 'carol' },
      { key: 'caldav', value: `http://${HOST}:5232/carol/` },
    ]);
    assert.ok(!mine.body.includes('not shown 12345'), 'no secret in the answer');

    const meddling = await box.as(carol)({
      method: 'PATCH',
      url: '/api/members/dave',
      payload: { displayName: 'x' },
    });
    assert.equal(meddling.statusCode, 403, 'a member may not edit another member');
    assert.equal(
      (await box.as(undefined)({ method: 'GET', url: '/api/account/services' })).statusCode,
      401,
    );
    const openapi = (await box.admin({ method: 'GET', url: '/api/openapi.json' })).json();
    assert.ok(openapi.paths['/api/account/services'], 'in OpenAPI');
    assert.ok(openapi.paths['/api/members/{name}'].patch, 'PATCH in OpenAPI');

    // Thunderbird's autoconfig file: public (a mail program asks before anyone signs in).
    for (const path of ['/mail/config-v1.1.xml', '/.well-known/autoconfig/mail/config-v1.1.xml']) {
      const file = await box.as(undefined)({
        method: 'GET',
        url: `${path}?emailaddress=carol%40lune.example`,
      });
      assert.equal(file.statusCode, 200, file.body);
      assert.match(file.headers['content-type'] as string, /^application\/xml/);
      assert.match(file.body, /<hostname>mail\.lune\.example<\/hostname>/);
      assert.match(file.body, /<port>1587<\/port>/);
      const none = await box.as(undefined)({
        method: 'GET',
        url: `${path}?emailaddress=carol%40elsewhere.example`,
      });
      assert.equal(none.statusCode, 404, 'no mail install serves elsewhere.example');
    }
    const audit = JSON.stringify(box.audit.list({ limit: 1000 }));
    assert.match(audit, /member\.changed/);
    assert.ok(!audit.includes('carol password 1'));
  });
});
