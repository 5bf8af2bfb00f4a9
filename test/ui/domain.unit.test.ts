/**
 * The names screen's pure logic (ui/src/lib/domain.ts): the PUT body from the
 * form, the DNS records and router ports a person is told to set up, and a
 * CA's refusal sorted into what it most likely means.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  dnsRecords,
  domainSettings,
  forwardedPorts,
  issuerLabel,
  LETS_ENCRYPT,
  nameProblem,
  nameUrl,
  pageAddress,
} from '../../ui/src/lib/domain.ts';
import type { Install } from '../../ui/src/lib/types.ts';

const form = { mode: 'public' as const, domain: '', acme: '', acmeRoot: '', email: '' };

test('the body of PUT /api/domain: trimmed, lower case, empty fields and Let’s Encrypt left out', () => {
  assert.deepEqual(domainSettings({ ...form, domain: ' Home.Example.org ' }), {
    domain: 'home.example.org',
    mode: 'public',
  });
  assert.deepEqual(
    domainSettings({
      ...form,
      domain: 'home.example.org',
      acme: ' https://127.0.0.1:14000/dir ',
      acmeRoot: '-----BEGIN CERTIFICATE-----\n',
      email: ' me@example.org',
    }),
    {
      domain: 'home.example.org',
      mode: 'public',
      acme: 'https://127.0.0.1:14000/dir',
      acmeRoot: '-----BEGIN CERTIFICATE-----\n',
      email: 'me@example.org',
    },
  );
  assert.deepEqual(domainSettings({ ...form, domain: 'x.org', acme: LETS_ENCRYPT }), {
    domain: 'x.org',
    mode: 'public',
  });
  // Home mode sends nothing of the public CA, even what was typed before switching.
  assert.deepEqual(
    domainSettings({
      ...form,
      mode: 'internal',
      domain: 'home.lan',
      acme: 'https://x/',
      email: 'a@b',
    }),
    { domain: 'home.lan', mode: 'internal' },
  );
});

const installs: { id: string; app: string; settings: Record<string, string> }[] = [
  { id: 'calendar', app: 'calendar', settings: {} },
  { id: 'mail', app: 'mail', settings: { DOMAIN: 'home.example.org', MAILBOX: 'me' } },
];

test('DNS: Foyer’s name, a wildcard for every app, and MX to the mail host in public mode', () => {
  assert.deepEqual(dnsRecords('home.example.org', 'public', installs), [
    { type: 'A/AAAA', name: 'home.example.org', value: { address: true }, for: 'foyer' },
    { type: 'A/AAAA', name: '*.home.example.org', value: { address: true }, for: 'apps' },
    {
      type: 'MX',
      name: 'home.example.org',
      value: { name: 'mail.home.example.org', priority: 10 },
      for: 'mail',
    },
  ]);
  assert.deepEqual(
    dnsRecords('home.lan', 'internal', installs).map((r) => r.type),
    ['A/AAAA', 'A/AAAA'],
  );
  assert.equal(dnsRecords('home.example.org', 'public', [installs[0]!]).length, 2);
});

test('DNS: mail for another domain gets its MX there, and its host an address of its own', () => {
  const mail = { id: 'mail', app: 'mail', settings: { DOMAIN: 'example.org' } };
  assert.deepEqual(dnsRecords('home.example.org', 'public', [mail]).slice(2), [
    { type: 'A/AAAA', name: 'mail.example.org', value: { address: true }, for: 'mail' },
    {
      type: 'MX',
      name: 'example.org',
      value: { name: 'mail.example.org', priority: 10 },
      for: 'mail',
    },
  ]);
  const named = {
    ...mail,
    settings: { DOMAIN: 'example.org', MAIL_HOSTNAME: 'mx.home.example.org' },
  };
  assert.deepEqual(dnsRecords('home.example.org', 'public', [named]).slice(2), [
    {
      type: 'MX',
      name: 'example.org',
      value: { name: 'mx.home.example.org', priority: 10 },
      for: 'mail',
    },
  ]);
});

type Ported = Pick<Install, 'id' | 'app' | 'web' | 'status'>;
function ported(
  id: string,
  app: string,
  web: Install['web'],
  ports: { service: string; container: number; host: number; ip?: string; protocol?: string }[],
): Ported {
  const services = [...new Set(ports.map((p) => p.service))].map((name) => ({
    name,
    state: 'running',
    restarts: 0,
    healthRestarts: 0,
    ports: ports
      .filter((p) => p.service === name)
      .map((p) => ({
        container: p.container,
        host: p.host,
        ip: p.ip ?? '0.0.0.0',
        protocol: p.protocol ?? 'tcp',
      })),
  }));
  return { id, app, web, status: { state: 'running', services } };
}

test('ports: 80 and 443, then what installs publish besides their web entry, once each', () => {
  const list = [
    ported('mail', 'mail', null, [
      { service: 'postfix', container: 25, host: 25 },
      { service: 'postfix', container: 25, host: 25, ip: '::' },
      { service: 'postfix', container: 587, host: 587 },
      { service: 'dovecot', container: 993, host: 993 },
      { service: 'dovecot', container: 143, host: 1143, ip: '127.0.0.1' },
    ]),
    ported('calendar', 'calendar', { service: 'web', port: 5232 }, [
      { service: 'web', container: 5232, host: 8081 },
    ]),
    ported('chat', 'chat', { service: 'web', port: 5280 }, [
      { service: 'prosody', container: 5222, host: 5222 },
      { service: 'web', container: 5280, host: 8082 },
    ]),
  ];
  assert.deepEqual(
    forwardedPorts('public', list).map((p) => [p.port, p.use === 'web' ? 'web' : p.use.install]),
    [
      [80, 'web'],
      [443, 'web'],
      [5222, 'chat'],
      [25, 'mail'],
      [587, 'mail'],
      [993, 'mail'],
    ],
  );
  assert.deepEqual(forwardedPorts('internal', list), [], 'home mode forwards nothing');
  // An edge on other host ports: the router still takes 80 and 443, and sends them there.
  assert.deepEqual(forwardedPorts('public', [], { http: 8080, https: 8443 }), [
    { port: 80, to: 8080, protocol: 'tcp', use: 'web' },
    { port: 443, to: 8443, protocol: 'tcp', use: 'web' },
  ]);
});

test('a CA’s refusal, sorted into what a person can act on', () => {
  const cases: [string, ReturnType<typeof nameProblem>][] = [
    [
      'DNS problem: NXDOMAIN looking up A for calendar.home.example.org - check that a DNS record exists for this domain',
      'dns',
    ],
    ['no valid A records found for calendar.home.example.org; no valid AAAA records found', 'dns'],
    [
      'Connection refused: 203.0.113.5: Fetching http://calendar.home.example.org/.well-known/acme-challenge/x',
      'unreachable',
    ],
    ['Timeout during connect (likely firewall problem)', 'unreachable'],
    [
      'Invalid response from http://calendar.home.example.org/.well-known/acme-challenge/x: 404',
      'wrongBox',
    ],
    ['too many certificates already issued for "example.org". Retry after 2026-12-07', 'rateLimit'],
    ['urn:ietf:params:acme:error:rateLimited: Your account is rate limited', 'rateLimit'],
    ['CAA record for home.example.org prevents issuance', 'caa'],
    ['something unexpected', 'other'],
  ];
  for (const [message, expected] of cases) assert.equal(nameProblem(message), expected, message);
});

test('who signs: the box, Let’s Encrypt, or the ACME directory’s host, never a storage key', () => {
  assert.deepEqual(issuerLabel('local', null), { kind: 'local' });
  assert.deepEqual(issuerLabel('acme-v02.api.letsencrypt.org-directory', LETS_ENCRYPT), {
    kind: 'letsEncrypt',
  });
  assert.deepEqual(
    issuerLabel(
      'acme-staging-v02.api.letsencrypt.org-directory',
      'https://acme-staging-v02.api.letsencrypt.org/directory',
    ),
    { kind: 'letsEncryptStaging' },
  );
  assert.deepEqual(issuerLabel('127.0.0.1-14000-dir', 'https://127.0.0.1:14000/dir'), {
    kind: 'host',
    host: '127.0.0.1:14000',
  });
});

test('the box’s address from the page: an IP address, never loopback nor a name', () => {
  assert.equal(pageAddress('192.168.1.20'), '192.168.1.20');
  assert.equal(pageAddress('[fd00::2]'), 'fd00::2');
  assert.equal(pageAddress('127.0.0.1'), undefined);
  assert.equal(pageAddress('[::1]'), undefined);
  assert.equal(pageAddress('foyer.local'), undefined);
});

test('a name’s address carries the edge’s HTTPS port only when it is not 443', () => {
  assert.equal(nameUrl('home.lan'), 'https://home.lan/');
  assert.equal(nameUrl('home.lan', { https: 443 }), 'https://home.lan/');
  assert.equal(nameUrl('web.home.lan', { https: 8443 }), 'https://web.home.lan:8443/');
});
