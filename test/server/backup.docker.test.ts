// Backups and restores with real restic (issue 15), through `foyer serve` and the CLI: the test
// app `web` writes into its volume, is backed up to a local folder target, loses its data, is
// restored in place (bytes compared); restored as a new install; uninstalled with purge and
// restored again; backed up to an SFTP target on a real sshd on loopback holding Foyer's key.
// A wrong password and a target name with shell metacharacters are refused, changing nothing.
// Verified backups: each backup restored into a hidden scratch install (no published port, its
// own network and volumes) whose health must pass; data that keeps the app from starting is
// marked not verified; a corrupted pack is found; retention really forgets old snapshots; an
// uninstall stops a running backup; a daemon killed mid-backup or mid-verification converges.
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { snapshotHost } from '../../server/backup/snapshot.js';
import { instanceId } from '../../server/paths.js';
import { type DaemonProcess, eventually, spawnDaemon, TEST_CATALOG } from '../support/foyer.js';
import { BUSYBOX_IMAGE, useTestEngine } from '../support/index.js';
import { freePort } from '../support/ports.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const engine = await useTestEngine();
const tag = process.pid.toString(36);
const id = `bk${tag}`;
const dataDir = mkdtempSync(join(tmpdir(), 'foyer-backup-'));
const work = mkdtempSync(join(tmpdir(), 'foyer-backup-work-'));
const repo = join(work, 'repo');
let daemon: DaemonProcess | undefined;
let sshd: ChildProcess | undefined;
let diskPassword = '';
const tickEnv = { FOYER_CATALOG: TEST_CATALOG, FOYER_BACKUP_TICK_MS: '500' };

function foyer(args: string[], input?: string) {
  const env: NodeJS.ProcessEnv = { ...process.env, FOYER_DATA_DIR: dataDir };
  delete env.FOYER_URL;
  delete env.FOYER_TOKEN;
  return new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
    const child = execFile(
      process.execPath,
      [join(root, 'bin/foyer.js'), ...args],
      { env, timeout: 240_000 },
      (error, stdout, stderr) =>
        done({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin?.end(input ?? '');
  });
}

async function ok(args: string[], input?: string) {
  const run = await foyer(args, input);
  assert.equal(run.code, 0, `foyer ${args.join(' ')}:\n${run.stdout}\n${run.stderr}`);
  return run;
}

const inApp = async (install: string, script: string) =>
  (await engine.docker(['exec', `${install}-web-1`, 'sh', '-c', script])).stdout;

const lines = async (args: string[]) =>
  (await engine.docker(args)).stdout.split('\n').filter(Boolean);

async function startFoyer() {
  daemon = spawnDaemon(engine, dataDir, tickEnv);
  await eventually(
    'foyer serve',
    () => {
      if (daemon!.child.exitCode !== null) throw new Error(daemon!.output());
      return daemon!.output().includes('Foyer is running at');
    },
    60_000,
  );
}

/** restic itself on a repository (the test's own look, not Foyer's). */
function restic(repository: string, password: string, args: string[]) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((done) =>
    execFile(
      'restic',
      ['-r', repository, '--no-cache', ...args],
      { env: { ...process.env, RESTIC_PASSWORD: password }, maxBuffer: 64 << 20 },
      (error, stdout, stderr) =>
        done({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    ),
  );
}

/** The jobs as the store has them (read only; the daemon owns the store). */
function jobs(): {
  id: string;
  kind: string;
  install_id: string | null;
  state: string;
  error: string | null;
  step: string | null;
  actor: string;
}[] {
  const db = new Database(join(dataDir, 'foyer.db'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT * FROM jobs ORDER BY created_at DESC, rowid DESC').all() as never;
  } finally {
    db.close();
  }
}

const running = (install: string, kind: string) =>
  jobs().find((j) => j.install_id === install && j.kind === kind && j.state === 'running');

const lastVerified = async (install: string) =>
  JSON.parse((await ok(['status', install, '--json'])).stdout).lastVerifiedRestore as {
    at: string;
    ok: boolean;
    snapshot: string;
    note: string;
  } | null;

/** The scratch installs' objects on the engine: containers, networks, volumes. */
async function scratchObjects(): Promise<string[]> {
  const label = `label=foyer.instance=${instanceId(dataDir)}`;
  const format = ['--format', '{{.Label "foyer.install"}} {{.Names}}'];
  const all = [
    ...(await lines(['ps', '-a', '--filter', label, ...format])),
    ...(await lines([
      'network',
      'ls',
      '--filter',
      label,
      '--format',
      '{{.Label "foyer.install"}} {{.Name}}',
    ])),
    ...(await lines([
      'volume',
      'ls',
      '--filter',
      label,
      '--format',
      '{{.Label "foyer.install"}} {{.Name}}',
    ])),
  ];
  return all.filter((l) => l.startsWith('foyer-verify-'));
}

before(async () => {
  await startFoyer();
  await ok(['install', 'web', '--id', id, '--wait']);
  // No nightly run in the middle of a test: the retention test turns it on when it wants one.
  await ok(['backup', 'schedule', 'off']);
});

after(async () => {
  sshd?.kill('SIGTERM');
  for (const install of [id, `${id}-c`, `${id}-p`, `${id}-b`])
    await foyer(['uninstall', install, '--purge', '--yes', '--wait']);
  await daemon?.kill('SIGTERM');
  const label = `label=foyer.instance=${instanceId(dataDir)}`;
  const left = await lines(['ps', '-aq', '--filter', label]).catch(() => []);
  if (left.length > 0) await engine.docker(['rm', '-f', ...left]).catch(() => {});
  const vols = await lines(['volume', 'ls', '-q', '--filter', label]).catch(() => []);
  if (vols.length > 0) await engine.docker(['volume', 'rm', ...vols]).catch(() => {});
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

describe('backups with restic', { timeout: 30 * 60_000 }, () => {
  let payload = '';

  test('a target name with shell metacharacters is refused and nothing is made', async () => {
    const run = await foyer(['backup', 'target', 'add', 'x;touch /tmp/pwned', repo]);
    assert.equal(run.code, 1, run.stdout);
    assert.match(run.stderr, /name: use 1 to 40 lowercase letters/);
    assert.equal(existsSync(repo), false);
    const list = JSON.parse((await ok(['backup', 'target', 'list', '--json'])).stdout);
    assert.deepEqual(list, []);
  });

  test('adding a local target makes a v2 repository and shows the recovery kit once', async () => {
    const run = await ok(['backup', 'target', 'add', 'disk', repo]);
    assert.match(run.stdout, /RECOVERY KIT/);
    assert.match(run.stdout, new RegExp(`Repository: +${repo}`));
    assert.match(run.stdout, /Password: +\S{20,}/);
    diskPassword = /Password: +(\S+)/.exec(run.stdout)![1]!;
    assert.ok(existsSync(join(repo, 'config')));
    const list = await ok(['backup', 'target', 'list', '--json']);
    assert.doesNotMatch(list.stdout, /password/i);
    assert.equal(JSON.parse(list.stdout)[0].name, 'disk');
  });

  test('a wrong password for an existing repository is reported in restic’s words', async () => {
    const run = await foyer(
      ['backup', 'target', 'add', 'again', repo, '--password-stdin'],
      'nope\n',
    );
    assert.equal(run.code, 1, run.stdout);
    assert.match(run.stderr, /wrong password/);
    const list = JSON.parse((await ok(['backup', 'target', 'list', '--json'])).stdout);
    assert.deepEqual(
      list.map((t: { name: string }) => t.name),
      ['disk'],
    );
  });

  test('backup, delete the data, restore in place: the bytes come back', async () => {
    await inApp(id, 'head -c 200000 /dev/urandom > /www/blob.bin && echo precious > /www/keep.txt');
    payload = await inApp(id, 'md5sum /www/blob.bin /www/keep.txt');
    const started = Date.now();
    await ok(['backup', 'run', id, '--target', 'disk', '--wait']);
    process.stderr.write(`backup of ${id} took ${Date.now() - started} ms\n`);
    const snapshots = JSON.parse((await ok(['backup', 'list', id, '--json'])).stdout);
    assert.equal(snapshots.length, 1);
    assert.equal(snapshots[0].install, id);
    assert.equal(snapshots[0].app, 'web');
    assert.ok(snapshots[0].size > 200000, `size ${snapshots[0].size}`);
    // Started again by the backup; its health check (every second) says so shortly after.
    await eventually(
      'the app to run again after its backup',
      async () =>
        JSON.parse((await ok(['status', id, '--json'])).stdout).status.state === 'running',
      30_000,
    );

    await inApp(id, 'rm -f /www/blob.bin /www/keep.txt && echo junk > /www/new.txt');
    await ok(['restore', id, '--wait']);
    assert.equal(await inApp(id, 'md5sum /www/blob.bin /www/keep.txt'), payload);
    assert.equal(await inApp(id, 'test -e /www/new.txt && echo yes || echo no'), 'no\n');
    const after = JSON.parse((await ok(['backup', 'list', id, '--json'])).stdout);
    assert.equal(after.length, 2, 'the state before the restore was snapshotted first');
    assert.ok(after.some((s: { tags: string[] }) => s.tags.includes('foyer-before-restore')));
  });

  test('each backup is verified in a scratch install: hidden, unpublished, removed after', async () => {
    const auto = await eventually(
      'the verification that follows the backup',
      async () => (await lastVerified(id)) ?? undefined,
      180_000,
    );
    assert.equal(auto.ok, true, auto.note);
    assert.match(auto.note, /scratch install.*health check/);
    await eventually('the automatic verification to end', () => !running(id, 'verify'), 180_000);

    const job = JSON.parse((await ok(['backup', 'verify', id, '--json'])).stdout) as { id: string };
    const scratch = await eventually(
      'the scratch install',
      async () =>
        (
          await lines(['ps', '-a', '--filter', 'label=foyer.install', '--format', '{{.Names}}'])
        ).find((n) => n.startsWith('foyer-verify-')),
      120_000,
    );
    const scratchId = scratch.replace(/-web-1$/, '');
    const inspect = async (format: string) =>
      (await engine.docker(['inspect', '-f', format, scratch])).stdout.trim();
    assert.equal(await inspect('{{json .HostConfig.PortBindings}}'), '{}', 'no port published');
    assert.equal(
      await inspect('{{range $k, $v := .NetworkSettings.Networks}}{{$k}}{{end}}'),
      `${scratchId}_default`,
    );
    assert.equal(await inspect('{{range .Mounts}}{{.Name}}{{end}}'), `${scratchId}_www`);
    const listed = JSON.parse((await ok(['status', '--json'])).stdout) as { id: string }[];
    assert.deepEqual(
      listed.filter((i) => i.id.startsWith('foyer-verify')),
      [],
      'not an install',
    );
    assert.ok(listed.some((i) => i.id === id));

    await eventually(
      'the verify job to end',
      () => jobs().find((j) => j.id === job.id)?.state !== 'running',
      180_000,
    );
    assert.equal(jobs().find((j) => j.id === job.id)?.state, 'succeeded');
    assert.deepEqual(await scratchObjects(), [], 'the scratch install is removed whole');
    assert.equal(existsSync(join(dataDir, 'apps', scratchId)), false);
    const snapshots = JSON.parse((await ok(['backup', 'list', id, '--json'])).stdout);
    assert.equal(snapshots[0].verified, true);
    assert.match(snapshots[0].verifyNote, /scratch install/);
    const last = await lastVerified(id);
    assert.equal(last?.snapshot, snapshots[0].shortId);
    const text = (await ok(['backup', 'list', id])).stdout;
    assert.match(text, new RegExp(`Last verified restore:\\n  ${id}: ok `));
  });

  test('restore as a new install: a clone with the same data and settings', async () => {
    const snapshot = JSON.parse((await ok(['backup', 'list', id, '--json'])).stdout).find(
      (s: { tags: string[] }) => !s.tags.includes('foyer-before-restore'),
    );
    await ok(['restore', id, '--snapshot', snapshot.shortId, '--as', `${id}-c`, '--wait']);
    assert.equal(await inApp(`${id}-c`, 'md5sum /www/blob.bin /www/keep.txt'), payload);
    const status = JSON.parse((await ok(['status', `${id}-c`, '--json'])).stdout);
    assert.equal(status.status.state, 'running');
  });

  test('nightly run with retention: forget --prune really removes old snapshots', async () => {
    const aged = join(work, 'aged');
    const added = await ok(['backup', 'target', 'add', 'aged', aged]);
    const password = /Password: +(\S+)/.exec(added.stdout)![1]!;
    const source = join(work, 'old-data');
    mkdirSync(source, { recursive: true });
    // Five nightly snapshots of the clone from last month, as if the box had made them.
    for (const day of [1, 2, 3, 4, 5]) {
      writeFileSync(join(source, 'day.txt'), `day ${day}\n`);
      const made = await restic(aged, password, [
        'backup',
        source,
        '--time',
        `2026-11-0${day} 03:00:00`,
        '--host',
        snapshotHost(),
        '--tag',
        `foyer-install=${id}-c`,
      ]);
      assert.equal(made.code, 0, made.stderr);
    }
    const now = new Date();
    const hhmm = `${String(now.getHours()).padStart(2, '0')}:${String(now.getMinutes()).padStart(2, '0')}`;
    await ok([
      'backup',
      'schedule',
      'on',
      '--window',
      hhmm,
      '--hours',
      '1',
      '--keep-daily',
      '2',
      '--keep-weekly',
      '0',
      '--keep-monthly',
      '0',
      '--verify',
      'no',
    ]);
    const run = await eventually(
      'the scheduled run',
      () => jobs().find((j) => j.kind === 'backup' && j.actor === 'schedule'),
      30_000,
    );
    await eventually(
      'the scheduled run to end',
      () => jobs().find((j) => j.id === run.id)?.state !== 'running',
      300_000,
    );
    // The periodic check follows in the same window (part 1 of N), before the window is closed.
    const checked = await eventually(
      'the periodic check',
      () =>
        jobs().find((j) => j.kind === 'verify' && j.install_id === null && j.state !== 'running'),
      120_000,
    );
    await ok(['backup', 'schedule', 'off', '--verify', 'yes']);
    assert.equal(checked.state, 'succeeded', checked.error ?? '');
    assert.equal(
      jobs().find((j) => j.id === run.id)?.state,
      'succeeded',
      jobs().find((j) => j.id === run.id)?.error ?? '',
    );
    const left = JSON.parse(
      (await restic(aged, password, ['snapshots', '--json', '--tag', `foyer-install=${id}-c`]))
        .stdout,
    ) as { time: string }[];
    // keep-daily 2: tonight's and the newest of the old nights; the four older ones are gone.
    assert.equal(left.length, 2, JSON.stringify(left.map((s) => s.time)));
    assert.ok(left.some((s) => s.time.startsWith('2026-11-05')));
    const check = await restic(aged, password, ['check']);
    assert.equal(check.code, 0, check.stderr);
  });

  test('data that keeps the app from starting: its verification restore fails, saying why', async () => {
    await ok(['install', 'web', '--id', `${id}-b`, '--wait']);
    // The app writes its page at start: a folder in its place makes it exit.
    await inApp(`${id}-b`, 'rm -f /www/index.html && mkdir /www/index.html');
    await ok(['backup', 'run', `${id}-b`, '--target', 'disk', '--wait']);
    const last = await eventually(
      'the verification',
      async () => (await lastVerified(`${id}-b`)) ?? undefined,
      240_000,
    );
    assert.equal(last.ok, false);
    assert.match(last.note, /"web" (crashed|exited|is unhealthy)/);
    const snapshots = JSON.parse((await ok(['backup', 'list', `${id}-b`, '--json'])).stdout);
    assert.equal(snapshots[0].verified, false);
    await eventually('the verification to end', () => !running(`${id}-b`, 'verify'), 60_000);
    assert.deepEqual(await scratchObjects(), []);
  });

  test('an uninstall stops a running backup, which stays cancelled', async () => {
    // The app crash-loops on its bad data: mend it from beside, then give it a lot to back up.
    await engine.docker([
      'run',
      '--rm',
      '-v',
      `${id}-b_www:/www`,
      BUSYBOX_IMAGE,
      'rmdir',
      '/www/index.html',
    ]);
    await eventually(
      'the app to run again',
      async () => (await inApp(`${id}-b`, 'echo up')) === 'up\n',
      60_000,
    );
    await inApp(`${id}-b`, 'head -c 400000000 /dev/urandom > /www/big.bin');
    const before = JSON.parse((await ok(['backup', 'list', `${id}-b`, '--json'])).stdout).length;
    const job = JSON.parse(
      (await ok(['backup', 'run', `${id}-b`, '--target', 'disk', '--json'])).stdout,
    ) as { id: string };
    await eventually(
      'restic at work',
      () =>
        jobs()
          .find((j) => j.id === job.id)
          ?.step?.includes('→'),
      30_000,
    );
    await ok(['uninstall', `${id}-b`, '--purge', '--yes', '--wait']);
    const ended = jobs().find((j) => j.id === job.id)!;
    assert.equal(ended.state, 'cancelled');
    await new Promise((r) => setTimeout(r, 3000));
    assert.equal(jobs().find((j) => j.id === job.id)?.state, 'cancelled', 'not overwritten later');
    const snapshots = await restic(repo, diskPassword, [
      'snapshots',
      '--json',
      '--tag',
      `foyer-install=${id}-b`,
    ]);
    assert.equal(JSON.parse(snapshots.stdout).length, before, 'no snapshot made after the cancel');
  });

  test('uninstalled with purge, then restored as a new install', async () => {
    await ok(['backup', 'run', id, '--wait']);
    await ok(['uninstall', id, '--purge', '--yes', '--wait']);
    assert.deepEqual(await lines(['volume', 'ls', '-q', '--filter', `name=${id}_www`]), []);
    await ok(['restore', id, '--as', `${id}-p`, '--wait']);
    assert.equal(await inApp(`${id}-p`, 'md5sum /www/blob.bin /www/keep.txt'), payload);
  });

  test('an SFTP target on a real sshd on loopback, with Foyer’s key', async () => {
    const key = (await ok(['backup', 'key'])).stdout.trim();
    assert.match(key, /^ssh-ed25519 /);
    const ssh = join(work, 'sshd');
    mkdirSync(ssh, { recursive: true, mode: 0o700 });
    mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
    writeFileSync(join(ssh, 'authorized_keys'), `${key}\n`, { mode: 0o600 });
    await new Promise<void>((done, fail) =>
      execFile('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(ssh, 'host_key')], (e) =>
        e ? fail(e) : done(),
      ),
    );
    const port = await freePort();
    writeFileSync(
      join(ssh, 'sshd_config'),
      [
        `Port ${port}`,
        'ListenAddress 127.0.0.1',
        `HostKey ${join(ssh, 'host_key')}`,
        `AuthorizedKeysFile ${join(ssh, 'authorized_keys')}`,
        `PidFile ${join(ssh, 'sshd.pid')}`,
        'PermitRootLogin prohibit-password',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'UsePAM no',
        'StrictModes no',
        'Subsystem sftp internal-sftp',
        '',
      ].join('\n'),
    );
    sshd = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', join(ssh, 'sshd_config')], {
      stdio: 'ignore',
    });
    await eventually('sshd listening', async () => {
      const probe = await new Promise<boolean>((done) => {
        const s = connect(port, '127.0.0.1');
        s.on('connect', () => {
          s.destroy();
          done(true);
        });
        s.on('error', () => done(false));
      });
      return probe;
    });
    const remote = join(work, 'sftp-repo');
    const url = `sftp://root@127.0.0.1:${port}/${remote}`;
    const added = await ok(['backup', 'target', 'add', 'offsite', url]);
    assert.match(added.stdout, /RECOVERY KIT/);
    assert.ok(existsSync(join(remote, 'config')));
    await ok(['backup', 'run', `${id}-c`, '--target', 'offsite', '--wait']);
    const snapshots = JSON.parse((await ok(['backup', 'list', `${id}-c`, '--json'])).stdout);
    assert.ok(snapshots.some((s: { target: string }) => s.target === 'offsite'));
    assert.ok(readdirSync(join(remote, 'snapshots')).length >= 1);
  });

  test('a daemon killed in a stop-snapshot backup: services run again, job interrupted, repository fine', async () => {
    const clone = `${id}-c`;
    await inApp(clone, 'head -c 400000000 /dev/urandom > /www/big.bin');
    const job = JSON.parse(
      (await ok(['backup', 'run', clone, '--target', 'disk', '--json'])).stdout,
    ) as { id: string };
    await eventually(
      'restic at work with the app stopped',
      async () => {
        const step = jobs().find((j) => j.id === job.id)?.step;
        const state = (
          await engine.docker(['inspect', '-f', '{{.State.Running}}', `${clone}-web-1`])
        ).stdout.trim();
        return step?.includes('→') && state === 'false';
      },
      60_000,
    );
    await new Promise((r) => setTimeout(r, 500));
    await daemon!.kill('SIGKILL');
    assert.equal(
      (
        await engine.docker(['inspect', '-f', '{{.State.Running}}', `${clone}-web-1`])
      ).stdout.trim(),
      'false',
    );
    await startFoyer();
    await eventually(
      'the app to run again',
      async () =>
        (
          await engine.docker(['inspect', '-f', '{{.State.Running}}', `${clone}-web-1`])
        ).stdout.trim() === 'true',
      60_000,
    );
    const ended = jobs().find((j) => j.id === job.id)!;
    assert.equal(ended.state, 'interrupted');
    assert.match(ended.error ?? '', /daemon stopped during this backup.*started again/);
    await eventually(
      'no stale restic lock',
      async () => {
        const locks = await restic(repo, diskPassword, ['list', 'locks', '--no-lock']);
        return locks.code === 0 && locks.stdout.trim() === '';
      },
      60_000,
    ).catch(async (error) => {
      const locks = (await restic(repo, diskPassword, ['list', 'locks', '--no-lock'])).stdout;
      for (const lock of locks.split('\n').filter(Boolean))
        console.log('DIAG lock', (await restic(repo, diskPassword, ['cat', 'lock', lock])).stdout);
      const ps = await new Promise<string>((done) =>
        execFile('ps', ['-eo', 'pid,ppid,etimes,args'], (_e, out) => done(out)),
      );
      console.log(
        'DIAG ps',
        ps
          .split('\n')
          .filter((l) => /restic|ssh/.test(l))
          .join('\n'),
      );
      console.log('DIAG jobs', JSON.stringify(jobs().slice(0, 6)));
      throw error;
    });
    const check = await restic(repo, diskPassword, ['check']);
    assert.equal(check.code, 0, check.stderr);
    assert.equal(
      existsSync(join(dataDir, 'backup', 'stage', clone, 'foyer-install.json')),
      false,
      'no staged secrets left',
    );
    await inApp(clone, 'rm -f /www/big.bin');
  });

  test('a daemon killed in a verification: its scratch install is removed at the next start', async () => {
    const clone = `${id}-c`;
    await eventually('no verify running', () => !running(clone, 'verify'), 180_000);
    const job = JSON.parse((await ok(['backup', 'verify', clone, '--json'])).stdout) as {
      id: string;
    };
    await eventually(
      'the scratch install running',
      async () =>
        (await lines(['ps', '--filter', 'label=foyer.install', '--format', '{{.Names}}'])).some(
          (n) => n.startsWith('foyer-verify-'),
        ),
      120_000,
    );
    await daemon!.kill('SIGKILL');
    const left = await scratchObjects();
    assert.ok(left.length >= 3, `container, network and volume left: ${left}`);
    await startFoyer();
    assert.deepEqual(await scratchObjects(), [], 'removed before the daemon said it runs');
    assert.deepEqual(
      readdirSync(join(dataDir, 'apps')).filter((d) => d.startsWith('foyer-verify-')),
      [],
    );
    const ended = jobs().find((j) => j.id === job.id)!;
    assert.equal(ended.state, 'interrupted');
    assert.match(ended.error ?? '', /daemon stopped during this verify/);
  });

  test('a corrupted pack file is found by verify and the snapshot marked not verified', async () => {
    const clone = `${id}-c`;
    const fragile = join(work, 'fragile');
    await ok(['backup', 'target', 'add', 'fragile', fragile]);
    await ok(['backup', 'schedule', '--verify', 'no']);
    await ok(['backup', 'run', clone, '--target', 'fragile', '--wait']);
    await ok(['backup', 'schedule', '--verify', 'yes']);
    // Every pack file under data/ gets bytes overwritten in its middle (its size unchanged).
    const packs = readdirSync(join(fragile, 'data'), {
      recursive: true,
      withFileTypes: true,
    }).filter((e) => e.isFile());
    assert.ok(packs.length > 0);
    for (const pack of packs) {
      const path = join(pack.parentPath, pack.name);
      const fd = openSync(path, 'r+');
      writeSync(fd, Buffer.alloc(64, 0x5a), 0, 64, Math.floor(statSync(path).size / 2));
      closeSync(fd);
    }
    const run = await foyer(['backup', 'verify', clone, '--wait']);
    assert.equal(run.code, 1, run.stdout);
    assert.match(run.stderr, /not verified|restic check/);
    const snapshots = JSON.parse((await ok(['backup', 'list', clone, '--json'])).stdout) as {
      target: string;
      verified: boolean | null;
      verifyNote: string | null;
    }[];
    const bad = snapshots.find((s) => s.target === 'fragile')!;
    assert.equal(bad.verified, false);
    assert.match(bad.verifyNote ?? '', /restic check|restore failed/);
    assert.equal((await lastVerified(clone))?.ok, false);
    assert.deepEqual(await scratchObjects(), []);
  });

  // Last: it stops the SFTP target's sshd for good.
  test('a target that is down does not hide the snapshots on the others', async () => {
    sshd?.kill('SIGTERM');
    await new Promise((done) => sshd?.once('exit', done));
    sshd = undefined;
    const run = await ok(['backup', 'list']);
    assert.match(run.stdout, /\bdisk\b/, 'the local target still answers');
    assert.doesNotMatch(run.stdout, /\boffsite\b/);
    assert.match(run.stderr, /warning: target offsite could not be read: /);
    const targets = JSON.parse((await ok(['backup', 'target', 'list', '--json'])).stdout);
    const reach = Object.fromEntries(
      targets.map((t: { name: string; reachable: boolean | null }) => [t.name, t.reachable]),
    );
    assert.equal(reach.disk, true);
    assert.equal(reach.offsite, false);
  });
});
