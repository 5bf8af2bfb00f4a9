// App passwords (issue 14's known gap): the pure parts (the generator; the LDAP projection with
// two-step verification on and off, and the diff a revoke or a switch makes), the store, and
// the member's own API on the real app and store without Docker: made and shown once, listed
// without value or hash, revoked; bad labels are path-qualified 400s that change nothing; the
// value is in no log line, audit entry or other reply; Foyer's own sign-in refuses it.
import assert from 'node:assert/strict';
import { describe, type TestContext, test } from 'node:test';
import { verifyCrypt } from '../../server/directory/crypt.js';
import { desiredEntries, diff, memberDn } from '../../server/directory/entries.js';
import { type DirectorySnapshotMember, membersRepository } from '../../server/directory/members.js';
import {
  APP_PASSWORD_PATTERN,
  appPasswordsRepository,
  generateAppPassword,
  MAX_APP_PASSWORDS,
} from '../../server/store/app-passwords.js';
import { usersRepository } from '../../server/store/users.js';
import { type ApiBox, bootApiBox } from '../support/api-box.js';

describe('app passwords, pure', () => {
  test('16 symbols in four groups of four, without look-alikes, never twice the same', () => {
    const made = new Set(Array.from({ length: 500 }, generateAppPassword));
    assert.equal(made.size, 500);
    for (const password of made) {
      assert.match(password, APP_PASSWORD_PATTERN);
      assert.doesNotMatch(password, /[lo01A-Z]/);
    }
  });

  const member = (over: Partial<DirectorySnapshotMember>): DirectorySnapshotMember => ({
    name: 'alice',
    displayName: '',
    email: null,
    state: 'active',
    cryptHash: '$6$main',
    totpEnabled: false,
    appCryptHashes: ['$6$phone', '$6$laptop'],
    ...over,
  });
  const passwordsOf = (m: DirectorySnapshotMember) =>
    desiredEntries({ members: [m], groups: [], access: [], binds: [] }).find(
      (e) => e.dn === memberDn('alice'),
    )!.attributes.userPassword;

  test('LDAP holds the main password only while two-step verification is off', () => {
    assert.deepEqual(passwordsOf(member({})), [
      '{CRYPT}$6$main',
      '{CRYPT}$6$phone',
      '{CRYPT}$6$laptop',
    ]);
    assert.deepEqual(passwordsOf(member({ totpEnabled: true })), [
      '{CRYPT}$6$phone',
      '{CRYPT}$6$laptop',
    ]);
    assert.equal(passwordsOf(member({ totpEnabled: true, appCryptHashes: [] })), undefined);
    assert.equal(passwordsOf(member({ state: 'disabled' })), undefined, 'disabled: none at all');
    assert.deepEqual(passwordsOf(member({ appCryptHashes: [] })), ['{CRYPT}$6$main']);
  });

  test('a revoke, or turning two-step verification on, is one replace of userPassword', () => {
    const snapshot = (m: DirectorySnapshotMember) => ({
      members: [m],
      groups: [],
      access: [],
      binds: [],
    });
    const now = desiredEntries(snapshot(member({})));
    assert.deepEqual(diff(now, now), []);
    assert.deepEqual(
      diff(desiredEntries(snapshot(member({ appCryptHashes: ['$6$laptop'] }))), now),
      [
        {
          kind: 'modify',
          dn: memberDn('alice'),
          replace: { userPassword: ['{CRYPT}$6$main', '{CRYPT}$6$laptop'] },
        },
      ],
    );
    assert.deepEqual(diff(desiredEntries(snapshot(member({ totpEnabled: true }))), now), [
      {
        kind: 'modify',
        dn: memberDn('alice'),
        replace: { userPassword: ['{CRYPT}$6$phone', '{CRYPT}$6$laptop'] },
      },
    ]);
    // The last app password of a member with two-step verification: no password left at all.
    const bare = desiredEntries(snapshot(member({ totpEnabled: true, appCryptHashes: [] })));
    assert.deepEqual(diff(bare, now), [
      { kind: 'modify', dn: memberDn('alice'), replace: { userPassword: [] } },
    ]);
  });
});

const PASSWORD = 'admin password 1';
const HOST = 'localhost';

async function signedIn(box: ApiBox) {
  const cookie = `foyer_session=${await box.setUp(PASSWORD)}`;
  return (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object) =>
    box.inject({
      method,
      url,
      headers: { host: HOST, origin: `http://${HOST}`, cookie },
      ...(payload ? { payload } : {}),
    });
}

async function boot(t: TestContext) {
  const logs: string[] = [];
  const box = await bootApiBox(t, {
    logger: { level: 'trace', stream: { write: (line: string) => void logs.push(line) } },
    access: { hostnames: [HOST], trustedProxies: [] },
  });
  return { box, logs, call: await signedIn(box) };
}

describe('the store', () => {
  test('kept as SHA-256 and {CRYPT} hashes only; the snapshot carries the crypt ones and 2FA', async (t) => {
    const { box } = await boot(t);
    const users = usersRepository(box.store.db);
    const repo = appPasswordsRepository(box.store.db);
    const admin = users.getByUsername('admin')!;
    const made = await repo.create(admin.id, 'Thunderbird on the laptop');
    const rows = JSON.stringify(box.store.db.prepare('SELECT * FROM app_passwords').all());
    assert.ok(!rows.includes(made.password), 'no value at rest');
    assert.match(rows, /"password_hash":"[0-9a-f]{64}"/);
    assert.equal(await repo.match(admin.id, made.password), made.id);
    assert.equal(await repo.match(admin.id, PASSWORD), undefined);
    const [member] = membersRepository(box.store.db).snapshot().members;
    assert.equal(member!.totpEnabled, false);
    assert.equal(member!.appCryptHashes.length, 1);
    assert.ok(verifyCrypt(made.password, member!.appCryptHashes[0]!), 'slapd can check it');
    users.setTotpSecret(admin.id, 'JBSWY3DPEHPK3PXP');
    users.setTotpEnabled(admin.id, true);
    assert.equal(membersRepository(box.store.db).snapshot().members[0]!.totpEnabled, true);
  });
});

describe('/api/account/app-passwords', () => {
  test('made and shown once, listed without it, revoked; sign-in refuses it', async (t) => {
    const { box, logs, call } = await boot(t);
    const made = await call('POST', '/api/account/app-passwords', {
      label: '  Thunderbird on the laptop ',
      password: PASSWORD,
    });
    assert.equal(made.statusCode, 201, made.body);
    const { appPassword } = made.json();
    assert.match(appPassword.password, APP_PASSWORD_PATTERN);
    assert.equal(appPassword.label, 'Thunderbird on the laptop');

    const listed = await call('GET', '/api/account/app-passwords');
    assert.equal(listed.statusCode, 200);
    assert.deepEqual(listed.json(), {
      appPasswords: [
        {
          id: appPassword.id,
          label: 'Thunderbird on the laptop',
          createdAt: appPassword.createdAt,
          lastUsedAt: null,
        },
      ],
    });

    // Foyer's own sign-in keeps the main password (and the code): an app password is refused.
    const login = await box.inject({
      method: 'POST',
      url: '/api/auth/login',
      headers: { host: HOST },
      payload: { username: 'admin', password: appPassword.password },
    });
    assert.equal(login.statusCode, 401, login.body);

    const revoked = await call('DELETE', `/api/account/app-passwords/${appPassword.id}`);
    assert.equal(revoked.statusCode, 204, revoked.body);
    assert.deepEqual((await call('GET', '/api/account/app-passwords')).json(), {
      appPasswords: [],
    });
    const again = await call('DELETE', `/api/account/app-passwords/${appPassword.id}`);
    assert.equal(again.statusCode, 404);

    const audit = box.store.db.prepare('SELECT * FROM audit_log').all();
    const actions = JSON.stringify(audit);
    assert.match(actions, /auth\.app-password\.created.*Thunderbird on the laptop/);
    assert.match(actions, /auth\.app-password\.revoked/);
    const written = `${logs.join('\n')}\n${actions}`;
    assert.ok(!written.includes(appPassword.password), 'the value in a log or the audit');
    assert.ok(!written.includes(appPassword.password.replaceAll('-', '')));
  });

  test('bad labels are path-qualified 400s that make nothing; past the cap, 409', async (t) => {
    const { call } = await boot(t);
    for (const [payload, message] of [
      [{ label: '', password: PASSWORD }, /^body\.label: /],
      [{ label: '   ', password: PASSWORD }, /^body\.label: must not be only spaces$/],
      [{ label: 'x'.repeat(101), password: PASSWORD }, /^body\.label: .*100/],
      [{ password: PASSWORD }, /^body\.label: /],
      [{ label: 'ok', password: PASSWORD, value: 'mine' }, /^body\.value: /],
    ] as const) {
      const bad = await call('POST', '/api/account/app-passwords', payload);
      assert.equal(bad.statusCode, 400, JSON.stringify(payload));
      assert.match(bad.json().message, message);
    }
    assert.deepEqual((await call('GET', '/api/account/app-passwords')).json().appPasswords, []);
    const badId = await call('DELETE', '/api/account/app-passwords/nope');
    assert.equal(badId.statusCode, 400);
    assert.match(badId.json().message, /^params\.id: /);

    for (let i = 0; i < MAX_APP_PASSWORDS; i++) {
      const ok = await call('POST', '/api/account/app-passwords', {
        label: `device ${i}`,
        password: PASSWORD,
      });
      assert.equal(ok.statusCode, 201);
    }
    const over = await call('POST', '/api/account/app-passwords', {
      label: 'one more',
      password: PASSWORD,
    });
    assert.equal(over.statusCode, 409);
    assert.match(over.json().message, /revoke one/);
    const listed = (await call('GET', '/api/account/app-passwords')).json().appPasswords;
    assert.equal(listed.length, MAX_APP_PASSWORDS);
  });

  test('signed-in members only', async (t) => {
    const { box } = await boot(t);
    const anonymous = await box.inject({
      method: 'GET',
      url: '/api/account/app-passwords',
      headers: { host: HOST },
    });
    assert.equal(anonymous.statusCode, 401);
  });
});
