/**
 * `npm run bench:backup`: backups of a 1 GiB volume (issue 15). `foyer serve` runs as a real
 * child process on the engine named by FOYER_TEST_DOCKER_HOST (else a private one) with a
 * small app that stops on SIGTERM, whose volume gets 1 GiB of incompressible bytes (/dev/urandom). Side by side
 * in one run, each round into fresh repositories on the same disk:
 * - `foyer backup run --wait` to a local target vs plain `restic backup` of the volume's folder
 *   (target: Foyer ≤ 1.15× restic);
 * - a second Foyer backup with nothing changed (target ≤ 3 s);
 * - the app's downtime during each stop-snapshot backup (its container not running), against
 *   the snapshot time — restic's own duration, as the daemon logs it (`snapshot made`) —
 *   (target ≤ snapshot + 5 s).
 * The volume's bytes are written straight into its folder from this process (quick), and the
 * per-round Foyer/restic ratios' median is the figure (rounds alternate who goes first).
 * The verification that follows each backup is turned off here (it is measured on its own at
 * the end: a restore of the snapshot into a scratch install until healthy). Needs
 * `npm run build` (the daemon runs from dist/) and restic on PATH.
 */
import { execFile } from 'node:child_process';
import { createCipheriv, randomBytes } from 'node:crypto';
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { connectDocker } from '../server/docker/dockerode-adapter.js';
import { openBenchEngine } from '../test/support/bench-engine.js';
import { spawnDaemon } from '../test/support/foyer.js';
import { BUSYBOX_IMAGE } from '../test/support/index.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const BYTES = Number(process.env.BENCH_BYTES ?? 1024 ** 3);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'bin/foyer.js');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

const { engine, stop } = await openBenchEngine();
const docker = await connectDocker(engine.host);
const id = `bkbench${Date.now().toString(36).slice(-4)}`;
const dataDir = mkdtempSync(join(tmpdir(), 'foyer-bench-backup-'));
const repos = mkdtempSync(join(tmpdir(), 'foyer-bench-backup-repos-'));
const container = `${id}-web-1`;
// An app that stops when asked (SIGTERM), as a real one does: the engine's 10 s grace is not
// what is measured. Its data is in the named volume `www`.
const catalog = mkdtempSync(join(tmpdir(), 'foyer-bench-backup-catalog-'));
mkdirSync(join(catalog, 'files'));
writeFileSync(
  join(catalog, 'files', 'app.yaml'),
  'id: files\nname: Files\nversion: 1.0.0\npermissions: []\n',
);
writeFileSync(
  join(catalog, 'files', 'compose.yaml'),
  [
    'services:',
    '  web:',
    `    image: ${BUSYBOX_IMAGE}`,
    '    command: ["sh", "-c", "echo ok > /tmp/ok; httpd -f -p 8080 -h /tmp & trap \'kill $$!; exit 0\' TERM; wait"]',
    '    volumes: [www:/www]',
    '    healthcheck:',
    '      test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/ok"]',
    '      interval: 1s',
    '      retries: 3',
    'volumes: { www: {} }',
    '',
  ].join('\n'),
);

function run(
  file: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number; out: string }> {
  return new Promise((done) =>
    execFile(
      file,
      args,
      { env: { ...process.env, ...env }, timeout: 900_000, maxBuffer: 64 << 20 },
      (error, stdout, stderr) =>
        done({ code: error ? ((error as { code?: number }).code ?? 1) : 0, out: stdout + stderr }),
    ),
  );
}

async function foyer(...args: string[]): Promise<string> {
  const done = await run(process.execPath, [bin, ...args], { FOYER_DATA_DIR: dataDir });
  if (done.code !== 0) throw new Error(`foyer ${args.join(' ')}:\n${done.out}`);
  return done.out;
}

async function plainRestic(repo: string, args: string[]): Promise<void> {
  const done = await run('restic', ['-r', repo, ...args], { RESTIC_PASSWORD: 'bench-password' });
  if (done.code !== 0) throw new Error(`restic ${args.join(' ')}:\n${done.out}`);
}

/** The daemon's account of its last snapshot: restic's own seconds, and the whole quiet time. */
function lastSnapshotLog(): { resticSeconds: number; quietSeconds: number; seconds: number } {
  const line = daemon
    .output()
    .split('\n')
    .filter((l) => l.includes('"snapshot made"'))
    .at(-1);
  if (!line) throw new Error('the daemon logged no snapshot');
  return JSON.parse(line);
}

/** Seconds `work` takes, and how long the app's container was not running meanwhile. */
async function timed(work: () => Promise<unknown>): Promise<{ seconds: number; down: number }> {
  // The last run's writes flushed first, so neither side pays for the other's writeback.
  await run('sync', []);
  const start = performance.now();
  let finished = false;
  let downSince: number | undefined;
  let down = 0;
  const watching = (async () => {
    while (!finished) {
      const running = (await docker.inspectContainer(container))?.state.running ?? false;
      const now = performance.now();
      if (!running) downSince ??= now;
      else if (downSince !== undefined) {
        down += now - downSince;
        downSince = undefined;
      }
      await sleep(20);
    }
  })();
  await work();
  const seconds = (performance.now() - start) / 1000;
  finished = true;
  await watching;
  if (downSince !== undefined) down += performance.now() - downSince;
  return { seconds, down: down / 1000 };
}

const daemon = spawnDaemon(engine, dataDir, { FOYER_CATALOG: catalog });
try {
  const deadline = Date.now() + 60_000;
  while (!daemon.output().includes('Foyer is running')) {
    if (Date.now() > deadline) throw new Error(`foyer serve did not start:\n${daemon.output()}`);
    await sleep(50);
  }
  await foyer('install', 'files', '--id', id, '--wait');
  await foyer('backup', 'schedule', 'off', '--verify', 'no');
  const volume = (
    await engine.docker(['volume', 'inspect', '-f', '{{.Mountpoint}}', `${id}_www`])
  ).stdout.trim();
  // Random bytes written straight into the volume's folder (the daemon reads it there too).
  const made = performance.now();
  const fd = openSync(join(volume, 'random.bin'), 'w');
  // AES-CTR over zeros: incompressible and never repeating, at the speed of AES-NI.
  const cipher = createCipheriv('aes-128-ctr', randomBytes(16), randomBytes(16));
  const zeros = Buffer.alloc(64 << 20);
  for (let left = BYTES; left > 0; left -= zeros.length) {
    const chunk = cipher.update(zeros);
    writeSync(fd, chunk, 0, Math.min(left, chunk.length));
  }
  closeSync(fd);
  console.log(
    `${(BYTES / 1024 ** 3).toFixed(2)} GiB of random bytes written in ${((performance.now() - made) / 1000).toFixed(1)} s (${volume})`,
  );

  // One untimed backup first: the bytes in the page cache for every timed run alike.
  const warm = join(repos, 'warm-up');
  await plainRestic(warm, ['init', '--repository-version', '2']);
  await plainRestic(warm, ['backup', volume, '--quiet']);
  rmSync(warm, { recursive: true, force: true });

  const foyerFirst: number[] = [];
  const resticFirst: number[] = [];
  const foyerSecond: number[] = [];
  const resticSecond: number[] = [];
  const downFirst: number[] = [];
  const downSecond: number[] = [];
  const ratios: number[] = [];
  const overFirst: number[] = [];
  const overSecond: number[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const target = `r${round}`;
    const foyerRepo = join(repos, `foyer-${round}`);
    const plainRepo = join(repos, `plain-${round}`);
    await foyer('backup', 'target', 'add', target, foyerRepo);
    await plainRestic(plainRepo, ['init', '--repository-version', '2']);
    // Alternate who goes first, so the page cache favours neither.
    const plain = () => plainRestic(plainRepo, ['backup', volume, '--json', '--quiet']);
    const viaFoyer = () => foyer('backup', 'run', id, '--target', target, '--wait');
    let f: { seconds: number; down: number };
    let p: { seconds: number };
    if (round % 2 === 1) {
      p = await timed(plain);
      f = await timed(viaFoyer);
    } else {
      f = await timed(viaFoyer);
      p = await timed(plain);
    }
    const snap1 = lastSnapshotLog();
    const f2 = await timed(viaFoyer);
    const snap2 = lastSnapshotLog();
    const p2 = await timed(() => plainRestic(plainRepo, ['backup', volume, '--json', '--quiet']));
    foyerFirst.push(f.seconds);
    resticFirst.push(p.seconds);
    downFirst.push(f.down);
    foyerSecond.push(f2.seconds);
    resticSecond.push(p2.seconds);
    downSecond.push(f2.down);
    ratios.push(f.seconds / p.seconds);
    overFirst.push(f.down - snap1.resticSeconds);
    overSecond.push(f2.down - snap2.resticSeconds);
    console.log(
      `round ${round}: first backup Foyer ${f.seconds.toFixed(1)} s vs restic ${p.seconds.toFixed(1)} s ` +
        `(${(f.seconds / p.seconds).toFixed(2)}×), app down ${f.down.toFixed(1)} s for a snapshot of ` +
        `${snap1.resticSeconds.toFixed(1)} s; unchanged: Foyer ${f2.seconds.toFixed(1)} s vs restic ` +
        `${p2.seconds.toFixed(1)} s, app down ${f2.down.toFixed(1)} s for a snapshot of ${snap2.resticSeconds.toFixed(1)} s ` +
        `(the daemon's part: ${snap2.seconds.toFixed(1)} s, of which stopping ${snap2.quietSeconds.toFixed(1)} s)`,
    );
  }
  // Rounds alternate who goes first; the median of the per-round ratios evens out a busy box.
  const ratio = median(ratios);
  const second = median(foyerSecond);
  const over = Math.max(median(overFirst), median(overSecond));
  const downOk = over <= 5;
  console.log(
    `\n1 GiB to a local target: Foyer ${median(foyerFirst).toFixed(1)} s vs plain restic ` +
      `${median(resticFirst).toFixed(1)} s; median ratio ${ratio.toFixed(2)}× ` +
      `(target ≤ 1.15×: ${ratio <= 1.15 ? 'met' : 'NOT met'})`,
  );
  console.log(
    `second backup, nothing changed: ${second.toFixed(1)} s, plain restic ${median(resticSecond).toFixed(1)} s ` +
      `(target ≤ 3 s: ${second <= 3 ? 'met' : 'NOT met'})`,
  );
  console.log(
    `app downtime beyond the snapshot's own time: ${median(overFirst).toFixed(1)} s (1 GiB, down ` +
      `${median(downFirst).toFixed(1)} s), ${median(overSecond).toFixed(1)} s (unchanged, down ` +
      `${median(downSecond).toFixed(1)} s) (target ≤ 5 s: ${downOk ? 'met' : 'NOT met'})`,
  );

  await foyer('backup', 'schedule', '--verify', 'yes');
  const verified = await timed(() => foyer('backup', 'verify', id, '--wait'));
  console.log(
    `verification (restic check 10% + restore of 1 GiB into a scratch install until healthy): ` +
      `${verified.seconds.toFixed(1)} s, live app down ${verified.down.toFixed(1)} s`,
  );
  if (ratio > 1.15 || second > 3 || !downOk) process.exitCode = 1;
} finally {
  await foyer('uninstall', id, '--purge', '--yes', '--wait').catch(() => {});
  await daemon.kill('SIGTERM');
  await stop();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(repos, { recursive: true, force: true });
  rmSync(catalog, { recursive: true, force: true });
}
