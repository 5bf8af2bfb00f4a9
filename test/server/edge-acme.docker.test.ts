/**
 * Public mode against a real ACME CA (issue 13): `foyer serve` with the real edge (Caddy built
 * from Debian, in a container on the private engine) and Debian's Pebble on the host. Caddy in
 * its container cannot reach the host's 127.0.0.1, so Pebble's ACME listener is on the gateway
 * of `foyer-edge` (the edge's network, made by Foyer in home mode first): reachable from the
 * edge's container and the host, not from outside the machine; its own HTTPS certificate names
 * that address. pebble-challtestsrv resolves every name to 127.0.0.1, where the edge's ports are
 * published, so validation really connects to the edge (no PEBBLE_VA_ALWAYS_VALID). One install
 * whose name is pointed elsewhere fails with the CA's words in `foyer domain status`, while the
 * other names and the daemon keep answering.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { issuerKey } from '../../server/edge/paths.js';
import { removeLabelled, runFoyer, serveFoyer } from '../support/cli.js';
import { type DaemonProcess, eventually, TEST_CATALOG } from '../support/foyer.js';
import { useTestEngine } from '../support/index.js';
import { startPebble, type TestPebble } from '../support/pebble.js';
import { freePort } from '../support/ports.js';

const engine = await useTestEngine();
const dataDir = mkdtempSync(join(tmpdir(), 'foyer-edge-acme-'));
const foyer = (...args: string[]) => runFoyer(dataDir, ...args);
const DOMAIN = 'public.example';
const WEB = `web.${DOMAIN}`;
// A second install of the same app whose name points where the edge does not listen.
const AWAY = `away.${DOMAIN}`;
let daemon: DaemonProcess;
let pebble: TestPebble | undefined;
let httpPort = 0;
let httpsPort = 0;

interface DomainStatus {
  mode: string | null;
  acme: string | null;
  edge: { state: string; error?: string };
  names: { name: string; issuer: string; expires: string | null; error: string | null }[];
}

async function domainStatus(): Promise<DomainStatus> {
  const run = await foyer('domain', 'status', '--json');
  assert.equal(run.code, 0, run.stderr);
  return JSON.parse(run.stdout) as DomainStatus;
}

interface Answer {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
  leaf: X509Certificate;
}

/** GET https://<name>/ through the edge on 127.0.0.1, trusting only `ca`. */
function viaEdge(name: string, ca: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: '127.0.0.1',
        port: httpsPort,
        servername: name,
        headers: { host: name },
        ca,
        timeout: 10_000,
      },
      (res) => {
        const leaf = new X509Certificate(
          (res.socket as import('node:tls').TLSSocket).getPeerCertificate().raw,
        );
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c) => {
          body += c;
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body, headers: res.headers, leaf }),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error('no answer')));
    req.on('error', reject);
    req.end();
  });
}

before(async () => {
  httpPort = await freePort();
  httpsPort = await freePort();
  daemon = await serveFoyer(engine, dataDir, {
    FOYER_CATALOG: TEST_CATALOG,
    FOYER_HTTP_PORT: String(httpPort),
    FOYER_HTTPS_PORT: String(httpsPort),
    FOYER_EDGE_ADDRESS: '127.0.0.1',
    FOYER_RESYNC_MS: '2000',
  });
});

after(async () => {
  await daemon?.kill('SIGTERM');
  await pebble?.stop();
  const instance = readFileSync(join(dataDir, 'instance-id'), 'utf8').trim();
  await removeLabelled(engine, `foyer.instance=${instance}`);
  rmSync(dataDir, { recursive: true, force: true });
});

test('public mode: certificates from Pebble by real validation; a failing name is shown alone', async () => {
  for (const id of ['web', 'away']) {
    const installed = await foyer('install', 'web', '--id', id, '--wait');
    assert.equal(installed.code, 0, installed.stderr);
  }
  // Home mode first: Foyer makes the edge and its network foyer-edge.
  const home = await foyer('domain', 'set', DOMAIN, '--internal');
  assert.equal(home.code, 0, home.stderr);
  // The edge image is built from Debian on first use: minutes, not seconds.
  await eventually(
    'the edge to run its config',
    async () => (await domainStatus()).edge.state === 'synced',
    600_000,
  );
  const { stdout } = await engine.docker([
    'network',
    'inspect',
    '--format',
    '{{range .IPAM.Config}}{{.Gateway}} {{end}}',
    'foyer-edge',
  ]);
  const gateway = stdout.trim().split(' ')[0]!;
  assert.match(gateway, /^\d+\.\d+\.\d+\.\d+$/, stdout);

  pebble = await startPebble({ listenHost: gateway, httpPort, tlsPort: httpsPort });
  // Validation of this name connects to 127.0.0.2, where nothing listens.
  await pebble.pointName(AWAY, ['127.0.0.2']);
  const rootFile = join(dataDir, 'pebble-https-root.pem');
  writeFileSync(rootFile, pebble.caCertPem);
  const set = await foyer(
    ...['domain', 'set', DOMAIN, '--acme', pebble.directoryUrl],
    ...['--acme-root', rootFile, '--email', `admin@${DOMAIN}`],
  );
  assert.equal(set.code, 0, set.stderr);

  const issuer = issuerKey(pebble.directoryUrl);
  const status = await eventually(
    'certificates from Pebble and an error for the name pointed elsewhere',
    async () => {
      const s = await domainStatus();
      const byName = new Map(s.names.map((n) => [n.name, n]));
      const ok = [DOMAIN, WEB].every((n) => byName.get(n)?.expires);
      // Caddy logs the failure, then that it will retry: both are in the error once complete.
      return ok && /retrying in/.test(byName.get(AWAY)?.error ?? '') ? s : undefined;
    },
    120_000,
  ).catch(async (error: Error) => {
    const logs = await engine.docker(['logs', '--tail', '60', 'edge-caddy-1']);
    throw new Error(`${error.message}\n${JSON.stringify(await domainStatus())}\n${logs.stderr}`);
  });
  assert.equal(status.mode, 'public');
  assert.equal(status.acme, pebble.directoryUrl);
  for (const name of [DOMAIN, WEB]) {
    const entry = status.names.find((n) => n.name === name)!;
    assert.equal(entry.issuer, issuer, JSON.stringify(entry));
    assert.ok(Date.parse(entry.expires!) > Date.now() + 86_400_000, JSON.stringify(entry));
    assert.equal(entry.error, null, JSON.stringify(entry));
  }
  const away = status.names.find((n) => n.name === AWAY)!;
  assert.equal(away.expires, null, JSON.stringify(away));
  // The CA's own words: Pebble could not connect to the address the name points at.
  assert.match(away.error!, /127\.0\.0\.2/, away.error!);
  assert.match(away.error!, /urn:ietf:params:acme:error:\w+ - /, away.error!);
  assert.match(away.error!, /retrying in \d+ s/, away.error!);

  // The app over HTTPS with Pebble's certificate, checked against Pebble's issuing root only.
  const answer = await eventually(
    `${WEB} served with Pebble's certificate`,
    async () => {
      const a = await viaEdge(WEB, pebble!.issuingRootPem).catch(() => undefined);
      return a?.status === 200 ? a : undefined;
    },
    30_000,
  );
  assert.equal(answer.body.trim(), 'hello');
  assert.ok(answer.leaf.checkHost(WEB), answer.leaf.subjectAltName);
  assert.equal(answer.leaf.ca, false);
  assert.match(answer.leaf.issuer, /Pebble/i, answer.leaf.issuer);
  assert.equal(answer.headers['strict-transport-security'], 'max-age=31536000');
  // Foyer's own UI at https://<domain>/ too.
  const ui = await viaEdge(DOMAIN, pebble.issuingRootPem);
  assert.equal(ui.status, 200);
  // The failing name does not stop the others nor the daemon: status still answers (above),
  // the app is still served, and the CLI reaches the daemon.
  const again = await viaEdge(WEB, pebble.issuingRootPem);
  assert.equal(again.status, 200);
  const installs = await foyer('status', '--json');
  assert.equal(installs.code, 0, installs.stderr);
});
