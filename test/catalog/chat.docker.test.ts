// The chat app (catalog/chat, Prosody from Debian) installed through the daemon's API on the
// test engine, then used with a real XMPP client (@xmpp/client). Its accounts are Foyer's
// members (app.yaml `accounts: directory`, issue 14): alice and bob, whose group may use the
// install, chat over STARTTLS; carol, whose group may not, is refused; a new password and a
// disabled member take effect within 10 s; the data outlives daemon and container restarts
// and a reinstall; `foyer members remove <name> --delete-data` deletes that member's files in
// every Prosody store and no one else's (app.yaml `memberData`); a purge removes the volume, and
// bad settings are refused before anything is made.
import assert from 'node:assert/strict';
import { connect as connectTcp } from 'node:net';
import { after, before, test } from 'node:test';
import tls from 'node:tls';
import { type AppDaemon, auditLine, freePort, startAppDaemon } from '../support/app-daemon.js';
import { runFoyer } from '../support/cli.js';
import { eventually } from '../support/foyer.js';
import { useTestEngine } from '../support/index.js';

/** The part of @xmpp/client's element (ltx) this test reads and writes. */
interface XmlElement {
  attrs: Record<string, string | undefined>;
  is(name: string, xmlns?: string): boolean;
  getChild(name: string, xmlns?: string): XmlElement | undefined;
  getChildren(name: string, xmlns?: string): XmlElement[];
  getChildText(name: string, xmlns?: string): string | null;
  toString(): string;
}

/** The part of @xmpp/client's client this test drives. */
interface XmppClient {
  start(): Promise<unknown>;
  stop(): Promise<unknown>;
  send(element: XmlElement): Promise<void>;
  on(event: 'stanza', listener: (stanza: XmlElement) => void): void;
  on(event: 'error', listener: (error: Error) => void): void;
  on(event: 'disconnect', listener: () => void): void;
  reconnect: { stop(): void };
  iqCaller: { request(element: XmlElement, timeout?: number): Promise<XmlElement> };
}

interface XmppModule {
  client(options: {
    service: string;
    domain: string;
    username: string;
    password: string;
    resource: string;
  }): XmppClient;
  xml(
    name: string,
    attrs?: Record<string, string>,
    ...children: (XmlElement | string)[]
  ): XmlElement;
}

// @xmpp/client ships no type declarations; the import goes through a string so that the
// interfaces above describe it.
const { client, xml } = (await import('@xmpp/client' as string)) as XmppModule;

const engine = await useTestEngine();

const ID = 'chat';
const CONTAINER = `${ID}-prosody-1`;
const DOMAIN = 'chat.foyer.test';
const ALICE = { username: 'alice', password: 'alice-first-password' };
const ALICE_CHANGED = 'alice-changed-password';
const BOB = { username: 'bob', password: 'bob-secret-password' };
const CAROL = { username: 'carol', password: 'carol-is-a-neighbour' };
// Disabled members and changed passwords must be refused within this.
const WITHIN_MS = 10_000;

let foyer: AppDaemon;
let c2sPort: number;
let s2sPort: number;
/** The server's self-signed certificate, which the test's TLS connections trust. */
let certificate: string;
const sessions = new Set<XmppClient>();

/**
 * STARTTLS in @xmpp/client calls tls.connect({ socket, host: <domain> }) and takes no TLS
 * options. For this test only, connections to the chat domain trust the server's own
 * self-signed certificate (read from its volume) instead of the public roots, so the
 * certificate and its name are still checked.
 */
const tlsConnect = tls.connect;
function trustServerCertificate() {
  (tls as { connect: typeof tls.connect }).connect = ((...args: unknown[]) => {
    const [options] = args as [tls.ConnectionOptions | undefined];
    if (typeof options === 'object' && options?.host === DOMAIN && certificate) {
      args[0] = { ...options, ca: [certificate] };
    }
    return (tlsConnect as (...a: unknown[]) => tls.TLSSocket)(...args);
  }) as typeof tls.connect;
}

/** Signs in over STARTTLS on the published client port; rejects when the server refuses. */
async function signIn(username: string, password: string): Promise<XmppClient> {
  const xmpp = client({
    service: `xmpp://127.0.0.1:${c2sPort}`,
    domain: DOMAIN,
    username,
    password,
    resource: 'test',
  });
  // A silent reconnect could hide a failure; every session here is made on purpose.
  xmpp.reconnect.stop();
  xmpp.on('error', () => {});
  try {
    await xmpp.start();
  } catch (error) {
    await xmpp.stop().catch(() => {});
    throw error;
  }
  sessions.add(xmpp);
  return xmpp;
}

async function signOut(xmpp: XmppClient): Promise<void> {
  sessions.delete(xmpp);
  await xmpp.stop();
}

/** Collects the stanzas a session receives, to wait for one of them. */
function inbox(xmpp: XmppClient) {
  const received: XmlElement[] = [];
  const waiters = new Set<() => void>();
  xmpp.on('stanza', (stanza) => {
    received.push(stanza);
    for (const wake of waiters) wake();
  });
  return {
    received,
    async waitFor(what: string, match: (s: XmlElement) => boolean, ms = 10_000) {
      const found = () => received.find(match);
      if (found()) return found()!;
      return new Promise<XmlElement>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(wake);
          reject(new Error(`no ${what} within ${ms} ms; got ${received.join('\n')}`));
        }, ms);
        const wake = () => {
          const stanza = found();
          if (!stanza) return;
          clearTimeout(timer);
          waiters.delete(wake);
          resolve(stanza);
        };
        waiters.add(wake);
      });
    },
  };
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const jidOf = (user: { username: string }) => `${user.username}@${DOMAIN}`;
const bodyIs = (text: string) => (s: XmlElement) =>
  s.is('message') && s.getChildText('body') === text;

/** A round trip to the server: every stanza sent before it has been handled when it returns. */
async function ping(xmpp: XmppClient) {
  await xmpp.iqCaller.request(xml('iq', { type: 'get' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
}

async function roster(xmpp: XmppClient): Promise<string[]> {
  const reply = await xmpp.iqCaller.request(
    xml('iq', { type: 'get' }, xml('query', { xmlns: 'jabber:iq:roster' })),
  );
  return (reply.getChild('query', 'jabber:iq:roster')?.getChildren('item') ?? []).map(
    (item) => item.attrs.jid ?? '',
  );
}

async function assertRefused(username: string, password: string) {
  await assert.rejects(signIn(username, password), (error: Error & { condition?: string }) => {
    assert.equal(error.name, 'SASLError', String(error));
    assert.equal(error.condition, 'not-authorized');
    return true;
  });
}

async function exec(...args: string[]) {
  return (await engine.docker(['exec', CONTAINER, ...args])).stdout;
}

async function startedAt() {
  const inspect = await engine.docker(['inspect', '-f', '{{.State.StartedAt}}', CONTAINER]);
  return inspect.stdout.trim();
}

const settings = () => ({
  DOMAIN,
  C2S_PORT: c2sPort,
  S2S_PORT: s2sPort,
});

/** Installs chat and checks it runs healthy, built from Debian, with its ports published. */
async function installChat() {
  const install = await foyer.install('chat', settings(), { id: ID });
  assert.equal(install.status?.state, 'running');
  const [service, ...others] = install.status.services;
  assert.equal(others.length, 0, 'one service');
  assert.equal(service.name, 'prosody');
  assert.equal(service.state, 'running');
  assert.equal(service.health, 'healthy');
  const published = (port: number) =>
    service.ports.find((p: { container: number }) => p.container === port)?.host;
  assert.equal(published(5222), c2sPort);
  assert.equal(published(5269), s2sPort);
  assert.deepEqual(install.settings, {
    DOMAIN,
    C2S_PORT: String(c2sPort),
    S2S_PORT: String(s2sPort),
  });
  return install;
}

async function ok(method: string, url: string, body?: unknown): Promise<void> {
  const res = await foyer.api(method, url, body);
  assert.ok(res.status >= 200 && res.status < 300, `${method} ${url}: ${JSON.stringify(res.body)}`);
}

/** Whether `user` signs in with `password` (false when the server says not-authorized). */
async function signsIn(user: { username: string }, password: string): Promise<boolean> {
  try {
    const xmpp = await signIn(user.username, password);
    // A session the server closes meanwhile (a new password closes sessions) is no failure.
    await signOut(xmpp).catch(() => {});
    return true;
  } catch (error) {
    if ((error as { condition?: string }).condition === 'not-authorized') return false;
    throw error;
  }
}

/** When (ms after the call) the first attempt giving `expected` began; within WITHIN_MS. */
async function untilSignIn(
  user: { username: string },
  password: string,
  expected: boolean,
): Promise<number> {
  const start = Date.now();
  for (;;) {
    const began = Date.now() - start;
    assert.ok(
      began <= WITHIN_MS,
      `${user.username} not ${expected ? 'accepted' : 'refused'} in time`,
    );
    if ((await signsIn(user, password)) === expected) return began;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

before(async () => {
  [c2sPort, s2sPort] = [await freePort(), await freePort()];
  assert.notEqual(c2sPort, s2sPort);
  // The CLI drives the member removals, through the daemon's local socket.
  foyer = await startAppDaemon(engine, { cli: true });
  trustServerCertificate();
  // Alice and bob are in the family, which will use the chat; carol is only a neighbour.
  await ok('POST', '/api/groups', { name: 'family' });
  await ok('POST', '/api/groups', { name: 'neighbours' });
  for (const [who, group] of [
    [ALICE, 'family'],
    [BOB, 'family'],
    [CAROL, 'neighbours'],
  ] as const) {
    await ok('POST', '/api/members', {
      name: who.username,
      email: `${who.username}@example.test`,
      password: who.password,
      groups: [group],
    });
  }
});

after(async () => {
  (tls as { connect: typeof tls.connect }).connect = tlsConnect;
  for (const xmpp of sessions) await xmpp.stop().catch(() => {});
  if (!foyer) return;
  // A failed run leaves nothing on a shared engine, the directory's slapd included.
  await foyer.removeAll(180_000).catch(() => {});
  await foyer.close();
});

test('chat installs from Debian packages and runs healthy as a non-root user', async () => {
  await installChat();
  await ok('PUT', `/api/installs/${ID}/access/family`);
  const version = await exec('dpkg-query', '-W', '-f=${Version}', 'prosody');
  assert.match(version, /^0\.12\./);
  // The server is PID 1, runs as the prosody user, and has no password in its environment.
  const status = await exec('cat', '/proc/1/status');
  assert.match(status, /^Name:\s+lua5\.4$/m);
  assert.match(status, /^Uid:\s+5222\s+5222\s+5222\s+5222$/m);
  const environment = (await exec('cat', '/proc/1/environ')).split('\0');
  assert.ok(environment.includes(`DOMAIN=${DOMAIN}`), environment.join(' '));
  for (const member of [ALICE, BOB, CAROL]) {
    assert.ok(!environment.some((v) => v.includes(member.password)), 'a member password in env');
  }
  // Sign-up from clients is off; accounts come from the directory.
  const shell = (command: string) => exec('prosodyctl', 'shell', command);
  assert.match(await shell(`config:get('${DOMAIN}', 'allow_registration')`), /OK: false/);
  assert.match(await shell(`config:get('${DOMAIN}', 'authentication')`), /OK: "?ldap/);
  // On the directory's internal network beside its own.
  const nets = await engine.docker([
    'inspect',
    '--format',
    '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}',
    CONTAINER,
  ]);
  assert.deepEqual(nets.stdout.trim().split(' ').sort(), [`${ID}_default`, 'directory_ldap']);
  // The health check is the app's own probe of the XMPP stream, and it passes.
  assert.match(await exec('chat-healthcheck'), /answers XMPP with STARTTLS/);
  certificate = await exec('cat', `/var/lib/prosody/certs/${DOMAIN}.crt`);
  assert.match(certificate, /^-----BEGIN CERTIFICATE-----/);
});

test('the federation port answers server-to-server streams for the domain', async () => {
  const header = await new Promise<string>((resolve, reject) => {
    const socket = connectTcp(s2sPort, '127.0.0.1');
    let text = '';
    socket.setTimeout(5000, () => socket.destroy(new Error(`s2s: no features; got ${text}`)));
    socket.on('connect', () =>
      socket.write(
        `<?xml version='1.0'?><stream:stream xmlns='jabber:server' xmlns:db='jabber:server:dialback'` +
          ` xmlns:stream='http://etherx.jabber.org/streams' to='${DOMAIN}' version='1.0'>`,
      ),
    );
    socket.on('data', (data) => {
      text += data.toString();
      if (text.includes('</stream:features>')) {
        socket.destroy();
        resolve(text);
      }
    });
    socket.on('error', reject);
  });
  assert.match(header, new RegExp(`from=['"]${escapeRegExp(DOMAIN)}['"]`));
  assert.match(header, /urn:ietf:params:xml:ns:xmpp-tls/);
  assert.doesNotMatch(header, /stream:error/);
});

test('two members sign in over STARTTLS and one gets the other’s message', async () => {
  const alice = await signIn(ALICE.username, ALICE.password);
  const bob = await signIn(BOB.username, BOB.password);
  const bobInbox = inbox(bob);
  await bob.send(xml('presence'));
  // Bob is available once the server reflects his own presence back to him.
  await bobInbox.waitFor(
    'bob’s own presence',
    (s) => s.is('presence') && s.attrs.from?.startsWith(`${jidOf(BOB)}/`) === true,
  );
  await alice.send(
    xml('message', { to: jidOf(BOB), type: 'chat' }, xml('body', {}, 'hello bob, from alice')),
  );
  const message = await bobInbox.waitFor('alice’s message', bodyIs('hello bob, from alice'));
  assert.equal(message.attrs.from, `${jidOf(ALICE)}/test`);
  assert.equal(message.getChild('delay', 'urn:xmpp:delay'), undefined, 'delivered live');
  await assertRefused(ALICE.username, 'not-alices-password');
  // Alice's password does not open bob's account.
  await assertRefused(BOB.username, ALICE.password);
  await assertRefused('mallory', 'mallory-password');
  // Carol is a member, but her group may not use the chat.
  await assertRefused(CAROL.username, CAROL.password);

  // State that must outlive the restarts: alice's roster and a message waiting for bob.
  await alice.iqCaller.request(
    xml(
      'iq',
      { type: 'set' },
      xml('query', { xmlns: 'jabber:iq:roster' }, xml('item', { jid: jidOf(BOB), name: 'Bob' })),
    ),
  );
  await signOut(bob);
  await alice.send(
    xml('message', { to: jidOf(BOB), type: 'chat' }, xml('body', {}, 'while you were away')),
  );
  await ping(alice);
  await signOut(alice);
});

test('a new password in Foyer works and the old one is refused, within 10 s; open sessions close', async () => {
  // Whoever is signed in with the old password is signed out (member-sessions.ts).
  const open = await signIn(ALICE.username, ALICE.password);
  const closed = new Promise<number>((resolve) => open.on('disconnect', () => resolve(Date.now())));
  const started = Date.now();
  await ok('PUT', `/api/members/${ALICE.username}/password`, { password: ALICE_CHANGED });
  const at = await within("alice's session closed after the new password", closed);
  sessions.delete(open);
  console.log(`chat: open session closed ${at - started} ms after the new password was set`);
  const refused = await untilSignIn(ALICE, ALICE.password, false);
  const accepted = await untilSignIn(ALICE, ALICE_CHANGED, true);
  console.log(
    `chat: old password refused by a sign-in begun ${refused} ms after the change, new one accepted ${accepted} ms later`,
  );
});

/** When `what` happened (Date.now()), failing the test when it has not within WITHIN_MS. */
async function within(what: string, happened: Promise<number>): Promise<number> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${WITHIN_MS} ms`)), WITHIN_MS);
  });
  try {
    return await Promise.race([happened, late]);
  } finally {
    clearTimeout(timer);
  }
}

test("disabling a member closes their open session within 10 s; another member's stays", async () => {
  const alice = await signIn(ALICE.username, ALICE_CHANGED);
  const bob = await signIn(BOB.username, BOB.password);
  const bobInbox = inbox(bob);
  await ping(alice);
  const closed = new Promise<number>((resolve) =>
    alice.on('disconnect', () => resolve(Date.now())),
  );
  let bobDisconnected = false;
  bob.on('disconnect', () => {
    bobDisconnected = true;
  });
  const started = Date.now();
  const disabled = await runFoyer(foyer.dataDir, 'members', 'disable', ALICE.username);
  const answered = Date.now() - started;
  assert.equal(disabled.code, 0, disabled.stderr);
  const at = await within("alice's session closed by the server", closed);
  sessions.delete(alice);
  console.log(
    `chat: disabled member's open session closed ${at - started} ms after \`foyer members disable\` began (the CLI answered in ${answered} ms)`,
  );
  // Not signed in again: the stream-management resumption is refused with the sign-in.
  await assertRefused(ALICE.username, ALICE_CHANGED);
  // Bob was not touched: his session still answers, and a message reaches it.
  await ping(bob);
  await bob.send(
    xml('message', { to: `${jidOf(BOB)}/test`, type: 'chat' }, xml('body', {}, 'still here')),
  );
  await bobInbox.waitFor('a message to the open session', bodyIs('still here'));
  assert.equal(bobDisconnected, false, "bob's session stays open");
  await signOut(bob);
  const closedLine = await auditLine(
    foyer,
    'member.sessions.closed',
    ALICE.username,
    (d) => d.reason === 'disabled',
  );
  assert.deepEqual(closedLine.detail, { reason: 'disabled', closed: [`${ID}:prosody`] });
  await ok('POST', `/api/members/${ALICE.username}/enable`);
  await untilSignIn(ALICE, ALICE_CHANGED, true);
});

test('a disabled member is refused within 10 s; enabled again, let in', async () => {
  await ok('POST', `/api/members/${ALICE.username}/disable`);
  const refused = await untilSignIn(ALICE, ALICE_CHANGED, false);
  console.log(`chat: disabled member refused by a sign-in begun ${refused} ms after disabling`);
  assert.equal(await signsIn(BOB, BOB.password), true, 'bob is untouched');
  await ok('POST', `/api/members/${ALICE.username}/enable`);
  await untilSignIn(ALICE, ALICE_CHANGED, true);
});

test('guessing at the chat door: past the limit even the right password waits, others sign in', async () => {
  // dave is used for nothing else: the limit holds him off for its whole window (5 minutes).
  const DAVE = { username: 'dave', password: 'dave-real-password' };
  await ok('POST', '/api/members', {
    name: DAVE.username,
    email: 'dave@example.test',
    password: DAVE.password,
    groups: ['family'],
  });
  await untilSignIn(DAVE, DAVE.password, true);
  for (let i = 0; i < 10; i++) assert.equal(await signsIn(DAVE, `not-daves-password-${i}`), false);
  await assert.rejects(signIn(DAVE.username, DAVE.password), (error: { condition?: string }) => {
    assert.equal(error.condition, 'temporary-auth-failure');
    return true;
  });
  assert.equal(await signsIn(BOB, BOB.password), true, 'another member from the address gets in');
  const log = await engine.docker(['logs', CONTAINER]);
  assert.match(log.stdout + log.stderr, /refused: too many failed attempts/);
  assert.doesNotMatch(log.stdout + log.stderr, /not-daves-password/);
});

/** Both accounts sign in; alice's roster still has bob; a message left for bob arrives. */
async function assertDataKept(expectOfflineMessage: boolean) {
  const alice = await signIn(ALICE.username, ALICE_CHANGED);
  assert.deepEqual(await roster(alice), [jidOf(BOB)]);
  const bob = await signIn(BOB.username, BOB.password);
  const bobInbox = inbox(bob);
  await bob.send(xml('presence'));
  if (expectOfflineMessage) {
    const message = await bobInbox.waitFor('the offline message', bodyIs('while you were away'));
    assert.ok(message.getChild('delay', 'urn:xmpp:delay'), 'kept while bob was offline');
  }
  await signOut(alice);
  await signOut(bob);
}

test('accounts, roster and offline messages outlive daemon and container restarts', async () => {
  const before = await startedAt();
  await foyer.restart();
  await foyer.waitRunning(ID);
  // A daemon restart leaves running containers alone.
  assert.equal(await startedAt(), before);
  await foyer.restartContainers(ID);
  assert.notEqual(await startedAt(), before, 'the container was restarted');
  await eventually('the server answers again', async () => {
    await exec('chat-healthcheck');
    return true;
  });
  await assertDataKept(true);
});

test('an uninstall keeps the data volume, and a reinstall finds the accounts in it', async () => {
  const volumes = await foyer.volumes(ID);
  assert.deepEqual(volumes, [`${ID}_data`]);
  await foyer.uninstall(ID);
  assert.deepEqual(await foyer.volumes(ID), volumes, 'the volume stays');
  const containers = await engine.docker(['ps', '-aq', '--filter', `name=^${CONTAINER}$`]);
  assert.equal(containers.stdout.trim(), '', 'the container is gone');

  await installChat();
  // The access went with the install.
  await ok('PUT', `/api/installs/${ID}/access/family`);
  assert.equal(
    await exec('cat', `/var/lib/prosody/certs/${DOMAIN}.crt`),
    certificate,
    'the same certificate',
  );
  await assertDataKept(false);
});

/** The files under the chat domain's folder of the data volume, `<store>/<file>`, sorted. */
async function domainFiles(): Promise<string[]> {
  const host = `/var/lib/prosody/${HOST_DIR}`;
  const out = await exec('find', host, '-mindepth', '2', '-type', 'f');
  return out
    .split('\n')
    .filter(Boolean)
    .map((path) => path.slice(host.length + 1))
    .sort();
}

// Prosody's names (util/datamanager.lua `encode`): every byte but a letter or digit as %xx.
const HOST_DIR = 'chat%2efoyer%2etest';

test('a member removed with their data loses every Prosody file of theirs; others keep theirs', async () => {
  // ann's name begins anna's; jo.ann-b's is written jo%2eann%2db in file names.
  const ANN = { username: 'ann', password: 'ann-chat-password' };
  const ANNA = { username: 'anna', password: 'anna-chat-password' };
  const JO = { username: 'jo.ann-b', password: 'jo-chat-password' };
  const people = [ANN, ANNA, JO];
  for (const who of people) {
    await ok('POST', '/api/members', {
      name: who.username,
      email: `${who.username}@example.test`,
      password: who.password,
      groups: ['family'],
    });
  }
  // Each in turn, without sending presence (the others stay offline): a contact for each of
  // the others, a vCard, private XML, and a message to each of the others (kept offline for
  // them, and in the archives).
  for (const who of people) {
    await untilSignIn(who, who.password, true);
    const xmpp = await signIn(who.username, who.password);
    const others = people.filter((p) => p !== who);
    // A roster set carries one item (RFC 6121 2.3.3).
    for (const other of others) {
      await xmpp.iqCaller.request(
        xml(
          'iq',
          { type: 'set' },
          xml(
            'query',
            { xmlns: 'jabber:iq:roster' },
            xml('item', { jid: jidOf(other), name: other.username }),
          ),
        ),
      );
    }
    await xmpp.iqCaller.request(
      xml(
        'iq',
        { type: 'set' },
        xml('vCard', { xmlns: 'vcard-temp' }, xml('FN', {}, who.username)),
      ),
    );
    await xmpp.iqCaller.request(
      xml(
        'iq',
        { type: 'set' },
        xml(
          'query',
          { xmlns: 'jabber:iq:private' },
          xml('note', { xmlns: 'urn:foyer:test' }, `${who.username}'s note`),
        ),
      ),
    );
    for (const other of others) {
      await xmpp.send(
        xml('message', { to: jidOf(other), type: 'chat' }, xml('body', {}, `to ${other.username}`)),
      );
    }
    await ping(xmpp);
    await signOut(xmpp);
  }
  // A file of another host that bears ann's name: never touched.
  const OTHER_HOST = '/var/lib/prosody/other%2ehost/roster';
  await exec('mkdir', '-p', OTHER_HOST);
  await exec('touch', `${OTHER_HOST}/ann.dat`);

  const filesOf = (files: string[], encoded: string) =>
    files.filter((f) => f.endsWith(`/${encoded}.dat`) || f.endsWith(`/${encoded}.list`));
  const before = await domainFiles();
  for (const encoded of ['ann', 'anna', 'jo%2eann%2db']) {
    const own = filesOf(before, encoded);
    for (const store of ['roster', 'private', 'offline']) {
      assert.ok(
        own.some((f) => f.startsWith(`${store}/`)),
        `${encoded} has ${store}: ${before.join(' ')}`,
      );
    }
  }
  // Messages archived and the vCard kept in PEP: more stores than the three above.
  assert.ok(filesOf(before, 'ann').length > 3, filesOf(before, 'ann').join(' '));

  const started = Date.now();
  const removed = await runFoyer(foyer.dataDir, 'members', 'remove', ANN.username, '--delete-data');
  assert.equal(removed.code, 0, removed.stderr);
  console.log(
    `chat: removing ann with her data took ${Date.now() - started} ms (CLI to answer); deleted ${filesOf(before, 'ann').join(' ')}`,
  );
  assert.equal(
    removed.stdout,
    `Removed ann and deleted their data:\n  ${ID}: ${HOST_DIR}/*/ann.dat\n  ${ID}: ${HOST_DIR}/*/ann.list\n`,
  );
  const afterAnn = await domainFiles();
  assert.deepEqual(filesOf(afterAnn, 'ann'), [], 'nothing of ann is left');
  assert.deepEqual(
    afterAnn,
    before.filter((f) => !filesOf(before, 'ann').includes(f)),
    'every other file stays',
  );
  assert.equal((await exec('ls', OTHER_HOST)).trim(), 'ann.dat', "another host's file stays");
  // No deleting container is left behind.
  const deleters = await engine.docker(['ps', '-aq', '--filter', 'label=foyer.member-data']);
  assert.equal(deleters.stdout.trim(), '');

  // A name with "." and "-": its encoded files go, anna's stay.
  const removedJo = await runFoyer(
    foyer.dataDir,
    'members',
    'remove',
    JO.username,
    '--delete-data',
  );
  assert.equal(removedJo.code, 0, removedJo.stderr);
  assert.match(removedJo.stdout, new RegExp(escapeRegExp(`${HOST_DIR}/*/jo%2eann%2db.dat`)));
  const afterJo = await domainFiles();
  assert.deepEqual(filesOf(afterJo, 'jo%2eann%2db'), []);
  assert.deepEqual(
    afterJo,
    afterAnn.filter((f) => !filesOf(afterAnn, 'jo%2eann%2db').includes(f)),
  );
  assert.deepEqual(filesOf(afterJo, 'anna'), filesOf(before, 'anna'));

  // anna still has her contacts and the messages left for her.
  const anna = await signIn(ANNA.username, ANNA.password);
  assert.deepEqual((await roster(anna)).sort(), [jidOf(ANN), jidOf(JO)]);
  const annaInbox = inbox(anna);
  await anna.send(xml('presence'));
  await annaInbox.waitFor('ann’s message', bodyIs('to anna'));
  await signOut(anna);
  // The removed member is refused.
  await assertRefused(ANN.username, ANN.password);
});

test('an uninstall with purge removes the data volume', async () => {
  await foyer.uninstall(ID, { purge: true });
  assert.deepEqual(await foyer.volumes(ID), []);
  const named = await engine.docker(['volume', 'ls', '-q', '--filter', `name=^${ID}_data$`]);
  assert.equal(named.stdout.trim(), '');
});

test('bad settings are refused with path-qualified problems and nothing is made', async () => {
  const id = 'chat-bad';
  const res = await foyer.api('POST', '/api/installs', {
    app: 'chat',
    id,
    settings: {
      DOMAIN: 'not a domain',
      ADMIN_USER: 'alice',
      C2S_PORT: 0,
    },
    acceptPermissions: [],
  });
  assert.equal(res.status, 400, JSON.stringify(res.body));
  assert.equal(res.body.code, 'FOYER_INVALID_SETTINGS');
  const problems = res.body.problems as { path: string; message: string }[];
  const byPath = new Map(problems.map((p) => [p.path, p.message]));
  assert.match(byPath.get('settings.DOMAIN') ?? '', /domain name/);
  // The first account's settings are gone: accounts are the directory's.
  assert.match(byPath.get('settings.ADMIN_USER') ?? '', /not a setting/);
  assert.match(byPath.get('settings.C2S_PORT') ?? '', /at least 1/);
  assert.equal(problems.length, 3, JSON.stringify(problems));

  const missing = await foyer.api('POST', '/api/installs', {
    app: 'chat',
    id,
    settings: {},
    acceptPermissions: [],
  });
  assert.equal(missing.status, 400, JSON.stringify(missing.body));
  assert.deepEqual(
    (missing.body.problems as { path: string }[]).map((p) => p.path),
    ['settings.DOMAIN'],
  );

  assert.equal((await foyer.api('GET', `/api/installs/${id}`)).status, 404);
  const installs = (await foyer.api('GET', '/api/installs')).body as { id: string }[];
  assert.deepEqual(
    installs.map((i) => i.id).filter((i) => i !== 'directory'),
    [],
  );
  const containers = await engine.docker(['ps', '-aq', '--filter', `label=foyer.install=${id}`]);
  assert.equal(containers.stdout.trim(), '');
  assert.deepEqual(await foyer.volumes(id), []);
});
