// The directory end to end (issue 14): `foyer serve` with Foyer's own catalogue builds slapd
// from Debian on the private engine the first time the directory is used; members added,
// changed, disabled and removed through the CLI reach LDAP (checked with ldapts over the ldapi
// socket, as the daemon reaches it) within a second; anonymous binds are refused; a slapd whose
// container and data are destroyed is rebuilt and refilled; 500 members import in one go. With
// two-step verification on, slapd takes a member's app passwords and not their main password.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { totpCode } from '../../server/auth/totp.js';
import { accessDn, BASE_DN, memberDn } from '../../server/directory/entries.js';
import { socketClient } from '../../server/directory/sync.js';
import { removeLabelled, runFoyer, runFoyerWithInput, serveFoyer } from '../support/cli.js';
import { directorySocket, ldapBinds, searchMembers } from '../support/directory.js';
import { type DaemonProcess, eventually } from '../support/foyer.js';
import { useTestEngine } from '../support/index.js';

const engine = await useTestEngine();
const dataDir = mkdtempSync(join(tmpdir(), 'foyer-dir-'));
const socket = directorySocket(dataDir);
let daemon: DaemonProcess | undefined;

async function ok(input: string | undefined, ...args: string[]) {
  const run = await runFoyerWithInput(dataDir, input ?? '', ...args);
  assert.equal(run.code, 0, `foyer ${args.join(' ')}:\n${run.stdout}\n${run.stderr}`);
  return run;
}

const binds = (dn: string, password: string) => ldapBinds(dataDir, dn, password);
const search = (filter: string, attributes?: string[]) =>
  searchMembers(dataDir, 'directory', filter, attributes);

/** A member's own API over HTTP, signed in with their password (as the UI is). */
async function memberApi(name: string, password: string) {
  const base = /Foyer is running at (\S+)/.exec(daemon!.output())?.[1];
  assert.ok(base, daemon!.output());
  const origin = new URL(base).origin;
  const login = await fetch(`${origin}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin },
    body: JSON.stringify({ username: name, password }),
  });
  assert.equal(login.status, 200, await login.text());
  const cookie = login.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  return async (method: string, path: string, body?: object) => {
    const response = await fetch(`${origin}${path}`, {
      method,
      headers: { origin, cookie, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as unknown) : undefined };
  };
}

const timed = async (what: string, check: () => Promise<boolean>, ms = 1000) => {
  const start = Date.now();
  await eventually(what, async () => (await check()) || undefined, ms);
  return Date.now() - start;
};

before(async () => {
  daemon = await serveFoyer(engine, dataDir);
});

after(async () => {
  await daemon?.kill();
  await removeLabelled(engine, 'foyer.install=directory');
  rmSync(dataDir, { recursive: true, force: true });
});

describe('the directory on a real slapd', () => {
  test('the first group builds and starts slapd; anonymous binds are refused', async () => {
    await ok(undefined, 'groups', 'add', 'family');
    await ok(undefined, 'access', 'grant', 'directory', 'family');
    // The image is built from Debian on first use: minutes on a cold cache.
    await eventually(
      'slapd to answer on its socket',
      async () => (await search('(uid=*)')) && true,
      600_000,
    );
    const anonymous = await socketClient(socket);
    await assert.rejects(async () => {
      await anonymous.bind('', '');
      await anonymous.search(BASE_DN, { scope: 'sub' });
    });
    await anonymous.unbind().catch(() => {});
    const app = await runFoyer(dataDir, 'apps', '--json');
    assert.ok(!app.stdout.includes('"directory"'), 'the core service is not in the store list');
    const uninstall = await runFoyer(dataDir, 'uninstall', 'directory', '--yes');
    assert.equal(uninstall.code, 1, uninstall.stderr);
    assert.match(uninstall.stderr, /part of Foyer/);
  });

  test('a member binds within a second; passwd, disable, enable, remove take effect', async () => {
    await ok(
      'first password 1',
      'members',
      'add',
      'alice',
      '--email',
      'alice@example.org',
      '--password-stdin',
      '--group',
      'family',
    );
    const added = await timed('alice to bind', () => binds(memberDn('alice'), 'first password 1'));
    console.log(`member add → bind: ${added} ms`);
    // The same pass then puts her in her group and the install's access group (memberOf).
    const access = await timed('alice to have memberOf', async () => {
      const [alice] = await search('(uid=alice)');
      const memberOf = [alice?.memberOf ?? []].flat().map((dn) => String(dn).toLowerCase());
      return (
        memberOf.includes(accessDn('directory')) &&
        memberOf.includes('cn=family,ou=groups,dc=foyer')
      );
    });
    console.log(`member add → memberOf: ${added + access} ms`);

    await ok('second password 2', 'members', 'passwd', 'alice', '--password-stdin');
    await timed('the new password', () => binds(memberDn('alice'), 'second password 2'));
    assert.equal(await binds(memberDn('alice'), 'first password 1'), false);

    await ok(undefined, 'members', 'disable', 'alice');
    await timed(
      'alice refused',
      async () => !(await binds(memberDn('alice'), 'second password 2')),
    );
    await ok(undefined, 'members', 'enable', 'alice');
    await timed('alice back', () => binds(memberDn('alice'), 'second password 2'));

    const both = await runFoyer(
      dataDir,
      'members',
      'remove',
      'alice',
      '--delete-data',
      '--keep-data',
    );
    assert.equal(both.code, 2, both.stderr);
    const removed = await ok(undefined, 'members', 'remove', 'alice');
    assert.match(
      removed.stdout,
      /^Removed alice; their mail, chats, calendars and other app data are kept$/m,
    );
    await timed('alice gone', async () => (await search('(uid=alice)')).length === 0);
    // With --delete-data on a box whose apps declare no member data: nothing to delete, said so.
    await ok(
      'bob password 12',
      'members',
      'add',
      'bob',
      '--email',
      'bob@example.org',
      '--password-stdin',
    );
    const deleted = await ok(undefined, 'members', 'remove', 'bob', '--delete-data');
    assert.match(deleted.stdout, /^Removed bob; no app declares data of theirs to delete$/m);
  });

  test('app passwords: with two-step verification on, only they bind; a revoke within 10 s', async () => {
    await ok(
      'dave password 12',
      'members',
      'add',
      'dave',
      '--email',
      'dave@example.org',
      '--password-stdin',
    );
    const dave = await memberApi('dave', 'dave password 12');
    const made = await dave('POST', '/api/account/app-passwords', {
      label: 'Thunderbird',
      password: 'dave password 12',
    });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const { id, password } = (made.body as { appPassword: { id: number; password: string } })
      .appPassword;
    // Two-step verification off: the password and the app password both bind.
    await timed('the app password to bind', () => binds(memberDn('dave'), password), 10_000);
    assert.ok(await binds(memberDn('dave'), 'dave password 12'));

    const setup = await dave('POST', '/api/auth/totp/setup');
    const { secret } = setup.body as { secret: string };
    const code = totpCode(secret, Date.now());
    const enabled = await dave('POST', '/api/auth/totp/enable', { code });
    assert.equal(enabled.status, 200, JSON.stringify(enabled.body));
    const dropped = await timed(
      'the main password refused',
      async () => !(await binds(memberDn('dave'), 'dave password 12')),
      10_000,
    );
    console.log(`two-step verification on → main password refused by slapd: ${dropped} ms`);
    assert.ok(await binds(memberDn('dave'), password), 'the app password still binds');

    const revoked = await dave('DELETE', `/api/account/app-passwords/${id}`);
    assert.equal(revoked.status, 204);
    const gone = await timed(
      'the revoked app password refused',
      async () => !(await binds(memberDn('dave'), password)),
      10_000,
    );
    console.log(`app password revoked → refused by slapd: ${gone} ms`);

    const disabled = await dave('POST', '/api/auth/totp/disable', { password: 'dave password 12' });
    assert.equal(disabled.status, 200, JSON.stringify(disabled.body));
    await timed(
      'the main password back',
      () => binds(memberDn('dave'), 'dave password 12'),
      10_000,
    );
    await ok(undefined, 'members', 'remove', 'dave');
  });

  test('bad input changes nothing: a reserved name, a bad CSV line', async () => {
    const reserved = await runFoyerWithInput(
      dataDir,
      'a password 123',
      'members',
      'add',
      'postmaster',
      '--email',
      'p@example.org',
      '--password-stdin',
    );
    assert.equal(reserved.code, 1);
    assert.match(reserved.stderr, /reserved/);
    const csv = join(dataDir, 'members.csv');
    writeFileSync(
      csv,
      'name,email,display_name,groups\nok1,ok1@example.org,One,family\nBad Name,b@example.org,,\n',
    );
    const bad = await runFoyer(dataDir, 'members', 'import', csv);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /members\.csv:3: name: /);
    const list = await ok(undefined, 'members', 'list', '--json');
    assert.ok(!list.stdout.includes('ok1'), 'nothing imported');
  });

  test('500 members import in one go and reach LDAP', async () => {
    const csv = join(dataDir, 'village.csv');
    const lines = ['name,email,display_name,groups'];
    for (let i = 0; i < 500; i++) lines.push(`m${i},m${i}@example.org,Member ${i},family`);
    writeFileSync(csv, `${lines.join('\n')}\n`);
    const start = Date.now();
    const run = await ok(undefined, 'members', 'import', csv);
    assert.equal(run.stdout.split('\n').filter((l) => l.includes('/set-password#')).length, 500);
    await eventually(
      '500 entries',
      async () => (await search('(uid=m*)', ['uid'])).length === 500 || undefined,
      15_000,
    );
    console.log(`import of 500 → in LDAP: ${Date.now() - start} ms`);
    // The same pass then fills the groups: every one of them may use the install.
    const filter = `(&(uid=m*)(memberOf=${accessDn('directory')}))`;
    await eventually(
      '500 members with access',
      async () => (await search(filter, ['uid'])).length === 500 || undefined,
      15_000,
    );
    console.log(`import of 500 → with memberOf: ${Date.now() - start} ms`);
  });

  test('slapd with its container and data destroyed is rebuilt and refilled', async () => {
    await ok(
      'third password 3',
      'members',
      'add',
      'carol',
      '--email',
      'carol@example.org',
      '--password-stdin',
    );
    await timed('carol to bind', () => binds(memberDn('carol'), 'third password 3'));
    // The reconciler may make the container again between the two: repeat until the volume goes.
    await eventually(
      'slapd and its volume destroyed',
      async () => {
        await engine.docker(['rm', '-f', 'directory-slapd-1']).catch(() => undefined);
        return engine.docker(['volume', 'rm', 'directory_data']).then(
          () => true,
          () => false,
        );
      },
      60_000,
    );
    await eventually(
      'carol to bind again',
      async () =>
        (await binds(memberDn('carol'), 'third password 3').catch(() => false)) || undefined,
      120_000,
    );
    // The same pass adds the install's bind account after the 500 members.
    await eventually(
      'the 500 members refilled',
      async () => (await search('(uid=m*)', ['uid']).catch(() => [])).length === 500 || undefined,
      15_000,
    );
  });
});
