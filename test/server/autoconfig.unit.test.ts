// Thunderbird's autoconfig file (server/directory/autoconfig.ts, issue 14): the mail install of
// the asked domain, its hostname and host ports in Mozilla's clientConfig 1.1, XML-escaped, and
// nothing for a domain no mail install serves.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  autoconfigFor,
  autoconfigXml,
  type MailInstall,
  mailDomains,
  requestedDomain,
  xmlEscape,
} from '../../server/directory/autoconfig.js';

const installs: MailInstall[] = [
  {
    id: 'mail',
    appId: 'mail',
    desired: 'running',
    settings: { DOMAIN: 'Lune.example', SUBMISSION_PORT: '10587' },
  },
  {
    id: 'mail2',
    appId: 'mail',
    desired: 'stopped',
    settings: { DOMAIN: 'soleil.example', MAIL_HOSTNAME: 'mx.soleil.example' },
  },
  { id: 'gone', appId: 'mail', desired: 'absent', settings: { DOMAIN: 'gone.example' } },
  { id: 'chat', appId: 'chat', desired: 'running', settings: { DOMAIN: 'chat.example' } },
];

test('the mail domains served: each mail install’s DOMAIN once, lower case, not one being removed', () => {
  assert.deepEqual(mailDomains(installs), ['lune.example', 'soleil.example']);
  assert.deepEqual(mailDomains([...installs, installs[0]!]), ['lune.example', 'soleil.example']);
});

test('the domain asked: the address’s when given, else the name without autoconfig.', () => {
  assert.equal(requestedDomain('autoconfig.lune.example', 'Alice@Lune.Example'), 'lune.example');
  assert.equal(requestedDomain('autoconfig.lune.example:8443', undefined), 'lune.example');
  assert.equal(requestedDomain('lune.example', ''), 'lune.example');
  assert.equal(requestedDomain('autoconfig.lune.example', 'no-at-sign'), 'lune.example');
});

test('config-v1.1.xml: IMAPS 993, IMAP STARTTLS 143, submission STARTTLS at the host port', () => {
  const mail = autoconfigFor('lune.example', installs);
  assert.ok(mail);
  assert.equal(
    autoconfigXml(mail),
    `<?xml version="1.0" encoding="UTF-8"?>
<clientConfig version="1.1">
  <emailProvider id="lune.example">
    <domain>lune.example</domain>
    <displayName>lune.example</displayName>
    <displayShortName>lune.example</displayShortName>
    <incomingServer type="imap">
      <hostname>mail.Lune.example</hostname>
      <port>993</port>
      <socketType>SSL</socketType>
      <username>%EMAILADDRESS%</username>
      <authentication>password-cleartext</authentication>
    </incomingServer>
    <incomingServer type="imap">
      <hostname>mail.Lune.example</hostname>
      <port>143</port>
      <socketType>STARTTLS</socketType>
      <username>%EMAILADDRESS%</username>
      <authentication>password-cleartext</authentication>
    </incomingServer>
    <outgoingServer type="smtp">
      <hostname>mail.Lune.example</hostname>
      <port>10587</port>
      <socketType>STARTTLS</socketType>
      <username>%EMAILADDRESS%</username>
      <authentication>password-cleartext</authentication>
    </outgoingServer>
  </emailProvider>
</clientConfig>
`,
  );
  assert.equal(autoconfigFor('soleil.example', installs)?.server, 'mx.soleil.example');
});

test('no file for a domain no mail install serves (removed, another app, unknown)', () => {
  for (const domain of ['gone.example', 'chat.example', 'other.example']) {
    assert.equal(autoconfigFor(domain, installs), undefined, domain);
  }
});

test('names and ports are XML-escaped', () => {
  assert.equal(xmlEscape(`a&b<c>"d'`), 'a&amp;b&lt;c&gt;&quot;d&apos;');
  const xml = autoconfigXml({
    domain: 'x"><evil/>',
    server: '<s>&',
    imaps: 993,
    imap: 143,
    submission: 587,
  });
  assert.ok(!xml.includes('<evil/>'));
  assert.match(xml, /<emailProvider id="x&quot;&gt;&lt;evil\/&gt;">/);
  assert.match(xml, /<hostname>&lt;s&gt;&amp;<\/hostname>/);
});
