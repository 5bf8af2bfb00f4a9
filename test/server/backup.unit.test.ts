// The pure parts of backups (issue 15): names and repositories checked before restic runs,
// restic's command lines as argument arrays (no shell), its --json lines as 0.14 prints them,
// and the nightly schedule's decision.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkName, parseRepository, TargetInputError } from '../../server/backup/repository.js';
import {
  backupArgs,
  checkArgs,
  DEFAULT_RETENTION,
  forgetArgs,
  initArgs,
  repositoryArgs,
  resticEnv,
  tag,
} from '../../server/backup/restic-args.js';
import {
  parseBackupLine,
  parseSnapshots,
  resticMessage,
  tagValue,
} from '../../server/backup/restic-json.js';
import {
  checkSubset,
  currentWindow,
  DEFAULT_SCHEDULE,
  isCheckDue,
  isDue,
  nextCheckPart,
  scheduleProblems,
} from '../../server/backup/schedule.js';
import { isScratch, scratchId, unpublished } from '../../server/backup/scratch.js';
import { judgeScratch, type ScratchContainerState } from '../../server/backup/scratch-health.js';
import type { DesiredState } from '../../server/reconcile/types.js';
import { INSTALL_ID_PATTERN } from '../../server/store/installs.js';

const paths = { cacheDir: '/var/lib/foyer/backup/cache', sshKey: '/d/k', knownHosts: '/d/kh' };

describe('names and repositories', () => {
  test('names with shell metacharacters are refused', () => {
    for (const bad of ['x;rm -rf /', '$(id)', 'a b', '`id`', 'UPPER', '-rf', '', 'a'.repeat(41)])
      assert.throws(() => checkName(bad), TargetInputError, bad);
    assert.equal(checkName('disk-2'), 'disk-2');
  });

  test('local, sftp and rest repositories', () => {
    assert.deepEqual(parseRepository('/srv/backup/'), {
      kind: 'local',
      url: '/srv/backup/',
      path: '/srv/backup',
    });
    assert.deepEqual(parseRepository('sftp:alice@nas.lan:/srv/foyer'), {
      kind: 'sftp',
      url: 'sftp:alice@nas.lan:/srv/foyer',
      user: 'alice',
      host: 'nas.lan',
      port: 22,
      path: '/srv/foyer',
    });
    const url = parseRepository('sftp://root@127.0.0.1:2222//tmp/repo');
    assert.equal(url.kind === 'sftp' && `${url.port} ${url.path}`, '2222 /tmp/repo');
    assert.equal(parseRepository('rest:https://u:p@host:8000/foyer').kind, 'rest');
    for (const bad of [
      'relative/path',
      '/with space',
      'sftp:bob;id@h:/p',
      'sftp:bob@h -oProxyCommand=x:/p',
      'rest:ftp://x',
      's3:bucket',
    ])
      assert.throws(() => parseRepository(bad), TargetInputError, bad);
  });
});

describe('restic command lines', () => {
  test('an SFTP repository gets Foyer’s key and known_hosts through sftp.command', () => {
    const repo = parseRepository('sftp://root@127.0.0.1:2222//tmp/repo');
    assert.deepEqual(repositoryArgs(repo, paths), [
      '--repo',
      'sftp://root@127.0.0.1:2222//tmp/repo',
      '--cache-dir',
      '/var/lib/foyer/backup/cache',
      '--option',
      'sftp.command=ssh -i /d/k -o StrictHostKeyChecking=accept-new -o UserKnownHostsFile=/d/kh -o BatchMode=yes -o ConnectTimeout=15 -p 2222 root@127.0.0.1 -s sftp',
    ]);
    const spaced = repositoryArgs(repo, { ...paths, sshKey: '/my data/k' });
    assert.match(spaced.at(-1)!, / -i "\/my data\/k" /);
  });

  test('init makes a version 2 repository; the password is only in the environment', () => {
    assert.deepEqual(initArgs(), ['init', '--repository-version', '2']);
    const env = resticEnv('s3cret', { PATH: '/usr/bin', SECRET_TOKEN: 'x' });
    assert.deepEqual(env, { RESTIC_PASSWORD: 's3cret', PATH: '/usr/bin' });
  });

  test('backup paths and tags are separate arguments, after --', () => {
    assert.deepEqual(
      backupArgs({
        paths: ['/a b', '/c'],
        tags: [tag('foyer-install', 'web'), tag('foyer-version', '1.0 beta,2')],
        host: 'foyer-box',
      }),
      [
        'backup',
        '--json',
        '--host',
        'foyer-box',
        '--tag',
        'foyer-install=web',
        '--tag',
        'foyer-version=1.0_beta_2',
        '--',
        '/a b',
        '/c',
      ],
    );
  });

  test('retention: forget --prune per tag, grouped by host', () => {
    assert.deepEqual(forgetArgs('foyer-install=web', DEFAULT_RETENTION), [
      'forget',
      '--tag',
      'foyer-install=web',
      '--group-by',
      'host',
      '--keep-daily',
      '7',
      '--keep-weekly',
      '4',
      '--keep-monthly',
      '6',
      '--prune',
    ]);
    assert.deepEqual(checkArgs('1/7'), ['check', '--read-data-subset=1/7']);
    assert.throws(() => checkArgs('1/7; rm'));
  });
});

describe("restic 0.14's --json", () => {
  test('status, summary and error lines of backup', () => {
    assert.deepEqual(
      parseBackupLine(
        '{"message_type":"status","percent_done":0.5,"total_files":2,"files_done":1,"total_bytes":300,"bytes_done":150,"current_files":["/a"]}',
      ),
      {
        kind: 'status',
        percent: 0.5,
        secondsRemaining: undefined,
        totalFiles: 2,
        filesDone: 1,
        totalBytes: 300,
        bytesDone: 150,
        currentFiles: ['/a'],
      },
    );
    // As restic 0.14.0 printed it here.
    const summary = parseBackupLine(
      '{"message_type":"summary","files_new":1,"files_changed":0,"files_unmodified":0,"dirs_new":1,"dirs_changed":0,"dirs_unmodified":0,"data_blobs":1,"tree_blobs":2,"data_added":703,"total_files_processed":1,"total_bytes_processed":3,"total_duration":0.219326485,"snapshot_id":"4166717e"}',
    );
    assert.equal(summary?.kind === 'summary' && summary.snapshotId, '4166717e');
    assert.equal(summary?.kind === 'summary' && summary.totalBytesProcessed, 3);
    assert.deepEqual(
      parseBackupLine(
        '{"message_type":"error","error":{"message":"permission denied"},"during":"archival","item":"/x"}',
      ),
      { kind: 'error', during: 'archival', item: '/x', message: 'permission denied' },
    );
    assert.equal(parseBackupLine('not json'), undefined);
    assert.equal(parseBackupLine('{"message_type":"verbose_status"}'), undefined);
  });

  test('snapshots, tags and fatal messages', () => {
    const [s] = parseSnapshots(
      '[{"time":"2026-12-06T05:03:51.64923957Z","tree":"90","paths":["/tmp/rj/d"],"hostname":"vm","username":"root","tags":["foyer-install=web"],"id":"4166717ec852fa89","short_id":"4166717e"}]',
    );
    assert.equal(s?.shortId, '4166717e');
    assert.equal(tagValue(s!.tags, 'foyer-install'), 'web');
    assert.deepEqual(parseSnapshots('null\n'), []);
    assert.equal(
      resticMessage('repository opened\nFatal: wrong password or no key found\n'),
      'wrong password or no key found',
    );
  });
});

describe('the nightly schedule', () => {
  const at = (h: number, m = 0, day = 10) => new Date(2026, 0, day, h, m);

  test('due once inside the window, not again until the next night', () => {
    assert.equal(isDue(at(1, 59), DEFAULT_SCHEDULE, undefined), false);
    assert.equal(isDue(at(2, 0), DEFAULT_SCHEDULE, undefined), true);
    assert.equal(isDue(at(3, 0), DEFAULT_SCHEDULE, at(2, 0)), false);
    assert.equal(isDue(at(6, 0), DEFAULT_SCHEDULE, at(2, 0, 9)), false, 'window over');
    assert.equal(isDue(at(2, 30, 11), DEFAULT_SCHEDULE, at(2, 0)), true, 'next night');
    assert.equal(isDue(at(2, 30), { ...DEFAULT_SCHEDULE, enabled: false }, undefined), false);
  });

  test('a window past midnight belongs to the evening it started', () => {
    const late = { ...DEFAULT_SCHEDULE, window: '23:00', hours: 3 };
    assert.deepEqual(currentWindow(at(1, 0, 11), late), at(23, 0, 10));
    assert.equal(isDue(at(1, 0, 11), late, at(23, 30, 10)), false);
    assert.equal(isDue(at(1, 0, 11), late, at(23, 30, 9)), true);
  });

  test('bad schedules are path-qualified', () => {
    const problems = scheduleProblems({
      ...DEFAULT_SCHEDULE,
      window: '25:00',
      hours: 0,
      retention: { daily: 0, weekly: 0, monthly: 0 },
      checkEveryDays: -1,
      checkParts: 0,
    });
    assert.deepEqual(
      problems.map((p) => p.path),
      ['window', 'hours', 'checkEveryDays', 'checkParts', 'retention'],
    );
  });

  test('the periodic check: weekly, in the window, a different part each time', () => {
    const s = { ...DEFAULT_SCHEDULE, checkEveryDays: 7, checkParts: 3 };
    assert.equal(isCheckDue(at(2, 5), s, undefined), true, 'never checked');
    assert.equal(isCheckDue(at(12, 0), s, undefined), false, 'outside the window');
    assert.equal(isCheckDue(at(2, 5, 16), s, { at: at(2, 0, 10) }), false, 'six days later');
    assert.equal(isCheckDue(at(2, 0, 17), s, { at: at(2, 0, 10) }), true, 'a week later');
    assert.equal(isCheckDue(at(2, 0, 17), s, { at: at(2, 30, 10) }), true, 'started late');
    assert.equal(isCheckDue(at(2, 5), { ...s, checkEveryDays: 0 }, undefined), false);
    assert.equal(isCheckDue(at(2, 5), { ...s, enabled: false }, undefined), false);
    // Parts rotate 1, 2, 3, 1, … so three checks read every pack once.
    const parts: string[] = [];
    let last: { part: number } | undefined;
    for (let i = 0; i < 5; i++) {
      last = { part: nextCheckPart(last, s.checkParts) };
      parts.push(checkSubset(last.part, s.checkParts));
    }
    assert.deepEqual(parts, ['1/3', '2/3', '3/3', '1/3', '2/3']);
    assert.equal(nextCheckPart({ part: 9 }, 3), 1, 'fewer parts than before');
  });
});

describe('verification in a scratch install', () => {
  const services = [
    { name: 'db', hasHealthcheck: true, oneShot: false },
    { name: 'web', hasHealthcheck: false, oneShot: false },
    { name: 'migrate', hasHealthcheck: false, oneShot: true },
  ];
  const up: Record<string, ScratchContainerState> = {
    db: {
      running: true,
      status: 'running',
      exitCode: 0,
      restartCount: 0,
      health: { status: 'healthy' },
    },
    web: { running: true, status: 'running', exitCode: 0, restartCount: 0 },
    migrate: { running: false, status: 'exited', exitCode: 0, restartCount: 0 },
  };
  const judge = (states: Record<string, ScratchContainerState | undefined>, extra = {}) =>
    judgeScratch({
      services,
      states,
      now: 10_000,
      deadline: 60_000,
      fineSince: 7_000,
      stableMs: 2000,
      ...extra,
    });

  test('healthy once every service is fine for a moment', () => {
    assert.equal(judge(up).kind, 'healthy');
    assert.equal(judge(up, { fineSince: 9_500 }).kind, 'waiting', 'not stable yet');
    assert.equal(
      judge({ ...up, db: { ...up.db!, health: { status: 'starting' } } }).kind,
      'waiting',
    );
  });

  test('a failed health check, a crash or a one-shot failure fails at once, saying which', () => {
    const sick = judge({
      ...up,
      db: { ...up.db!, health: { status: 'unhealthy', lastOutput: 'no table' } },
    });
    assert.deepEqual(sick, { kind: 'failed', note: '"db" is unhealthy: no table' });
    const crashed = judge({
      ...up,
      web: { ...up.web!, restartCount: 2, status: 'restarting', running: false, exitCode: 1 },
    });
    assert.match(crashed.kind === 'failed' ? crashed.note : '', /"web" crashed \(exit code 1/);
    const migration = judge({ ...up, migrate: { ...up.migrate!, exitCode: 3 } });
    assert.match(migration.kind === 'failed' ? migration.note : '', /"migrate" exited with code 3/);
  });

  test('the time limit ends the wait, naming what is still starting', () => {
    const late = judge({ ...up, web: undefined }, { now: 61_000 });
    assert.deepEqual(late, {
      kind: 'failed',
      note: "not healthy within the app's time limit (waiting for web)",
    });
  });

  test('scratch ids can never be an install id; no host port is published', () => {
    const id = scratchId();
    assert.ok(isScratch(id));
    assert.equal(INSTALL_ID_PATTERN.test(id), false);
    const desired = {
      install: id,
      run: 'running',
      purge: false,
      networks: [],
      volumes: [],
      services: [
        {
          name: 'web',
          createBody: {
            HostConfig: {
              PortBindings: { '8080/tcp': [{ HostPort: '8080' }] },
              Binds: ['/srv/media:/media:rw,z', '/d/apps/s/x:/x:rw'],
              Mounts: [
                { Type: 'bind', Source: '/srv/share', Target: '/share', ReadOnly: false },
                { Type: 'bind', Source: '/d/apps/s', Target: '/data', ReadOnly: false },
                { Type: 'volume', Source: 's_www', Target: '/www', ReadOnly: false },
              ],
            },
          },
        },
      ],
    } as unknown as DesiredState;
    const host = unpublished(desired, ['/d/apps/s']).services[0]!.createBody.HostConfig as Record<
      string,
      unknown
    >;
    assert.deepEqual(host.PortBindings, {});
    assert.equal(host.PublishAllPorts, false);
    // Host folders shared with the live install are read-only; its own folder is not.
    assert.deepEqual(host.Binds, ['/srv/media:/media:ro,z', '/d/apps/s/x:/x:rw']);
    assert.deepEqual(
      (host.Mounts as { ReadOnly: boolean }[]).map((m) => m.ReadOnly),
      [true, false, false],
    );
  });
});
