// A removed member's data still to delete (issue 14): the backoff, the store's rows (migration
// 14) over a real SQLite file, a name that waits refused to a new member (add and import), and
// the queue's passes over a fake engine (a pure unit: only the volume lookup is faked).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { parseImport } from '../../server/directory/csv.js';
import type { MemberDataInstall, MemberDataTarget } from '../../server/directory/member-data.js';
import { MemberDataQueue } from '../../server/directory/member-data-queue.js';
import { membersRepository } from '../../server/directory/members.js';
import {
  MAX_RETRY_MS,
  pendingDataRepository,
  pendingNameProblem,
  retryDelayMs,
} from '../../server/directory/pending-data.js';
import type { DockerAdapter } from '../../server/docker/adapter.js';
import { auditLog } from '../../server/store/audit.js';
import { type Install, openStore } from '../../server/store/index.js';

const dir = mkdtempSync(join(tmpdir(), 'foyer-pending-data-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const MAIL: MemberDataTarget = {
  install: 'mail',
  service: 'dovecot',
  volume: 'mail',
  engineVolume: 'mail_mail',
  path: 'members/bob',
};
const CHAT: MemberDataTarget = {
  install: 'chat',
  service: 'prosody',
  volume: 'data',
  engineVolume: 'chat_data',
  path: 'chat.example/accounts/bob.dat',
};

describe('retry backoff', () => {
  test('a minute, doubling, then every half hour for ever', () => {
    assert.equal(retryDelayMs(1), 60_000);
    assert.equal(retryDelayMs(2), 120_000);
    assert.equal(retryDelayMs(3), 240_000);
    assert.equal(retryDelayMs(6), MAX_RETRY_MS);
    assert.equal(retryDelayMs(10_000), MAX_RETRY_MS);
    assert.equal(MAX_RETRY_MS, 30 * 60_000);
  });
});

describe('the pending places in the store', () => {
  test('added once per place, counted on failure with the next try, forgotten when done', () => {
    const store = openStore(join(dir, 'a.db'));
    let clock = new Date('2026-12-06T10:00:00.000Z');
    const pending = pendingDataRepository(store.db, () => clock);
    assert.equal(pending.nextDue(), undefined);
    pending.add('bob', [MAIL, CHAT]);
    pending.add('bob', [MAIL]);
    const [mail, chat] = pending.forMember('bob');
    assert.equal(pending.list().length, 2);
    assert.deepEqual(
      { ...mail, id: 0 },
      {
        id: 0,
        member: 'bob',
        install: 'mail',
        service: 'dovecot',
        volume: 'mail',
        path: 'members/bob',
        attempts: 0,
        lastError: null,
        createdAt: '2026-12-06T10:00:00.000Z',
        lastAttemptAt: null,
        nextAttemptAt: null,
      },
    );
    // Not tried yet: its removal tries it first (or the daemon's start), not the timer.
    assert.equal(pending.nextDue(), undefined);
    clock = new Date('2026-12-06T10:01:00.000Z');
    const failed = pending.failed(mail!.id, 'mail-dovecot-1 does not exist');
    assert.equal(failed?.attempts, 1);
    assert.equal(failed?.lastError, 'mail-dovecot-1 does not exist');
    assert.equal(failed?.lastAttemptAt, '2026-12-06T10:01:00.000Z');
    assert.equal(failed?.nextAttemptAt, '2026-12-06T10:02:00.000Z');
    assert.equal(pending.failed(mail!.id, 'again')?.nextAttemptAt, '2026-12-06T10:03:00.000Z');
    pending.done(chat!.id);
    assert.equal(pending.nextDue()?.toISOString(), '2026-12-06T10:03:00.000Z');
    pending.done(mail!.id);
    assert.deepEqual(pending.list(), []);
    assert.equal(pending.failed(mail!.id, 'gone'), undefined);
    store.close();
  });

  test("a name whose former member's data waits is refused to add and import, changing nothing", async () => {
    const store = openStore(join(dir, 'b.db'));
    const members = membersRepository(store.db);
    const pending = pendingDataRepository(store.db);
    await members.add({ name: 'bob', email: 'bob@example.org' });
    store.db.transaction(() => {
      members.remove('bob');
      pending.add('bob', [MAIL]);
    })();
    const [place] = pending.list();
    assert.match(pendingNameProblem(pending.list(), 'bob')!, /\(1 place, not tried yet\)/);
    pending.failed(place!.id, 'mail-dovecot-1 does not exist');
    await assert.rejects(
      members.add({ name: 'bob', email: 'bob2@example.org' }),
      (error: Error & { statusCode?: number }) => {
        assert.equal(error.statusCode, 409);
        assert.match(error.message, /former member "bob"'s data is still being deleted/);
        assert.match(error.message, /mail: mail-dovecot-1 does not exist/);
        return true;
      },
    );
    const csv = parseImport('name,email\ncarol,carol@example.org\nbob,b@example.org\n', 'm.csv');
    assert.throws(
      () => members.importRows(csv.rows, 'm.csv'),
      /m\.csv:3: name: the former member "bob"'s data is still being deleted/,
    );
    assert.deepEqual(
      members.list().map((m) => m.name),
      [],
    );
    // Another name is free; once the place is done, so is bob.
    await members.add({ name: 'dave', email: 'dave@example.org' });
    pending.done(place!.id);
    await members.add({ name: 'bob', email: 'bob2@example.org' });
    assert.deepEqual(
      members.list().map((m) => m.name),
      ['bob', 'dave'],
    );
    store.close();
  });
});

describe('the queue', () => {
  test('a missing volume is done, an undeclared place dropped, an engine error kept and audited', async () => {
    const store = openStore(join(dir, 'c.db'));
    const pending = pendingDataRepository(store.db);
    const audit = auditLog(store.db);
    let engineUp = false;
    const docker = {
      async inspectLabels(kind: string, name: string) {
        assert.equal(kind, 'volume');
        if (!engineUp) throw new Error('connect ENOENT /var/run/docker.sock');
        assert.ok(['mail_mail', 'chat_data'].includes(name));
        return undefined;
      },
    } as unknown as DockerAdapter;
    // mail still declares bob's place; chat's app no longer declares any.
    const installs = [{ id: 'mail' }, { id: 'chat' }] as Install[];
    const declared = (list: Install[]): MemberDataInstall[] =>
      list.map((i) =>
        i.id === 'mail'
          ? {
              id: 'mail',
              memberData: [{ service: 'dovecot', volume: 'mail', path: 'members/{name}' }],
            }
          : { id: i.id, memberData: [] },
      );
    const queue = new MemberDataQueue({
      deletion: { docker, instance: 'test' },
      pending,
      installs: () => installs,
      declared,
      audit,
    });
    queue.start(60_000);
    assert.equal(queue.timerSet, false, 'nothing pending: no timer');
    pending.add('bob', [MAIL, CHAT]);
    const down = await queue.run({}, 'foyer');
    assert.equal(queue.timerSet, true, 'a failed place: the backoff timer');
    assert.deepEqual(
      down.dropped.map((p) => p.install),
      ['chat'],
    );
    assert.equal(down.failed.length, 1);
    assert.equal(down.failed[0]?.attempts, 1);
    assert.match(down.failed[0]?.lastError ?? '', /ENOENT/);
    assert.deepEqual(audit.list({ limit: 1 })[0]?.detail, {
      deleted: [],
      dropped: ['chat:chat.example/accounts/bob.dat'],
      failed: ['mail:members/bob'],
      attempts: 1,
    });
    assert.equal(audit.list({ limit: 1 })[0]?.action, 'member.data-retry-failed');
    // Not due yet: a timer pass leaves it; an asked-for pass tries it.
    assert.equal((await queue.run({ due: true }, 'foyer')).failed.length, 0);
    engineUp = true;
    const up = await queue.run({ member: 'bob' }, 'admin');
    assert.deepEqual(
      up.deleted.map((p) => p.path),
      ['members/bob'],
    );
    assert.deepEqual(queue.list(), []);
    assert.equal(queue.timerSet, false, 'nothing left: no timer');
    const line = audit.list({ limit: 1 })[0];
    assert.equal(line?.action, 'member.data-deleted');
    assert.equal(line?.actor, 'admin');
    assert.equal(line?.target, 'bob');
    queue.stop();
    store.close();
  });
});
