// Apps that take their accounts from the directory (app.yaml `accounts: directory`, issue 14):
// the field's validation, the variables and network the render path adds (after the permission
// gate, which would refuse an external network the app declared itself), the bind account made
// once per install, and the lint's view of the FOYER_LDAP_* variables.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { formatProblem } from '../../compose/problems.js';
import { lintApp } from '../../server/catalog/lint.js';
import { parseManifest } from '../../server/catalog/manifest.js';
import {
  bindPassword,
  DIRECTORY_NETWORK,
  directoryVariables,
  ensureBind,
} from '../../server/directory/app-accounts.js';
import { renderProject } from '../../server/reconcile/desired.js';
import { openStore } from '../../server/store/index.js';
import { FOYER_CATALOG } from '../support/app-daemon.js';

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const HEAD = 'id: mail\nname: Mail\nversion: "1"\n';

describe('app.yaml accounts', () => {
  test('"directory" is the one value; anything else is a path-qualified problem', () => {
    assert.deepEqual(parseManifest(`${HEAD}accounts: directory\n`).problems, []);
    assert.deepEqual(parseManifest(`${HEAD}accounts: ldap\n`).problems.map(formatProblem), [
      'app.yaml: accounts: must be "directory"',
    ]);
  });
});

describe('the render path of an app on the directory', () => {
  const install = {
    id: 'mail',
    appId: 'mail',
    appDir: '/nonexistent/app',
    settings: {},
    secrets: {},
    acceptedPermissions: [],
    desired: 'running' as const,
    purge: false,
    generation: 1,
    ldapBindPassword: 'bind-secret',
  };
  const compose = [
    'services:',
    '  postfix:',
    '    image: busybox',
    '    environment: { DN: "${FOYER_LDAP_BIND_DN}", PW: "${FOYER_LDAP_BIND_PASSWORD}",',
    '      FILTER: "${FOYER_LDAP_FILTER}", URL: "${FOYER_LDAP_URL}", BASE: "${FOYER_LDAP_PEOPLE}" }',
    '  web:',
    '    image: busybox',
    '    networks: [front]',
    '  sidecar:',
    '    image: busybox',
    '    network_mode: "service:web"',
    'networks:',
    '  front: {}',
    '',
  ].join('\n');
  const app = (accounts?: 'directory') => ({
    composePath: '/nonexistent/app/compose.yaml',
    composeContent: compose,
    permissions: [],
    ...(accounts ? { accounts } : {}),
  });
  const ctx = { dataDir: '/var/lib/foyer' };

  test('each service joins the directory network after its own; the variables are filled', () => {
    const project = renderProject(install, app('directory'), ctx);
    assert.deepEqual(Object.keys(project.services.postfix?.networks ?? {}), [
      'default',
      'foyer-directory',
    ]);
    assert.deepEqual(Object.keys(project.services.web?.networks ?? {}), [
      'front',
      'foyer-directory',
    ]);
    // A service in another's network namespace gets none of its own.
    assert.deepEqual(project.services.sidecar?.networks, {});
    assert.equal(project.networks['foyer-directory']?.name, DIRECTORY_NETWORK);
    assert.equal(project.networks['foyer-directory']?.external, true);
    assert.deepEqual(project.services.postfix?.environment, {
      DN: 'cn=mail,ou=apps,dc=foyer',
      PW: 'bind-secret',
      FILTER: '(memberOf=cn=mail,ou=access,dc=foyer)',
      URL: 'ldap://slapd:389',
      BASE: 'ou=people,dc=foyer',
    });
  });

  test('an app without the field gets neither the network nor the variables', () => {
    const project = renderProject(install, app(), ctx);
    assert.equal(project.networks['foyer-directory'], undefined);
    assert.deepEqual(Object.keys(project.services.postfix?.networks ?? {}), ['default']);
    assert.equal(project.services.postfix?.environment.PW, '');
  });

  test('the same network declared by the app itself is a permission the admin must accept', () => {
    const own = {
      ...app(),
      composeContent: `${compose}  ldap: { external: true, name: ${DIRECTORY_NETWORK} }\n`.replace(
        '    networks: [front]',
        '    networks: [front, ldap]',
      ),
    };
    assert.throws(() => renderProject(install, own, ctx), /external_network:directory_ldap/);
  });

  test('variables before the bind account exists: an empty password, never undefined', () => {
    assert.equal(directoryVariables('chat', undefined).FOYER_LDAP_BIND_PASSWORD, '');
    assert.equal(
      directoryVariables('chat', undefined).FOYER_LDAP_BIND_DN,
      'cn=chat,ou=apps,dc=foyer',
    );
  });
});

describe('the bind account', () => {
  test('made once per install, kept as it is, gone with the install', () => {
    const dir = mkdtempSync(join(tmpdir(), 'foyer-accounts-'));
    dirs.push(dir);
    const store = openStore(join(dir, 'foyer.db'));
    try {
      store.installs.create({
        id: 'mail',
        appId: 'mail',
        appDir: '/nonexistent',
        appVersion: '1',
        settings: {},
        secrets: {},
        acceptedPermissions: [],
      });
      assert.equal(bindPassword(store.db, 'mail'), undefined);
      ensureBind(store.db, 'mail');
      const first = bindPassword(store.db, 'mail');
      assert.match(first ?? '', /^[A-Za-z0-9_-]{32}$/);
      ensureBind(store.db, 'mail');
      assert.equal(bindPassword(store.db, 'mail'), first);
      store.installs.delete('mail');
      assert.equal(bindPassword(store.db, 'mail'), undefined);
    } finally {
      store.close();
    }
  });
});

describe('the lint', () => {
  test("Foyer's mail, chat and calendar pass; FOYER_LDAP_* needs the field", () => {
    for (const app of ['mail', 'chat', 'calendar']) {
      assert.deepEqual(lintApp(join(FOYER_CATALOG, app)).map(formatProblem), [], app);
    }
    const dir = join(mkdtempSync(join(tmpdir(), 'foyer-accounts-')), 'chat');
    dirs.push(dirname(dir));
    cpSync(join(FOYER_CATALOG, 'chat'), dir, { recursive: true });
    const yaml = join(dir, 'app.yaml');
    // Without directory accounts, and so without the member data and sessions only they may
    // declare.
    const text = readFileSync(yaml, 'utf8')
      .replace('accounts: directory\n', '')
      .replace(/^member(?:Data|Sessions):\n(?: .*\n)+/gm, '');
    assert.doesNotMatch(text, /memberData|memberSessions/);
    writeFileSync(yaml, text);
    const problems = lintApp(dir).map(formatProblem);
    assert.equal(problems.length, 5, problems.join('\n'));
    for (const problem of problems) {
      assert.match(problem, /uses the variable FOYER_LDAP_\w+, .*declare "accounts: directory"/);
    }
  });
});
