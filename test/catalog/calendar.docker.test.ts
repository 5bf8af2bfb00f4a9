/**
 * The calendar app (catalog/calendar: Radicale built from Debian's package) on a real engine,
 * driven through the daemon's API as a person would: install with a user, a password and a
 * port; a CalDAV client creates a calendar and an event and reads it back; the event outlives
 * a daemon restart, a container restart, a new password and an uninstall without purge; a
 * purge removes the data; bad settings are refused with path-qualified problems and create
 * nothing.
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
import { useTestEngine } from '../support/index.js';

const engine = await useTestEngine();

const APP = 'calendar';
const USER = 'alice';
// Characters a shell, Compose interpolation or the htpasswd format could trip over.
const PASSWORD = 'pa$$ "word" \\ \'x\' :${PORT} #1';
const NEW_PASSWORD = 'a longer passphrase for the second half';
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
/** The install's password now; a reconfigure changes it. */
let password = PASSWORD;

/** The ids of the install's containers, running or not, on this Foyer's engine objects. */
async function containers(install: string): Promise<string[]> {
  const { stdout } = await engine.docker([
    ...['ps', '-aq', '--filter', `label=foyer.install=${install}`],
    ...['--filter', `label=foyer.instance=${instanceId(foyer.dataDir)}`],
  ]);
  return stdout.split('\n').filter(Boolean);
}

const baseUrl = () => `http://127.0.0.1:${port}/`;

/** A CalDAV client signed in as the install's first user. */
async function signIn(as = password): Promise<DAVClient> {
  const client = new DAVClient({
    serverUrl: baseUrl(),
    credentials: { username: USER, password: as },
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

describe('calendar app', () => {
  before(async () => {
    foyer = await startAppDaemon(engine);
    port = await freePort();
  });

  after(async () => {
    if (!foyer) return;
    // A failed test may leave the install behind; the engine may outlive this file.
    if ((await foyer.api('GET', `/api/installs/${APP}`)).status === 200) {
      await foyer.uninstall(APP, { purge: true }).catch(() => {});
    }
    await foyer.close();
  });

  // First, so that what it asserts (nothing created) does not depend on the other tests.
  test('bad settings are refused with path-qualified problems and create nothing', async () => {
    const good = { USERNAME: USER, PASSWORD, PORT: port };
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ ...good, PASSWORD: 'too short' }, 'settings.PASSWORD', /at least 12 characters/],
      [{ USERNAME: USER, PORT: port }, 'settings.PASSWORD', /is required/],
      [{ ...good, PASSWORD: 'password1234' }, 'settings.PASSWORD', /too easy to guess/],
      [{ ...good, PASSWORD: 'x'.repeat(73) }, 'settings.PASSWORD', /at most 72 characters/],
      [{ PASSWORD, PORT: port }, 'settings.USERNAME', /is required/],
      [{ ...good, USERNAME: 'Alice Smith' }, 'settings.USERNAME', /pattern/],
      [{ ...good, USERNAME: 'alice:admin' }, 'settings.USERNAME', /pattern/],
      [{ ...good, PORT: 80 }, 'settings.PORT', /at least 1024/],
      [{ ...good, PORT: 65536 }, 'settings.PORT', /at most 65535/],
      [{ ...good, PORT: 'http' }, 'settings.PORT', /must be a number/],
    ];
    for (const [settings, path, message] of cases) {
      await assertSettingRefused(foyer, APP, settings, path, message);
    }

    const all = await foyer.api('POST', '/api/installs', {
      app: APP,
      settings: { USERNAME: '-x', PASSWORD: 'short', PORT: 99999 },
    });
    assert.equal(all.status, 400);
    assert.deepEqual(all.body.problems.map((p: { path: string }) => p.path).sort(), [
      'settings.PASSWORD',
      'settings.PORT',
      'settings.USERNAME',
    ]);

    assert.equal((await foyer.api('GET', `/api/installs/${APP}`)).status, 404);
    assert.deepEqual((await foyer.api('GET', '/api/installs')).body, []);
    assert.deepEqual(await containers(APP), []);
    assert.deepEqual(await foyer.volumes(APP), []);
  });

  test('installs with a user, a password and a port: running and healthy, as non-root', async () => {
    const install = await foyer.install(APP, { USERNAME: USER, PASSWORD, PORT: port });
    assert.equal(install.id, APP);
    assert.equal(install.status.state, 'running');
    assert.deepEqual(
      install.status.services.map((s: { state: string; health?: string }) => [s.state, s.health]),
      [['running', 'healthy']],
    );
    assert.deepEqual(install.settings, { USERNAME: USER, PORT: String(port) });

    const [container] = await containers(APP);
    assert.ok(container, 'no container for the install');
    const uid = await engine.docker(['exec', container, 'id', '-u']);
    assert.equal(uid.stdout.trim(), '5232');
    // The entrypoint takes the password out of the environment before Radicale starts.
    const environ = await engine.docker(['exec', container, 'cat', '/proc/1/environ']);
    assert.ok(!environ.stdout.includes('CALENDAR_PASSWORD'), 'the password reached Radicale');
    assert.deepEqual(await foyer.volumes(APP), [`${APP}_collections`]);
  });

  test('CalDAV: makes a calendar, PUTs an event and reads it back; a wrong password gets 401', async () => {
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

  test('the event outlives a daemon restart and a container restart', async () => {
    await foyer.restart();
    await foyer.waitRunning(APP);
    await assertEventThere();
    await foyer.restartContainers(APP);
    await assertEventThere();
  });

  test('a new password from a reconfigure replaces the old one', async () => {
    const res = await foyer.api('PATCH', `/api/installs/${APP}`, {
      settings: { PASSWORD: NEW_PASSWORD },
    });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.equal(res.body.install.settings.PASSWORD, undefined);
    await foyer.waitJob(res.body.job.id);
    await foyer.waitRunning(APP);
    password = NEW_PASSWORD;
    await assertEventThere();
    await assert.rejects(signIn(PASSWORD), /401/);
  });

  test('an uninstall keeps the data for a reinstall; a purge removes it', async () => {
    await foyer.uninstall(APP);
    assert.deepEqual(await containers(APP), []);
    assert.deepEqual(await foyer.volumes(APP), [`${APP}_collections`]);

    await foyer.install(APP, { USERNAME: USER, PASSWORD: password, PORT: port });
    await assertEventThere();

    await foyer.uninstall(APP, { purge: true });
    assert.deepEqual(await containers(APP), []);
    assert.deepEqual(await foyer.volumes(APP), []);
  });
});
