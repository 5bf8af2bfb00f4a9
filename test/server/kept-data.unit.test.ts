/** Kept data (issue 11 §1): what an uninstall without purge left, grouped by the install it was. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { keptData } from '../../server/data/kept-data.js';

const volume = (name: string, install: string, app = 'web') => ({
  name,
  labels: { 'foyer.managed': 'true', 'foyer.install': install, 'foyer.app': app },
});

test('volumes and folders of installs that are gone are listed by install; live installs are not', () => {
  const listed = keptData(
    [
      volume('old_www', 'old'),
      volume('old_db', 'old'),
      volume('live_www', 'live'),
      volume('chat_data', 'chat', 'chat'),
      { name: 'stray', labels: { 'foyer.managed': 'true' } },
    ],
    ['old', 'live', 'notes'],
    '/data/apps',
    (id) => id === 'live',
  );
  assert.deepEqual(listed, [
    { install: 'chat', app: 'chat', volumes: ['chat_data'], folder: null },
    { install: 'notes', app: null, volumes: [], folder: '/data/apps/notes' },
    { install: 'old', app: 'web', volumes: ['old_db', 'old_www'], folder: '/data/apps/old' },
  ]);
});
