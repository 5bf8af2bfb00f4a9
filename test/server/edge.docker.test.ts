/**
 * Names and HTTPS in home mode (issue 13), end to end: `foyer serve` with the real edge (Caddy
 * built from Debian on the private engine), `foyer domain set <domain> --internal`, and Node's
 * TLS client trusting only `foyer domain ca`'s root. Bad input (an invalid domain, a port in
 * use) changes nothing; the app's web port leaves the host and it joins foyer-edge; HTTP
 * redirects; a killed edge gets its config back within one resync; a steady state makes no
 * admin-API write (counted from Caddy's own log of admin requests). The calendar (Radicale,
 * `web.auth: members-basic`) behind it: CalDAV over HTTPS for a member of a granted group, 403
 * for one outside, 401 within 10 s of a disable, 429 for guessing (issue 14).
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import Database from 'better-sqlite3';
import {
  explainDaemon,
  removeLabelled,
  runFoyer,
  runFoyerWithInput,
  serveFoyer,
} from '../support/cli.js';
import { type DaemonProcess, eventually, TEST_CATALOG } from '../support/foyer.js';
import { useTestEngine } from '../support/index.js';
import { freePort } from '../support/ports.js';

const engine = await useTestEngine();
const dataDir = mkdtempSync(join(tmpdir(), 'foyer-edge-'));
const foyer = (...args: string[]) => runFoyer(dataDir, ...args);
const DOMAIN = 'home.test';
const GATED_CATALOG = join(TEST_CATALOG, '../edge/catalog');
const RESYNC_MS = 2000;
let daemon: DaemonProcess;
let httpPort = 0;
let httpsPort = 0;
let root = '';

interface DomainStatus {
  domain: string | null;
  mode: string | null;
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
  leaf?: X509Certificate;
  chain: X509Certificate[];
}

/** A request to https://<name>/<path> through the edge on loopback, trusting only `ca`. */
function viaEdge(
  name: string,
  path = '/',
  options: { method?: string; headers?: Record<string, string>; body?: object | string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: '127.0.0.1',
        port: httpsPort,
        servername: name,
        path,
        method: options.method ?? 'GET',
        headers: {
          host: name,
          ...(options.body && typeof options.body === 'object'
            ? { 'content-type': 'application/json' }
            : {}),
          ...options.headers,
        },
        ca: root,
        timeout: 10_000,
      },
      (res) => {
        const chain: X509Certificate[] = [];
        let peer = (res.socket as import('node:tls').TLSSocket).getPeerCertificate(true);
        const seen = new Set<string>();
        while (peer?.raw && !seen.has(peer.fingerprint256)) {
          seen.add(peer.fingerprint256);
          chain.push(new X509Certificate(peer.raw));
          peer = peer.issuerCertificate;
        }
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c) => {
          body += c;
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body,
            headers: res.headers,
            leaf: chain[0],
            chain,
          }),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error('no answer')));
    req.on('error', reject);
    req.end(typeof options.body === 'object' ? JSON.stringify(options.body) : options.body);
  });
}

function plainHttp(name: string, path = '/'): Promise<{ status: number; location?: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port: httpPort, path, headers: { host: name }, timeout: 10_000 },
      (res) => {
        res.resume();
        resolve({ status: res.statusCode ?? 0, location: res.headers.location });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** How many config loads Caddy has logged (its admin API logs every request it receives). */
async function loadsLogged(): Promise<number> {
  const { stdout, stderr } = await engine.docker(['logs', 'edge-caddy-1']);
  return `${stdout}${stderr}`.split('\n').filter((l) => l.includes('"uri":"/load"')).length;
}

before(async () => {
  httpPort = await freePort();
  httpsPort = await freePort();
  daemon = await serveFoyer(engine, dataDir, {
    FOYER_CATALOG: `${TEST_CATALOG}:${GATED_CATALOG}`,
    FOYER_HTTP_PORT: String(httpPort),
    FOYER_HTTPS_PORT: String(httpsPort),
    FOYER_EDGE_ADDRESS: '127.0.0.1',
    FOYER_RESYNC_MS: String(RESYNC_MS),
  });
});

after(async () => {
  await daemon?.kill('SIGTERM');
  const instance = (await import('node:fs'))
    .readFileSync(join(dataDir, 'instance-id'), 'utf8')
    .trim();
  await removeLabelled(engine, `foyer.instance=${instance}`);
  rmSync(dataDir, { recursive: true, force: true });
});

test('an invalid domain is a path-qualified error and changes nothing', async () => {
  const run = await foyer('domain', 'set', 'not_a domain!', '--internal');
  assert.notEqual(run.code, 0);
  assert.match(run.stderr, /domain: /);
  const bad = await foyer('domain', 'set', 'home.test', '--internal', '--email', 'a@b.example');
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /email: only for public mode/);
  const status = await domainStatus();
  assert.equal(status.domain, null);
  const installs = await foyer('status', '--json');
  assert.doesNotMatch(installs.stdout, /"id":\s*"edge"/);
});

test('a host port already in use is a clear error that changes nothing', async () => {
  const squatter: Server = createServer();
  await new Promise<void>((r) => squatter.listen(httpsPort, '127.0.0.1', r));
  try {
    const run = await foyer('domain', 'set', DOMAIN, '--internal');
    assert.notEqual(run.code, 0);
    assert.match(
      run.stderr,
      new RegExp(`httpsPort: port ${httpsPort} on 127.0.0.1 is already in use`),
    );
    assert.match(run.stderr, /FOYER_HTTPS_PORT/);
  } finally {
    await new Promise((r) => squatter.close(r));
  }
  assert.equal((await domainStatus()).domain, null);
});

test('home mode: the app at https://web.home.test/ with a leaf from the home CA', async () => {
  const installed = await foyer('install', 'web', '--wait');
  assert.equal(installed.code, 0, installed.stderr);
  const set = await foyer('domain', 'set', DOMAIN, '--internal');
  assert.equal(set.code, 0, set.stderr);
  assert.match(set.stdout, /https:\/\/web\.home\.test\//);
  // The edge image is built from Debian on first use: minutes, not seconds.
  await eventually(
    'the edge to run its config',
    async () => (await domainStatus()).edge.state === 'synced',
    600_000,
  );
  const ca = await foyer('domain', 'ca');
  assert.equal(ca.code, 0, ca.stderr);
  root = ca.stdout;
  const rootCert = new X509Certificate(root);
  assert.ok(rootCert.ca, 'the home CA root is a CA certificate');
  // The app is recreated on foyer-edge without its web port (the old container never joins).
  await eventually(
    'the web service recreated behind the edge',
    async () => {
      const { stdout } = await engine.docker([
        'inspect',
        '--format',
        '{{json .HostConfig.PortBindings}} {{.State.Running}}',
        'web-web-1',
      ]);
      return !stdout.includes('8080') && stdout.trim().endsWith('true');
    },
    120_000,
  );
  const answer = await eventually(
    'the app over HTTPS',
    async () => {
      const a = await viaEdge('web.home.test').catch(() => undefined);
      return a?.status === 200 ? a : undefined;
    },
    60_000,
  );
  assert.equal(answer.body.trim(), 'hello');
  const leaf = answer.leaf!;
  assert.equal(leaf.ca, false, 'the site certificate is not a CA certificate (CA:FALSE)');
  assert.ok(leaf.checkHost('web.home.test'), leaf.subjectAltName);
  // The chain ends at the root `foyer domain ca` printed.
  const last = answer.chain.at(-1)!;
  assert.ok(
    last.fingerprint256 === rootCert.fingerprint256 || last.verify(rootCert.publicKey),
    'the chain verifies against the home root',
  );
  assert.equal(answer.headers['strict-transport-security'], undefined, 'no HSTS at home');
  const status = await domainStatus();
  const web = status.names.find((n) => n.name === 'web.home.test');
  assert.equal(web?.issuer, 'local');
  assert.ok(web?.expires && Date.parse(web.expires) > Date.now(), JSON.stringify(web));
});

test('the install answers with its HTTPS address; its web port left the host for foyer-edge', async () => {
  const run = await foyer('status', 'web', '--json');
  assert.equal(run.code, 0, run.stderr);
  assert.equal((JSON.parse(run.stdout) as { url?: string }).url, 'https://web.home.test/');
  const { stdout } = await engine.docker([
    'inspect',
    '--format',
    '{{json .HostConfig.PortBindings}} {{json .NetworkSettings.Networks}}',
    'web-web-1',
  ]);
  const [ports, networks] = stdout.trim().split(' ');
  assert.ok(!ports!.includes('8080'), `no host port for the web entry: ${ports}`);
  assert.ok(Object.keys(JSON.parse(networks!)).includes('foyer-edge'), networks);
});

test('HTTP redirects to HTTPS; Foyer itself at https://home.test/', async () => {
  const redirect = await plainHttp('web.home.test', '/page?x=1');
  assert.ok([301, 302, 307, 308].includes(redirect.status), String(redirect.status));
  assert.equal(redirect.location, `https://web.home.test:${httpsPort}/page?x=1`);
  const ui = await viaEdge(DOMAIN, '/');
  assert.equal(ui.status, 200);
  assert.match(ui.body, /<html/i);
  const health = await viaEdge(DOMAIN, '/api/health');
  assert.equal(health.status, 200, health.body);
  // Through the edge socket the daemon asks for a session like over TCP: never the local admin.
  const installs = await viaEdge(DOMAIN, '/api/installs');
  assert.equal(installs.status, 401, installs.body);
  // An unknown name is not served.
  await assert.rejects(viaEdge('other.test'));
});

test('steady state: no config load; a killed edge gets its config back within one resync', async () => {
  const before = await loadsLogged();
  await new Promise((r) => setTimeout(r, RESYNC_MS * 3));
  assert.equal(await loadsLogged(), before, 'no admin API write in steady state');
  await engine.docker(['kill', 'edge-caddy-1']);
  const killedAt = Date.now();
  const answer = await eventually(
    'the app over HTTPS again',
    async () => {
      const a = await viaEdge('web.home.test').catch(() => undefined);
      return a?.status === 200 ? a : undefined;
    },
    60_000,
  );
  assert.equal(answer.body.trim(), 'hello');
  const took = Date.now() - killedAt;
  // Started again by the reconciler's pass (an event), then the sync's next trigger or resync.
  assert.ok(took < RESYNC_MS * 2 + 10_000, `recovered in ${took} ms`);
});

test('the auth gate: an app with web.auth answers only to a signed-in admin', async () => {
  const installed = await foyer('install', 'gated', '--wait');
  assert.equal(installed.code, 0, installed.stderr);
  const gated = 'gated.home.test';
  const refused = await eventually(
    'the gated app behind the edge',
    async () => {
      const a = await viaEdge(gated).catch(() => undefined);
      return a && a.status !== 502 && a.status !== 0 ? a : undefined;
    },
    60_000,
  );
  assert.equal(refused.status, 401, refused.body);
  const browser = await viaEdge(gated, '/', { headers: { accept: 'text/html' } });
  assert.equal(browser.status, 302);
  assert.equal(browser.headers.location, `https://${DOMAIN}/`);
  // A client's own Remote-User is not believed.
  const forged = await viaEdge(gated, '/', { headers: { 'remote-user': 'admin' } });
  assert.equal(forged.status, 401);
  // First-run setup through the edge signs the admin in, with a cookie for the domain's names.
  const code = readFileSync(join(dataDir, 'setup-code'), 'utf8').trim();
  const setup = await viaEdge(DOMAIN, '/api/setup', {
    method: 'POST',
    headers: { origin: `https://${DOMAIN}` },
    body: { code, username: 'admin', password: 'correct horse battery staple' },
  });
  assert.equal(setup.status, 201, setup.body);
  const setCookie = [setup.headers['set-cookie'] ?? []].flat().join('; ');
  assert.match(setCookie, /Domain=home\.test/i);
  assert.match(setCookie, /Secure/i);
  const cookie = setCookie.split(';')[0]!;
  const allowed = await viaEdge(gated, '/', { headers: { cookie } });
  assert.equal(allowed.status, 200, allowed.body);
  assert.equal(allowed.body.trim(), 'admins only');
});

// The calendar behind the edge (issue 14): Caddy asks Foyer to check each request's HTTP Basic
// credentials (GET /api/auth/basic/calendar) before Radicale, which checks them against the
// directory again. Alice's group may use the calendar; carol's may not.
const ALICE = { name: 'alice', password: 'alice: "pa$$" word \\ 1' };
const CAROL = { name: 'carol', password: 'carol is only a neighbour' };
const EVENT = [
  'BEGIN:VCALENDAR',
  'VERSION:2.0',
  'PRODID:-//Foyer//edge test//EN',
  'BEGIN:VEVENT',
  'UID:foyer-edge-test-1@home.test',
  'DTSTAMP:20240601T090000Z',
  'DTSTART:20240615T120000Z',
  'DTEND:20240615T150000Z',
  'SUMMARY:Picnic behind the edge',
  'END:VEVENT',
  'END:VCALENDAR',
  '',
].join('\r\n');

function basic(who: { name: string; password: string }): string {
  return `Basic ${Buffer.from(`${who.name}:${who.password}`).toString('base64')}`;
}

/** A CalDAV request to https://calendar.home.test/<path> through the edge. */
function dav(
  who: { name: string; password: string } | undefined,
  method: string,
  path: string,
  body?: string,
  headers: Record<string, string> = {},
): Promise<Answer> {
  return viaEdge('calendar.home.test', path, {
    method,
    headers: {
      ...(who ? { authorization: basic(who) } : {}),
      ...(body ? { 'content-type': 'text/calendar; charset=utf-8' } : {}),
      ...headers,
    },
    ...(body ? { body } : {}),
  });
}

test('the calendar behind the edge: Foyer checks the members, limits guessing, drops the disabled', async (t) => {
  for (const group of ['family', 'neighbours']) {
    const run = await foyer('groups', 'add', group);
    assert.equal(run.code, 0, run.stderr);
  }
  for (const [who, group] of [
    [ALICE, 'family'],
    [CAROL, 'neighbours'],
  ] as const) {
    const run = await runFoyerWithInput(
      dataDir,
      `${who.password}\n`,
      ...['members', 'add', who.name, '--email', `${who.name}@home.test`],
      ...['--group', group, '--password-stdin'],
    );
    assert.equal(run.code, 0, run.stderr);
  }
  const installed = await foyer('install', 'calendar', '--set', `PORT=${await freePort()}`);
  assert.equal(installed.code, 0, installed.stderr);
  const granted = await foyer('access', 'grant', 'calendar', 'family');
  assert.equal(granted.code, 0, granted.stderr);

  // The directory's slapd and Radicale are built from Debian on first use: minutes.
  let answered = 'nothing yet';
  const home = await eventually(
    'alice reaches her calendar home through the edge',
    async () => {
      const a = await dav(ALICE, 'PROPFIND', '/alice/', undefined, { depth: '0' }).catch(
        (e: Error) => {
          answered = e.message;
        },
      );
      if (a) answered = `${a.status} ${a.body.slice(0, 200)}`;
      return a?.status === 207 ? a : undefined;
    },
    600_000,
    async () => `the last answer: ${answered}\n${await explainDaemon(engine, dataDir, daemon)}`,
  );
  assert.match(home.body, /<[^>]*href>\/alice\/<\//);
  const made = await dav(ALICE, 'MKCALENDAR', '/alice/family/');
  assert.equal(made.status, 201, made.body);
  const put = await dav(ALICE, 'PUT', '/alice/family/picnic.ics', EVENT);
  assert.equal(put.status, 201, put.body);
  const read = await dav(ALICE, 'GET', '/alice/family/picnic.ics');
  assert.equal(read.status, 200);
  assert.match(read.body, /^SUMMARY:Picnic behind the edge\r?$/m);

  // No credentials: the challenge a DAV client answers by asking its person.
  const nobody = await dav(undefined, 'PROPFIND', '/alice/', undefined, { depth: '0' });
  assert.equal(nobody.status, 401);
  assert.equal(nobody.headers['www-authenticate'], 'Basic realm="calendar", charset="UTF-8"');
  // Carol's password is right, but her group may not use the calendar: the edge says no.
  const carol = await dav(CAROL, 'PROPFIND', '/carol/', undefined, { depth: '0' });
  assert.equal(carol.status, 403, carol.body);
  // Nor does a Remote-User of the client's own make anyone alice.
  const forged = await dav(CAROL, 'GET', '/alice/family/picnic.ics', undefined, {
    'remote-user': 'alice',
  });
  assert.equal(forged.status, 403);

  // Disabled: refused within 10 s (the check reads the member at every request).
  const disabled = await foyer('members', 'disable', 'alice');
  assert.equal(disabled.code, 0, disabled.stderr);
  const since = Date.now();
  let refused: Answer | undefined;
  while (Date.now() - since < 10_000) {
    refused = await dav(ALICE, 'GET', '/alice/family/picnic.ics');
    if (refused.status === 401) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(refused?.status, 401, 'alice disabled but let in after 10 s');
  t.diagnostic(`disabled member refused ${Date.now() - since} ms after the CLI returned`);
  const enabled = await foyer('members', 'enable', 'alice');
  assert.equal(enabled.code, 0, enabled.stderr);
  const back = await dav(ALICE, 'GET', '/alice/family/picnic.ics');
  assert.equal(back.status, 200, back.body);

  // Guessing alice's password: 429 at the edge after a few tries, whatever X-Forwarded-For a
  // client makes up (the limit counts the address Caddy saw); the right password waits too.
  let guess: Answer | undefined;
  for (let i = 0; i < 8; i++) {
    guess = await dav({ ...ALICE, password: `guess ${i}` }, 'GET', '/alice/', undefined, {
      'x-forwarded-for': `198.51.100.${i}`,
    });
    if (guess.status === 429) break;
    assert.equal(guess.status, 401, guess.body);
  }
  assert.equal(guess?.status, 429, 'no limit on guessing at the edge');
  assert.ok(Number(guess?.headers['retry-after']) > 0, String(guess?.headers['retry-after']));
  const right = await dav(ALICE, 'GET', '/alice/family/picnic.ics', undefined, {
    'x-forwarded-for': '203.0.113.7',
  });
  // Either still remembered from a moment ago (200) or refused with the address (429): never
  // a fresh argon2 check for an address over its limit.
  assert.ok([200, 429].includes(right.status), String(right.status));

  // No password in the daemon's output, Caddy's or Radicale's logs, nor in the audit.
  const logs = await Promise.all(
    ['edge-caddy-1', 'calendar-radicale-1'].map(async (container) => {
      const { stdout, stderr } = await engine.docker(['logs', container]);
      return `${stdout}${stderr}`;
    }),
  );
  const db = new Database(join(dataDir, 'foyer.db'), { readonly: true });
  const audit = JSON.stringify(db.prepare('SELECT * FROM audit_log').all());
  db.close();
  assert.match(audit, /"action":"auth\.login\.failed".*basic/, 'failed guesses are audited');
  const written = [daemon.output(), ...logs, audit].join('\n');
  for (const secret of [ALICE.password, CAROL.password, 'guess 1']) {
    assert.ok(!written.includes(secret), `a password in the log or audit: ${secret}`);
  }
  assert.ok(!written.includes(basic(ALICE).slice(6)), 'an Authorization header in the log');
});
