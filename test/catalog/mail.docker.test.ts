/**
 * The mail app (catalog/mail: Postfix and Dovecot built from Debian's packages) on a real
 * engine, driven through the daemon's API as a person would. Its mailboxes are Foyer's members
 * (app.yaml `accounts: directory`, issue 14): alice and bob, whose group may use the install,
 * and carol, whose group may not. Alice sends to bob over authenticated submission (STARTTLS)
 * and bob reads it over IMAP (993, and 143 after STARTTLS); neither reaches the other's
 * mailbox; carol is refused; a new password and a disabled member take effect everywhere
 * within 10 s; wrong passwords, plaintext logins and relaying are refused; the mail outlives a
 * daemon restart, a container restart and an uninstall without purge; a removed member's
 * mailbox is kept unless the admin asks to delete it, which deletes only theirs; a purge
 * removes the data;
 * bad settings are refused with path-qualified problems and create nothing.
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
  auditLine,
  freePort,
  startAppDaemon,
} from '../support/app-daemon.js';
import { runFoyer } from '../support/cli.js';
import { eventually } from '../support/foyer.js';
import { useTestEngine } from '../support/index.js';

const engine = await useTestEngine();

const APP = 'mail';
const DOMAIN = 'example.test';
const ALICE = { name: 'alice', address: `alice@${DOMAIN}` };
const BOB = { name: 'bob', address: `bob@${DOMAIN}` };
const CAROL = { name: 'carol', address: `carol@${DOMAIN}` };
// Removed with their mailbox kept, and deleted.
const DAVE = { name: 'dave', address: `dave@${DOMAIN}`, password: 'dave keeps his mail' };
const ERIN = { name: 'erin', address: `erin@${DOMAIN}`, password: 'erin deletes her mail' };
const ADDRESS = ALICE.address;
// Characters a shell, Compose interpolation or an LDAP filter could trip over.
const PASSWORD = 'pa$$ "word" \\ \'x\' :${DOMAIN} #1 (*)';
const BOB_PASSWORD = 'bob has another password';
const CAROL_PASSWORD = 'carol is not in the family';
const SUBJECT = 'Picnic by the river';
const BODY = 'Bring the blue blanket and some plums.';
const VOLUMES = [`${APP}_mail`, `${APP}_spool`, `${APP}_tls`];
// The self-signed certificate is accepted here only: no domain is set in this Foyer.
const SELF_SIGNED = { rejectUnauthorized: false };
// Disabled members and changed passwords must be refused by every service within this.
const WITHIN_MS = 10_000;

let foyer: AppDaemon;
let ports: { smtp: number; submission: number; imap: number; imaps: number };

const settings = () => ({
  DOMAIN,
  POSTMASTER: ADDRESS,
  SMTP_PORT: ports.smtp,
  SUBMISSION_PORT: ports.submission,
  IMAP_PORT: ports.imap,
  IMAPS_PORT: ports.imaps,
});

/** The members with a mailbox folder in the mail volume, by name. */
async function mailboxOwners(): Promise<string[]> {
  const { stdout } = await engine.docker([
    ...['exec', `${APP}-dovecot-1`, 'ls', '-A', '/var/mail/vmail/members'],
  ]);
  return stdout.split('\n').filter(Boolean).sort();
}

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

/** An IMAP client signed in (alice by default): on 993 with TLS, or on 143 after STARTTLS. */
async function imapSignIn(
  over: 'imaps' | 'starttls',
  password = PASSWORD,
  user = ADDRESS,
): Promise<ImapFlow> {
  const client = new ImapFlow({
    host: '127.0.0.1',
    port: over === 'imaps' ? ports.imaps : ports.imap,
    secure: over === 'imaps',
    doSTARTTLS: over === 'starttls' ? true : undefined,
    auth: { user, pass: password },
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

/** Every message of the INBOX (alice's by default), read over IMAP. */
async function inbox(
  over: 'imaps' | 'starttls' = 'imaps',
  user = ADDRESS,
  password = PASSWORD,
): Promise<Message[]> {
  const client = await imapSignIn(over, password, user);
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
async function waitForMessage(
  subject: string,
  user = ADDRESS,
  password = PASSWORD,
): Promise<Message> {
  return eventually(
    `"${subject}" in ${user}'s INBOX`,
    async () => (await inbox('imaps', user, password)).find((m) => m.subject === subject),
    30_000,
  );
}

/** Reads alice's message back from bob's mailbox over IMAP and checks what it says. */
async function assertMessageThere(): Promise<void> {
  const messages = await inbox('imaps', BOB.address, BOB_PASSWORD);
  const found = messages.filter((m) => m.subject === SUBJECT);
  assert.equal(found.length, 1, `messages: ${JSON.stringify(messages)}`);
  assert.equal(found[0]?.from, ADDRESS);
  assert.equal(found[0]?.body, BODY);
}

/** SMTP on 587 with STARTTLS required, as a mail program sends (alice by default). */
function submission(password = PASSWORD, user = ADDRESS) {
  return nodemailer.createTransport({
    host: '127.0.0.1',
    port: ports.submission,
    secure: false,
    requireTLS: true,
    auth: { user, pass: password },
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

/** Whether IMAP (993) and submission (587) each accept `user` with `password` (both at once). */
/**
 * Whether `user` signs in over IMAPS. A connection closed before any answer (seen once in a
 * whole-suite run, right after member changes) is tried again as a mail program would, twice at
 * most, with Dovecot's recent log lines printed so a run shows why.
 */
async function imapLogin(user: string, password: string): Promise<boolean> {
  for (let attempt = 1; ; attempt++) {
    try {
      await (await imapSignIn('imaps', password, user)).logout();
      return true;
    } catch (error) {
      const { authenticationFailed, code, message } = error as {
        authenticationFailed?: boolean;
        code?: string;
        message?: string;
      };
      if (authenticationFailed) return false;
      const tail = await engine.docker(['logs', '--tail', '20', `${APP}-dovecot-1`]);
      console.log(`imap ${user}: ${code} ${message}; dovecot said:\n${tail.stdout}${tail.stderr}`);
      if (attempt >= 3 || !/^Closed|ECONNRESET/.test(code ?? '')) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

async function logins(user: string, password: string): Promise<{ imap: boolean; smtp: boolean }> {
  const [imap, smtp] = await Promise.all([
    imapLogin(user, password),
    submission(password, user)
      .verify()
      .then(
        () => true,
        (error: { code?: string; message?: string }) => {
          if (error.code === 'EAUTH') return false;
          throw error;
        },
      ),
  ]);
  return { imap, smtp };
}

/**
 * Tries both doors until they give `expected` for `user`, and returns when (ms after the call)
 * the attempt that did began: it must begin within WITHIN_MS. An attempt takes seconds once
 * logins have failed: Dovecot delays each failure (auth_failure_delay, 2 s) and penalises an
 * address that keeps failing, so the time an attempt began is the figure that says when the
 * door was shut.
 */
async function untilLogins(user: string, password: string, expected: boolean): Promise<number> {
  const start = Date.now();
  for (;;) {
    const began = Date.now() - start;
    assert.ok(began <= WITHIN_MS, `${user} not ${expected ? 'accepted' : 'refused'} in time`);
    const got = await logins(user, password);
    if (got.imap === expected && got.smtp === expected) return began;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function ok(method: string, url: string, body?: unknown): Promise<void> {
  const res = await foyer.api(method, url, body);
  assert.ok(res.status >= 200 && res.status < 300, `${method} ${url}: ${JSON.stringify(res.body)}`);
}

describe('mail app', () => {
  before(async () => {
    // The CLI disables a member with IMAP connections open, through the daemon's local socket.
    foyer = await startAppDaemon(engine, { cli: true });
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
    // Alice and bob are in the family, which will use the mail; carol is only a neighbour.
    await ok('POST', '/api/groups', { name: 'family' });
    await ok('POST', '/api/groups', { name: 'neighbours' });
    for (const [who, password, group] of [
      [ALICE, PASSWORD, 'family'],
      [BOB, BOB_PASSWORD, 'family'],
      [CAROL, CAROL_PASSWORD, 'neighbours'],
    ] as const) {
      await ok('POST', '/api/members', {
        name: who.name,
        email: who.address,
        password,
        groups: [group],
      });
    }
  });

  after(async () => {
    if (!foyer) return;
    // A failed test may leave installs behind, the directory's slapd with them; the engine
    // outlives this file.
    await foyer.removeAll(180_000).catch(() => {});
    await foyer.close();
  });

  test('installs with a domain and ports: both services running, on the directory', async () => {
    // The directory's slapd is built and started with the first member (minutes when cold).
    const install = await foyer.install(APP, settings(), { ms: 900_000 });
    await ok('PUT', `/api/installs/${APP}/access/family`);
    assert.equal(install.id, APP);
    assert.equal(install.status.state, 'running');
    const services = install.status.services.map(
      (s: { name: string; state: string; health?: string }) => [s.name, s.state, s.health],
    );
    assert.deepEqual(services.sort(), [
      ['dovecot', 'running', 'healthy'],
      ['postfix', 'running', 'healthy'],
    ]);
    assert.deepEqual(
      install.settings,
      Object.fromEntries(Object.entries(settings()).map(([k, v]) => [k, String(v)])),
    );
    assert.deepEqual(await foyer.volumes(APP), VOLUMES);
    // The settings for a first mailbox are gone: the accounts are the directory's.
    const entry = await foyer.api('GET', `/api/apps/${APP}`);
    const keys = entry.body.settings.map((s: { key: string }) => s.key);
    assert.ok(!keys.includes('MAILBOX') && !keys.includes('MAILBOX_PASSWORD'), String(keys));
    assert.equal(entry.body.accounts, 'directory');

    // Both services are on the directory's internal network, beside their own.
    const dovecot = await container('dovecot');
    const postfix = await container('postfix');
    for (const id of [dovecot, postfix]) {
      const nets = await engine.docker([
        'inspect',
        '--format',
        '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}',
        id,
      ]);
      assert.deepEqual(nets.stdout.trim().split(' ').sort(), ['directory_ldap', 'mail_default']);
    }
    // The bind account's password is in the LDAP files, which only the daemons' groups read;
    // no member's password is anywhere in either container's environment.
    for (const [id, file, group] of [
      [dovecot, '/etc/dovecot/ldap-passdb.conf.ext', 'dovecot'],
      [postfix, '/etc/postfix/ldap-mailboxes.cf', 'postfix'],
    ] as const) {
      const mode = await engine.docker(['exec', id, 'stat', '-c', '%a %U %G', file]);
      assert.equal(mode.stdout.trim(), `640 root ${group}`);
      const env = await engine.docker(['inspect', '--format', '{{json .Config.Env}}', id]);
      for (const secret of [PASSWORD, BOB_PASSWORD, CAROL_PASSWORD]) {
        assert.ok(!env.stdout.includes(secret), 'a member password reached a container');
      }
    }

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

  test('alice sends to bob on 587; bob reads it over IMAPS and IMAP with STARTTLS', async () => {
    // Alice signs in by her name, bob by his address: both are the member's login.
    const sent = await submission(PASSWORD, ALICE.name).sendMail({
      from: ADDRESS,
      to: BOB.address,
      subject: SUBJECT,
      text: BODY,
    });
    assert.deepEqual(sent.accepted, [BOB.address]);
    const message = await waitForMessage(SUBJECT, BOB.address, BOB_PASSWORD);
    assert.equal(message.body, BODY);
    await assertMessageThere();

    const overStarttls = await inbox('starttls', BOB.name, BOB_PASSWORD);
    assert.deepEqual(
      overStarttls.map((m) => [m.subject, m.body]),
      [[SUBJECT, BODY]],
    );
    // Alice's own mailbox is hers alone: bob's mail is not in it.
    assert.deepEqual(await inbox('imaps', ALICE.name), []);
  });

  test("no member reaches another's mailbox; a member without access is refused", async () => {
    // Alice's password does not open bob's mailbox, by name or by address.
    for (const user of [BOB.name, BOB.address]) {
      assert.deepEqual(await logins(user, PASSWORD), { imap: false, smtp: false });
    }
    // Carol is a member with a working password, but her group may not use the mail.
    assert.deepEqual(await logins(CAROL.address, CAROL_PASSWORD), { imap: false, smtp: false });
    assert.deepEqual(await logins(CAROL.name, CAROL_PASSWORD), { imap: false, smtp: false });
    // Nor does she have a mailbox here.
    await assert.rejects(
      relayFromOutside().sendMail({
        from: 'dan@elsewhere.example',
        to: CAROL.address,
        subject: 'For carol',
        text: 'x',
      }),
      (error: { responseCode?: number; response?: string }) => {
        assert.equal(error.responseCode, 550, String(error.response));
        return true;
      },
    );
    // A logged-in sender may only use their own address, not another member's.
    await assert.rejects(
      submission().sendMail({ from: BOB.address, to: ADDRESS, subject: 'Spoofed', text: 'x' }),
      (error: { responseCode?: number; response?: string }) => {
        assert.equal(error.responseCode, 553, String(error.response));
        return true;
      },
    );
  });

  test('port 25 receives mail for the domain and relays nothing', async () => {
    const inbound = 'Hello from another server';
    const received = await relayFromOutside().sendMail({
      from: 'dan@elsewhere.example',
      to: `postmaster@${DOMAIN}`,
      subject: inbound,
      text: 'Postmaster mail reaches the POSTMASTER address.',
    });
    assert.deepEqual(received.accepted, [`postmaster@${DOMAIN}`]);
    assert.equal((await waitForMessage(inbound)).from, 'dan@elsewhere.example');

    await assert.rejects(
      relayFromOutside().sendMail({
        from: 'dan@elsewhere.example',
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
        from: 'dan@elsewhere.example',
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
  });

  test('a new password works at once and the old one is refused, within 10 s', async () => {
    const next = 'alice has a new password now';
    await ok('PUT', `/api/members/${ALICE.name}/password`, { password: next });
    const refused = await untilLogins(ALICE.address, PASSWORD, false);
    const accepted = await untilLogins(ALICE.address, next, true);
    console.log(
      `mail: old password refused by an attempt begun ${refused} ms after the change, new one accepted ${accepted} ms later`,
    );
    await ok('PUT', `/api/members/${ALICE.name}/password`, { password: PASSWORD });
    await untilLogins(ALICE.name, PASSWORD, true);
  });

  test('a disabled member is refused on IMAP and submission within 10 s; enabled again, let in', async () => {
    assert.deepEqual(await logins(ALICE.address, PASSWORD), { imap: true, smtp: true });
    await ok('POST', `/api/members/${ALICE.name}/disable`);
    const refused = await untilLogins(ALICE.address, PASSWORD, false);
    console.log(`mail: disabled member refused by an attempt begun ${refused} ms after disabling`);
    assert.deepEqual(await logins(ALICE.name, PASSWORD), { imap: false, smtp: false });
    // Bob is untouched.
    assert.deepEqual(await logins(BOB.address, BOB_PASSWORD), { imap: true, smtp: true });
    await ok('POST', `/api/members/${ALICE.name}/enable`);
    await untilLogins(ALICE.address, PASSWORD, true);
  });

  test("disabling a member closes their open IMAP connections within 10 s; another's stay", async () => {
    // Alice reads her INBOX on two connections, one idling as a phone does; bob on one.
    const idling = await imapSignIn('imaps');
    const other = await imapSignIn('starttls');
    const bob = await imapSignIn('imaps', BOB_PASSWORD, BOB.address);
    for (const client of [idling, other, bob]) await client.mailboxOpen('INBOX');
    const closedAt = (client: ImapFlow) =>
      new Promise<number>((resolve) => client.once('close', () => resolve(Date.now())));
    const closed = [closedAt(idling), closedAt(other)];
    const idle = idling.idle().catch(() => {});
    const started = Date.now();
    const disabled = await runFoyer(foyer.dataDir, 'members', 'disable', ALICE.name);
    const answered = Date.now() - started;
    assert.equal(disabled.code, 0, disabled.stderr);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`not closed within ${WITHIN_MS} ms`)), WITHIN_MS);
    });
    const at = await Promise.race([Promise.all(closed), late]).finally(() => clearTimeout(timer));
    await idle;
    console.log(
      `mail: disabled member's IMAP connections (IDLE and selected) closed ${Math.max(...at) - started} ms after \`foyer members disable\` began (the CLI answered in ${answered} ms)`,
    );
    assert.equal(idling.usable, false);
    assert.equal(other.usable, false);
    // Signing in again is refused; bob's connection still answers.
    assert.deepEqual(await logins(ALICE.address, PASSWORD), { imap: false, smtp: false });
    assert.equal(bob.usable, true);
    const status = await bob.status('INBOX', { messages: true });
    assert.ok(status && (status.messages ?? 0) >= 1, 'bob still reads his INBOX');
    await bob.logout();
    const line = await auditLine(
      foyer,
      'member.sessions.closed',
      ALICE.name,
      (d) => d.reason === 'disabled',
    );
    assert.deepEqual(line.detail, { reason: 'disabled', closed: [`${APP}:dovecot`] });
    await ok('POST', `/api/members/${ALICE.name}/enable`);
    await untilLogins(ALICE.address, PASSWORD, true);
  });

  test('revoking an app password signs out the program that used it (a lost laptop)', async () => {
    // Alice's own session, as on My account: she makes an app password for her laptop.
    const signIn = await foyer.inject(
      'POST',
      '/api/auth/login',
      { username: ALICE.name, password: PASSWORD },
      { cookie: '' },
    );
    assert.equal(signIn.statusCode, 200, signIn.body);
    const cookie = String(signIn.headers['set-cookie']).split(';')[0] ?? '';
    const asAlice = (method: string, url: string, payload?: unknown) =>
      foyer.inject(method, url, payload, { cookie });
    const made = await asAlice('POST', '/api/account/app-passwords', {
      label: 'Laptop',
      password: PASSWORD,
    });
    assert.equal(made.statusCode, 201, made.body);
    const { id, password: appPassword } = made.json().appPassword as {
      id: number;
      password: string;
    };
    await untilLogins(ALICE.address, appPassword, true);
    const laptop = await imapSignIn('imaps', appPassword);
    await laptop.mailboxOpen('INBOX');
    const closed = new Promise<number>((resolve) =>
      laptop.once('close', () => resolve(Date.now())),
    );
    const idle = laptop.idle().catch(() => {});
    const started = Date.now();
    const revoked = await asAlice('DELETE', `/api/account/app-passwords/${id}`);
    assert.equal(revoked.statusCode, 204, revoked.body);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`not closed within ${WITHIN_MS} ms`)), WITHIN_MS);
    });
    const at = await Promise.race([closed, late]).finally(() => clearTimeout(timer));
    await idle;
    console.log(`mail: the revoked app password's IDLE connection closed ${at - started} ms after`);
    assert.equal(laptop.usable, false);
    assert.deepEqual(await logins(ALICE.address, appPassword), { imap: false, smtp: false });
    assert.deepEqual(await logins(ALICE.address, PASSWORD), { imap: true, smtp: true });
    const line = await auditLine(
      foyer,
      'member.sessions.closed',
      ALICE.name,
      (d) => d.reason === 'app-password-revoked',
    );
    assert.deepEqual(line.detail, { reason: 'app-password-revoked', closed: [`${APP}:dovecot`] });
  });

  test('the message outlives a daemon restart and a container restart', async () => {
    await foyer.restart();
    await foyer.waitRunning(APP);
    await assertMessageThere();
    await foyer.restartContainers(APP);
    await assertMessageThere();
  });

  test("a removed member's mailbox is kept by default and deleted when asked, only theirs", async () => {
    for (const who of [DAVE, ERIN]) {
      await ok('POST', '/api/members', {
        name: who.name,
        email: who.address,
        password: who.password,
        groups: ['family'],
      });
    }
    const subject = 'For the new neighbours';
    await eventually('alice sends to dave and erin', async () => {
      const sent = await submission().sendMail({
        from: ADDRESS,
        to: [DAVE.address, ERIN.address],
        subject,
        text: 'Welcome!',
      });
      return sent.accepted.length === 2 || undefined;
    });
    // Delivered: read in the volume (LMTP made each mailbox), not over IMAP.
    for (const who of [DAVE, ERIN]) {
      await eventually(`mail delivered to ${who.name}`, async () => {
        const { stdout } = await engine.docker([
          ...['exec', `${APP}-dovecot-1`, 'find', `/var/mail/vmail/members/${who.name}`],
          ...['-path', '*/new/*', '-type', 'f'],
        ]);
        return stdout.trim() !== '' || undefined;
      });
    }
    const before = await mailboxOwners();
    for (const name of [BOB.name, DAVE.name, ERIN.name]) assert.ok(before.includes(name), name);

    const kept = await foyer.api('DELETE', `/api/members/${DAVE.name}?data=keep`);
    assert.equal(kept.status, 200, JSON.stringify(kept.body));
    assert.deepEqual(kept.body, { name: DAVE.name, data: 'keep', deleted: [], failed: [] });
    await untilLogins(DAVE.address, DAVE.password, false);
    assert.deepEqual(await mailboxOwners(), before);

    const removed = await foyer.api('DELETE', `/api/members/${ERIN.name}?data=delete`);
    assert.equal(removed.status, 200, JSON.stringify(removed.body));
    assert.deepEqual(removed.body, {
      name: ERIN.name,
      data: 'delete',
      deleted: [{ install: APP, volume: 'mail', path: `members/${ERIN.name}` }],
      failed: [],
    });
    assert.deepEqual(
      await mailboxOwners(),
      before.filter((name) => name !== ERIN.name),
    );
    assert.deepEqual(await logins(ERIN.address, ERIN.password), { imap: false, smtp: false });
    const helpers = await engine.docker(['ps', '-aq', '--filter', 'label=foyer.member-data']);
    assert.equal(helpers.stdout.trim(), '', 'no deleting container left');
    assert.deepEqual(await foyer.volumes(APP), VOLUMES);
    // Bob's mail is untouched.
    await assertMessageThere();
  });

  test('an uninstall keeps the mail for a reinstall; a purge removes it', async () => {
    await foyer.uninstall(APP);
    assert.deepEqual(await containers(APP), []);
    assert.deepEqual(await foyer.volumes(APP), VOLUMES);

    await foyer.install(APP, settings());
    // The access went with the install; the bind account is made again.
    await ok('PUT', `/api/installs/${APP}/access/family`);
    await eventually('bob signs in again', async () => {
      const got = await logins(BOB.address, BOB_PASSWORD);
      return (got.imap && got.smtp) || undefined;
    });
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
      [{ ...good, DOMAIN: undefined }, 'settings.DOMAIN', /is required/],
      [{ ...good, POSTMASTER: 'not an address' }, 'settings.POSTMASTER', /address/],
      [{ ...good, MAILBOX: 'alice' }, 'settings.MAILBOX', /not a setting|unknown|not known/],
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
      settings: { DOMAIN: 'example', POSTMASTER: 'x', MAIL_HOSTNAME: '-x' },
    });
    assert.equal(all.status, 400);
    assert.deepEqual(all.body.problems.map((p: { path: string }) => p.path).sort(), [
      'settings.DOMAIN',
      'settings.MAIL_HOSTNAME',
      'settings.POSTMASTER',
    ]);

    assert.equal((await foyer.api('GET', `/api/installs/${APP}`)).status, 404);
    const installs = (await foyer.api('GET', '/api/installs')).body as { id: string }[];
    assert.deepEqual(
      installs.map((i) => i.id).filter((id) => id !== 'directory'),
      [],
    );
    assert.deepEqual(await containers(APP), []);
    assert.deepEqual(await foyer.volumes(APP), []);
  });
});
