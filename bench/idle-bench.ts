/**
 * The idle half of `npm run bench:resync` (issue 12 §1): what a box with one
 * app whose health check runs every second costs while nothing changes.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestEngine } from '../test/support/engine.js';
import {
  addInstall,
  eventually,
  spawnDaemon,
  startTestFoyer,
  TEST_CATALOG,
} from '../test/support/foyer.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** CPU seconds (user + system) a process has used, from /proc/<pid>/stat. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  // utime and stime are fields 14 and 15 of stat; 12 and 13 after the "pid (comm) " prefix.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Runs both idle measures for `seconds` each; true when every target is met. */
export async function idleBench(engine: TestEngine, seconds: number): Promise<boolean> {
  const resyncMs = 10_000;
  const foyer = await startTestFoyer(engine, { resyncMs });
  const id = `idle${Date.now().toString(36).slice(-5)}`;
  let met = false;
  try {
    addInstall(foyer.store, id, 'web');
    foyer.reconciler.enqueue(id);
    await eventually(
      'web healthy',
      async () => {
        const { stdout } = await engine.docker([
          'inspect',
          '--format',
          '{{.State.Health.Status}}',
          `${id}-web-1`,
        ]);
        return stdout.trim() === 'healthy';
      },
      120_000,
    );
    await foyer.reconciler.idle();
    await sleep(2000);
    foyer.counts.reset();
    await sleep(seconds * 1000);
    const counts = { ...foyer.counts.counts };
    const calls = Object.values(counts).reduce((a, b) => a + b, 0);
    const perMinute = (calls * 60) / seconds;
    const resyncsPerMinute = 60_000 / resyncMs;
    const budget = 3 * resyncsPerMinute + 2;
    // A resync is one listContainers (+ networks, volumes); every other one is a pass an event woke.
    const resyncs = Math.floor((seconds * 1000) / resyncMs);
    const woken = Math.max(0, (counts.listContainers ?? 0) - resyncs);
    console.log(`idle bench: one app with a health check every second, ${seconds} s`);
    console.log(
      `  Docker calls: ${perMinute.toFixed(1)}/min (${JSON.stringify(counts)}), budget ${budget}/min at a resync every ${resyncMs / 1000} s`,
    );
    console.log(`  observes not caused by the resync: ${woken}`);
    met = perMinute <= budget && woken === 0;
  } finally {
    foyer.store.installs.setDesired(id, 'absent', { purge: true });
    foyer.reconciler.enqueue(id);
    await eventually('removed', () => foyer.store.installs.list().length === 0, 60_000);
    await foyer.close();
    rmSync(foyer.dataDir, { recursive: true, force: true });
  }

  // The real daemon, default resync (30 s): its own CPU time while idle.
  const dataDir = mkdtempSync(join(tmpdir(), 'foyer-idle-'));
  const daemon = spawnDaemon(engine, dataDir, {
    FOYER_CATALOG: TEST_CATALOG,
    FOYER_RESYNC_MS: '30000',
    FOYER_LOG_LEVEL: 'warn',
  });
  try {
    await eventually('foyer serve', () => daemon.output().includes('Foyer is running at'), 60_000);
    const cli = (...args: string[]) =>
      execFileSync(process.execPath, [join(root, 'bin/foyer.js'), ...args], {
        env: { ...process.env, FOYER_DATA_DIR: dataDir },
        encoding: 'utf8',
      });
    cli('install', 'web', '--wait');
    await sleep(5000);
    const pid = daemon.child.pid!;
    const before = cpuSeconds(pid);
    await sleep(seconds * 1000);
    const percent = ((cpuSeconds(pid) - before) / seconds) * 100;
    console.log(`  foyer serve CPU at idle: ${percent.toFixed(2)}% of one core (target ≤ 1%)`);
    met &&= percent <= 1;
    cli('uninstall', 'web', '--purge', '--yes', '--wait');
  } finally {
    await daemon.kill('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
  }
  console.log(`  idle targets: ${met ? 'met' : 'MISSED'}`);
  return met;
}
