/**
 * Every install of an app with `accounts: directory` gets its read-only bind account (issue 14),
 * whatever made its row: an install through the API makes it at once, but a backup restored as a
 * new install or a state restore of an older store does not. `ensureDirectoryBinds` is the
 * level-triggered check the directory service runs at start, before each sync and on each
 * install's status: it makes the missing ones, re-renders those installs (generation), and leaves
 * every other install alone.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import {
  bindPassword,
  ensureBind,
  ensureDirectoryBinds,
} from '../../server/directory/app-accounts.js';
import { verifyCrypt } from '../../server/directory/crypt.js';
import { openStore } from '../../server/store/index.js';
import { addInstall } from '../support/foyer.js';

const dir = mkdtempSync(join(tmpdir(), 'foyer-binds-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('installs restored without a bind account get one; others are left as they are', () => {
  const store = openStore(join(dir, 'a.db'));
  // mail came through the API (bind made with its row); chat and calendar came back from a
  // backup (rows without binds); web does not take accounts from the directory; old-chat is
  // being uninstalled.
  for (const id of ['mail', 'chat', 'calendar', 'web', 'old-chat']) addInstall(store, id, 'web');
  ensureBind(store.db, 'mail');
  store.installs.setDesired('old-chat', 'absent');
  const mailPassword = bindPassword(store.db, 'mail');
  const accounts: Record<string, string> = {
    mail: 'directory',
    chat: 'directory',
    calendar: 'directory',
    'old-chat': 'directory',
  };
  const generation = (id: string) => store.installs.get(id)?.generation;
  const before = Object.fromEntries(
    ['mail', 'chat', 'calendar', 'web', 'old-chat'].map((id) => [id, generation(id)]),
  );

  const made = ensureDirectoryBinds(store.db, store.installs, (i) => accounts[i.id]);
  assert.deepEqual(made.sort(), ['calendar', 'chat']);
  for (const id of made) {
    const password = bindPassword(store.db, id);
    assert.ok(password && password.length >= 32, `${id} has a bind password`);
    const row = store.db
      .prepare<[string], { crypt_hash: string }>(
        'SELECT crypt_hash FROM directory_binds WHERE install_id = ?',
      )
      .get(id);
    assert.ok(verifyCrypt(password, row!.crypt_hash), `${id}: slapd gets the hash of it`);
    // Rendered again, so its containers get the password.
    assert.equal(generation(id), (before[id] ?? 0) + 1, id);
  }
  assert.equal(bindPassword(store.db, 'mail'), mailPassword, 'an existing bind is kept');
  assert.equal(bindPassword(store.db, 'web'), undefined);
  assert.equal(bindPassword(store.db, 'old-chat'), undefined);
  for (const id of ['mail', 'web', 'old-chat']) assert.equal(generation(id), before[id], id);

  // Level-triggered and idempotent: nothing more to make, nothing re-rendered.
  assert.deepEqual(
    ensureDirectoryBinds(store.db, store.installs, (i) => accounts[i.id]),
    [],
  );
  assert.equal(generation('chat'), (before.chat ?? 0) + 1);
  // The bind goes with the install.
  store.installs.delete('chat');
  assert.equal(bindPassword(store.db, 'chat'), undefined);
  store.close();
});
