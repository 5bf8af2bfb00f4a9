// The certificate hand-over's pure parts (issue 13): app.yaml `tls` validation, names per
// install, Caddy's storage layout, which certificate to hand over, and what a round does.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatProblem } from '../../compose/problems.js';
import { parseManifest } from '../../server/catalog/manifest.js';
import {
  type EdgeCertificate,
  edgeCertificatePaths,
  issuerKey,
  neededNames,
  pickCertificate,
  planHandOver,
  resolveTls,
  type TlsEntry,
} from '../../server/edge/certificates.js';
import { handOverFolders, renderProject } from '../../server/reconcile/desired.js';

const HEAD = 'id: mail\nname: Mail\nversion: "1"\n';
const problems = (tls: string) => parseManifest(HEAD + tls).problems.map(formatProblem);

describe('app.yaml tls', () => {
  test('a well-formed entry is accepted', () => {
    const yaml = `tls:
  - name: "\${MAIL_HOSTNAME:-mail.\${DOMAIN}}"
    services: [postfix, dovecot]
    keyGroup: 5222
    target: /etc/ssl/foyer
    reload: { postfix: [postfix, reload], dovecot: [doveadm, reload] }
`;
    assert.deepEqual(problems(yaml), []);
  });

  test('mistakes are refused with their paths', () => {
    assert.deepEqual(problems('tls:\n  - name: x\n    services: []\n'), [
      'app.yaml: tls[0].services: must have at least 1 item(s)',
    ]);
    assert.deepEqual(problems('tls:\n  - services: [a]\n'), ['app.yaml: tls[0].name: is required']);
    assert.deepEqual(problems('tls:\n  - {name: x, services: [a], target: etc/tls}\n'), [
      'app.yaml: tls[0].target: must match ^/',
    ]);
    assert.deepEqual(problems('tls:\n  - {name: x, services: [a], reload: {a: []}}\n'), [
      'app.yaml: tls[0].reload.a: must have at least 1 item(s)',
    ]);
    assert.deepEqual(problems('tls:\n  - {name: x, services: [a], relaod: {}}\n'), [
      'app.yaml: tls[0].relaod: is not a known field (did you mean "reload"?)',
    ]);
    assert.deepEqual(problems('tls:\n  - {name: x, services: [a, a]}\n'), [
      'app.yaml: tls[0].services[1]: "a" is listed twice',
    ]);
    assert.deepEqual(problems('tls:\n  - {name: x, services: [a], reload: {b: [x]}}\n'), [
      "app.yaml: tls[0].reload.b: is not one of this entry's services",
    ]);
    assert.deepEqual(
      problems('tls:\n  - {name: x, services: [a]}\n  - {name: y, services: [a]}\n'),
      ['app.yaml: tls[1].target: a already gets a certificate there from tls[0]'],
    );
  });
});

describe('names per install', () => {
  const declared = [
    { name: '${MAIL_HOSTNAME:-mail.${DOMAIN}}', services: ['postfix'], reload: { postfix: ['x'] } },
    { name: '${DOMAIN}', services: ['prosody'], keyGroup: 5222 },
  ];

  test('interpolated with the settings, lowercased, with the default folder', () => {
    const { entries, problems } = resolveTls(declared, { DOMAIN: 'Example.ORG' });
    assert.deepEqual(problems, []);
    assert.deepEqual(entries, [
      {
        name: 'mail.example.org',
        services: ['postfix'],
        target: '/etc/foyer/tls',
        reload: { postfix: ['x'] },
      },
      {
        name: 'example.org',
        services: ['prosody'],
        target: '/etc/foyer/tls',
        keyGroup: 5222,
        reload: {},
      },
    ]);
    const set = resolveTls(declared, { DOMAIN: 'example.org', MAIL_HOSTNAME: 'mx.example.net' });
    assert.equal(set.entries[0]?.name, 'mx.example.net');
    assert.deepEqual(neededNames(new Map([['a', set.entries]])), ['example.org', 'mx.example.net']);
  });

  test('a name that is not a host name is left out with its path', () => {
    const { entries, problems } = resolveTls(declared, { DOMAIN: '*.example.org' });
    assert.deepEqual(entries, []);
    assert.deepEqual(problems.map(formatProblem), [
      'tls[0].name: "mail.*.example.org" is not a host name a certificate can name',
      'tls[1].name: "*.example.org" is not a host name a certificate can name',
    ]);
  });
});

describe('the render path', () => {
  const install = {
    id: 'mail',
    appId: 'mail',
    appDir: '/nonexistent/app',
    settings: { DOMAIN: 'example.org' },
    secrets: {},
    acceptedPermissions: [],
    desired: 'running' as const,
    purge: false,
    generation: 1,
  };
  const app = (services: string[]) => ({
    composePath: '/nonexistent/app/compose.yaml',
    composeContent: 'services:\n  postfix:\n    image: busybox\n  web:\n    image: busybox\n',
    permissions: [],
    tls: [{ name: 'mail.${DOMAIN}', services }],
  });

  test("mounts the name's folder read-only in the named services only", () => {
    const project = renderProject(install, app(['postfix']), { dataDir: '/var/lib/foyer' });
    assert.deepEqual(project.services.postfix?.volumes, [
      {
        type: 'bind',
        source: '/var/lib/foyer/apps/mail/tls/mail.example.org',
        target: '/etc/foyer/tls',
        read_only: true,
        bind: { create_host_path: true },
      },
    ]);
    assert.deepEqual(project.services.web?.volumes, []);
    assert.deepEqual(handOverFolders(install, app(['postfix']), { dataDir: '/var/lib/foyer' }), [
      '/var/lib/foyer/apps/mail/tls/mail.example.org',
    ]);
  });

  test('a service the compose file lacks is a path-qualified error', () => {
    assert.throws(
      () => renderProject(install, app(['dovecot']), { dataDir: '/var/lib/foyer' }),
      /app\.yaml: tls\[0\]\.services\[0\]: no service "dovecot"/,
    );
  });
});

describe("Caddy's storage", () => {
  test('issuer keys and paths as Caddy writes them (reference B1)', () => {
    assert.equal(issuerKey('https://127.0.0.1:14100/dir'), '127.0.0.1-14100-dir');
    assert.equal(
      issuerKey('https://acme-v02.api.letsencrypt.org/directory'),
      'acme-v02.api.letsencrypt.org-directory',
    );
    assert.deepEqual(edgeCertificatePaths('/s', 'local', 'a.example'), {
      certificatePath: '/s/certificates/local/a.example/a.example.crt',
      keyPath: '/s/certificates/local/a.example/a.example.key',
      metadataPath: '/s/certificates/local/a.example/a.example.json',
    });
  });

  test('the certificate valid longest is handed over, never an expired one', () => {
    const at = (issuer: string, notAfter: number): EdgeCertificate => ({
      issuer,
      certificatePath: `/${issuer}.crt`,
      keyPath: `/${issuer}.key`,
      notAfter,
    });
    assert.equal(pickCertificate([at('local', 200), at('acme', 900)], 100)?.issuer, 'acme');
    assert.equal(pickCertificate([at('local', 200), at('acme', 90)], 100)?.issuer, 'local');
    assert.equal(pickCertificate([at('acme', 90)], 100), undefined);
    assert.equal(pickCertificate([], 100), undefined);
  });
});

describe('a hand-over round', () => {
  const entry: TlsEntry = {
    name: 'mail.example.org',
    services: ['postfix', 'dovecot', 'web'],
    target: '/etc/foyer/tls',
    reload: { postfix: ['postfix', 'reload'], dovecot: ['doveadm', 'reload'] },
  };
  const all = new Set(['postfix', 'dovecot', 'web']);

  test('no certificate at the edge: nothing to do', () => {
    assert.deepEqual(planHandOver({ entry, record: { reloaded: {} }, running: all }), {
      copy: false,
      reload: [],
    });
  });

  test('a first certificate is copied and the running services with a reload command reload', () => {
    const step = planHandOver({ entry, edge: 'h1', record: { reloaded: {} }, running: all });
    assert.deepEqual(step, { copy: true, reload: ['postfix', 'dovecot'] });
  });

  test('steady state: nothing', () => {
    const record = { copied: 'h1', reloaded: { postfix: 'h1', dovecot: 'h1' } };
    assert.deepEqual(planHandOver({ entry, edge: 'h1', record, running: all }), {
      copy: false,
      reload: [],
    });
  });

  test('a renewal is copied and reloaded; a stopped service is left to read it at start', () => {
    const record = { copied: 'h1', reloaded: { postfix: 'h1', dovecot: 'h1' } };
    const running = new Set(['postfix']);
    assert.deepEqual(planHandOver({ entry, edge: 'h2', record, running }), {
      copy: true,
      reload: ['postfix'],
    });
  });

  test('a failed reload (not recorded) is tried again without copying', () => {
    const record = { copied: 'h2', reloaded: { postfix: 'h2', dovecot: 'h1' } };
    assert.deepEqual(planHandOver({ entry, edge: 'h2', record, running: all }), {
      copy: false,
      reload: ['dovecot'],
    });
  });

  test('a certificate gone from the edge keeps the copy served', () => {
    const record = { copied: 'h2', reloaded: { postfix: 'h2', dovecot: 'h2' } };
    assert.deepEqual(planHandOver({ entry, record, running: all }), { copy: false, reload: [] });
  });
});
