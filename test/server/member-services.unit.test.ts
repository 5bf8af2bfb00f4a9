// A member's services (server/directory/services.ts): only the installs one of their groups may
// use, with the settings a mail, chat or calendar program asks for, from the install's settings.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  mailClientSettings,
  memberServices,
  type ServiceInstall,
} from '../../server/directory/services.js';

const installs: ServiceInstall[] = [
  {
    id: 'mail',
    appId: 'mail',
    settings: { DOMAIN: 'lune.example', MAIL_HOSTNAME: 'mx.lune.example' },
  },
  { id: 'chat', appId: 'chat', settings: { DOMAIN: 'lune.example', C2S_PORT: '15222' } },
  { id: 'agenda', appId: 'calendar', settings: { PORT: '5233' } },
  { id: 'notes', appId: 'web', settings: { GREETING: 'hi' } },
];
const access = new Map([
  ['mail', ['family']],
  ['chat', ['friends']],
  ['agenda', ['family', 'friends']],
  ['notes', ['family']],
]);

test('only the installs of the member’s groups, each with its client settings', () => {
  const services = memberServices('alice', ['family'], installs, access, { host: 'box.lan' });
  assert.deepEqual(
    services.map((s) => [s.install, s.kind]),
    [
      ['agenda', 'calendar'],
      ['mail', 'mail'],
      ['notes', 'other'],
    ],
  );
  const fields = (id: string) =>
    Object.fromEntries(services.find((s) => s.install === id)!.fields.map((f) => [f.key, f.value]));
  assert.deepEqual(fields('mail'), {
    address: 'alice@lune.example',
    username: 'alice',
    server: 'mx.lune.example',
    imaps: '993',
    imap: '143',
    submission: '587',
  });
  assert.deepEqual(fields('agenda'), { username: 'alice', caldav: 'http://box.lan:5233/alice/' });
  assert.equal(services.find((s) => s.install === 'agenda')!.scan, 'http://box.lan:5233/alice/');
  assert.equal(services.find((s) => s.install === 'mail')!.scan, undefined, 'no code for mail');
  assert.equal(services.find((s) => s.install === 'mail')!.autoconfig, undefined, 'no domain');
  assert.deepEqual(fields('notes'), {});
});

test('chat gives the XMPP address at the domain; an IPv6 host is bracketed in URLs', () => {
  const services = memberServices('bob', ['friends'], installs, access, { host: '::1' });
  assert.deepEqual(services.find((s) => s.install === 'chat')!.fields, [
    { key: 'xmpp', value: 'bob@lune.example' },
    { key: 'server', value: 'lune.example' },
    { key: 'xmppPort', value: '15222' },
  ]);
  assert.equal(services.find((s) => s.install === 'chat')!.scan, 'xmpp:bob@lune.example');
  assert.equal(
    services.find((s) => s.install === 'agenda')!.fields[1]!.value,
    'http://[::1]:5233/bob/',
  );
  assert.deepEqual(
    memberServices('carol', [], installs, access, { host: 'box.lan' }),
    [],
    'no group, none',
  );
});

test('with a domain: CalDAV over HTTPS at the edge, the domain as the box’s name', () => {
  const webUrls = new Map([['agenda', 'https://agenda.lune.example/']]);
  const services = memberServices(
    'alice',
    ['family'],
    [...installs, { id: 'talk', appId: 'chat', settings: {} }],
    new Map([...access, ['talk', ['family']]]),
    { host: 'lune.example', webUrls, autoconfig: true },
  );
  assert.equal(services.find((s) => s.install === 'mail')!.autoconfig, true);
  const agenda = services.find((s) => s.install === 'agenda')!;
  assert.deepEqual(agenda.fields, [
    { key: 'username', value: 'alice' },
    { key: 'caldav', value: 'https://agenda.lune.example/alice/' },
  ]);
  assert.equal(agenda.scan, 'https://agenda.lune.example/alice/');
  assert.equal(services.find((s) => s.install === 'talk')!.scan, 'xmpp:alice@lune.example');
});

test('mail client settings: MAIL_HOSTNAME, else mail.<DOMAIN>, else the host; ports as numbers', () => {
  assert.deepEqual(mailClientSettings({ DOMAIN: 'a.example', IMAPS_PORT: '10993' }, 'box'), {
    domain: 'a.example',
    server: 'mail.a.example',
    imaps: 10993,
    imap: 143,
    submission: 587,
  });
  assert.equal(
    mailClientSettings({ DOMAIN: 'a.example', MAIL_HOSTNAME: 'mx.b' }, 'box').server,
    'mx.b',
  );
  assert.deepEqual(mailClientSettings({}, 'box'), {
    server: 'box',
    imaps: 993,
    imap: 143,
    submission: 587,
  });
});
