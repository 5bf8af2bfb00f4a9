// Backups and restores with real restic (issue 15), through `foyer serve` and the CLI: the test
// app `web` writes into its volume, is backed up to a local folder target, loses its data, is
// restored in place (bytes compared); restored as a new install; uninstalled with purge and
// restored again; backed up to an SFTP target on a real sshd on loopback holding Foyer's key.
// A wrong password and a target name with shell metacharacters are refused, changing nothing.
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { instanceId } from '../../server/paths.js';
import { type DaemonProcess, eventually, spawnDaemon, TEST_CATALOG } from '../support/foyer.js';
import { useTestEngine } from '../support/index.js';
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

before(async () => {
  daemon = spawnDaemon(engine, dataDir, { FOYER_CATALOG: TEST_CATALOG });
  await eventually(
    'foyer serve',
    () => {
      if (daemon!.child.exitCode !== null) throw new Error(daemon!.output());
      return daemon!.output().includes('Foyer is running at');
    },
    60_000,
  );
  await ok(['install', 'web', '--id', id, '--wait']);
});

after(async () => {
  sshd?.kill('SIGTERM');
  for (const install of [id, `${id}-c`, `${id}-p`])
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

describe('backups with restic', { timeout: 10 * 60_000 }, () => {
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
    const status = JSON.parse((await ok(['status', id, '--json'])).stdout);
    assert.equal(status.status.state, 'running', 'the app runs again after its backup');

    await inApp(id, 'rm -f /www/blob.bin /www/keep.txt && echo junk > /www/new.txt');
    await ok(['restore', id, '--wait']);
    assert.equal(await inApp(id, 'md5sum /www/blob.bin /www/keep.txt'), payload);
    assert.equal(await inApp(id, 'test -e /www/new.txt && echo yes || echo no'), 'no\n');
    const after = JSON.parse((await ok(['backup', 'list', id, '--json'])).stdout);
    assert.equal(after.length, 2, 'the state before the restore was snapshotted first');
    assert.ok(after.some((s: { tags: string[] }) => s.tags.includes('foyer-before-restore')));
  });

  test('verify checks the repository and restores the newest snapshot to scratch', async () => {
    await ok(['backup', 'verify', id, '--wait']);
    const snapshots = JSON.parse((await ok(['backup', 'list', id, '--json'])).stdout);
    assert.equal(snapshots[0].verified, true);
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
});
