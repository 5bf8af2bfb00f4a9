/**
 * Issue 11 §1 through the real routes, store and job runner (the engine
 * stood in): a change refused because a job runs has changed nothing — not
 * the store, not the audit log, not the engine; an uninstall cancels the job
 * in progress; every job ends, even when its install is removed; an id is
 * free again once its install is gone.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { jobRepository } from '../../server/store/jobs.js';
import { type RouteApp, startRouteApp } from '../support/route-app.js';

let box: RouteApp;
let admin: Record<string, string>;

before(async () => {
  box = await startRouteApp();
  admin = box.browser(await box.login('admin', 'correct horse battery'));
});
after(() => box.close());

const call = (method: string, url: string, payload?: object) =>
  box.inject({ method: method as 'GET', url, headers: admin, ...(payload ? { payload } : {}) });

/** Everything a refused change must leave as it was. */
const world = (id: string) => ({
  install: box.store.installs.get(id),
  secrets: box.store.installs.get(id) && box.store.installs.secrets(id),
  jobs: jobRepository(box.store.db).list({ installId: id }),
  audit: (box.app.foyer.audit.list({ limit: 1000 }) as { id: number }[]).map((e) => e.id),
  asked: [...box.reconciler.asked],
  engineWrites: box.engineWrites(),
});

/** The reconciler's last word on an install it has removed: the row is gone, then "removed". */
function removed(id: string) {
  box.store.installs.delete(id);
  box.reconciler.emit('status', { install: id, state: 'removed', services: [] });
}

test('while a job runs, every change but uninstall is refused with 409 and changes nothing', async () => {
  const created = await call('POST', '/api/installs', {
    app: 'web',
    id: 'busy',
    settings: { GREETING: 'hello' },
  });
  assert.equal(created.statusCode, 202, created.body);
  const installJob = created.json().job.id as string;
  const before = world('busy');
  assert.equal(before.jobs[0]?.state, 'running');

  const refused: [string, string, object?][] = [
    ['PATCH', '/api/installs/busy', { settings: { GREETING: 'changed', PORT: 20000 } }],
    ['POST', '/api/installs/busy/stop'],
    ['POST', '/api/installs/busy/start'],
    ['POST', '/api/installs/busy/restart'],
    ['POST', '/api/installs/busy/update'],
    ['POST', '/api/installs', { app: 'web', id: 'busy' }],
  ];
  for (const [method, url, payload] of refused) {
    const res = await call(method, url, payload);
    assert.equal(res.statusCode, 409, `${method} ${url}: ${res.body}`);
    assert.equal(res.json().code, 'FOYER_CONFLICT');
    assert.deepEqual(world('busy'), before, `${method} ${url} changed nothing`);
  }

  // An uninstall supersedes the install in progress: that job ends cancelled, its own starts.
  const uninstall = await call('DELETE', '/api/installs/busy?purge=true');
  assert.equal(uninstall.statusCode, 202, uninstall.body);
  const jobs = jobRepository(box.store.db);
  assert.equal(jobs.get(installJob)?.state, 'cancelled');
  assert.match(jobs.get(installJob)?.error ?? '', /cancelled by an uninstall by admin/);
  const uninstallJob = uninstall.json().job.id as string;
  assert.equal(jobs.get(uninstallJob)?.state, 'running');
  assert.equal(box.store.installs.get('busy')?.desired, 'absent');
  assert.equal(box.store.installs.get('busy')?.purge, true);

  // A second uninstall while the first runs is refused like any other change.
  const during = world('busy');
  const again = await call('DELETE', '/api/installs/busy');
  assert.equal(again.statusCode, 409, again.body);
  assert.deepEqual(world('busy'), during);

  // Only the accepted changes are in the audit log, with who, what, when and from where.
  const entries = box.app.foyer.audit
    .list({ limit: 1000 })
    .filter((e) => e.target === 'busy')
    .reverse();
  assert.deepEqual(
    entries.map((e) => [e.actor, e.action]),
    [
      ['admin', 'install.install'],
      ['admin', 'install.uninstall'],
    ],
  );
  assert.equal(entries[0]?.detail.address, '127.0.0.1');
  assert.equal(entries[1]?.detail.cancelled, installJob);
  assert.equal(entries[1]?.detail.purge, true);
  assert.ok(entries.every((e) => !Number.isNaN(Date.parse(e.at))));

  // The reconciler removes the install: the uninstall job succeeds, and the id is free again.
  removed('busy');
  assert.equal(jobs.get(uninstallJob)?.state, 'succeeded');
  const reused = await call('POST', '/api/installs', { app: 'web', id: 'busy' });
  assert.equal(reused.statusCode, 202, reused.body);
  assert.equal(box.store.installs.get('busy')?.generation, 1);
});

test('a job whose install is removed ends cancelled instead of running forever', async () => {
  const created = await call('POST', '/api/installs', { app: 'web', id: 'doomed' });
  assert.equal(created.statusCode, 202, created.body);
  const job = created.json().job.id as string;
  removed('doomed');
  const ended = jobRepository(box.store.db).get(job);
  assert.equal(ended?.state, 'cancelled');
  assert.equal(ended?.error, 'the install was removed');
});

test('a refused change with bad settings changes nothing, whether or not a job runs', async () => {
  const created = await call('POST', '/api/installs', { app: 'web', id: 'quiet' });
  assert.equal(created.statusCode, 202, created.body);
  box.reconciler.emit('settled', { install: 'quiet', generation: 1 });
  box.reconciler.emit('status', { install: 'quiet', state: 'running', services: [] });
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(jobRepository(box.store.db).runningFor('quiet'), undefined);
  const before = world('quiet');
  const bad = await call('PATCH', '/api/installs/quiet', { settings: { PORT: 80 } });
  assert.equal(bad.statusCode, 400, bad.body);
  assert.deepEqual(world('quiet'), before);
  const good = await call('PATCH', '/api/installs/quiet', { settings: { PORT: 20001 } });
  assert.equal(good.statusCode, 202, good.body);
  assert.equal(box.store.installs.get('quiet')?.settings.PORT, '20001');
});
