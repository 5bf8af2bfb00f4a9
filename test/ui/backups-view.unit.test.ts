/**
 * What the Backups screen makes of the backup API's answers: the kind of repository being
 * typed, snapshots grouped per app, an install's last verified restore (the install view's
 * field when present, else the snapshots), and the daemon's step texts as message keys.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  kitFileName,
  lastVerifiedRestore,
  repositoryKind,
  snapshotsByInstall,
  stepWords,
} from '../../ui/src/lib/backups.ts';
import type { Snapshot } from '../../ui/src/lib/types.ts';

function snap(over: Partial<Snapshot>): Snapshot {
  return {
    id: 'a'.repeat(64),
    shortId: 'aaaaaaaa',
    target: 'disk',
    time: '2026-12-01T02:00:00Z',
    install: 'notes',
    app: 'notes',
    version: '1.0.0-1',
    state: false,
    tags: [],
    size: 1024,
    verified: null,
    verifiedAt: null,
    verifyNote: null,
    ...over,
  };
}

test('the kind of repository follows what the daemon accepts', () => {
  assert.equal(repositoryKind('/srv/backup'), 'local');
  assert.equal(repositoryKind(' sftp:me@nas:/b'), 'sftp');
  assert.equal(repositoryKind('rest:http://nas:8000/'), 'rest');
  assert.equal(repositoryKind('nas:/b'), undefined);
  assert.equal(kitFileName('usb-disk'), 'foyer-recovery-kit-usb-disk.txt');
});

test('snapshots group by install, Foyer’s own state under the empty key', () => {
  const groups = snapshotsByInstall([
    snap({ shortId: '1' }),
    snap({ shortId: '2', install: 'wiki' }),
    snap({ shortId: '3', install: null, state: true }),
    snap({ shortId: '4' }),
  ]);
  assert.deepEqual(
    [...groups].map(([k, v]) => [k, v.map((s) => s.shortId)]),
    [
      ['notes', ['1', '4']],
      ['wiki', ['2']],
      ['', ['3']],
    ],
  );
});

test('the last verified restore is the latest verification of that install, or never', () => {
  const list = [
    snap({ shortId: 'new', verifiedAt: null }),
    snap({ shortId: 'ok', verified: true, verifiedAt: '2026-12-02T03:00:00Z' }),
    snap({ shortId: 'bad', verified: false, verifiedAt: '2026-12-03T03:00:00Z' }),
    snap({ shortId: 'other', install: 'wiki', verified: true, verifiedAt: '2026-12-04T03:00:00Z' }),
  ];
  assert.deepEqual(lastVerifiedRestore({ id: 'notes' }, list), {
    at: '2026-12-03T03:00:00Z',
    ok: false,
    snapshot: 'bad',
    note: '',
  });
  assert.equal(lastVerifiedRestore({ id: 'notes' }, [snap({})]), null);
  // The install view's field wins once the daemon sends it (null included).
  const field = { at: '2026-12-05T03:00:00Z', ok: true, snapshot: 'x', note: 'restored 3 bytes' };
  assert.deepEqual(lastVerifiedRestore({ id: 'notes', lastVerifiedRestore: field }, list), field);
  assert.equal(lastVerifiedRestore({ id: 'notes', lastVerifiedRestore: null }, list), null);
});

test('the daemon’s step texts become messages; unknown ones are left as written', () => {
  assert.deepEqual(stepWords('notes → usb-disk'), {
    key: 'backup.step.backup',
    vars: { install: 'notes', target: 'usb-disk' },
  });
  assert.deepEqual(stepWords("Foyer's state → usb-disk"), {
    key: 'backup.step.state',
    vars: { target: 'usb-disk' },
  });
  assert.equal(
    stepWords('checking disk (restic check --read-data-subset=10%)')?.key,
    'backup.step.check',
  );
  assert.deepEqual(stepWords('restoring 1a2b3c4d into a scratch folder')?.vars, {
    snapshot: '1a2b3c4d',
  });
  assert.equal(
    stepWords('snapshotting the current state first (so this restore can be undone)')?.key,
    'backup.step.undo',
  );
  assert.equal(stepWords('restoring snapshot 1a2b3c4d')?.key, 'backup.step.restore');
  assert.equal(stepWords('starting')?.key, 'backup.step.starting');
  assert.equal(stepWords('something new'), undefined);
});
