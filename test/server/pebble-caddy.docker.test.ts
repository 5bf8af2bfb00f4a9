/**
 * Real ACME on loopback (issue 13, reference B1/B2): Debian's Caddy, run on the host and driven
 * by a JSON config shaped like the edge's (an ACME issuer with a custom directory and trusted
 * root, install_trust off, file storage, admin on a unix socket), gets a certificate for
 * `test.example` from Debian's Pebble, which really validates against Caddy's ports
 * (pebble-challtestsrv resolves the name to 127.0.0.1; no PEBBLE_VA_ALWAYS_VALID). The site is
 * then served with that certificate, verified against Pebble's issuing root, and the file lands
 * where the certificate hand-over looks for it. A name with no route (`mail.<domain>`, only
 * wanted as a file for the hand-over) is obtained through `apps.tls.certificates.automate`.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { connect, type PeerCertificate } from 'node:tls';
import { edgeCertificatePaths, issuerKey } from '../../server/edge/certificates.js';
import { edgeCertificates } from '../../server/edge/hand-over.js';
import { type BackgroundProcess, startBackground } from '../support/background.js';
import { run } from '../support/exec.js';
import { eventually } from '../support/foyer.js';
import { startPebble, type TestPebble } from '../support/pebble.js';
import { freePort } from '../support/ports.js';

const NAME = 'test.example';
const BODY = 'hello from test.example';
// A name with no route, as mail.<domain> has: Caddy manages it because it is in `automate`.
const MAIL_NAME = 'mail.test.example';

let pebble: TestPebble;
let caddy: BackgroundProcess;
let dir: string;
let storage: string;

/**
 * Caddy's config, in the shape the edge pushes through its admin API: one server on the HTTPS
 * port with a route per name, the redirecting server on the HTTP port, a policy whose issuer is
 * the ACME directory, and the local CA kept out of the host's trust store.
 */
function caddyConfig(options: {
  directoryUrl: string;
  caCertPath: string;
  httpPort: number;
  httpsPort: number;
  storage: string;
  adminSocket: string;
}) {
  return {
    admin: { listen: `unix/${options.adminSocket}` },
    storage: { module: 'file_system', root: options.storage },
    apps: {
      http: {
        http_port: options.httpPort,
        https_port: options.httpsPort,
        servers: {
          foyer: {
            listen: [`127.0.0.1:${options.httpsPort}`],
            routes: [
              {
                '@id': 'name-test',
                match: [{ host: [NAME] }],
                handle: [{ handler: 'static_response', status_code: 200, body: BODY }],
                terminal: true,
              },
            ],
          },
          'foyer-http': {
            listen: [`127.0.0.1:${options.httpPort}`],
            routes: [],
          },
        },
      },
      tls: {
        certificates: { automate: [MAIL_NAME] },
        automation: {
          policies: [
            {
              subjects: [NAME, MAIL_NAME],
              issuers: [
                {
                  module: 'acme',
                  ca: options.directoryUrl,
                  trusted_roots_pem_files: [options.caCertPath],
                  email: `admin@${NAME}`,
                },
              ],
            },
          ],
        },
      },
      pki: { certificate_authorities: { local: { install_trust: false } } },
    },
  };
}

before(async () => {
  const httpPort = await freePort();
  const httpsPort = await freePort();
  pebble = await startPebble({ httpPort, tlsPort: httpsPort });
  dir = mkdtempSync(join(tmpdir(), 'foyer-caddy-'));
  storage = join(dir, 'data');
  const config = join(dir, 'caddy.json');
  writeFileSync(
    config,
    JSON.stringify(
      caddyConfig({
        directoryUrl: pebble.directoryUrl,
        caCertPath: pebble.caCertPath,
        httpPort,
        httpsPort,
        storage,
        adminSocket: join(dir, 'admin.sock'),
      }),
    ),
  );
  caddy = startBackground('caddy', ['run', '--config', config], {
    // Autosave and anything else Caddy writes stays in the temp folder.
    env: { ...process.env, HOME: dir, XDG_CONFIG_HOME: dir, XDG_DATA_HOME: dir },
  });
});

after(async () => {
  await caddy?.stop();
  await pebble?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Asserts that a stored chain (leaf, intermediates) is signed link by link up to `rootPem`. */
function assertChainsTo(chainPem: string, rootPem: string): void {
  const chain = chainPem
    .split(/(?=-----BEGIN CERTIFICATE-----)/)
    .filter((part) => part.includes('BEGIN CERTIFICATE'))
    .map((part) => new X509Certificate(part));
  chain.push(new X509Certificate(rootPem));
  assert.ok(chain.length >= 2);
  for (let i = 0; i + 1 < chain.length; i++) {
    assert.ok(chain[i]!.verify(chain[i + 1]!.publicKey), `link ${i} of the chain`);
  }
}

/** The certificate a TLS client gets for `name` on the HTTPS port, verified against `ca`. */
function served(port: number, ca: string): Promise<{ cert: PeerCertificate; body: string }> {
  return new Promise((done, fail) => {
    const socket = connect({ host: '127.0.0.1', port, servername: NAME, ca }, () => {
      const cert = socket.getPeerCertificate();
      socket.write(`GET / HTTP/1.1\r\nHost: ${NAME}\r\nConnection: close\r\n\r\n`);
      let body = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => {
        body += chunk;
      });
      socket.on('end', () => done({ cert, body }));
    });
    socket.setTimeout(5000, () => socket.destroy(new Error('timed out')));
    socket.on('error', fail);
  });
}

test('Caddy gets a certificate from Pebble by real validation and serves it', async () => {
  const key = issuerKey(pebble.directoryUrl);
  assert.match(key, /^127\.0\.0\.1-\d+-dir$/);
  const paths = edgeCertificatePaths(storage, key, NAME);
  await eventually(
    `a certificate for ${NAME} in Caddy's storage`,
    () => existsSync(paths.certificatePath) && existsSync(paths.keyPath),
    60_000,
  ).catch((error: Error) => {
    throw new Error(`${error.message}\ncaddy said:\n${caddy.output().slice(-4000)}`);
  });
  const stored = new X509Certificate(readFileSync(paths.certificatePath));
  assert.ok(stored.subjectAltName?.includes(`DNS:${NAME}`), stored.subjectAltName);
  // Issued by Pebble's chain, up to the root fetched after start.
  assertChainsTo(readFileSync(paths.certificatePath, 'utf8'), pebble.issuingRootPem);

  const { cert, body } = await eventually(
    `${NAME} served with the new certificate`,
    () => served(pebble.tlsPort, pebble.issuingRootPem),
    20_000,
  );
  assert.equal(cert.fingerprint256, stored.fingerprint256);
  assert.match(body, /^HTTP\/1\.1 200/);
  assert.ok(body.endsWith(BODY), body);
  // The chain ends at Pebble's issuing root: a client trusting only it accepted the connection
  // (connect() above verifies by default), and an unrelated CA is refused.
  await assert.rejects(served(pebble.tlsPort, pebble.caCertPem), /certificate/i);

  // The hand-over finds exactly this certificate under the ACME issuer's key.
  const found = edgeCertificates(storage, NAME);
  assert.deepEqual(
    found.map((c) => c.issuer),
    [key],
  );
  assert.equal(found[0]?.notAfter, Date.parse(stored.validTo));
  // Loopback only: every socket Caddy listens on is on 127.0.0.1 (or its unix admin socket).
  const { stdout } = await run('ss', ['-Hltnp']);
  const mine = stdout.split('\n').filter((line) => line.includes(`pid=${caddy.child.pid},`));
  assert.ok(mine.length >= 2, stdout);
  for (const line of mine) assert.match(line, /\s127\.0\.0\.1:\d+\s/, line);
  // The name without a route (the hand-over's, for mail) is obtained too, and found.
  const mail = await eventually(
    `a certificate for ${MAIL_NAME}`,
    () => edgeCertificates(storage, MAIL_NAME)[0],
    30_000,
  );
  assert.equal(mail.issuer, key);
  const mailCert = new X509Certificate(readFileSync(mail.certificatePath));
  assert.ok(mailCert.subjectAltName?.includes(`DNS:${MAIL_NAME}`), mailCert.subjectAltName);
  assertChainsTo(readFileSync(mail.certificatePath, 'utf8'), pebble.issuingRootPem);
  // install_trust false: the host's trust store has no Caddy root.
  assert.equal(existsSync('/usr/local/share/ca-certificates/Caddy Local Authority.crt'), false);
});
