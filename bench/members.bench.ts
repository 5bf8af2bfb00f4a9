/**
 * `npm run bench:members`: the directory's figures (issue 14). `foyer serve` runs as a real
 * child process with Foyer's own catalogue on the engine named by FOYER_TEST_DOCKER_HOST (else
 * a private one); the first group builds slapd from Debian. Measured:
 * - a member change reaching LDAP (target ≤ 1 s): from the API's answer to `foyer members add`
 *   (and `passwd`, `disable`) to the bind that proves it, polled every 5 ms over ldapi;
 * - a CSV import of 500 members (target ≤ 15 s): from running `foyer members import` to all
 *   500 entries found in LDAP, each with memberOf the install's access group;
 * - slapd's idle memory (target ≤ 25 MiB): `docker stats` (cgroup usage less page cache) after
 *   10 s of quiet, empty and with the 500 members.
 * Needs `npm run build` (the daemon runs from dist/).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { accessDn, memberDn } from '../server/directory/entries.js';
import { openBenchEngine } from '../test/support/bench-engine.js';
import { removeLabelled, runFoyerWithInput, serveFoyer } from '../test/support/cli.js';
import { ldapBinds, searchMembers } from '../test/support/directory.js';
import { eventually } from '../test/support/foyer.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 10);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const max = (xs: number[]) => Math.max(...xs);

const { engine, stop } = await openBenchEngine();
const dataDir = mkdtempSync(join(tmpdir(), 'foyer-bench-members-'));
const daemon = await serveFoyer(engine, dataDir);

async function foyer(input: string, ...args: string[]) {
  const run = await runFoyerWithInput(dataDir, input, ...args);
  if (run.code !== 0) throw new Error(`foyer ${args.join(' ')}: ${run.stdout}${run.stderr}`);
  return run;
}

/** ms from now until `check` holds, polled every 5 ms. */
async function until(check: () => Promise<boolean>, limitMs = 10_000): Promise<number> {
  const start = performance.now();
  while (performance.now() - start < limitMs) {
    if (await check().catch(() => false)) return performance.now() - start;
    await sleep(5);
  }
  throw new Error('not seen in LDAP');
}

async function idleMiB(): Promise<number> {
  await sleep(10_000);
  const samples: number[] = [];
  for (let i = 0; i < 3; i++) {
    const { stdout } = await engine.docker([
      'stats',
      '--no-stream',
      '--format',
      '{{.MemUsage}}',
      'directory-slapd-1',
    ]);
    const [value, unit] = /([\d.]+)\s*([KMG]i?B)/.exec(stdout)!.slice(1) as [string, string];
    const factor = unit.startsWith('G') ? 1024 : unit.startsWith('K') ? 1 / 1024 : 1;
    samples.push(Number(value) * factor);
  }
  return median(samples);
}

try {
  const built = performance.now();
  await foyer('', 'groups', 'add', 'family');
  await foyer('', 'access', 'grant', 'directory', 'family');
  await eventually(
    'slapd',
    async () => (await searchMembers(dataDir, 'directory', '(uid=*)')) && true,
    900_000,
  );
  console.log(`slapd built and started: ${((performance.now() - built) / 1000).toFixed(1)} s`);
  const emptyMiB = await idleMiB();

  const add: number[] = [];
  const passwd: number[] = [];
  const disable: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const name = `bench${i}`;
    const dn = memberDn(name);
    await foyer(
      `first password ${i}`,
      'members',
      'add',
      name,
      '--email',
      `${name}@example.org`,
      '--password-stdin',
      '--group',
      'family',
    );
    add.push(await until(() => ldapBinds(dataDir, dn, `first password ${i}`)));
    await foyer(`second password ${i}`, 'members', 'passwd', name, '--password-stdin');
    passwd.push(await until(() => ldapBinds(dataDir, dn, `second password ${i}`)));
    await foyer('', 'members', 'disable', name);
    disable.push(await until(async () => !(await ldapBinds(dataDir, dn, `second password ${i}`))));
  }

  const csv = join(dataDir, 'village.csv');
  const lines = ['name,email,display_name,groups'];
  for (let i = 0; i < 500; i++) lines.push(`v${i},v${i}@example.org,Villager ${i},family`);
  writeFileSync(csv, `${lines.join('\n')}\n`);
  const importStart = performance.now();
  await foyer('', 'members', 'import', csv);
  const answered = performance.now() - importStart;
  // Done when every one of them is in LDAP with memberOf the install's access group.
  const filter = `(&(uid=v*)(memberOf=${accessDn('directory')}))`;
  await until(
    async () => (await searchMembers(dataDir, 'directory', filter, ['uid'])).length === 500,
    60_000,
  );
  const imported = performance.now() - importStart;
  const fullMiB = await idleMiB();

  const fmt = (xs: number[]) => `median ${median(xs).toFixed(0)} ms, max ${max(xs).toFixed(0)} ms`;
  console.log(
    `member change → LDAP over ${ROUNDS} rounds (target ≤ 1000 ms after the API answers):`,
  );
  console.log(`  add → binds:              ${fmt(add)}`);
  console.log(`  passwd → new one binds:   ${fmt(passwd)}`);
  console.log(`  disable → bind refused:   ${fmt(disable)}`);
  console.log(
    `CSV import of 500 (target ≤ 15 s): ${(imported / 1000).toFixed(2)} s (the CLI answered in ${(answered / 1000).toFixed(2)} s)`,
  );
  console.log(
    `slapd idle memory (target ≤ 25 MiB): ${emptyMiB.toFixed(1)} MiB empty, ${fullMiB.toFixed(1)} MiB with ${500 + ROUNDS} members`,
  );
} finally {
  await daemon.kill('SIGTERM');
  await removeLabelled(engine, 'foyer.install=directory');
  rmSync(dataDir, { recursive: true, force: true });
  await stop();
}
