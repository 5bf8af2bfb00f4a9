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
import { loadProject } from '../../compose/index.js';
import { attachToEdge, webUpstream } from '../../server/edge/attach.js';
import { certificateErrors } from '../../server/edge/caddy-log.js';
import {
  bootConfig,
  type EdgeConfigInput,
  edgeConfig,
  edgeNames,
  statusNames,
} from '../../server/edge/config.js';
import { acmeAccountDir, CONTAINER, certificateFiles, issuerKey } from '../../server/edge/paths.js';

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
  { install: 'calendar', upstream: 'calendar-radicale-1:5232', auth: 'members-basic' as const },
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

test("members-basic: the daemon checks the install's Basic credentials before the app", () => {
  const routes = (edgeConfig(home).apps as Shape).http.servers.foyer.routes;
  const calendar = routes.find((r) => r['@id'] === 'site-calendar') as {
    handle: [{ routes: [{ handle: Record<string, unknown>[] }] }];
  };
  const [strip, check, app] = calendar.handle[0].routes[0].handle;
  // A client's own Remote-User is gone before the check; the check's is copied after it.
  assert.deepEqual(strip, { handler: 'headers', request: { delete: ['Remote-User'] } });
  assert.deepEqual(check?.rewrite, { method: 'GET', uri: '/api/auth/basic/calendar' });
  assert.deepEqual(check?.upstreams, [{ dial: 'unix//run/foyer-edge/foyer.sock' }]);
  assert.deepEqual(app?.upstreams, [{ dial: 'calendar-radicale-1:5232' }]);
  const web = routes.find((r) => r['@id'] === 'site-web') as typeof calendar;
  assert.equal(web.handle[0].routes[0].handle.length, 2, 'no check for an app without auth');
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

test("a refused challenge shows the CA's words, not the ACME client's summary, with the retry", () => {
  // Caddy 2.6.2's lines for a name Pebble could not reach (trimmed), then a later attempt.
  const id = 'away.public.example';
  const lines = [
    `{"level":"info","logger":"tls.obtain","msg":"obtaining certificate","identifier":"${id}"}`,
    `{"level":"error","logger":"http.acme_client","msg":"challenge failed","identifier":"${id}","challenge_type":"http-01","error":"Get ...: dial tcp 127.0.0.2:41511: connect: connection refused"}`,
    `{"level":"error","logger":"http.acme_client","msg":"validating authorization","identifier":"${id}","error":"authorization failed: HTTP 400 urn:ietf:params:acme:error:connection - dial tcp 127.0.0.2:41511: connect: connection refused","attempt":1}`,
    `{"level":"error","logger":"http.acme_client","msg":"validating authorization","identifier":"${id}","error":"authorization failed: HTTP 403 urn:ietf:params:acme:error:unauthorized - Failed to connect to 127.0.0.2:36031 for the tls-alpn-01 challenge","attempt":2}`,
    `{"level":"error","logger":"tls.obtain","msg":"could not get certificate from issuer","identifier":"${id}","error":"[${id}] solving challenges: ${id}: no solvers available for remaining challenges"}`,
    `{"level":"error","logger":"tls.obtain","msg":"will retry","error":"[${id}] Obtain: [${id}] solving challenges: no solvers available","attempt":1,"retrying_in":60}`,
  ];
  const errors = certificateErrors(lines);
  assert.equal(
    errors.get(id),
    'could not get certificate from issuer: authorization failed: HTTP 400 ' +
      'urn:ietf:params:acme:error:connection - dial tcp 127.0.0.2:41511: connect: connection refused; ' +
      'authorization failed: HTTP 403 urn:ietf:params:acme:error:unauthorized - Failed to connect ' +
      'to 127.0.0.2:36031 for the tls-alpn-01 challenge (retrying in 60 s)',
  );
  // A new attempt forgets the old refusals: a rate limit is the CA's word itself.
  const later = [
    ...lines,
    `{"level":"info","logger":"tls.obtain","msg":"obtaining certificate","identifier":"${id}"}`,
    `{"level":"error","logger":"tls.obtain","msg":"could not get certificate from issuer","identifier":"${id}","error":"HTTP 429 urn:ietf:params:acme:error:rateLimited - too many"}`,
  ];
  assert.equal(
    certificateErrors(later).get(id),
    'could not get certificate from issuer: HTTP 429 urn:ietf:params:acme:error:rateLimited - too many',
  );
  const healed = [
    ...later,
    `{"level":"info","logger":"tls.obtain","msg":"certificate obtained successfully","identifier":"${id}"}`,
  ];
  assert.equal(certificateErrors(healed).size, 0);
});

test('domain status lists the names without a route too, so their failures show', () => {
  assert.deepEqual(
    statusNames({
      ...publicMode,
      // mail's name has no route; chat's is the domain, already served as Foyer's UI.
      certificateNames: ['mail.box.example.org', 'box.example.org'],
    }),
    [
      { name: 'box.example.org', target: 'foyer' },
      { name: 'calendar.box.example.org', target: 'calendar' },
      { name: 'tools.box.example.org', target: 'tools' },
      { name: 'web.box.example.org', target: 'web' },
      { name: 'mail.box.example.org', target: 'certificate' },
    ],
  );
});

test('public mode without an ACME account yet: the domain goes first, the rest wait on the home CA', () => {
  const policies = (input: EdgeConfigInput) =>
    (edgeConfig(input).apps as { tls: { automation: { policies: unknown[] } } }).tls.automation
      .policies;
  const acme = {
    module: 'acme',
    ca: 'https://127.0.0.1:14100/dir',
    email: 'admin@example.org',
    trusted_roots_pem_files: ['/var/lib/caddy/storage/foyer/acme-root.pem'],
  };
  const input = { ...publicMode, certificateNames: ['mail.box.example.org'] };
  assert.deepEqual(policies({ ...input, acmeAccountReady: false }), [
    { subjects: ['box.example.org'], issuers: [acme] },
    {
      subjects: [
        'calendar.box.example.org',
        'tools.box.example.org',
        'web.box.example.org',
        'mail.box.example.org',
      ],
      issuers: [{ module: 'internal' }],
    },
  ]);
  // With the account, one policy for every name, as before.
  const ready = policies({ ...input, acmeAccountReady: true });
  assert.deepEqual(ready, policies(input));
  assert.equal(ready.length, 1);
  assert.deepEqual((ready[0] as { issuers: unknown[] }).issuers, [acme]);
  // Home mode never waits for an account.
  assert.deepEqual(policies({ ...home, acmeAccountReady: false }), policies(home));
  assert.equal(
    acmeAccountDir('/s', 'https://127.0.0.1:14100/dir', 'Admin@Example.org'),
    '/s/acme/127.0.0.1-14100-dir/users/admin@example.org',
  );
  assert.equal(
    acmeAccountDir('/s', 'https://acme-v02.api.letsencrypt.org/directory'),
    '/s/acme/acme-v02.api.letsencrypt.org-directory/users/default',
  );
});

test("the container's boot config is the one Foyer computes: admin socket and storage only", () => {
  const file = join(dirname(fileURLToPath(import.meta.url)), '../../catalog/edge/boot.json');
  assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), bootConfig());
});

test('with a domain only the web service joins foyer-edge and only its web port leaves the host', () => {
  const { project } = loadProject({
    files: [
      {
        path: '/srv/mail/compose.yaml',
        content: `
services:
  web:
    image: registry.local/webmail:1
    ports: ["8080:80", "25:25"]
  imap:
    image: registry.local/imap:1
    ports: ["993:993"]
`,
      },
    ],
    environment: {},
    projectName: 'mail',
  });
  const attached = attachToEdge(project, { service: 'web', port: 80 });
  assert.deepEqual(
    attached.services.web!.ports.map((p) => p.target),
    [25],
  );
  assert.deepEqual(Object.keys(attached.services.web!.networks), ['default', 'x-foyer-edge']);
  assert.equal(attached.networks['x-foyer-edge']!.name, 'foyer-edge');
  assert.equal(attached.networks['x-foyer-edge']!.external, true);
  assert.deepEqual(attached.services.imap, project.services.imap);
  assert.deepEqual(project.services.web!.ports.length, 2, 'the input is left as it was');
  assert.equal(webUpstream('mail', { service: 'web', port: 80 }), 'mail-web-1:80');
});

test('names mail and chat want are obtained without a route of their own', () => {
  const config = edgeConfig({
    ...home,
    certificateNames: ['mail.home.example', 'home.example', 'mail.home.example'],
  }) as { apps: { tls: Record<string, unknown> & Shape['tls'] } & Shape };
  const { tls, http } = config.apps;
  assert.deepEqual(tls.certificates, { automate: ['mail.home.example'] });
  const subjects = (tls.automation.policies[0] as unknown as { subjects: string[] }).subjects;
  assert.ok(subjects.includes('mail.home.example'), 'the policy covers it');
  assert.equal(subjects.filter((s) => s === 'home.example').length, 1, 'the domain once');
  const hosts = http.servers.foyer.routes.flatMap(
    (r) => (r.match as { host: string[] }[])[0]!.host,
  );
  assert.ok(!hosts.includes('mail.home.example'), 'no route for it');
  assert.deepEqual(
    edgeConfig(home),
    edgeConfig({ ...home, certificateNames: [] }),
    'none: as before',
  );
});

test('autoconfig.<mail domain>: the two autoconfig paths to the daemon, 404 for the rest', () => {
  const input: EdgeConfigInput = {
    ...publicMode,
    // The box's own domain and another mail domain; one given twice and in capitals.
    autoconfigDomains: ['box.example.org', 'Lune.example', 'lune.example'],
    certificateNames: ['mail.box.example.org'],
  };
  golden('public-autoconfig.json', edgeConfig(input));
  const routes = (edgeConfig(input).apps as Shape).http.servers.foyer.routes;
  assert.deepEqual(
    routes.map((r) => r['@id']),
    [
      'foyer-ui',
      'site-calendar',
      'site-tools',
      'site-web',
      'autoconfig-autoconfig.box.example.org',
      'autoconfig-autoconfig.lune.example',
    ],
  );
  const subroute = (routes[4]!.handle as { routes: { match?: unknown; handle: unknown[] }[] }[])[0]!
    .routes;
  assert.deepEqual(subroute[0]!.match, [
    { path: ['/mail/config-v1.1.xml', '/.well-known/autoconfig/mail/config-v1.1.xml'] },
  ]);
  assert.deepEqual(subroute[0]!.handle.at(-1), {
    handler: 'reverse_proxy',
    upstreams: [{ dial: `unix/${CONTAINER.daemonSocket}` }],
  });
  assert.deepEqual(subroute[1]!.handle.at(-1), { handler: 'static_response', status_code: 404 });
  // Served names: the daemon's Host allow-list and the certificates take them.
  assert.deepEqual(edgeNames(input).slice(-2), [
    'autoconfig.box.example.org',
    'autoconfig.lune.example',
  ]);
  const subjects = (
    edgeConfig(input).apps as { tls: { automation: { policies: { subjects: string[] }[] } } }
  ).tls.automation.policies[0]!.subjects;
  assert.ok(subjects.includes('autoconfig.lune.example'), subjects.join(' '));
  assert.deepEqual(
    statusNames(input).filter((n) => n.target === 'autoconfig'),
    [
      { name: 'autoconfig.box.example.org', target: 'autoconfig' },
      { name: 'autoconfig.lune.example', target: 'autoconfig' },
    ],
  );
  // No mail install, no autoconfig name (nothing to describe, no certificate to ask for).
  assert.ok(!edgeNames(publicMode).some((n) => n.startsWith('autoconfig.')));
});

test('an install named autoconfig keeps its name; no autoconfig route then', () => {
  const input: EdgeConfigInput = {
    ...home,
    sites: [...sites, { install: 'autoconfig', upstream: 'autoconfig-app-1:80' }],
    autoconfigDomains: ['home.example'],
  };
  const routes = (edgeConfig(input).apps as Shape).http.servers.foyer.routes;
  assert.deepEqual(
    routes.map((r) => r['@id']),
    ['foyer-ui', 'site-autoconfig', 'site-calendar', 'site-web'],
  );
  assert.deepEqual(
    statusNames(input).find((n) => n.name === 'autoconfig.home.example'),
    // the install's name: its target is the install id (which reads the same)
    { name: 'autoconfig.home.example', target: 'autoconfig' },
  );
});
