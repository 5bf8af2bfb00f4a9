/**
 * The calendar app (catalog/calendar: Radicale built from Debian's package) on a real engine,
 * driven through the daemon's API as a person would. Its accounts are Foyer's members
 * (app.yaml `accounts: directory`, issue 14): alice and bob, whose group may use the install,
 * and carol, whose group may not. A CalDAV client signed in as alice creates a calendar and
 * an event and reads it back; bob gets 403 on alice's calendar; carol is refused; a new
 * password and a disabled member take effect within 10 s; the event outlives a daemon
 * restart, a container restart and an uninstall without purge; a removed member's calendars
 * are kept unless the admin asks to delete them, which deletes only theirs, even with the app
 * stopped; a deletion that cannot run (the app's container gone) waits in the store across a
 * daemon restart, keeps the name from a new member, and is done once the app is started again;
 * a purge removes the data, and a place still to delete with it; bad settings are refused
 * with path-qualified problems and create nothing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type DAVCalendar, DAVClient } from 'tsdav';
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

const APP = 'calendar';
const USER = 'alice';
// Characters a shell, Compose interpolation, HTTP Basic or an LDAP filter could trip over.
const PASSWORD = 'pa$$ "word" \\ \'x\' :${PORT} #1 (*)';
const NEW_PASSWORD = 'a longer passphrase for the second half';
const BOB = { name: 'bob', password: 'bob has his own password' };
const CAROL = { name: 'carol', password: 'carol is only a neighbour' };
const DAVE = { name: 'dave', password: 'dave keeps his calendars' };
// Disabled members and changed passwords must be refused within this.
const WITHIN_MS = 10_000;
const EVENT_UID = 'foyer-calendar-test-1@foyer.test';
const EVENT_SUMMARY = 'Picnic by the river';
const EVENT = [
  'BEGIN:VCALENDAR',
  'VERSION:2.0',
  'PRODID:-//Foyer//calendar test//EN',
  'BEGIN:VEVENT',
  `UID:${EVENT_UID}`,
  'DTSTAMP:20240601T090000Z',
  'DTSTART:20240615T120000Z',
  'DTEND:20240615T150000Z',
  `SUMMARY:${EVENT_SUMMARY}`,
  'END:VEVENT',
  'END:VCALENDAR',
  '',
].join('\r\n');

let foyer: AppDaemon;
let port: number;
/** Alice's password now; a change in Foyer changes it. */
let password = PASSWORD;

/** The ids of the install's containers, running or not, on this Foyer's engine objects. */
async function containers(install: string): Promise<string[]> {
  const { stdout } = await engine.docker([
    ...['ps', '-aq', '--filter', `label=foyer.install=${install}`],
    ...['--filter', `label=foyer.instance=${instanceId(foyer.dataDir)}`],
  ]);
  return stdout.split('\n').filter(Boolean);
}

/** The ids of the containers named exactly `name` (in `status`, or any). */
async function containerIds(name: string, status?: string): Promise<string> {
  const { stdout } = await engine.docker([
    ...['ps', '-aq', '--filter', `name=^${name}$`],
    ...(status ? ['--filter', `status=${status}`] : []),
  ]);
  return stdout.trim();
}

interface PendingPlace {
  member: string;
  path: string;
  attempts: number;
  lastError: string | null;
}

/** Removed members' places still to delete (GET /api/members/pending-data). */
async function pending(): Promise<PendingPlace[]> {
  return (await foyer.api<{ pending: PendingPlace[] }>('GET', '/api/members/pending-data')).body
    .pending;
}

const baseUrl = () => `http://127.0.0.1:${port}/`;

/** A CalDAV client signed in (as alice by default). */
async function signIn(as = password, user = USER): Promise<DAVClient> {
  const client = new DAVClient({
    serverUrl: baseUrl(),
    credentials: { username: user, password: as },
    authMethod: 'Basic',
    defaultAccountType: 'caldav',
  });
  await client.login();
  return client;
}

/** The calendar the test made, found again through discovery as a client would. */
async function family(client: DAVClient): Promise<DAVCalendar> {
  const calendars = await client.fetchCalendars();
  const calendar = calendars.find((c) => c.url.endsWith(`/${USER}/family/`));
  assert.ok(calendar, `no family calendar among ${calendars.map((c) => c.url).join(', ')}`);
  return calendar;
}

/** Reads the test's event back over CalDAV and checks what it says. */
async function assertEventThere(): Promise<void> {
  const client = await signIn();
  const objects = await client.fetchCalendarObjects({ calendar: await family(client) });
  assert.equal(objects.length, 1, `objects: ${JSON.stringify(objects)}`);
  const data = String(objects[0]?.data);
  assert.match(data, new RegExp(`^UID:${EVENT_UID}\r?$`, 'm'));
  assert.match(data, new RegExp(`^SUMMARY:${EVENT_SUMMARY}\r?$`, 'm'));
}

function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

/** The status of a PROPFIND on `path` as `user`. */
async function propfind(path: string, user: string, password: string): Promise<number> {
  const res = await fetch(`${baseUrl()}${path}`, {
    method: 'PROPFIND',
    headers: { authorization: basic(user, password), depth: '0' },
  });
  await res.arrayBuffer();
  return res.status;
}

/** When (ms after the call) the first attempt giving `status` began; within WITHIN_MS. */
async function untilStatus(user: string, password: string, status: number): Promise<number> {
  const start = Date.now();
  for (;;) {
    const began = Date.now() - start;
    assert.ok(began <= WITHIN_MS, `${user} not answered ${status} in time`);
    if ((await propfind(`${user}/`, user, password)) === status) return began;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The members with a folder of calendars and address books in the volume, by name. */
async function collectionOwners(): Promise<string[]> {
  const { stdout } = await engine.docker([
    ...['exec', `${APP}-radicale-1`, 'ls', '-A', '/var/lib/radicale/collections/collection-root'],
  ]);
  return stdout
    .split('\n')
    .filter((name) => name && !name.startsWith('.'))
    .sort();
}

async function ok(method: string, url: string, body?: unknown): Promise<void> {
  const res = await foyer.api(method, url, body);
  assert.ok(res.status >= 200 && res.status < 300, `${method} ${url}: ${JSON.stringify(res.body)}`);
}

describe('calendar app', () => {
  before(async () => {
    foyer = await startAppDaemon(engine);
    port = await freePort();
    // Alice and bob are in the family, which will use the calendar; carol is a neighbour.
    await ok('POST', '/api/groups', { name: 'family' });
    await ok('POST', '/api/groups', { name: 'neighbours' });
    for (const [name, secret, group] of [
      [USER, PASSWORD, 'family'],
      [BOB.name, BOB.password, 'family'],
      [CAROL.name, CAROL.password, 'neighbours'],
    ] as const) {
      await ok('POST', '/api/members', {
        name,
        email: `${name}@example.test`,
        password: secret,
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

  // First, so that what it asserts (nothing created) does not depend on the other tests.
  test('bad settings are refused with path-qualified problems and create nothing', async () => {
    const good = { PORT: port };
    const cases: [Record<string, unknown>, string, RegExp][] = [
      // The first account's settings are gone: accounts are the directory's.
      [{ ...good, USERNAME: USER }, 'settings.USERNAME', /not a setting/],
      [{ ...good, PASSWORD }, 'settings.PASSWORD', /not a setting/],
      [{ ...good, PORT: 80 }, 'settings.PORT', /at least 1024/],
      [{ ...good, PORT: 65536 }, 'settings.PORT', /at most 65535/],
      [{ ...good, PORT: 'http' }, 'settings.PORT', /must be a number/],
    ];
    for (const [settings, path, message] of cases) {
      await assertSettingRefused(foyer, APP, settings, path, message);
    }

    assert.equal((await foyer.api('GET', `/api/installs/${APP}`)).status, 404);
    const installs = (await foyer.api('GET', '/api/installs')).body as { id: string }[];
    assert.deepEqual(
      installs.map((i) => i.id).filter((id) => id !== 'directory'),
      [],
    );
    assert.deepEqual(await containers(APP), []);
    assert.deepEqual(await foyer.volumes(APP), []);
  });

  test('installs with a port: running and healthy, as non-root, on the directory', async () => {
    // The directory's slapd is built and started with the first member (minutes when cold).
    const install = await foyer.install(APP, { PORT: port }, { ms: 900_000 });
    await ok('PUT', `/api/installs/${APP}/access/family`);
    assert.equal(install.id, APP);
    assert.equal(install.status.state, 'running');
    assert.deepEqual(
      install.status.services.map((s: { state: string; health?: string }) => [s.state, s.health]),
      [['running', 'healthy']],
    );
    assert.deepEqual(install.settings, { PORT: String(port) });

    const [container] = await containers(APP);
    assert.ok(container, 'no container for the install');
    const uid = await engine.docker(['exec', container, 'id', '-u']);
    assert.equal(uid.stdout.trim(), '5232');
    const environ = await engine.docker(['exec', container, 'cat', '/proc/1/environ']);
    for (const secret of [PASSWORD, BOB.password, CAROL.password]) {
      assert.ok(!environ.stdout.includes(secret), 'a member password reached Radicale');
    }
    const nets = await engine.docker([
      'inspect',
      '--format',
      '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}',
      container,
    ]);
    assert.deepEqual(nets.stdout.trim().split(' ').sort(), [`${APP}_default`, 'directory_ldap']);
    assert.deepEqual(await foyer.volumes(APP), [`${APP}_collections`]);
  });

  test('CalDAV: alice makes a calendar, PUTs an event and reads it back; a wrong password gets 401', async () => {
    await eventually(
      'alice signs in',
      async () => (await propfind(`${USER}/`, USER, password)) === 207,
    );
    const client = await signIn();
    const home = client.account?.homeUrl;
    assert.equal(home, `${baseUrl()}${USER}/`);
    const made = await client.makeCalendar({
      url: `${home}family/`,
      props: { displayname: 'Family' },
    });
    assert.equal(made[0]?.status, 201, JSON.stringify(made));
    const put = await client.createCalendarObject({
      calendar: await family(client),
      filename: 'picnic.ics',
      iCalString: EVENT,
    });
    assert.equal(put.status, 201);
    await assertEventThere();

    const event = `${home}family/picnic.ics`;
    const wrong = await fetch(event, { headers: { authorization: basic(USER, `${password}x`) } });
    assert.equal(wrong.status, 401);
    const nobody = await fetch(event);
    assert.equal(nobody.status, 401);
    await assert.rejects(signIn('not the password at all'), /401/);
  });

  test("bob signs in but cannot read alice's calendar; carol is refused", async () => {
    assert.equal(await propfind(`${BOB.name}/`, BOB.name, BOB.password), 207);
    for (const path of [`${USER}/`, `${USER}/family/`, `${USER}/family/picnic.ics`]) {
      assert.equal(await propfind(path, BOB.name, BOB.password), 403, path);
      const get = await fetch(`${baseUrl()}${path}`, {
        headers: { authorization: basic(BOB.name, BOB.password) },
      });
      await get.arrayBuffer();
      assert.ok([403, 404].includes(get.status), `GET ${path}: ${get.status}`);
    }
    // Alice's password does not make bob alice, nor alice bob.
    assert.equal(await propfind(`${BOB.name}/`, BOB.name, password), 401);
    // Carol is a member with a working password, but her group may not use the calendar.
    assert.equal(await propfind(`${CAROL.name}/`, CAROL.name, CAROL.password), 401);
  });

  test('the event outlives a daemon restart and a container restart', async () => {
    await foyer.restart();
    await foyer.waitRunning(APP);
    await assertEventThere();
    await foyer.restartContainers(APP);
    await assertEventThere();
  });

  test('a new password in Foyer works and the old one is refused, within 10 s', async () => {
    await ok('PUT', `/api/members/${USER}/password`, { password: NEW_PASSWORD });
    const refused = await untilStatus(USER, PASSWORD, 401);
    const accepted = await untilStatus(USER, NEW_PASSWORD, 207);
    console.log(
      `calendar: old password refused by a request begun ${refused} ms after the change, new one accepted ${accepted} ms later`,
    );
    password = NEW_PASSWORD;
    await assertEventThere();
    await assert.rejects(signIn(PASSWORD), /401/);
  });

  test('a disabled member is refused within 10 s; enabled again, let in', async () => {
    await ok('POST', `/api/members/${USER}/disable`);
    const refused = await untilStatus(USER, password, 401);
    console.log(
      `calendar: disabled member refused by a request begun ${refused} ms after disabling`,
    );
    assert.equal(await propfind(`${BOB.name}/`, BOB.name, BOB.password), 207, 'bob is untouched');
    await ok('POST', `/api/members/${USER}/enable`);
    await untilStatus(USER, password, 207);
  });

  test("a removed member's calendars are kept by default and deleted when asked, only theirs", async () => {
    await ok('POST', '/api/members', {
      name: DAVE.name,
      email: `${DAVE.name}@example.test`,
      password: DAVE.password,
      groups: ['family'],
    });
    await untilStatus(DAVE.name, DAVE.password, 207);
    for (const who of [BOB, DAVE]) {
      const client = await signIn(who.password, who.name);
      const made = await client.makeCalendar({
        url: `${client.account?.homeUrl}work/`,
        props: { displayname: 'Work' },
      });
      assert.equal(made[0]?.status, 201, `${who.name}: ${JSON.stringify(made)}`);
    }
    assert.deepEqual(await collectionOwners(), [USER, BOB.name, DAVE.name]);

    // Kept (the default): dave is refused, his calendars stay.
    const kept = await foyer.api('DELETE', `/api/members/${DAVE.name}`);
    assert.equal(kept.status, 200, JSON.stringify(kept.body));
    assert.deepEqual(kept.body, { name: DAVE.name, data: 'keep', deleted: [], failed: [] });
    await untilStatus(DAVE.name, DAVE.password, 401);
    assert.deepEqual(await collectionOwners(), [USER, BOB.name, DAVE.name]);

    // Deleted, with the app stopped: the helper uses the app's image and leaves nothing behind.
    await ok('POST', `/api/installs/${APP}/stop`);
    await eventually(
      'the calendar stopped',
      async () => {
        const { stdout } = await engine.docker([
          'ps',
          '-q',
          '--filter',
          `name=^${APP}-radicale-1$`,
        ]);
        return stdout.trim() === '';
      },
      60_000,
    );
    const removed = await foyer.api('DELETE', `/api/members/${BOB.name}?data=delete`);
    assert.equal(removed.status, 200, JSON.stringify(removed.body));
    assert.deepEqual(removed.body, {
      name: BOB.name,
      data: 'delete',
      deleted: [{ install: APP, volume: 'collections', path: `collection-root/${BOB.name}` }],
      failed: [],
    });
    const helpers = await engine.docker(['ps', '-aq', '--filter', 'label=foyer.member-data']);
    assert.equal(helpers.stdout.trim(), '', 'no deleting container left');
    assert.deepEqual(await foyer.volumes(APP), [`${APP}_collections`]);
    const audit = await foyer.api<{ action: string; target: string; detail: unknown }[]>(
      'GET',
      '/api/audit?limit=20',
    );
    const line = audit.body.find((e) => e.action === 'member.removed' && e.target === BOB.name);
    assert.deepEqual(line?.detail, {
      data: 'deleted',
      deleted: [`${APP}:collection-root/${BOB.name}`],
      failed: [],
    });

    await ok('POST', `/api/installs/${APP}/start`);
    await foyer.waitRunning(APP);
    assert.deepEqual(await collectionOwners(), [USER, DAVE.name]);
    assert.equal(await propfind(`${BOB.name}/`, BOB.name, BOB.password), 401);
    await untilStatus(USER, password, 207);
    await assertEventThere();
  });

  test('a deletion that cannot run waits in the store, keeps the name taken, and is done once the app is back, across a restart', async () => {
    const ERIN = { name: 'erin', password: 'erin plans the picnic' };
    const member = (secret: string) => ({
      name: ERIN.name,
      email: `${ERIN.name}@example.test`,
      password: secret,
      groups: ['family'],
    });
    await ok('POST', '/api/members', member(ERIN.password));
    await untilStatus(ERIN.name, ERIN.password, 207);
    const client = await signIn(ERIN.password, ERIN.name);
    const made = await client.makeCalendar({
      url: `${client.account?.homeUrl}work/`,
      props: { displayname: 'Work' },
    });
    assert.equal(made[0]?.status, 201, JSON.stringify(made));
    assert.deepEqual(await collectionOwners(), [USER, DAVE.name, ERIN.name]);

    // The app stopped and its container removed: the deletion has no image to run.
    await ok('POST', `/api/installs/${APP}/stop`);
    await eventually(
      'the calendar stopped',
      async () => (await containerIds(`${APP}-radicale-1`, 'running')) === '',
      60_000,
    );
    await engine.docker(['rm', '-f', `${APP}-radicale-1`]);
    const removed = await foyer.api<{
      deleted: unknown[];
      failed: { install: string; volume: string; path: string; error: string }[];
    }>('DELETE', `/api/members/${ERIN.name}?data=delete`);
    assert.equal(removed.status, 200, JSON.stringify(removed.body));
    assert.deepEqual(removed.body.deleted, []);
    const place = { install: APP, volume: 'collections', path: `collection-root/${ERIN.name}` };
    assert.deepEqual({ ...removed.body.failed[0], error: '' }, { ...place, error: '' });
    assert.match(removed.body.failed[0]?.error ?? '', /does not exist/);
    const [waiting] = await pending();
    assert.equal(waiting?.member, ERIN.name);
    assert.equal(waiting?.path, place.path);
    // Tried once by the removal, maybe again since (the container's removal is a status change).
    assert.ok((waiting?.attempts ?? 0) >= 1, JSON.stringify(waiting));
    assert.match(waiting?.lastError ?? '', /does not exist/);

    // The name is not free: a new erin would inherit the old one's calendars, or lose hers later.
    const refused = await foyer.api<{ message: string }>(
      'POST',
      '/api/members',
      member('a new erin, a new password'),
    );
    assert.equal(refused.status, 409, JSON.stringify(refused.body));
    assert.match(refused.body.message, /former member "erin"'s data is still being deleted/);
    assert.match(refused.body.message, /does not exist/);
    const names = await foyer.api<{ members: { name: string }[] }>('GET', '/api/members');
    assert.ok(!names.body.members.some((m) => m.name === ERIN.name));

    // Asked to retry while the container is still gone: counted, audited, still pending.
    const retried = await foyer.api<{ pending: PendingPlace[] }>(
      'POST',
      '/api/members/pending-data/retry',
    );
    assert.equal(retried.status, 200, JSON.stringify(retried.body));
    const tries = (await pending())[0]?.attempts ?? 0;
    assert.ok(tries > (waiting?.attempts ?? 0), `${tries} tries`);
    assert.equal(retried.body.pending[0]?.attempts, tries);
    const audit = async () =>
      (
        await foyer.api<{ action: string; actor: string; target: string; detail: unknown }[]>(
          'GET',
          '/api/audit?limit=20',
        )
      ).body.filter((e) => e.target === ERIN.name);
    assert.equal((await audit())[0]?.action, 'member.data-retry-failed');

    // The daemon restarts: the place is still there, and still tried.
    await foyer.restart();
    assert.equal((await pending()).length, 1);

    // The app is started again: the daemon deletes the place by itself, with no one asking.
    await ok('POST', `/api/installs/${APP}/start`);
    await foyer.waitRunning(APP);
    await eventually("erin's data deleted", async () => (await pending()).length === 0, 60_000);
    assert.deepEqual(await collectionOwners(), [USER, DAVE.name]);
    const line = (await audit())[0];
    assert.equal(line?.action, 'member.data-deleted');
    assert.deepEqual(line?.detail, { deleted: [`${APP}:${place.path}`], dropped: [], failed: [] });
    const helpers = await engine.docker(['ps', '-aq', '--filter', 'label=foyer.member-data']);
    assert.equal(helpers.stdout.trim(), '', 'no deleting container left');

    // The name is free now, and the new erin starts with no calendar.
    await ok('POST', '/api/members', member('a new erin, a new password'));
    await untilStatus(ERIN.name, 'a new erin, a new password', 207);
    const fresh = await signIn('a new erin, a new password', ERIN.name);
    const calendars = await fresh.fetchCalendars();
    assert.deepEqual(
      calendars.map((c) => c.url).filter((url) => url.endsWith('/work/')),
      [],
    );
    await ok('DELETE', `/api/members/${ERIN.name}?data=delete`);
    assert.deepEqual(await pending(), []);
    await assertEventThere();
  });

  test('an uninstall keeps the data for a reinstall; a purge removes it, pending places too', async () => {
    await foyer.uninstall(APP);
    assert.deepEqual(await containers(APP), []);
    assert.deepEqual(await foyer.volumes(APP), [`${APP}_collections`]);

    await foyer.install(APP, { PORT: port });
    // The access went with the install.
    await ok('PUT', `/api/installs/${APP}/access/family`);
    await untilStatus(USER, password, 207);
    await assertEventThere();

    // A place still to delete when the install is purged goes with its volume.
    const FAY = { name: 'fay', password: 'fay leaves before the purge' };
    await ok('POST', '/api/members', {
      name: FAY.name,
      email: `${FAY.name}@example.test`,
      password: FAY.password,
      groups: ['family'],
    });
    await ok('POST', `/api/installs/${APP}/stop`);
    await eventually(
      'the calendar stopped',
      async () => (await containerIds(`${APP}-radicale-1`, 'running')) === '',
      60_000,
    );
    await engine.docker(['rm', '-f', `${APP}-radicale-1`]);
    const removed = await foyer.api<{ failed: unknown[] }>(
      'DELETE',
      `/api/members/${FAY.name}?data=delete`,
    );
    assert.equal(removed.body.failed.length, 1, JSON.stringify(removed.body));
    assert.deepEqual(
      (await pending()).map((p) => p.member),
      [FAY.name],
    );

    await foyer.uninstall(APP, { purge: true });
    assert.deepEqual(await containers(APP), []);
    assert.deepEqual(await foyer.volumes(APP), []);
    await eventually(
      'the purge took the pending place',
      async () => (await pending()).length === 0,
      30_000,
    );
    await ok('POST', '/api/members', {
      name: FAY.name,
      email: `${FAY.name}@example.test`,
      password: FAY.password,
    });
  });
});
