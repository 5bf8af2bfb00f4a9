/**
 * Certificates for mail and chat (issue 13) on a real engine with the catalogue's Postfix,
 * Dovecot and Prosody built from Debian: a certificate made by a test CA is put into the edge's
 * storage where Caddy puts its own (`certificates/<issuer>/<name>/<name>.{crt,key,json}`); Foyer
 * hands it over, and real clients see exactly that certificate on SMTP STARTTLS (25 and 587),
 * IMAPS (993) and XMPP STARTTLS (5222). A renewed certificate replaces it in the same running
 * containers (same id, same start time): Foyer reloads the daemons, nothing restarts.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { connect as connectTls } from 'node:tls';
import { edgeCertificatePaths } from '../../server/edge/certificates.js';
import { edgeStorageDir } from '../../server/edge/paths.js';
import { instanceId } from '../../server/paths.js';
import { type AppDaemon, freePort, startAppDaemon } from '../support/app-daemon.js';
import { eventually } from '../support/foyer.js';
import { useTestEngine } from '../support/index.js';
import { type IssuedCertificate, makeTestCa, type TestCa } from '../support/test-ca.js';
import { presented, smtpStartTls, xmppStartTls } from '../support/tls-clients.js';

const engine = await useTestEngine();

const DOMAIN = 'example.test';
const MAIL_NAME = `mail.${DOMAIN}`;
// Install ids of their own, so the containers' names differ from the mail and chat tests'.
const MAIL = 'tls-mail';
const CHAT = 'tls-chat';
// As Caddy names the storage of an ACME directory at https://127.0.0.1:14100/dir.
const ISSUER = '127.0.0.1-14100-dir';

let foyer: AppDaemon;
let ca: TestCa;
let caDir: string;
let ports: Record<'smtp' | 'submission' | 'imap' | 'imaps' | 'c2s' | 's2s', number>;

/** Writes a certificate into the edge's storage as Caddy does: chain, key and metadata. */
function placeInEdge(name: string, issued: IssuedCertificate): void {
  const paths = edgeCertificatePaths(edgeStorageDir(foyer.dataDir), ISSUER, name);
  mkdirSync(join(paths.certificatePath, '..'), { recursive: true, mode: 0o700 });
  writeFileSync(paths.keyPath, issued.keyPem, { mode: 0o600 });
  writeFileSync(paths.certificatePath, issued.chainPem, { mode: 0o600 });
  writeFileSync(
    paths.metadataPath,
    JSON.stringify({ sans: [name], issuer_data: { url: 'https://127.0.0.1:14100/dir' } }),
  );
}

/** What every endpoint presents now, by endpoint name. */
async function everyEndpoint(): Promise<Record<string, string>> {
  return {
    smtp: await presented(ports.smtp, MAIL_NAME, smtpStartTls),
    submission: await presented(ports.submission, MAIL_NAME, smtpStartTls),
    imaps: await presented(ports.imaps, MAIL_NAME),
    xmpp: await presented(ports.c2s, DOMAIN, xmppStartTls(DOMAIN)),
  };
}

/** Waits until every endpoint presents its expected certificate. */
async function waitPresenting(mail: IssuedCertificate, chat: IssuedCertificate): Promise<void> {
  const want = {
    smtp: fingerprint(mail),
    submission: fingerprint(mail),
    imaps: fingerprint(mail),
    xmpp: fingerprint(chat),
  };
  let last: Record<string, string> = {};
  await eventually(
    'the handed-over certificates on SMTP, submission, IMAPS and XMPP',
    async () => {
      last = await everyEndpoint();
      return JSON.stringify(last) === JSON.stringify(want);
    },
    60_000,
  ).catch((error: Error) => {
    throw new Error(`${error.message}\nwant ${JSON.stringify(want)}\ngot  ${JSON.stringify(last)}`);
  });
}

function fingerprint(issued: IssuedCertificate): string {
  return new X509Certificate(issued.certificatePem).fingerprint256;
}

/** Each container of the two installs with its start time: a restart or recreate changes it. */
async function containerStarts(): Promise<string[]> {
  const ids: string[] = [];
  // Mail's and chat's, not the directory's slapd they brought in.
  for (const install of [MAIL, CHAT]) {
    const { stdout } = await engine.docker([
      ...['ps', '-q', '--filter', `label=foyer.instance=${instanceId(foyer.dataDir)}`],
      ...['--filter', `label=foyer.install=${install}`],
    ]);
    ids.push(...stdout.split('\n').filter(Boolean));
  }
  ids.sort();
  const { stdout: inspected } = await engine.docker([
    'inspect',
    '--format',
    '{{.Id}} {{.State.StartedAt}} {{.RestartCount}}',
    ...ids,
  ]);
  return inspected.trim().split('\n').sort();
}

before(async () => {
  ports = {
    smtp: await freePort(),
    submission: await freePort(),
    imap: await freePort(),
    imaps: await freePort(),
    c2s: await freePort(),
    s2s: await freePort(),
  };
  caDir = mkdtempSync(join(tmpdir(), 'foyer-edge-ca-'));
  ca = await makeTestCa(caDir, 'Edge test CA');
  foyer = await startAppDaemon(engine);
});

after(async () => {
  if (foyer) {
    // The directory's slapd too, which mail and chat (accounts: directory) brought in.
    await foyer.removeAll(180_000).catch(() => {});
    await foyer.close();
  }
  if (caDir) rmSync(caDir, { recursive: true, force: true });
});

test("mail and chat present the edge's certificate for their names, and its renewal without a restart", async (t) => {
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

  // No certificate at the edge yet: the apps serve their own self-signed ones.
  const first = { mail: await ca.issue([MAIL_NAME]), chat: await ca.issue([DOMAIN]) };
  const before = await everyEndpoint();
  for (const [endpoint, seen] of Object.entries(before)) {
    assert.ok(seen.length > 0, `${endpoint} presents a certificate`);
    assert.notEqual(seen, fingerprint(first.mail), endpoint);
  }
  const started = await containerStarts();
  assert.equal(started.length, 3, started.join('\n'));

  // The edge obtains certificates for the names: Foyer hands them over and the daemons load them.
  let since = Date.now();
  placeInEdge(MAIL_NAME, first.mail);
  placeInEdge(DOMAIN, first.chat);
  await waitPresenting(first.mail, first.chat);
  t.diagnostic(`first certificate presented everywhere after ${Date.now() - since} ms`);

  // The folders are Foyer's, made before the containers; the state file lies outside the mount.
  assert.ok(existsSync(join(foyer.dataDir, 'apps', MAIL, 'tls', `${MAIL_NAME}.state.json`)));

  // The copy is read-only in the containers, and the key is not readable by others.
  const mailData = join(foyer.dataDir, 'apps', MAIL, 'tls', MAIL_NAME);
  const { stdout: mode } = await engine.docker([
    ...['exec', `${MAIL}-postfix-1`, 'stat', '-c', '%a %n'],
    ...['/etc/foyer/tls/privkey.pem', '/etc/foyer/tls/fullchain.pem'],
  ]);
  assert.match(mode, /^600 \/etc\/foyer\/tls\/privkey\.pem\n644 /, mailData);
  await assert.rejects(
    engine.docker(['exec', `${MAIL}-dovecot-1`, 'touch', '/etc/foyer/tls/x']),
    /read-only/i,
    'the hand-over folder is read-only in the container',
  );
  const { stdout: chatKey } = await engine.docker([
    ...['exec', `${CHAT}-prosody-1`, 'stat', '-c', '%a %g', '/etc/foyer/tls/privkey.pem'],
  ]);
  assert.equal(chatKey.trim(), '640 5222');

  // A renewal: new certificates in the same place. The same containers present them.
  const renewed = { mail: await ca.issue([MAIL_NAME]), chat: await ca.issue([DOMAIN]) };
  since = Date.now();
  placeInEdge(MAIL_NAME, renewed.mail);
  placeInEdge(DOMAIN, renewed.chat);
  await waitPresenting(renewed.mail, renewed.chat);
  t.diagnostic(`renewed certificate presented everywhere after ${Date.now() - since} ms`);
  assert.deepEqual(await containerStarts(), started, 'no container was restarted or recreated');

  // Caddy writes certificate and key one after the other: a round that sees a new certificate
  // with the old key hands nothing over, and the daemons keep serving the last good pair.
  const next = await ca.issue([MAIL_NAME]);
  placeInEdge(MAIL_NAME, { ...next, keyPem: renewed.mail.keyPem });
  await new Promise((r) => setTimeout(r, 6000));
  assert.equal(await presented(ports.imaps, MAIL_NAME), fingerprint(renewed.mail));
  placeInEdge(MAIL_NAME, next);
  await waitPresenting(next, renewed.chat);
  assert.deepEqual(await containerStarts(), started, 'no container was restarted or recreated');

  // Clients that trust the CA accept the names (the chain is complete and names match).
  await new Promise<void>((resolve, reject) => {
    const socket = connectTls(
      { host: '127.0.0.1', port: ports.imaps, servername: MAIL_NAME, ca: ca.rootPem },
      () => {
        socket.destroy();
        resolve();
      },
    );
    socket.once('error', reject);
  });
});
