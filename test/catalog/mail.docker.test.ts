/**
 * The mail app (catalog/mail: Postfix and Dovecot built from Debian's packages) on a real
 * engine, driven through the daemon's API as a person would: install with a domain, a mailbox
 * and four ports; a message submitted over authenticated SMTP (STARTTLS) is read back over IMAP
 * (993, and 143 after STARTTLS); wrong passwords, plaintext logins and relaying are refused; the
 * message outlives a daemon restart, a container restart and an uninstall without purge; a purge
 * removes the data; bad settings are refused with path-qualified problems and create nothing.
 */
import assert from 'node:assert/strict';
import { connect as connectTcp } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { connect as connectTls } from 'node:tls';
import { ImapFlow } from 'imapflow';
import nodemailer from 'nodemailer';
import { instanceId } from '../../server/paths.js';
import {
  type AppDaemon,
  assertSettingRefused,
  freePort,
  startAppDaemon,
} from '../support/app-daemon.js';
import { eventually } from '../support/foyer.js';
import { useTestEngine } from '../support/index.js';

const engine = await useTestEngine();

const APP = 'mail';
const DOMAIN = 'example.test';
const MAILBOX = 'alice';
const ADDRESS = `${MAILBOX}@${DOMAIN}`;
// Characters a shell, Compose interpolation or the passwd-file format could trip over.
const PASSWORD = 'pa$$ "word" \\ \'x\' :${DOMAIN} #1';
const SUBJECT = 'Picnic by the river';
const BODY = 'Bring the blue blanket and some plums.';
const VOLUMES = [`${APP}_mail`, `${APP}_spool`, `${APP}_tls`];
// The self-signed certificate is accepted here only: Foyer does not manage certificates yet.
const SELF_SIGNED = { rejectUnauthorized: false };

let foyer: AppDaemon;
let ports: { smtp: number; submission: number; imap: number; imaps: number };

const settings = () => ({
  DOMAIN,
  MAILBOX,
  MAILBOX_PASSWORD: PASSWORD,
  SMTP_PORT: ports.smtp,
  SUBMISSION_PORT: ports.submission,
  IMAP_PORT: ports.imap,
  IMAPS_PORT: ports.imaps,
});

/** The ids of the install's containers, running or not, on this Foyer's engine objects. */
async function containers(install: string): Promise<string[]> {
  const { stdout } = await engine.docker([
    ...['ps', '-aq', '--filter', `label=foyer.install=${install}`],
    ...['--filter', `label=foyer.instance=${instanceId(foyer.dataDir)}`],
  ]);
  return stdout.split('\n').filter(Boolean);
}

/** The container of one service of the install. */
async function container(service: string): Promise<string> {
  const { stdout } = await engine.docker([
    ...['ps', '-q', '--filter', `label=foyer.install=${APP}`],
    ...['--filter', `label=com.docker.compose.service=${service}`],
    ...['--filter', `label=foyer.instance=${instanceId(foyer.dataDir)}`],
  ]);
  const id = stdout.trim();
  assert.match(id, /^[0-9a-f]+$/, `one running ${service} container, not "${stdout}"`);
  return id;
}

/** An IMAP client signed in to the first mailbox: on 993 with TLS, or on 143 after STARTTLS. */
async function imapSignIn(over: 'imaps' | 'starttls', password = PASSWORD): Promise<ImapFlow> {
  const client = new ImapFlow({
    host: '127.0.0.1',
    port: over === 'imaps' ? ports.imaps : ports.imap,
    secure: over === 'imaps',
    doSTARTTLS: over === 'starttls' ? true : undefined,
    auth: { user: ADDRESS, pass: password },
    tls: SELF_SIGNED,
    logger: false,
    connectionTimeout: 10_000,
  });
  client.on('error', () => {});
  await client.connect();
  return client;
}

interface Message {
  subject: string | undefined;
  from: string | undefined;
  body: string;
}

/** Every message of the INBOX, read over IMAP. */
async function inbox(over: 'imaps' | 'starttls' = 'imaps'): Promise<Message[]> {
  const client = await imapSignIn(over);
  try {
    const lock = await client.getMailboxLock('INBOX');
    try {
      const exists = client.mailbox ? client.mailbox.exists : 0;
      if (exists === 0) return [];
      const messages: Message[] = [];
      for await (const m of client.fetch('1:*', { envelope: true, source: true })) {
        const source = m.source?.toString('utf8') ?? '';
        messages.push({
          subject: m.envelope?.subject,
          from: m.envelope?.from?.[0]?.address,
          body: source.slice(source.indexOf('\r\n\r\n') + 4).trim(),
        });
      }
      return messages;
    } finally {
      lock.release();
    }
  } finally {
    await client.logout();
  }
}

/** Waits until the INBOX holds a message with this subject (delivery is asynchronous). */
async function waitForMessage(subject: string): Promise<Message> {
  return eventually(
    `"${subject}" in the INBOX`,
    async () => (await inbox()).find((m) => m.subject === subject),
    30_000,
  );
}

/** Reads the submitted message back over IMAP and checks what it says. */
async function assertMessageThere(): Promise<void> {
  const messages = await inbox();
  const found = messages.filter((m) => m.subject === SUBJECT);
  assert.equal(found.length, 1, `messages: ${JSON.stringify(messages)}`);
  assert.equal(found[0]?.from, ADDRESS);
  assert.equal(found[0]?.body, BODY);
}

/** SMTP on 587 with STARTTLS required, as a mail program sends. */
function submission(password = PASSWORD) {
  return nodemailer.createTransport({
    host: '127.0.0.1',
    port: ports.submission,
    secure: false,
    requireTLS: true,
    auth: { user: ADDRESS, pass: password },
    tls: SELF_SIGNED,
    connectionTimeout: 10_000,
  });
}

/** SMTP on 25 without a login, as another server delivers (STARTTLS when offered). */
function relayFromOutside() {
  return nodemailer.createTransport({
    host: '127.0.0.1',
    port: ports.smtp,
    secure: false,
    tls: SELF_SIGNED,
    connectionTimeout: 10_000,
  });
}

/** A plaintext TCP conversation: `expect` waits for the reply that matches and returns it. */
async function plainSession(port: number) {
  const socket = connectTcp(port, '127.0.0.1');
  let received = '';
  let closed = false;
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    received += chunk;
  });
  socket.on('close', () => {
    closed = true;
  });
  socket.on('error', () => {});
  await new Promise<void>((done, fail) => {
    socket.once('connect', done);
    socket.once('error', fail);
  });
  return {
    send(line: string) {
      socket.write(`${line}\r\n`);
    },
    async expect(reply: RegExp): Promise<string> {
      const text = await eventually(
        `a reply matching ${reply}`,
        () => {
          if (reply.test(received)) return received;
          // Thrown, so that a timeout reports what did come.
          throw new Error(`${closed ? 'closed' : 'open'}, got ${JSON.stringify(received)}`);
        },
        10_000,
      );
      received = '';
      return text;
    },
    close() {
      socket.destroy();
    },
  };
}

/** The subject's common name of the certificate served on 993. */
async function imapsCertificateName(): Promise<string> {
  const socket = connectTls({ host: '127.0.0.1', port: ports.imaps, ...SELF_SIGNED });
  try {
    await new Promise<void>((done, fail) => {
      socket.once('secureConnect', done);
      socket.once('error', fail);
    });
    return String(socket.getPeerCertificate().subject.CN);
  } finally {
    socket.destroy();
  }
}

describe('mail app', () => {
  before(async () => {
    foyer = await startAppDaemon(engine);
    const [smtp, submission, imap, imaps] = await Promise.all([
      freePort(),
      freePort(),
      freePort(),
      freePort(),
    ]);
    ports = { smtp, submission, imap, imaps };
    assert.equal(
      new Set(Object.values(ports)).size,
      4,
      `four distinct ports: ${JSON.stringify(ports)}`,
    );
  });

  after(async () => {
    if (!foyer) return;
    // A failed test may leave the install behind; the engine may outlive this file.
    if ((await foyer.api('GET', `/api/installs/${APP}`)).status === 200) {
      await foyer.uninstall(APP, { purge: true }).catch(() => {});
    }
    await foyer.close();
  });

  test('installs with a domain, a mailbox and ports: both services running and healthy', async () => {
    const install = await foyer.install(APP, settings());
    assert.equal(install.id, APP);
    assert.equal(install.status.state, 'running');
    const services = install.status.services.map(
      (s: { name: string; state: string; health?: string }) => [s.name, s.state, s.health],
    );
    assert.deepEqual(services.sort(), [
      ['dovecot', 'running', 'healthy'],
      ['postfix', 'running', 'healthy'],
    ]);
    // The password is never returned by the API.
    const { MAILBOX_PASSWORD: _, ...shown } = settings();
    assert.deepEqual(
      install.settings,
      Object.fromEntries(Object.entries(shown).map(([k, v]) => [k, String(v)])),
    );
    assert.deepEqual(await foyer.volumes(APP), VOLUMES);

    // Dovecot's entrypoint hashes the password and takes it out of the environment.
    const dovecot = await container('dovecot');
    const environ = await engine.docker(['exec', dovecot, 'cat', '/proc/1/environ']);
    assert.ok(!environ.stdout.includes('MAIL_PASSWORD'), 'the password reached Dovecot');
    const users = await engine.docker(['exec', dovecot, 'cat', '/etc/dovecot/users']);
    assert.match(users.stdout, /^alice@example\.test:\{SHA512-CRYPT\}\$6\$[^:]+:5000:5000:/);
    const postfix = await container('postfix');
    const postfixEnv = await engine.docker([
      'inspect',
      '--format',
      '{{json .Config.Env}}',
      postfix,
    ]);
    assert.ok(!postfixEnv.stdout.includes('PASSWORD'), 'Postfix was given the password');

    // Only the masters (and Dovecot's log and config processes) keep root; the work is done
    // by unprivileged users.
    for (const [id, rootOnly] of [
      [postfix, ['master']],
      [dovecot, ['dovecot', 'log', 'config']],
    ] as const) {
      const top = await engine.docker(['top', id, '-o', 'pid,uid,comm']);
      const rows = top.stdout
        .trim()
        .split('\n')
        .slice(1)
        .map((line) => line.trim().split(/\s+/))
        .map(([, uid, comm]) => [uid, comm])
        // The health check's bash runs as root beside them.
        .filter(([, comm]) => comm !== 'bash');
      const root = rows.filter(([uid]) => uid === '0').map(([, comm]) => comm);
      assert.deepEqual([...new Set(root)].sort(), [...rootOnly].sort(), top.stdout);
      assert.ok(rows.length > root.length, `no unprivileged processes: ${top.stdout}`);
    }

    assert.equal(await imapsCertificateName(), `mail.${DOMAIN}`);
  });

  test('submission needs STARTTLS before AUTH; IMAP on 143 refuses a plaintext login', async () => {
    const smtp = await plainSession(ports.submission);
    try {
      await smtp.expect(/^220 mail\.example\.test ESMTP\r\n/m);
      smtp.send('EHLO client.example');
      const ehlo = await smtp.expect(/^250 .*\r\n/m);
      assert.match(ehlo, /^250-STARTTLS\r$/m);
      assert.doesNotMatch(ehlo, /AUTH/);
      smtp.send(`AUTH PLAIN ${Buffer.from(`\0${ADDRESS}\0${PASSWORD}`).toString('base64')}`);
      await smtp.expect(/^530 .*STARTTLS/m);
      smtp.send(`MAIL FROM:<${ADDRESS}>`);
      await smtp.expect(/^530 .*STARTTLS/m);
    } finally {
      smtp.close();
    }

    const imap = await plainSession(ports.imap);
    try {
      const greeting = await imap.expect(/^\* OK .*\r\n/m);
      assert.match(greeting, /\bSTARTTLS\b/);
      assert.match(greeting, /\bLOGINDISABLED\b/);
      imap.send(`a LOGIN ${ADDRESS} "notsent"`);
      await imap.expect(/^a NO \[PRIVACYREQUIRED\]/m);
    } finally {
      imap.close();
    }
  });

  test('a message submitted on 587 is in the INBOX over IMAPS and over IMAP with STARTTLS', async () => {
    const sent = await submission().sendMail({
      from: ADDRESS,
      to: ADDRESS,
      subject: SUBJECT,
      text: BODY,
    });
    assert.deepEqual(sent.accepted, [ADDRESS]);
    const message = await waitForMessage(SUBJECT);
    assert.equal(message.body, BODY);
    await assertMessageThere();

    const overStarttls = await inbox('starttls');
    assert.deepEqual(
      overStarttls.map((m) => [m.subject, m.body]),
      [[SUBJECT, BODY]],
    );
  });

  test('port 25 receives mail for the domain and relays nothing', async () => {
    const inbound = 'Hello from another server';
    const received = await relayFromOutside().sendMail({
      from: 'bob@elsewhere.example',
      to: `postmaster@${DOMAIN}`,
      subject: inbound,
      text: 'Postmaster mail reaches the first mailbox.',
    });
    assert.deepEqual(received.accepted, [`postmaster@${DOMAIN}`]);
    assert.equal((await waitForMessage(inbound)).from, 'bob@elsewhere.example');

    await assert.rejects(
      relayFromOutside().sendMail({
        from: 'bob@elsewhere.example',
        to: 'carol@outside.example',
        subject: 'Relay me',
        text: 'This must not leave the box.',
      }),
      (error: { responseCode?: number; response?: string }) => {
        assert.equal(error.responseCode, 554, String(error.response));
        assert.match(String(error.response), /Relay access denied/);
        return true;
      },
    );
    await assert.rejects(
      relayFromOutside().sendMail({
        from: 'bob@elsewhere.example',
        to: `nobody@${DOMAIN}`,
        subject: 'Unknown',
        text: 'No such mailbox.',
      }),
      (error: { responseCode?: number; response?: string }) => {
        assert.equal(error.responseCode, 550, String(error.response));
        return true;
      },
    );
  });

  test('a wrong password is refused on submission and on IMAP', async () => {
    const wrong = `${PASSWORD}x`;
    await assert.rejects(
      submission(wrong).sendMail({ from: ADDRESS, to: ADDRESS, subject: 'x', text: 'x' }),
      (error: { code?: string; responseCode?: number; response?: string }) => {
        assert.equal(error.code, 'EAUTH', String(error.response));
        assert.equal(error.responseCode, 535);
        return true;
      },
    );
    for (const over of ['imaps', 'starttls'] as const) {
      await assert.rejects(
        imapSignIn(over, wrong),
        (error: { authenticationFailed?: boolean; message?: string }) => {
          assert.equal(error.authenticationFailed, true, `${over}: ${error.message}`);
          return true;
        },
      );
    }
    // A logged-in sender may only use their own address.
    await assert.rejects(
      submission().sendMail({
        from: `ceo@${DOMAIN}`,
        to: ADDRESS,
        subject: 'Spoofed',
        text: 'x',
      }),
      (error: { responseCode?: number; response?: string }) => {
        assert.equal(error.responseCode, 553, String(error.response));
        return true;
      },
    );
  });

  test('the message outlives a daemon restart and a container restart', async () => {
    await foyer.restart();
    await foyer.waitRunning(APP);
    await assertMessageThere();
    await foyer.restartContainers(APP);
    await assertMessageThere();
  });

  test('an uninstall keeps the mail for a reinstall; a purge removes it', async () => {
    await foyer.uninstall(APP);
    assert.deepEqual(await containers(APP), []);
    assert.deepEqual(await foyer.volumes(APP), VOLUMES);

    await foyer.install(APP, settings());
    await assertMessageThere();

    await foyer.uninstall(APP, { purge: true });
    assert.deepEqual(await containers(APP), []);
    assert.deepEqual(await foyer.volumes(APP), []);
  });

  test('bad settings are refused with path-qualified problems and create nothing', async () => {
    const good = settings();
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ ...good, DOMAIN: 'not a domain' }, 'settings.DOMAIN', /domain name/],
      [{ ...good, DOMAIN: 'localhost' }, 'settings.DOMAIN', /domain name/],
      [{ ...good, MAILBOX_PASSWORD: 'too short' }, 'settings.MAILBOX_PASSWORD', /at least 12/],
      [{ ...good, MAILBOX_PASSWORD: undefined }, 'settings.MAILBOX_PASSWORD', /is required/],
      [{ ...good, MAILBOX: 'Alice Smith' }, 'settings.MAILBOX', /pattern/],
      [{ ...good, MAILBOX: 'alice+tag' }, 'settings.MAILBOX', /pattern/],
      [{ ...good, MAIL_HOSTNAME: 'mail_server' }, 'settings.MAIL_HOSTNAME', /domain name/],
      [{ ...good, IMAPS_PORT: 0 }, 'settings.IMAPS_PORT', /at least 1/],
      [{ ...good, SMTP_PORT: 65536 }, 'settings.SMTP_PORT', /at most 65535/],
      [{ ...good, SUBMISSION_PORT: 'smtp' }, 'settings.SUBMISSION_PORT', /must be a number/],
    ];
    for (const [values, path, message] of cases) {
      const body = Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined));
      await assertSettingRefused(foyer, APP, body, path, message);
    }

    const all = await foyer.api('POST', '/api/installs', {
      app: APP,
      settings: { DOMAIN: 'example', MAILBOX: '-x', MAILBOX_PASSWORD: 'short' },
    });
    assert.equal(all.status, 400);
    assert.deepEqual(all.body.problems.map((p: { path: string }) => p.path).sort(), [
      'settings.DOMAIN',
      'settings.MAILBOX',
      'settings.MAILBOX_PASSWORD',
    ]);

    assert.equal((await foyer.api('GET', `/api/installs/${APP}`)).status, 404);
    assert.deepEqual((await foyer.api('GET', '/api/installs')).body, []);
    assert.deepEqual(await containers(APP), []);
    assert.deepEqual(await foyer.volumes(APP), []);
  });
});
