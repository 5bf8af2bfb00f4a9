/**
 * Issue 15 through the real routes and store (the engine stood in): an install's automatic
 * updates are off by default; a bad window is a path-qualified 400 that changes nothing; a
 * good one is stored and audited. Debian's packages recorded by a check show in the install
 * view and the update preview, and stop showing once a later update succeeded.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type RouteApp, startRouteApp } from '../support/route-app.js';

let box: RouteApp;
let admin: Record<string, string>;

before(async () => {
  box = await startRouteApp();
  admin = box.browser(await box.login('admin', 'correct horse battery'));
  const created = await call('POST', '/api/installs', { app: 'web', id: 'auto' });
  assert.equal(created.statusCode, 202, created.body);
});
after(() => box.close());

const call = (method: string, url: string, payload?: object) =>
  box.inject({ method: method as 'GET', url, headers: admin, ...(payload ? { payload } : {}) });

const auditIds = () =>
  (box.app.foyer.audit.list({ limit: 1000 }) as { id: number }[]).map((e) => e.id);

test('automatic updates: off by default, a bad window refused with nothing changed, a good one kept', async () => {
  const initial = await call('GET', '/api/installs/auto/auto-update');
  assert.equal(initial.statusCode, 200);
  assert.deepEqual(initial.json(), {
    enabled: false,
    window: '03:00-05:00',
    lastOffer: null,
    lastJob: null,
    lastAt: null,
  });

  const audit = auditIds();
  for (const window of ['25:00-01:00', '03:00-03:00', '3-5', '03:00-05:00; rm -rf /']) {
    const bad = await call('PUT', '/api/installs/auto/auto-update', { enabled: true, window });
    assert.equal(bad.statusCode, 400, window);
    assert.match(bad.json().problems[0].path, /window$/);
  }
  assert.deepEqual(auditIds(), audit, 'nothing audited');
  assert.deepEqual((await call('GET', '/api/installs/auto/auto-update')).json(), initial.json());

  const on = await call('PUT', '/api/installs/auto/auto-update', {
    enabled: true,
    window: '23:30-01:00',
  });
  assert.equal(on.statusCode, 200, on.body);
  assert.equal(on.json().enabled, true);
  assert.equal(on.json().window, '23:30-01:00');
  assert.deepEqual(box.app.foyer.offers.autoUpdating(), ['auto']);
  const entry = (box.app.foyer.audit.list({ limit: 1 }) as { action: string }[])[0];
  assert.equal(entry?.action, 'install.auto-update');

  const off = await call('PUT', '/api/installs/auto/auto-update', { enabled: false });
  assert.equal(off.json().window, '23:30-01:00', 'the window is kept when left out');
  assert.equal(
    (await call('PUT', '/api/installs/nope/auto-update', { enabled: true })).statusCode,
    404,
  );
});

test("Debian's packages found by a check show in the view and the preview", async () => {
  const none = await call('GET', '/api/installs/auto/update');
  assert.deepEqual(none.json().debian, {
    checkedAt: null,
    packages: [],
    problems: [],
    checking: false,
  });
  const openssl = {
    name: 'openssl',
    from: '3.0.11-1~deb12u2',
    to: '3.0.17-1~deb12u3',
    security: true,
  };
  box.app.foyer.offers.recordChecks('auto', [
    {
      service: 'web',
      imageId: 'sha256:old',
      checkedAt: new Date().toISOString(),
      packages: [openssl],
      error: null,
    },
  ]);
  assert.deepEqual((await call('GET', '/api/installs/auto')).json().debianUpdates, [openssl]);
  const preview = (await call('GET', '/api/installs/auto/update')).json();
  assert.deepEqual(preview.debian.packages, [openssl]);
  assert.equal(preview.changes, null, 'the catalogue offers nothing new');
});
