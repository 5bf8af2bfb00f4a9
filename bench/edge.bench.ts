/**
 * `npm run bench:edge` (issue 13): the HTTPS edge in home mode on the engine named by
 * FOYER_TEST_DOCKER_HOST (else a private one), `foyer serve` as a real child process.
 * - install ready → first HTTPS 200 for its name (target ≤ 1 s), from `foyer install --wait`
 *   returning, and from the install being accepted;
 * - a config push (`POST /load`, as the sync times it; target ≤ 100 ms);
 * - the edge container's memory at idle with 10 names, beside Caddy alone (the same image
 *   and boot config, nothing served) as the floor (target ≤ 40 MiB);
 * - a steady state's admin-API writes (Caddy logs every admin request) and Docker writes
 *   (the engine's container and network events over three resyncs): target 0 each;
 * - then public mode against Debian's Pebble on the host (its ACME listener on foyer-edge's
 *   gateway, challtestsrv resolving every name to 127.0.0.1 where the edge's ports are, real
 *   HTTP-01/TLS-ALPN-01 validation): the switch until every name has Pebble's certificate, and
 *   install ready → first HTTPS 200 verified against Pebble's root (target ≤ 5 s).
 * Needs `npm run build` (the daemon runs from dist/).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { openBenchEngine } from '../test/support/bench-engine.js';
import { removeLabelled } from '../test/support/cli.js';
import { spawnDaemon, TEST_CATALOG } from '../test/support/foyer.js';
import { startPebble, type TestPebble } from '../test/support/pebble.js';
import { freePort } from '../test/support/ports.js';

const NAMES = 10;
/** Installs measured in public mode (each is one ACME order with Pebble). */
const ACME_NAMES = 5;
const RESYNC_MS = 2000;
const DOMAIN = 'bench.test';
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'bin/foyer.js');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

const { engine, stop } = await openBenchEngine();
const dataDir = mkdtempSync(join(tmpdir(), 'foyer-bench-edge-'));
const httpPort = await freePort();
const httpsPort = await freePort();

function foyer(...args: string[]): Promise<{ code: number; out: string }> {
  const env = { ...process.env, FOYER_DATA_DIR: dataDir };
  return new Promise((done) =>
    execFile(process.execPath, [bin, ...args], { env, timeout: 900_000 }, (error, stdout, stderr) =>
      done({ code: error ? ((error as { code?: number }).code ?? 1) : 0, out: stdout + stderr }),
    ),
  );
}

async function must(...args: string[]): Promise<string> {
  const run = await foyer(...args);
  if (run.code !== 0) throw new Error(`foyer ${args.join(' ')}: ${run.out}`);
  return run.out;
}

function status(): Promise<number> {
  return new Promise((resolve) => {
    const req = httpsRequest(
      {
        host: '127.0.0.1',
        port: httpsPort,
        servername: current.name,
        headers: { host: current.name },
        ca: current.ca,
        timeout: 2000,
      },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', () => resolve(0));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}
const current = { name: '', ca: '' };

/** Milliseconds from `since` until `https://<name>/` answers 200, polling every 10 ms. */
async function firstOk(name: string, since: number): Promise<number> {
  current.name = name;
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if ((await status()) === 200) return performance.now() - since;
    await sleep(10);
  }
  throw new Error(`${name} never answered 200`);
}

async function memoryMiB(container: string): Promise<number> {
  const { stdout } = await engine.docker([
    'stats',
    '--no-stream',
    '--format',
    '{{.MemUsage}}',
    container,
  ]);
  const [value, unit] = /([\d.]+)\s*([KMG]i?B)/.exec(stdout)!.slice(1);
  const factor = { KiB: 1 / 1024, MiB: 1, GiB: 1024, KB: 1 / 1024, MB: 1, GB: 1024 }[unit!] ?? 1;
  return Number(value) * factor;
}

async function adminLoads(): Promise<number> {
  const { stdout, stderr } = await engine.docker(['logs', 'edge-caddy-1']);
  return `${stdout}${stderr}`.split('\n').filter((l) => l.includes('"uri":"/load"')).length;
}

let pebble: TestPebble | undefined;
const daemon = spawnDaemon(engine, dataDir, {
  FOYER_CATALOG: TEST_CATALOG,
  FOYER_HTTP_PORT: String(httpPort),
  FOYER_HTTPS_PORT: String(httpsPort),
  FOYER_EDGE_ADDRESS: '127.0.0.1',
  FOYER_RESYNC_MS: String(RESYNC_MS),
});
try {
  while (!daemon.output().includes('Foyer is running at')) await sleep(100);
  const building = performance.now();
  await must('domain', 'set', DOMAIN, '--internal');
  for (;;) {
    const s = JSON.parse(await must('domain', 'status', '--json')) as { edge: { state: string } };
    if (s.edge.state === 'synced') break;
    await sleep(200);
  }
  console.log(`edge built and running: ${((performance.now() - building) / 1000).toFixed(1)} s`);
  current.ca = await must('domain', 'ca');

  const fromReady: number[] = [];
  const fromAccepted: number[] = [];
  const pushes: number[] = [];
  for (let i = 1; i <= NAMES; i++) {
    const id = `w${i}`;
    const accepted = performance.now();
    await must('install', 'web', '--id', id, '--wait');
    const ready = performance.now();
    const ms = await firstOk(`${id}.${DOMAIN}`, ready);
    fromReady.push(ms);
    fromAccepted.push(ms + (ready - accepted));
    const s = JSON.parse(await must('domain', 'status', '--json')) as {
      edge: { lastPushMs?: number };
    };
    if (s.edge.lastPushMs !== undefined) pushes.push(s.edge.lastPushMs);
  }
  console.log(
    `install ready → first HTTPS 200: median ${median(fromReady).toFixed(0)} ms, max ${Math.max(...fromReady).toFixed(0)} ms (target ≤ 1000 ms)`,
  );
  console.log(
    `install accepted → first HTTPS 200: median ${median(fromAccepted).toFixed(0)} ms (includes the install's own start and --wait's 2 s hold)`,
  );
  console.log(
    `config push (POST /load): median ${median(pushes).toFixed(1)} ms, max ${Math.max(...pushes).toFixed(1)} ms over ${pushes.length} pushes (target ≤ 100 ms)`,
  );

  const image = (
    await engine.docker(['inspect', '--format', '{{.Config.Image}}', 'edge-caddy-1'])
  ).stdout.trim();
  const floor = `foyer-bench-caddy-floor-${Date.now().toString(36)}`;
  // Caddy alone: the same image and boot config (admin socket, storage), nothing to serve.
  await engine.docker([
    'run',
    '-d',
    '--name',
    floor,
    // The image carries the edge's ownership labels; another instance's keep Foyer off it.
    '--label',
    'foyer.instance=bench-floor',
    '--label',
    'foyer.install=bench-floor',
    '--entrypoint',
    'sh',
    image,
    '-c',
    'mkdir -p /run/foyer-edge && exec caddy run --config /etc/caddy/boot.json',
  ]);
  await sleep(15_000);
  const edgeMiB = await memoryMiB('edge-caddy-1');
  const floorMiB = await memoryMiB(floor);
  await engine.docker(['rm', '-f', floor]);
  console.log(
    `edge memory at idle with ${NAMES + 1} names: ${edgeMiB.toFixed(1)} MiB; Caddy alone, empty config: ${floorMiB.toFixed(1)} MiB (target ≤ 40 MiB)`,
  );

  // Events are kept by the second: the floor's removal is left out of the window.
  await sleep(1500);
  const loadsBefore = await adminLoads();
  const since = Math.ceil(Date.now() / 1000);
  await sleep(RESYNC_MS * 3 + 500);
  const until = Math.floor(Date.now() / 1000);
  const loads = (await adminLoads()) - loadsBefore;
  const { stdout } = await engine.docker([
    'events',
    '--since',
    String(since),
    '--until',
    String(until),
    '--format',
    '{{.Type}} {{.Action}} {{.Actor.Attributes.name}}',
  ]);
  const writes = stdout
    .split('\n')
    .filter((l) =>
      /^(container|network|volume) (create|start|stop|kill|destroy|connect|disconnect|rename|die|remove)/.test(
        l,
      ),
    );
  for (const write of writes) console.log(`  write: ${write}`);
  console.log(
    `steady state over ${(RESYNC_MS * 3) / 1000} s (3 resyncs): ${loads} admin-API writes, ${writes.length} Docker writes (target 0, 0)`,
  );

  // Public mode: Pebble's ACME listener where the edge's container reaches the host.
  const gateway = (
    await engine.docker([
      ...['network', 'inspect', '--format', '{{range .IPAM.Config}}{{.Gateway}} {{end}}'],
      'foyer-edge',
    ])
  ).stdout
    .trim()
    .split(' ')[0]!;
  pebble = await startPebble({ listenHost: gateway, httpPort, tlsPort: httpsPort });
  const rootFile = join(dataDir, 'pebble-https-root.pem');
  writeFileSync(rootFile, pebble.caCertPem);
  const switching = performance.now();
  // Names whose first order failed (Caddy retries after a minute): the cause, if any.
  const retried = new Map<string, string>();
  await must(
    ...['domain', 'set', DOMAIN, '--acme', pebble.directoryUrl, '--acme-root', rootFile],
    ...['--email', `admin@${DOMAIN}`],
  );
  for (;;) {
    const s = JSON.parse(await must('domain', 'status', '--json')) as {
      names: { name: string; issuer: string; expires: string | null; error: string | null }[];
    };
    for (const n of s.names) if (n.error) retried.set(n.name, n.error);
    if (s.names.every((n) => n.expires && n.issuer !== 'local')) break;
    if (performance.now() - switching > 300_000) {
      const left = s.names.filter((n) => !n.expires).map((n) => `${n.name}: ${n.error}`);
      throw new Error(`Pebble issued not every name in 300 s:\n${left.join('\n')}`);
    }
    await sleep(200);
  }
  console.log(
    `switch to public mode → ${NAMES + 1} names issued by Pebble: ${((performance.now() - switching) / 1000).toFixed(1)} s`,
  );
  for (const [name, error] of retried) console.log(`  retried ${name}: ${error}`);
  current.ca = pebble.issuingRootPem;
  const acmeReady: number[] = [];
  const acmeAccepted: number[] = [];
  for (let i = 1; i <= ACME_NAMES; i++) {
    const id = `p${i}`;
    const accepted = performance.now();
    await must('install', 'web', '--id', id, '--wait');
    const ready = performance.now();
    const ms = await firstOk(`${id}.${DOMAIN}`, ready);
    acmeReady.push(ms);
    acmeAccepted.push(ms + (ready - accepted));
  }
  console.log(
    `install ready → first HTTPS 200 with Pebble: median ${median(acmeReady).toFixed(0)} ms, max ${Math.max(...acmeReady).toFixed(0)} ms over ${ACME_NAMES} installs (target ≤ 5000 ms)`,
  );
  // The order starts with the config push at install time, in parallel with the containers.
  console.log(
    `install accepted → first HTTPS 200 with Pebble: median ${median(acmeAccepted).toFixed(0)} ms, max ${Math.max(...acmeAccepted).toFixed(0)} ms`,
  );
} finally {
  await pebble?.stop();
  await daemon.kill('SIGTERM');
  const instance = (await import('node:fs'))
    .readFileSync(join(dataDir, 'instance-id'), 'utf8')
    .trim();
  await removeLabelled(engine, `foyer.instance=${instance}`);
  rmSync(dataDir, { recursive: true, force: true });
  await stop();
}
