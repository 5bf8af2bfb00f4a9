import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { openDatabase } from '../../server/store/db.js';
import {
  MIGRATIONS,
  type Migration,
  openStore,
  type Store,
  StoreError,
} from '../../server/store/index.js';
import { jobRepository } from '../../server/store/jobs.js';
import { migrate } from '../../server/store/migrations.js';

const root = mkdtempSync(join(tmpdir(), 'foyer-store-'));
after(() => rmSync(root, { recursive: true, force: true }));

let counter = 0;
/** A fresh database path in a folder that does not exist yet. */
function freshPath(): string {
  counter += 1;
  return join(root, `data-${counter}`, 'foyer.db');
}

const fixed = new Date('2026-01-02T03:04:05.000Z');

/** Opens a store on a fresh file with a fixed clock, closed after the test. */
function freshStore(t: { after: (fn: () => void) => void }): Store {
  const store = openStore(freshPath(), { now: () => fixed });
  t.after(() => store.close());
  return store;
}

function ledger(path: string): { version: number; name: string }[] {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all() as {
      version: number;
      name: string;
    }[];
  } finally {
    db.close();
  }
}

function assertStoreError(code: string): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof StoreError, `expected a StoreError, got ${String(error)}`);
    assert.equal(error.code, code);
    return true;
  };
}

const app = { id: 'radicale', appId: 'radicale', appDir: '/usr/share/foyer/catalog/radicale' };

describe('opening', () => {
  test('creates the folder 0700 and the file 0600', () => {
    const path = freshPath();
    openStore(path).close();
    assert.equal(statSync(join(path, '..')).mode & 0o777, 0o700);
    assert.equal(statSync(path).mode & 0o777, 0o600);
  });

  test('runs in WAL mode with foreign keys on and a busy timeout', () => {
    const path = freshPath();
    openStore(path).close();
    const db = openDatabase(path);
    try {
      assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
      assert.equal(db.pragma('foreign_keys', { simple: true }), 1);
      assert.ok(Number(db.pragma('busy_timeout', { simple: true })) >= 1000);
    } finally {
      db.close();
    }
    // journal_mode=WAL is a property of the file, so any later connection sees it.
    const plain = new Database(path, { readonly: true });
    assert.equal(plain.pragma('journal_mode', { simple: true }), 'wal');
    plain.close();
  });

  test('applies each migration once and only new ones on reopen', () => {
    const path = freshPath();
    openStore(path).close();
    openStore(path).close();
    assert.deepEqual(
      ledger(path),
      MIGRATIONS.map(({ version, name }) => ({ version, name })),
    );

    const next: Migration = { version: 1000, name: 'notes', up: 'CREATE TABLE notes (t TEXT)' };
    const store = openStore(path, { migrations: [...MIGRATIONS, next] });
    store.installs.create(app);
    store.close();
    assert.equal(ledger(path).at(-1)?.version, 1000);
    const reopened = openStore(path, { migrations: [...MIGRATIONS, next] });
    assert.equal(reopened.installs.get('radicale')?.appId, 'radicale', 'data kept');
    reopened.close();
    assert.equal(ledger(path).length, MIGRATIONS.length + 1);
  });

  test('migration 5 rebuilds the jobs table keeping every job, and jobs may end cancelled', () => {
    const path = freshPath();
    // Schema 3 as an older Foyer left it (its repositories would not know today's columns).
    const db = openDatabase(path);
    migrate(
      db,
      MIGRATIONS.filter((m) => m.version <= 3),
    );
    db.prepare(
      `INSERT INTO jobs (id, kind, install_id, state, step, actor, created_at, updated_at)
       VALUES ('j1', 'install', 'web', 'running', '1/3 PullImage web', 'admin', 'a', 'b')`,
    ).run();
    assert.throws(() => db.prepare("UPDATE jobs SET state = 'cancelled'").run(), /CHECK/);
    db.close();
    const store = openStore(path);
    const jobs = jobRepository(store.db);
    assert.equal(jobs.runningFor('web')?.step, '1/3 PullImage web');
    assert.equal(jobs.finish('j1', 'cancelled', 'superseded').state, 'cancelled');
    assert.equal(jobs.runningFor('web'), undefined);
    store.close();
  });

  test('a failing migration leaves the schema at the previous version', () => {
    const path = freshPath();
    const broken: Migration = {
      version: 1000,
      name: 'broken',
      up: 'CREATE TABLE half (t TEXT); THIS IS NOT SQL',
    };
    assert.throws(() => openStore(path, { migrations: [...MIGRATIONS, broken] }));
    assert.equal(ledger(path).at(-1)?.version, MIGRATIONS.at(-1)?.version);
    const db = new Database(path, { readonly: true });
    const half = db.prepare("SELECT name FROM sqlite_master WHERE name = 'half'").get();
    db.close();
    assert.equal(half, undefined, 'the half-applied table was rolled back');
  });

  test('refuses a database written by a newer Foyer', () => {
    const path = freshPath();
    const future: Migration = { version: 9999, name: 'future', up: 'SELECT 1' };
    openStore(path, { migrations: [...MIGRATIONS, future] }).close();
    assert.throws(() => openStore(path), assertStoreError('STORE_SCHEMA_TOO_NEW'));
    assert.throws(() => openStore(path), /schema version 9999.*newer Foyer/);
  });

  test('refuses migrations out of order', () => {
    const bad = [...MIGRATIONS, { version: 1, name: 'again', up: '' }];
    assert.throws(
      () => openStore(freshPath(), { migrations: bad }),
      assertStoreError('STORE_BAD_MIGRATIONS'),
    );
  });
});

describe('installs', () => {
  test('create returns the typed install at generation 1', (t) => {
    const store = freshStore(t);
    const install = store.installs.create({
      ...app,
      settings: { DOMAIN: 'cal.example.org' },
      secrets: { ADMIN_PASSWORD: 's3cret' },
      acceptedPermissions: ['bind:/srv/media'],
    });
    assert.deepEqual(install, {
      ...app,
      definition: null,
      appVersion: null,
      previousDefinition: null,
      settings: { DOMAIN: 'cal.example.org' },
      acceptedPermissions: ['bind:/srv/media'],
      desired: 'running',
      purge: false,
      generation: 1,
      createdAt: fixed.toISOString(),
      updatedAt: fixed.toISOString(),
    });
    assert.deepEqual(store.installs.get('radicale'), install);
    assert.equal('secrets' in install, false, 'secrets never ride on an install');
    assert.deepEqual(store.installs.secrets('radicale'), { ADMIN_PASSWORD: 's3cret' });
  });

  test('a pinned definition moves on update and the old one becomes the previous (issue 17)', (t) => {
    const store = freshStore(t);
    const v1 = 'a'.repeat(64);
    const v2 = 'b'.repeat(64);
    const created = store.installs.create({ ...app, definition: v1, appVersion: '1.0' });
    assert.equal(created.definition, v1);
    assert.equal(created.appVersion, '1.0');
    assert.equal(created.previousDefinition, null);
    // A change that does not move the pin keeps the previous one as it was.
    store.installs.update('radicale', { settings: { DOMAIN: 'x.example.org' } });
    assert.equal(store.installs.get('radicale')?.previousDefinition, null);
    const moved = store.installs.update('radicale', { definition: v2, appVersion: '2.0' });
    assert.deepEqual(
      [moved.definition, moved.appVersion, moved.previousDefinition],
      [v2, '2.0', v1],
    );
    assert.throws(
      () => store.installs.update('radicale', { definition: 'not-a-hash' }),
      assertStoreError('INSTALL_INVALID'),
    );
  });

  test('create refuses an existing id and a bad id', (t) => {
    const store = freshStore(t);
    store.installs.create(app);
    assert.throws(() => store.installs.create(app), assertStoreError('INSTALL_EXISTS'));
    for (const id of ['Radicale', '-x', '', 'a'.repeat(41), 'a_b', 'a.b']) {
      assert.throws(
        () => store.installs.create({ ...app, id }),
        assertStoreError('INSTALL_INVALID'),
        id,
      );
    }
    store.installs.create({ ...app, id: 'a'.repeat(40) });
    assert.throws(
      () => store.installs.create({ ...app, id: 'rel', appDir: 'catalog/radicale' }),
      assertStoreError('INSTALL_INVALID'),
    );
  });

  test('list returns every install by id; delete removes one', (t) => {
    const store = freshStore(t);
    store.installs.create({ ...app, id: 'zeta' });
    store.installs.create({ ...app, id: 'alpha' });
    assert.deepEqual(
      store.installs.list().map((i) => i.id),
      ['alpha', 'zeta'],
    );
    assert.equal(store.installs.delete('zeta'), true);
    assert.equal(store.installs.delete('zeta'), false);
    assert.equal(store.installs.get('zeta'), undefined);
    assert.deepEqual(
      store.installs.list().map((i) => i.id),
      ['alpha'],
    );
  });

  test('update changes the given fields and bumps the generation', (t) => {
    const store = freshStore(t);
    store.installs.create({ ...app, settings: { A: '1' }, secrets: { S: 'x' } });
    const updated = store.installs.update('radicale', { settings: { A: '2', B: '3' } });
    assert.deepEqual(updated.settings, { A: '2', B: '3' });
    assert.equal(updated.generation, 2);
    assert.equal(updated.appDir, app.appDir, 'untouched fields keep their value');
    assert.deepEqual(store.installs.secrets('radicale'), { S: 'x' });
    const again = store.installs.update('radicale', {
      appDir: '/srv/catalog/radicale',
      acceptedPermissions: ['privileged'],
      secrets: { S: 'x', T: 'y' },
    });
    assert.equal(again.generation, 3);
    assert.deepEqual(again.acceptedPermissions, ['privileged']);
    assert.deepEqual(store.installs.secrets('radicale'), { S: 'x', T: 'y' });
    assert.throws(() => store.installs.update('nope', {}), assertStoreError('INSTALL_NOT_FOUND'));
    assert.throws(
      () => store.installs.update('radicale', { settings: { A: 1 as unknown as string } }),
      assertStoreError('INSTALL_INVALID'),
    );
    assert.equal(store.installs.get('radicale')?.generation, 3, 'a refused update changes nothing');
  });

  test('setDesired bumps the generation; purge sticks only with absent', (t) => {
    const store = freshStore(t);
    store.installs.create(app);
    const stopped = store.installs.setDesired('radicale', 'stopped');
    assert.equal(stopped.desired, 'stopped');
    assert.equal(stopped.generation, 2);
    const absent = store.installs.setDesired('radicale', 'absent', { purge: true });
    assert.deepEqual([absent.desired, absent.purge, absent.generation], ['absent', true, 3]);
    const running = store.installs.setDesired('radicale', 'running', { purge: true });
    assert.deepEqual([running.desired, running.purge, running.generation], ['running', false, 4]);
    assert.throws(
      () => store.installs.setDesired('nope', 'running'),
      assertStoreError('INSTALL_NOT_FOUND'),
    );
    assert.throws(
      () => store.installs.setDesired('radicale', 'paused' as 'running'),
      assertStoreError('INSTALL_INVALID'),
    );
  });

  test('updatedAt follows the clock; createdAt stays', (t) => {
    let clock = fixed;
    const store = openStore(freshPath(), { now: () => clock });
    t.after(() => store.close());
    store.installs.create(app);
    clock = new Date('2026-02-03T00:00:00.000Z');
    const updated = store.installs.setDesired('radicale', 'stopped');
    assert.equal(updated.createdAt, fixed.toISOString());
    assert.equal(updated.updatedAt, clock.toISOString());
  });
});
