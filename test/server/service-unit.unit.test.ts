// The systemd unit of `foyer serve` (issue 12 §5): what it runs, after what, how it restarts
// and logs, the environment it carries, quoting, and systemd's own verdict on it
// (`systemd-analyze verify`, when the machine has it; systemd need not be running).
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { serviceUnit } from '../../server/service-unit.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** The unit's `key=value` lines, by key. */
function directives(unit: string): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const line of unit.split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (m) found.set(m[1]!, [...(found.get(m[1]!) ?? []), m[2]!]);
  }
  return found;
}

const unit = serviceUnit({
  node: '/usr/bin/node',
  foyerBin: '/opt/foyer/bin/foyer.js',
  env: { FOYER_DATA_DIR: '/var/lib/foyer', FOYER_PORT: '8421', DOCKER_HOST: '' },
});

test('the unit runs foyer serve after Docker, restarts on failure and logs to the journal', () => {
  const d = directives(unit);
  assert.deepEqual(d.get('ExecStart'), ['"/usr/bin/node" "/opt/foyer/bin/foyer.js" "serve"']);
  assert.deepEqual(d.get('After'), ['docker.service network-online.target']);
  assert.ok(d.get('Wants')?.[0]?.split(' ').includes('docker.service'));
  assert.deepEqual(d.get('Restart'), ['on-failure']);
  assert.deepEqual(d.get('StandardOutput'), ['journal']);
  assert.deepEqual(d.get('WantedBy'), ['multi-user.target']);
  assert.deepEqual(d.get('ReadWritePaths'), ['"/var/lib/foyer"']);
  // A JIT needs writable and executable pages; the Docker socket needs AF_UNIX.
  assert.equal(d.has('MemoryDenyWriteExecute'), false);
  assert.match(d.get('RestrictAddressFamilies')?.[0] ?? '', /AF_UNIX/);
  assert.equal(d.has('User'), false, 'runs as root, the Docker socket is root’s');
});

test('the environment it was made in is carried over; empty values are left out', () => {
  assert.deepEqual(directives(unit).get('Environment'), [
    '"FOYER_DATA_DIR=/var/lib/foyer"',
    '"FOYER_PORT=8421"',
    '"FOYER_LOG_FORMAT=pretty"',
    'MALLOC_ARENA_MAX=2',
  ]);
});

test('values are quoted for systemd: no specifier, no variable, no newline', () => {
  const odd = serviceUnit({
    node: '/opt/node 20/bin/node',
    foyerBin: '/srv/100%/$HOME/bin/foyer.js',
    env: { FOYER_DATA_DIR: '/srv/data "x"', FOYER_HOSTNAMES: 'a.example,b\\c' },
  });
  const d = directives(odd);
  assert.deepEqual(d.get('ExecStart'), [
    '"/opt/node 20/bin/node" "/srv/100%%/$$HOME/bin/foyer.js" "serve"',
  ]);
  assert.ok(d.get('Environment')?.includes('"FOYER_DATA_DIR=/srv/data \\"x\\""'));
  assert.ok(d.get('Environment')?.includes('"FOYER_HOSTNAMES=a.example,b\\\\c"'));
  assert.throws(
    () => serviceUnit({ node: 'n', foyerBin: 'f', env: { FOYER_DATA_DIR: 'a\nb' } }),
    /FOYER_DATA_DIR: a systemd unit value cannot hold a newline/,
  );
});

test('`foyer service-unit` prints the unit for this package and environment', () => {
  const printed = execFileSync(process.execPath, [join(root, 'bin/foyer.js'), 'service-unit'], {
    env: { PATH: process.env.PATH, FOYER_DATA_DIR: '/tmp/foyer-unit-data', FOYER_HOST: '::' },
    encoding: 'utf8',
  });
  const d = directives(printed);
  assert.deepEqual(d.get('ExecStart'), [
    `"${process.execPath}" "${join(root, 'bin/foyer.js')}" "serve"`,
  ]);
  assert.ok(d.get('Environment')?.includes('"FOYER_DATA_DIR=/tmp/foyer-unit-data"'));
  assert.ok(d.get('Environment')?.includes('"FOYER_HOST=::"'));
});

test('systemd-analyze verify finds nothing to say', async (t) => {
  const has = await new Promise<boolean>((done) =>
    execFile('systemd-analyze', ['--version'], (error) => done(!error)),
  );
  if (!has) return t.skip('systemd-analyze is not installed (apt-get install systemd)');
  const dir = mkdtempSync(join(tmpdir(), 'foyer-unit-'));
  try {
    const bin = join(root, 'bin/foyer.js');
    const path = join(dir, 'foyer.service');
    writeFileSync(
      path,
      serviceUnit({ node: process.execPath, foyerBin: bin, env: { FOYER_DATA_DIR: dir } }),
    );
    const result = await new Promise<{ code: number; stderr: string }>((done) =>
      execFile('systemd-analyze', ['verify', path], (error, _stdout, stderr) =>
        done({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stderr }),
      ),
    );
    assert.equal(result.code, 0, result.stderr);
    // Warnings (an unknown key, a bad value) go to stderr with exit code 0. Units it cannot
    // find here (docker.service on a machine without Docker's package) are not the unit's fault.
    const said = result.stderr
      .split('\n')
      .filter(
        (line) => line.trim() !== '' && !/(docker|network-online)\S*: (?:Unit|Failed)/i.test(line),
      );
    assert.deepEqual(said, []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
