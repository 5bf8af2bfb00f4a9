/**
 * The edge's Caddy config, pure (issue 13): golden JSON for home and public mode (with the
 * auth gate and a private ACME CA), and the invariants a golden file could hide: the trust
 * store is never touched, every route has an `@id`, the sites' order does not matter.
 * `UPDATE_GOLDEN=1` rewrites the fixtures under test/fixtures/edge/.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { certificateErrors } from '../../server/edge/caddy-log.js';
import { type EdgeConfigInput, edgeConfig, edgeNames } from '../../server/edge/config.js';
import { certificateFiles, issuerKey } from '../../server/edge/paths.js';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), '../fixtures/edge');

interface Shape {
  http: { servers: { foyer: { routes: Array<Record<string, unknown>> } } };
  tls: { automation: { policies: Array<{ issuers: unknown[] }> } };
}

function golden(name: string, value: unknown): void {
  const path = join(fixtures, name);
  const text = `${JSON.stringify(value, null, 2)}\n`;
  if (process.env.UPDATE_GOLDEN) writeFileSync(path, text);
  assert.equal(text, readFileSync(path, 'utf8'), `${name} differs (UPDATE_GOLDEN=1 rewrites it)`);
}

const sites = [
  { install: 'web', upstream: 'web-web-1:8080' },
  { install: 'calendar', upstream: 'calendar-radicale-1:5232' },
];

const home: EdgeConfigInput = {
  settings: { mode: 'internal', domain: 'home.example' },
  sites,
  httpPort: 80,
  httpsPort: 443,
};

const publicMode: EdgeConfigInput = {
  settings: {
    mode: 'public',
    domain: 'box.example.org',
    email: 'admin@example.org',
    acme: 'https://127.0.0.1:14100/dir',
    acmeRoot: '-----BEGIN CERTIFICATE-----\n...\n-----END CERTIFICATE-----\n',
  },
  sites: [...sites, { install: 'tools', upstream: 'tools-app-1:3000', auth: true }],
  httpPort: 8080,
  httpsPort: 8443,
};

test('home mode: the internal issuer for the domain and each install, no HSTS', () => {
  golden('home.json', edgeConfig(home));
});

test('public mode: ACME with a private root, HSTS, the auth gate before the app', () => {
  golden('public.json', edgeConfig(publicMode));
});

test('the home CA never writes into the host trust store, in either mode', () => {
  for (const input of [home, publicMode]) {
    const apps = edgeConfig(input).apps as { pki: unknown };
    assert.deepEqual(apps.pki, { certificate_authorities: { local: { install_trust: false } } });
  }
});

test('every route has an @id; the order of the sites changes nothing', () => {
  const config = edgeConfig(home);
  const routes = (config.apps as Shape).http.servers.foyer.routes;
  assert.deepEqual(
    routes.map((r) => r['@id']),
    ['foyer-ui', 'site-calendar', 'site-web'],
  );
  assert.deepEqual(edgeConfig({ ...home, sites: [...sites].reverse() }), config);
  assert.deepEqual(edgeNames(home), ['home.example', 'calendar.home.example', 'web.home.example']);
});

test("public mode without a directory uses Let's Encrypt; the admin listens on a unix socket", () => {
  const config = edgeConfig({ ...publicMode, settings: { mode: 'public', domain: 'a.example' } });
  const issuer = (config.apps as Shape).tls.automation.policies[0]!.issuers[0];
  assert.deepEqual(issuer, {
    module: 'acme',
    ca: 'https://acme-v02.api.letsencrypt.org/directory',
  });
  assert.match((config.admin as { listen: string }).listen, /^unix\//);
});

test('issuer keys and certificate paths as Caddy 2.6 stores them', () => {
  assert.equal(issuerKey(undefined), 'local');
  assert.equal(issuerKey('https://127.0.0.1:14100/dir'), '127.0.0.1-14100-dir');
  assert.equal(
    issuerKey('https://acme-v02.api.letsencrypt.org/directory'),
    'acme-v02.api.letsencrypt.org-directory',
  );
  assert.deepEqual(certificateFiles('/s', 'local', 'web.home.example'), {
    crt: '/s/certificates/local/web.home.example/web.home.example.crt',
    key: '/s/certificates/local/web.home.example/web.home.example.key',
    json: '/s/certificates/local/web.home.example/web.home.example.json',
  });
});

test("per-name certificate errors come from Caddy's log, cleared by a later success", () => {
  const lines = [
    'not json',
    '{"level":"info","logger":"tls.obtain","msg":"acquiring lock","identifier":"a.example"}',
    '{"level":"error","logger":"tls.obtain","msg":"could not get certificate from issuer","identifier":"a.example","issuer":"acme","error":"HTTP 400 urn:ietf:params:acme:error:connection - no route"}',
    '{"level":"error","logger":"tls.obtain","msg":"could not get certificate from issuer","identifier":"b.example","error":"rate limited"}',
    '{"level":"info","logger":"tls.obtain","msg":"certificate obtained successfully","identifier":"b.example"}',
  ];
  assert.deepEqual(
    [...certificateErrors(lines)],
    [
      [
        'a.example',
        'could not get certificate from issuer: HTTP 400 urn:ietf:params:acme:error:connection - no route',
      ],
    ],
  );
});
