/**
 * The whole certificate path for mail and chat (issue 13), with nothing placed by hand: the
 * catalogue's mail (Postfix, Dovecot) and chat (Prosody) built from Debian, a domain set in home
 * mode, and the real edge (Caddy built from Debian) obtaining `mail.<domain>` (a name with no
 * route, only in `certificates.automate`) and `<domain>` from the home CA. Foyer hands them
 * over from the edge's storage and the daemons reload: SMTP STARTTLS on the submission port,
 * IMAPS and XMPP STARTTLS then present a certificate for their name that verifies against the
 * root `GET /api/domain/ca` (what `foyer domain ca` prints) gives. Then Thunderbird's
 * autoconfig file for the mail domain over HTTPS at `autoconfig.<domain>` (issue 14).
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { get } from 'node:https';
import { after, before, test } from 'node:test';
import { createEdgeServer, listenEdgeSocket } from '../../server/access/edge-socket.js';
import { edgeCertificates } from '../../server/edge/hand-over.js';
import { edgeAdminDir, edgeDaemonSocket, edgeStorageDir } from '../../server/edge/paths.js';
import { type AppDaemon, freePort, startAppDaemon } from '../support/app-daemon.js';
import { eventually } from '../support/foyer.js';
import { useTestEngine } from '../support/index.js';
import { type Presented, presentedOn, smtpStartTls, xmppStartTls } from '../support/tls-clients.js';

const engine = await useTestEngine();

const DOMAIN = 'edge-tls.test';
const MAIL_NAME = `mail.${DOMAIN}`;
// Install ids of their own, so the containers' names differ from the other mail and chat tests'.
const MAIL = 'edge-mail';
const CHAT = 'edge-chat';
// The edge's host ports come from the daemon's environment, as with `foyer serve`.
const EDGE_ENV = ['FOYER_HTTP_PORT', 'FOYER_HTTPS_PORT', 'FOYER_EDGE_ADDRESS'] as const;
const savedEnv = EDGE_ENV.map((key) => process.env[key]);

let foyer: AppDaemon;
/** The home CA's root, once the first test has it. */
let root = '';
let ports: Record<'smtp' | 'submission' | 'imap' | 'imaps' | 'c2s' | 's2s', number>;

before(async () => {
  ports = {
    smtp: await freePort(),
    submission: await freePort(),
    imap: await freePort(),
    imaps: await freePort(),
    c2s: await freePort(),
    s2s: await freePort(),
  };
  process.env.FOYER_HTTP_PORT = String(await freePort());
  process.env.FOYER_HTTPS_PORT = String(await freePort());
  process.env.FOYER_EDGE_ADDRESS = '127.0.0.1';
  foyer = await startAppDaemon(engine);
});

after(async () => {
  if (foyer) {
    await foyer.removeAll().catch(() => {});
    // The edge is a core install: removeAll leaves it; its containers go with the engine.
    await foyer.close();
  }
  EDGE_ENV.forEach((key, i) => {
    if (savedEnv[i] === undefined) delete process.env[key];
    else process.env[key] = savedEnv[i];
  });
});

test('mail and chat present the certificate the edge obtained for their names', async (t) => {
  await Promise.all([
    foyer.install(
      'mail',
      {
        DOMAIN,
        SMTP_PORT: ports.smtp,
        SUBMISSION_PORT: ports.submission,
        IMAP_PORT: ports.imap,
        IMAPS_PORT: ports.imaps,
      },
      { id: MAIL },
    ),
    foyer.install(
      'chat',
      {
        DOMAIN,
        C2S_PORT: ports.c2s,
        S2S_PORT: ports.s2s,
      },
      { id: CHAT },
    ),
  ]);
  await Promise.all([foyer.waitRunning(MAIL), foyer.waitRunning(CHAT)]);

  const since = Date.now();
  const set = await foyer.api('PUT', '/api/domain', { domain: DOMAIN, mode: 'internal' });
  assert.equal(set.status, 200, JSON.stringify(set.body));
  // The edge image is built from Debian on first use: minutes, not seconds.
  root = await eventually(
    'the home CA root',
    async () => {
      const res = await foyer.inject('GET', '/api/domain/ca');
      return res.statusCode === 200 && res.body.includes('BEGIN CERTIFICATE')
        ? res.body
        : undefined;
    },
    600_000,
  );

  const endpoints = async (): Promise<Record<string, Presented>> => ({
    submission: await presentedOn(ports.submission, MAIL_NAME, smtpStartTls, root),
    imaps: await presentedOn(ports.imaps, MAIL_NAME, undefined, root),
    xmpp: await presentedOn(ports.c2s, DOMAIN, xmppStartTls(DOMAIN), root),
  });
  let last: Record<string, Presented> = {};
  await eventually(
    "the edge's certificates on submission, IMAPS and XMPP",
    async () => {
      last = await endpoints();
      return Object.values(last).every((p) => p.authorized);
    },
    180_000,
  ).catch((error: Error) => {
    const seen = Object.entries(last).map(
      ([k, p]) => `${k}: ${p.leaf?.subject} by ${p.leaf?.issuer} (${p.authorizationError})`,
    );
    throw new Error(`${error.message}\n${seen.join('\n')}`);
  });
  t.diagnostic(`domain set → every endpoint verified: ${Date.now() - since} ms`);

  // Leaf certificates for exactly their names (never the CA's own certificate).
  for (const [endpoint, name] of [
    ['submission', MAIL_NAME],
    ['imaps', MAIL_NAME],
    ['xmpp', DOMAIN],
  ] as const) {
    const leaf = last[endpoint]!.leaf!;
    assert.equal(leaf.ca, false, endpoint);
    assert.ok(leaf.checkHost(name), `${endpoint}: ${leaf.subjectAltName}`);
  }
  // `foyer domain status` lists the routeless name apart from the served ones, with its expiry.
  const status = await foyer.api('GET', '/api/domain');
  assert.equal(status.status, 200);
  const mailStatus = status.body.certificates.find((n: { name: string }) => n.name === MAIL_NAME);
  assert.equal(mailStatus?.target, 'certificate', JSON.stringify(status.body));
  assert.equal(mailStatus.issuer, 'local');
  assert.ok(Date.parse(mailStatus.expires) > Date.now(), JSON.stringify(mailStatus));
  assert.ok(!status.body.names.some((n: { name: string }) => n.name === MAIL_NAME));
  // Exactly what Caddy keeps in its storage under the home CA: the edge obtained the routeless
  // name itself, and the hand-over copied it.
  const storage = edgeStorageDir(foyer.dataDir);
  for (const [endpoint, name] of [
    ['submission', MAIL_NAME],
    ['imaps', MAIL_NAME],
    ['xmpp', DOMAIN],
  ] as const) {
    const kept = edgeCertificates(storage, name);
    assert.deepEqual(
      kept.map((c) => c.issuer),
      ['local'],
      name,
    );
    const stored = new X509Certificate(readFileSync(kept[0]!.certificatePath));
    assert.equal(last[endpoint]!.fingerprint, stored.fingerprint256, endpoint);
  }
});

/** An HTTPS GET to the edge on loopback as if `name` resolved to it, checked against `ca`. */
function edgeGet(name: string, path: string, ca: string) {
  return new Promise<{ status: number; type: string; body: string }>((resolve, reject) => {
    const port = Number(process.env.FOYER_HTTPS_PORT);
    const request = get(
      { host: '127.0.0.1', port, path, servername: name, headers: { host: `${name}:${port}` }, ca },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            type: String(res.headers['content-type']),
            body,
          }),
        );
      },
    );
    request.on('error', reject);
    request.setTimeout(10_000, () => request.destroy(new Error('timed out')));
  });
}

/** The servers of a clientConfig file: type, hostname, port, socketType, username of each. */
function serversOf(xml: string) {
  const text = (block: string, tag: string) =>
    new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(block)?.[1];
  return [...xml.matchAll(/<(incoming|outgoing)Server type="(\w+)">([\s\S]*?)<\/\1Server>/g)].map(
    ([, direction, type, block]) => ({
      direction,
      type,
      hostname: text(block!, 'hostname'),
      port: Number(text(block!, 'port')),
      socketType: text(block!, 'socketType'),
      username: text(block!, 'username'),
    }),
  );
}

test("Thunderbird's autoconfig file over HTTPS at autoconfig.<domain>, through the edge", async (t) => {
  assert.ok(root, 'the first test set the domain');
  // The edge reaches the daemon on its socket, which `foyer serve` listens on (server/serve.ts);
  // this in-process daemon gets it here, with the same handler as its TCP port.
  mkdirSync(edgeAdminDir(foyer.dataDir), { recursive: true, mode: 0o750 });
  const edgeServer = createEdgeServer((req, res) => foyer.app.routing(req, res));
  await listenEdgeSocket(edgeServer, edgeDaemonSocket(foyer.dataDir));
  t.after(() => new Promise((resolve) => edgeServer.close(resolve)));
  const name = `autoconfig.${DOMAIN}`;
  const path = `/mail/config-v1.1.xml?emailaddress=alice%40${DOMAIN}`;
  // The mail install was there before the domain: the edge has the name from its first config.
  let last = '';
  const file = await eventually(
    `${name} to answer with the file`,
    async () => {
      const res = await edgeGet(name, path, root).catch((error: Error) => {
        last = error.message;
        return undefined;
      });
      if (res) last = `${res.status} ${res.body.slice(0, 300)}`;
      return res?.status === 200 ? res : undefined;
    },
    60_000,
  ).catch((error: Error) => {
    throw new Error(`${error.message}; last answer: ${last}`);
  });
  assert.match(file.type, /^application\/xml/);
  assert.match(
    file.body,
    /^<\?xml version="1.0" encoding="UTF-8"\?>\n<clientConfig version="1.1">/,
  );
  assert.match(file.body, new RegExp(`<emailProvider id="${DOMAIN}">`));
  assert.match(file.body, new RegExp(`<domain>${DOMAIN}</domain>`));
  const login = { username: '%EMAILADDRESS%' };
  assert.deepEqual(serversOf(file.body), [
    {
      direction: 'incoming',
      type: 'imap',
      hostname: MAIL_NAME,
      port: ports.imaps,
      socketType: 'SSL',
      ...login,
    },
    {
      direction: 'incoming',
      type: 'imap',
      hostname: MAIL_NAME,
      port: ports.imap,
      socketType: 'STARTTLS',
      ...login,
    },
    {
      direction: 'outgoing',
      type: 'smtp',
      hostname: MAIL_NAME,
      port: ports.submission,
      socketType: 'STARTTLS',
      ...login,
    },
  ]);
  // The .well-known path too; a domain no mail install serves has no file.
  const known = await edgeGet(name, '/.well-known/autoconfig/mail/config-v1.1.xml', root);
  assert.equal(known.status, 200, known.body);
  assert.equal(known.body, file.body);
  const other = await edgeGet(name, '/mail/config-v1.1.xml?emailaddress=bob%40other.test', root);
  assert.equal(other.status, 404, other.body);
  // The name opens nothing else of Foyer's: the edge answers 404 before the daemon.
  for (const elsewhere of ['/', '/api/health', '/api/account/services']) {
    const res = await edgeGet(name, elsewhere, root);
    assert.equal(res.status, 404, `${elsewhere}: ${res.status} ${res.body.slice(0, 200)}`);
    assert.equal(res.body, '', elsewhere);
  }
  // `foyer domain status` lists the name with its certificate from the home CA.
  const status = await foyer.api('GET', '/api/domain');
  const listed = status.body.names.find((n: { name: string }) => n.name === name);
  assert.equal(listed?.target, 'autoconfig', JSON.stringify(status.body.names));
  assert.ok(Date.parse(listed.expires) > Date.now(), JSON.stringify(listed));
});
