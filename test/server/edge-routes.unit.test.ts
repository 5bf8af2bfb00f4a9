/**
 * The edge's auth gate and the domain API's refusals, on the real app (issue 13): `GET
 * /api/auth/verify` answers 200 with `Remote-User` for an admin only; a domain request with
 * bad input is a path-qualified 400 that stores nothing.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { domainStore } from '../../server/edge/store.js';
import { checkDomainInput } from '../../server/edge/validate.js';
import { MEMBER_PASSWORD, type RouteApp, startRouteApp } from '../support/route-app.js';

let box: RouteApp;
let admin: Record<string, string>;
let member: Record<string, string>;

before(async () => {
  box = await startRouteApp();
  admin = box.browser(await box.login('admin', 'correct horse battery'));
  member = box.browser(await box.login('mia', MEMBER_PASSWORD));
});
after(() => box.close());

test('the auth gate: 200 and Remote-User for an admin, 403 for a member, 401 for nobody', async () => {
  const yes = await box.inject({ method: 'GET', url: '/api/auth/verify', headers: admin });
  assert.equal(yes.statusCode, 200, yes.body);
  assert.equal(yes.headers['remote-user'], 'admin');
  const members = await box.inject({ method: 'GET', url: '/api/auth/verify', headers: member });
  assert.equal(members.statusCode, 403);
  assert.equal(members.headers['remote-user'], undefined);
  const nobody = await box.inject({
    method: 'GET',
    url: '/api/auth/verify',
    headers: { host: 'foyer.test:8420', 'remote-user': 'admin' },
  });
  assert.equal(nobody.statusCode, 401);
  assert.equal(nobody.headers['remote-user'], undefined);
});

test('bad domain input is a path-qualified problem per field', () => {
  const check = (input: Parameters<typeof checkDomainInput>[0]) =>
    checkDomainInput(input).problems.map((p) => `${p.path}: ${p.message}`);
  assert.deepEqual(check({ domain: 'home.example', mode: 'internal' }), []);
  assert.match(check({ domain: 'localhost', mode: 'internal' })[0]!, /^domain: .*two labels/);
  assert.match(check({ domain: '10.0.0.1', mode: 'internal' })[0]!, /^domain: an IP address/);
  assert.match(
    check({ domain: 'a_b.example', mode: 'public' })[0]!,
    /^domain: "a_b" is not a valid label/,
  );
  assert.match(
    check({ domain: 'box.example', mode: 'public', acme: 'http://ca.example/dir' })[0]!,
    /^acme: /,
  );
  assert.match(
    check({ domain: 'box.example', mode: 'public', acmeRoot: 'hello' })[0]!,
    /^acmeRoot: not a PEM certificate/,
  );
  assert.match(
    check({
      domain: 'box.example',
      mode: 'public',
      acmeRoot: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n',
    })[0]!,
    /^acmeRoot: not a certificate/,
  );
  assert.match(check({ domain: 'box.example', mode: 'public', email: 'nope' })[0]!, /^email: /);
});

test('a refused PUT /api/domain stores nothing and installs no edge', async () => {
  const refused = await box.inject({
    method: 'PUT',
    url: '/api/domain',
    headers: admin,
    payload: { domain: 'not a domain', mode: 'internal' },
  });
  assert.equal(refused.statusCode, 400, refused.body);
  assert.match(refused.json().message, /^domain: /);
  assert.equal(domainStore(box.store.db).get(), undefined);
  assert.equal(box.store.installs.get('edge'), undefined);
  assert.deepEqual(box.engineWrites(), []);
  const status = await box.inject({ method: 'GET', url: '/api/domain', headers: admin });
  assert.equal(status.statusCode, 200, status.body);
  assert.equal(status.json().domain, null);
});
