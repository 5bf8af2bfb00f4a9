/**
 * `npm run bench:core` (issue 14): the core bundle at idle — the daemon, the edge, the
 * directory, mail, chat and calendar — against the figure "≤ 256 MiB all together, so a 512 MB
 * board runs it". `foyer serve` runs as a real child process (bin/foyer.js, the compiled code,
 * default resync) on a fresh data dir, on the engine named by FOYER_TEST_DOCKER_HOST (else a
 * private one); then, through the CLI as a person would:
 * - `foyer domain set bench.test --internal` (home CA: the edge runs, on free high ports);
 * - a group and a member in it (the directory's slapd runs);
 * - mail, chat and calendar from Foyer's catalogue (`accounts: directory`), the group granted
 *   each, every container running and healthy;
 * - BENCH_IDLE_S seconds of quiet (default 60), then BENCH_SAMPLES samples (default 5) 2 s apart.
 * Each part is the median of its samples: the daemon's VmRSS (and Pss) from /proc, each
 * container's cgroup usage less inactive file pages (the figure `docker stats` shows). Measured
 * twice: just after the installs, and after a daemon restart over the same containers (as after
 * a reboot; the installing daemon keeps garbage and freed malloc pages it has not returned).
 * Exits non-zero only when the bundle cannot be brought up; a missed target prints MISSED.
 * Needs `npm run build` (the npm script builds first).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { openBenchEngine } from '../test/support/bench-engine.js';
import { containerMemory } from '../test/support/cgroup-memory.js';
import { removeLabelled, runFoyerWithInput, serveFoyer } from '../test/support/cli.js';
import { eventually } from '../test/support/foyer.js';
import { freePort } from '../test/support/ports.js';
import { pssMiB, statusMiB } from '../test/support/process-memory.js';

const COMMAND = 'npm run bench:core   (BENCH_IDLE_S=60 BENCH_SAMPLES=5)';
const TARGET_MIB = 256;
const IDLE_S = Number(process.env.BENCH_IDLE_S ?? 60);
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 5);
const DOMAIN = 'bench.test';
const GROUP = 'family';
const APPS = ['mail', 'chat', 'calendar'] as const;
const MiB = 1024 * 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const seconds = (since: number) => `${((performance.now() - since) / 1000).toFixed(1)} s`;

console.log(`core bundle bench: ${COMMAND}`);
console.log(`  node ${process.version}, idle ${IDLE_S} s, ${SAMPLES} samples (median)`);

const { engine, stop } = await openBenchEngine();
const dataDir = mkdtempSync(join(tmpdir(), 'foyer-bench-core-'));
const ports: number[] = [];
// One by one, each distinct from those already taken.
while (ports.length < 9) {
  const port = await freePort();
  if (!ports.includes(port)) ports.push(port);
}
const [httpPort, httpsPort, smtp, submission, imap, imaps, c2s, s2s, caldav] = ports as [
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
];
const serve = () =>
  serveFoyer(engine, dataDir, {
    FOYER_HTTP_PORT: String(httpPort),
    FOYER_HTTPS_PORT: String(httpsPort),
    FOYER_EDGE_ADDRESS: '127.0.0.1',
    // The daemon as installed: its default resync and log level, not the tests' quick ones,
    // and glibc's arenas as the service unit sets them (server/service-unit.ts).
    FOYER_RESYNC_MS: '',
    FOYER_LOG_LEVEL: 'warn',
    MALLOC_ARENA_MAX: '2',
  });
let daemon = await serve();
const instance = readFileSync(join(dataDir, 'instance-id'), 'utf8').trim();

async function foyer(input: string, ...args: string[]): Promise<string> {
  const run = await runFoyerWithInput(dataDir, input, ...args);
  if (run.code !== 0) throw new Error(`foyer ${args.join(' ')}: ${run.stdout}${run.stderr}`);
  return run.stdout;
}

interface Part {
  name: string;
  container: string;
}

/** This Foyer's containers as `<install>-<service>`, with whether each is running and healthy. */
async function containers(): Promise<(Part & { ready: boolean; status: string })[]> {
  const { stdout } = await engine.docker([
    ...['ps', '-a', '--filter', `label=foyer.instance=${instance}`, '--format'],
    '{{.ID}}\t{{.Label "foyer.install"}}\t{{.Label "com.docker.compose.service"}}\t{{.State}}\t{{.Status}}',
  ]);
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [container = '', install, service, state, status = ''] = line.split('\t');
      const ready = state === 'running' && !/\((health: starting|unhealthy)\)/.test(status);
      return { name: `${install}-${service}`, container, ready, status: `${state} ${status}` };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * After IDLE_S seconds of quiet, SAMPLES samples 2 s apart: each part's median in MiB, with a
 * note (the daemon's Pss, a container's anonymous memory).
 */
async function measure(parts: Part[]): Promise<[string, number, string][]> {
  await sleep(IDLE_S * 1000);
  const pid = daemon.child.pid!;
  const rss: number[] = [];
  const pss: number[] = [];
  const anon: number[] = [];
  const byPart = new Map(
    parts.map((p) => [p.name, { used: [] as number[], anon: [] as number[] }]),
  );
  for (let i = 0; i < SAMPLES; i++) {
    if (i > 0) await sleep(2000);
    rss.push(statusMiB(pid));
    pss.push(pssMiB(pid));
    anon.push(statusMiB(pid, 'RssAnon'));
    for (const part of parts) {
      const memory = await containerMemory(engine, part.container);
      byPart.get(part.name)!.used.push(memory.workingSet / MiB);
      byPart.get(part.name)!.anon.push(memory.anon / MiB);
    }
  }
  const f = (xs: number[]) => median(xs).toFixed(1);
  return [
    ['daemon (foyer serve)', median(rss), `VmRSS: anon ${f(anon)}; Pss ${f(pss)}`],
    ...parts.map((p): [string, number, string] => {
      const m = byPart.get(p.name)!;
      return [p.name, median(m.used), `anon ${f(m.anon)}`];
    }),
  ];
}

let failed = false;
try {
  const started = performance.now();
  await foyer('', 'domain', 'set', DOMAIN, '--internal');
  await eventually(
    'the edge to run its config',
    async () => {
      const s = JSON.parse(await foyer('', 'domain', 'status', '--json'));
      return s.edge.state === 'synced';
    },
    1_800_000,
  );
  console.log(`  edge running: ${seconds(started)}`);

  await foyer('', 'groups', 'add', GROUP);
  await foyer(
    'a bench password, long enough',
    ...['members', 'add', 'alice', '--email', `alice@${DOMAIN}`, '--password-stdin'],
    ...['--group', GROUP],
  );
  const settings: Record<(typeof APPS)[number], Record<string, string | number>> = {
    mail: {
      DOMAIN,
      POSTMASTER: `alice@${DOMAIN}`,
      SMTP_PORT: smtp,
      SUBMISSION_PORT: submission,
      IMAP_PORT: imap,
      IMAPS_PORT: imaps,
    },
    chat: { DOMAIN, C2S_PORT: c2s, S2S_PORT: s2s },
    calendar: { PORT: caldav },
  };
  for (const app of APPS) {
    const since = performance.now();
    const sets = Object.entries(settings[app]).flatMap(([k, v]) => ['--set', `${k}=${v}`]);
    await foyer('', 'install', app, ...sets, '--accept-permissions', '--wait', '--timeout', '1800');
    await foyer('', 'access', 'grant', app, GROUP);
    console.log(`  ${app} installed: ${seconds(since)}`);
  }
  const parts = await eventually(
    'every container running and healthy',
    async () => {
      const all = await containers();
      const names = all.map((c) => c.name);
      const expected = ['edge-', 'directory-', 'mail-', 'chat-', 'calendar-'];
      if (!expected.every((p) => names.some((n) => n.startsWith(p)))) return false;
      return all.every((c) => c.ready) && all;
    },
    300_000,
  );
  console.log(`  bundle up (${parts.length} containers): ${seconds(started)}`);

  const installed = await measure(parts);
  // As after a reboot: a new daemon process over the same running containers.
  await daemon.kill('SIGTERM');
  daemon = await serve();
  const restarted = await measure(parts);

  const width = Math.max(...installed.map(([name]) => name.length), 'total'.length);
  console.log(
    `\ncore bundle at idle, MiB (median of ${SAMPLES}; the daemon's VmRSS, containers as docker stats counts):`,
  );
  console.log(
    `  ${'part'.padEnd(width)}  ${'installed'.padStart(9)}  ${'restarted'.padStart(9)}   (restarted: details)`,
  );
  const totals = [0, 0];
  installed.forEach(([name, mib], i) => {
    const [, again, note] = restarted[i]!;
    totals[0]! += mib;
    totals[1]! += again;
    console.log(
      `  ${name.padEnd(width)}  ${mib.toFixed(1).padStart(9)}  ${again.toFixed(1).padStart(9)}   (${note})`,
    );
  });
  console.log(
    `  ${'total'.padEnd(width)}  ${totals[0]!.toFixed(1).padStart(9)}  ${totals[1]!.toFixed(1).padStart(9)}`,
  );
  const verdict = (total: number) =>
    total <= TARGET_MIB ? 'met' : `MISSED by ${(total - TARGET_MIB).toFixed(1)} MiB`;
  console.log(
    `  target ≤ ${TARGET_MIB} MiB all together: ${verdict(totals[0]!)} just installed (${IDLE_S} s idle), ${verdict(totals[1]!)} after a daemon restart (${IDLE_S} s idle)`,
  );
} catch (error) {
  failed = true;
  console.error(`core bundle bench failed: ${(error as Error).message}`);
  console.error(daemon.output().slice(-4000));
} finally {
  await daemon.kill('SIGTERM');
  await removeLabelled(engine, `foyer.instance=${instance}`);
  rmSync(dataDir, { recursive: true, force: true });
  await stop();
}
if (failed) process.exitCode = 1;
