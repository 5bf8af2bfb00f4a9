/**
 * Issue 11 §2, route by route: admins manage the box, members use it. Every
 * registered API route is called anonymously, with a member's session and
 * with a member's API token: a route not marked `role: 'member'` refuses the
 * member with 403, the anonymous caller with 401, and a refused request has
 * changed nothing — not the store, not the audit log, not the engine.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { jobRepository } from '../../server/store/jobs.js';
import { MEMBER_PASSWORD, type RouteApp, startRouteApp } from '../support/route-app.js';

/** What members may call; every other non-public route is for admins. */
const MEMBER_ROUTES = [
  'DELETE /api/account/app-passwords/:id',
  'DELETE /api/tokens/:id',
  'GET /api/account/app-passwords',
  'GET /api/account/services',
  'GET /api/apps',
  'GET /api/apps/:id',
  'GET /api/apps/:id/icon',
  'GET /api/auth/me',
  'GET /api/events',
  'GET /api/installs',
  'GET /api/installs/:id',
  'GET /api/openapi.json',
  'GET /api/tokens',
  'POST /api/account/app-passwords',
  'POST /api/auth/logout',
  'POST /api/auth/password',
  'POST /api/auth/totp/disable',
  'POST /api/auth/totp/enable',
  'POST /api/auth/totp/setup',
  'POST /api/tokens',
];

/** Bodies a real attempt would send, so a refusal is not down to a bad body. */
const PAYLOADS: Record<string, object> = {
  'POST /api/installs': { app: 'web', id: 'mine' },
  'PATCH /api/installs/:id': { settings: { GREETING: 'pwned' } },
  'POST /api/users': { username: 'eve', password: 'a long enough password', role: 'admin' },
  'POST /api/tokens': { name: 'mine', password: MEMBER_PASSWORD },
};

let box: RouteApp;
let admin: Record<string, string>;
let memberSession: Record<string, string>;
let memberToken: Record<string, string>;

before(async () => {
  box = await startRouteApp();
  admin = box.browser(await box.login('admin', 'correct horse battery'));
  const member = await box.login('mia', MEMBER_PASSWORD);
  memberSession = box.browser(member);
  memberToken = {
    host: 'foyer.test:8420',
    authorization: `Bearer ${await box.token(member, MEMBER_PASSWORD)}`,
  };
  const created = await box.inject({
    method: 'POST',
    url: '/api/installs',
    headers: admin,
    payload: { app: 'web', id: 'web', settings: { GREETING: 'hello' } },
  });
  assert.equal(created.statusCode, 202, created.body);
});
after(() => box.close());

const key = (r: { method: string; url: string }) => `${r.method} ${r.url}`;

/** The URL of a route with its `:id` filled in: an install or app for most, a number for users. */
const urlOf = (url: string) => url.replaceAll(':id', /\/(users|tokens)\//.test(url) ? '1' : 'web');

/** Everything a refused request must leave as it was. */
const world = () => {
  const db = box.store.db;
  const rows = (sql: string) => JSON.stringify(db.prepare(sql).all());
  return {
    installs: rows('SELECT * FROM installs ORDER BY id'),
    users: rows('SELECT * FROM users ORDER BY id'),
    tokens: rows('SELECT id, user_id, name FROM api_tokens ORDER BY id'),
    sessions: rows('SELECT id_hash, user_id FROM sessions ORDER BY id_hash'),
    jobs: JSON.stringify(jobRepository(db).list({ limit: 500 })),
    audit: rows('SELECT id FROM audit_log ORDER BY id'),
    asked: [...box.reconciler.asked],
    engineWrites: box.engineWrites(),
  };
};

const routes = () => box.app.foyerRoutes.filter((r) => r.url.startsWith('/api/') && !r.public);

test('the routes members may call are exactly the declared list; every other is for admins', () => {
  const member = routes()
    .filter((r) => r.role === 'member')
    .map(key)
    .sort();
  assert.deepEqual(member, [...MEMBER_ROUTES].sort());
  assert.ok(routes().length >= 30, `found ${routes().length} routes`);
});

test('anonymous callers and members are refused every admin route, and nothing changes', async () => {
  const callers: [string, Record<string, string>, number, string][] = [
    ['anonymous', { host: 'foyer.test:8420' }, 401, 'FOYER_UNAUTHENTICATED'],
    ['member session', memberSession, 403, 'FOYER_FORBIDDEN'],
    ['member token', memberToken, 403, 'FOYER_FORBIDDEN'],
  ];
  const before = world();
  let refused = 0;
  for (const route of routes()) {
    for (const [who, headers, status, code] of callers) {
      if (who !== 'anonymous' && route.role === 'member') continue;
      const url = urlOf(route.url) + (route.method === 'DELETE' ? '?purge=true' : '');
      const res = await box.inject({
        method: route.method as 'GET',
        url,
        headers,
        ...(route.method === 'GET' ? {} : { payload: PAYLOADS[key(route)] ?? {} }),
      });
      assert.equal(res.statusCode, status, `${key(route)} as ${who}: ${res.body}`);
      assert.equal(res.json().code, code, `${key(route)} as ${who}`);
      refused++;
    }
  }
  assert.ok(refused > 50, `${refused} refusals`);
  assert.deepEqual(world(), before, 'no refused request changed anything');
});

test('members read the installs without their settings, and use their own account', async () => {
  for (const headers of [memberSession, memberToken]) {
    const list = await box.inject({ url: '/api/installs', headers });
    assert.equal(list.statusCode, 200, list.body);
    const [web] = list.json();
    assert.equal(web.id, 'web');
    assert.deepEqual(web.web, { service: 'web', port: 8080 });
    assert.deepEqual(web.settings, {}, 'no settings values for members');
    const one = await box.inject({ url: '/api/installs/web', headers });
    assert.deepEqual(one.json().settings, {});
    for (const url of ['/api/apps', '/api/apps/web', '/api/auth/me', '/api/tokens']) {
      const res = await box.inject({ url, headers });
      assert.equal(res.statusCode, 200, `${url}: ${res.body}`);
    }
  }
  const adminView = await box.inject({ url: '/api/installs/web', headers: admin });
  assert.equal(adminView.json().settings.GREETING, 'hello');
  const made = await box.inject({
    method: 'POST',
    url: '/api/tokens',
    headers: memberSession,
    payload: { name: 'phone', password: MEMBER_PASSWORD },
  });
  assert.equal(made.statusCode, 201, made.body);
});

test('admins still manage everything', async () => {
  for (const url of ['/api/users', '/api/audit', '/api/jobs', '/api/kept-data', '/api/host']) {
    const res = await box.inject({ url, headers: admin });
    assert.equal(res.statusCode, 200, `${url}: ${res.body}`);
  }
  const stop = await box.inject({ method: 'DELETE', url: '/api/installs/web', headers: admin });
  assert.equal(stop.statusCode, 202, stop.body);
});
