// Locks a killed daemon's restic left, whose PID another program took since (server/backup/locks.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { onlyDeadOwnLocks, parseLock } from '../../server/backup/locks.js';

const lock = (hostname: string, pid: number) => ({ time: '2026-12-06T11:00:00Z', hostname, pid });
const table: Record<number, string> = { 100: 'docker exec web-1 sh', 200: 'restic -r /x backup' };
const commandOf = (pid: number) => table[pid];

test('restic 0.14’s lock JSON is read; anything else is no lock', () => {
  const text =
    '{"time":"2026-12-06T11:00:00.1Z","exclusive":true,"hostname":"box","username":"root","pid":4242,"uid":0,"gid":0}';
  assert.deepEqual(parseLock(text), {
    time: '2026-12-06T11:00:00.1Z',
    hostname: 'box',
    pid: 4242,
    exclusive: true,
  });
  assert.equal(parseLock('not json'), undefined);
  assert.equal(parseLock('{"hostname":"box"}'), undefined);
});

test('a lock of this host whose PID is gone or is another program now: ours, dead', () => {
  assert.equal(onlyDeadOwnLocks([lock('box', 100)], 'box', commandOf), true);
  assert.equal(onlyDeadOwnLocks([lock('box', 999), lock('box', 100)], 'box', commandOf), true);
});

test('a restic still running here, or another box’s lock, keeps every lock', () => {
  assert.equal(onlyDeadOwnLocks([lock('box', 200)], 'box', commandOf), false);
  assert.equal(
    onlyDeadOwnLocks([lock('box', 100), lock('other-box', 100)], 'box', commandOf),
    false,
  );
  assert.equal(onlyDeadOwnLocks([], 'box', commandOf), false);
});
