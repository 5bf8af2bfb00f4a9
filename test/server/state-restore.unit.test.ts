// Putting a staged state in place (issue 15, onto a new box): with two real SQLite stores on
// disk, the staged store replaces the live one, which is kept aside; this box's targets the
// snapshot lacks are carried over, the snapshot's win on a shared name; definitions are merged
// and the edge's storage replaced; nothing staged is left. Without `ready.json`, nothing moves.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { edgeStorage } from '../../server/backup/snapshot.js';
import { applyStagedState, stateStaged } from '../../server/backup/state-restore.js';
import { backupStore } from '../../server/backup/store.js';
import { auditLog } from '../../server/store/audit.js';
import { openStore } from '../../server/store/index.js';
import { jobRepository } from '../../server/store/jobs.js';

const root = mkdtempSync(join(tmpdir(), 'foyer-state-restore-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** A store with the given installs and targets, closed. */
function makeStore(path: string, installs: string[], targets: [string, string][]) {
  mkdirSync(join(path, '..'), { recursive: true });
  const store = openStore(path);
  for (const id of installs)
    store.installs.create({
      id,
      appId: 'web',
      appDir: '/x',
      settings: { GREETING: `from ${id}` },
      secrets: {},
      acceptedPermissions: [],
    });
  jobRepository(store.db).create({
    id: `job-${installs[0] ?? 'none'}`,
    kind: 'backup',
    installId: null,
    actor: 'schedule',
  });
  const backups = backupStore(store.db);
  for (const [name, password] of targets)
    backups.addTarget({ name, repository: `/srv/${name}`, password });
  store.close();
}

describe('applyStagedState', () => {
  test('nothing staged: nothing moves', () => {
    const dataDir = mkdtempSync(join(root, 'none-'));
    makeStore(join(dataDir, 'foyer.db'), ['mine'], []);
    assert.equal(stateStaged(dataDir), false);
    assert.equal(applyStagedState(dataDir), undefined);
    const store = openStore(join(dataDir, 'foyer.db'));
    assert.deepEqual(
      store.installs.list().map((i) => i.id),
      ['mine'],
    );
    store.close();
  });

  test('the snapshot’s store goes in place, this box’s own targets stay', () => {
    const dataDir = mkdtempSync(join(root, 'box-'));
    makeStore(
      join(dataDir, 'foyer.db'),
      [],
      [
        ['disk', 'new box'],
        ['spare', 'spare password'],
      ],
    );
    mkdirSync(join(dataDir, 'definitions', 'aaa'), { recursive: true });
    writeFileSync(join(dataDir, 'definitions', 'aaa', 'app.yaml'), 'kept');
    mkdirSync(edgeStorage(dataDir), { recursive: true });
    writeFileSync(join(edgeStorage(dataDir), 'stale.crt'), 'new box');

    // What stageState leaves: the snapshot's files under incoming-state, then ready.json.
    const incoming = join(dataDir, 'backup', 'incoming-state');
    const old = '/old/data';
    makeStore(
      join(incoming, old, 'backup/stage/foyer-state/foyer.db'),
      ['cal'],
      [['disk', 'old box']],
    );
    mkdirSync(join(incoming, old, 'definitions', 'bbb'), { recursive: true });
    writeFileSync(join(incoming, old, 'definitions', 'bbb', 'app.yaml'), 'restored');
    mkdirSync(join(incoming, old, 'apps/edge/data/caddy'), { recursive: true });
    writeFileSync(join(incoming, old, 'apps/edge/data/caddy/root.crt'), 'old CA');
    writeFileSync(
      join(incoming, 'ready.json'),
      JSON.stringify({
        snapshot: 'abcdef12',
        target: 'disk',
        store: `${old}/backup/stage/foyer-state/foyer.db`,
        definitions: `${old}/definitions`,
        edge: `${old}/apps/edge/data`,
      }),
    );
    assert.equal(stateStaged(dataDir), true);

    assert.equal(applyStagedState(dataDir), 'abcdef12');
    const store = openStore(join(dataDir, 'foyer.db'));
    try {
      assert.deepEqual(
        store.installs.list().map((i) => [i.id, i.settings.GREETING]),
        [['cal', 'from cal']],
      );
      const backups = backupStore(store.db);
      assert.deepEqual(
        backups.targets().map((t) => t.name),
        ['disk', 'spare'],
      );
      assert.equal(backups.password('disk'), 'old box', 'the snapshot’s target wins its name');
      assert.equal(backups.password('spare'), 'spare password');
      const job = jobRepository(store.db).get('job-cal');
      assert.equal(job?.state, 'interrupted', 'the old box’s running backup ended there');
      const [entry] = auditLog(store.db).list({ limit: 1 });
      assert.equal(entry?.action, 'backup.restore-state.applied');
      assert.deepEqual(entry?.detail, {
        snapshot: 'abcdef12',
        target: 'disk',
        targetsCarriedOver: 1,
      });
    } finally {
      store.close();
    }
    assert.equal(readFileSync(join(dataDir, 'definitions', 'aaa', 'app.yaml'), 'utf8'), 'kept');
    assert.equal(readFileSync(join(dataDir, 'definitions', 'bbb', 'app.yaml'), 'utf8'), 'restored');
    assert.equal(readFileSync(join(edgeStorage(dataDir), 'caddy/root.crt'), 'utf8'), 'old CA');
    assert.equal(existsSync(join(edgeStorage(dataDir), 'stale.crt')), false);
    assert.ok(existsSync(join(dataDir, 'backup', 'before-restore', 'foyer.db')));
    assert.equal(existsSync(incoming), false);
    assert.equal(stateStaged(dataDir), false);
  });
});
