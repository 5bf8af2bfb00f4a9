// The directory's pure parts (issue 14): names Postfix and XMPP both carry, SHA-512 crypt as
// glibc computes it, the CSV import with line-qualified errors, the LDAP projection and its diff,
// and the store's members (migration 11) over a real SQLite file.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { hashCrypt, sha512Crypt, verifyCrypt } from '../../server/directory/crypt.js';
import { parseImport } from '../../server/directory/csv.js';
import {
  accessDn,
  desiredEntries,
  diff,
  type Entry,
  groupDn,
  memberDn,
  NOBODY_DN,
} from '../../server/directory/entries.js';
import { membersRepository } from '../../server/directory/members.js';
import { nameProblem } from '../../server/directory/names.js';
import { openStore } from '../../server/store/index.js';
import { usersRepository } from '../../server/store/users.js';
import { addInstall } from '../support/foyer.js';

describe('member names', () => {
  test('what mail and XMPP both carry is accepted', () => {
    for (const name of ['alice', 'jean-luc', 'a.b_c', 'x', '0day', 'a'.repeat(64)]) {
      assert.equal(nameProblem(name), undefined, name);
    }
  });
  test('anything else is refused with the reason', () => {
    assert.match(nameProblem('Alice')!, /capital/);
    assert.match(nameProblem('al ice')!, /only lowercase/);
    assert.match(nameProblem('.alice')!, /start and end/);
    assert.match(nameProblem('alice-')!, /start and end/);
    assert.match(nameProblem('a..b')!, /\.\./);
    assert.match(nameProblem('al@ice')!, /only lowercase/);
    assert.match(nameProblem('a'.repeat(65))!, /at most 64/);
    assert.match(nameProblem('')!, /empty/);
    for (const reserved of ['postmaster', 'root', 'abuse', 'mailer-daemon']) {
      assert.match(nameProblem(reserved)!, /reserved/);
    }
  });
});

describe('SHA-512 crypt', () => {
  test("the specification's vectors", () => {
    assert.equal(
      sha512Crypt('Hello world!', 'saltstring'),
      '$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1',
    );
    assert.equal(
      sha512Crypt('Hello world!', 'saltstringsaltstring', 10000),
      '$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v.',
    );
  });
  test('matches openssl passwd -6 for a long UTF-8 password', () => {
    const password = 'ça, c’est une phrase de passe assez longue pour deux blocs SHA-512 ✓';
    const expected = execFileSync('openssl', ['passwd', '-6', '-salt', 'Xy7./abc', '-stdin'], {
      input: password,
    })
      .toString()
      .trim();
    assert.equal(sha512Crypt(password, 'Xy7./abc'), expected);
  });
  test('a fresh hash verifies its password and no other', () => {
    const hash = hashCrypt('correct horse battery staple');
    assert.match(hash, /^\$6\$[./0-9A-Za-z]{16}\$[./0-9A-Za-z]{86}$/);
    assert.ok(verifyCrypt('correct horse battery staple', hash));
    assert.ok(!verifyCrypt('correct horse battery stapl', hash));
    assert.ok(!verifyCrypt('x', '$1$abc$def'));
  });
});

describe('the CSV import', () => {
  test('rows with groups split on ";" and quoted fields', () => {
    const parsed = parseImport(
      'name,email,display_name,groups\r\nalice,alice@example.org,"Alice, the first",family; mail\nbob,bob@example.org,,\n',
      'members.csv',
    );
    assert.deepEqual(parsed.problems, []);
    assert.deepEqual(parsed.rows, [
      {
        line: 2,
        name: 'alice',
        email: 'alice@example.org',
        displayName: 'Alice, the first',
        groups: ['family', 'mail'],
      },
      { line: 3, name: 'bob', email: 'bob@example.org', displayName: '', groups: [] },
    ]);
  });
  test('every bad line is named, and no row comes back', () => {
    const parsed = parseImport(
      [
        'name,email,display_name,groups',
        'alice,alice@example.org,,',
        'alice,other@example.org,,',
        'postmaster,pm@example.org,,',
        'carol,not-an-address,,',
        'dave,dave@example.org,,Bad Group',
        'erin,erin@example.org',
        '"unclosed,x@example.org,,',
      ].join('\n'),
      'members.csv',
    );
    assert.deepEqual(parsed.rows, []);
    assert.deepEqual(parsed.problems, ['members.csv:8: a quoted field is not closed']);
    const second = parseImport(
      [
        'name,email,display_name,groups',
        'alice,alice@example.org,,',
        'alice,other@example.org,,',
        'postmaster,pm@example.org,,',
        'carol,not-an-address,,',
        'dave,dave@example.org,,Bad Group',
        'erin,erin@example.org',
      ].join('\n'),
      'members.csv',
    );
    assert.deepEqual(second.rows, []);
    assert.equal(second.problems.length, 5);
    assert.match(second.problems[0]!, /^members\.csv:3: name: "alice" is already on line 2$/);
    assert.match(second.problems[1]!, /^members\.csv:4: name: .*reserved/);
    assert.match(second.problems[2]!, /^members\.csv:5: email: /);
    assert.match(second.problems[3]!, /^members\.csv:6: groups: .*capital/);
    assert.match(second.problems[4]!, /^members\.csv:7: 2 fields; the header has 4$/);
  });
  test('a header without the needed columns', () => {
    assert.deepEqual(parseImport('name,mail\n', 'm.csv').problems, [
      'm.csv:1: unknown column "mail"; the columns are name,email,display_name,groups',
      'm.csv:1: no "email" column',
    ]);
  });
});

const snapshot = {
  members: [
    {
      name: 'alice',
      displayName: 'Alice',
      email: 'alice@example.org',
      state: 'active' as const,
      cryptHash: '$6$s$h',
      totpEnabled: false,
      appCryptHashes: [],
    },
    {
      name: 'bob',
      displayName: '',
      email: null,
      state: 'disabled' as const,
      cryptHash: '$6$t$i',
      totpEnabled: false,
      appCryptHashes: [],
    },
  ],
  groups: [
    { name: 'family', members: ['alice', 'bob'] },
    { name: 'empty', members: [] },
  ],
  access: [{ install: 'mail', groups: ['family'] }],
  binds: [{ install: 'mail', cryptHash: '$6$u$j' }],
};

describe('the LDAP projection', () => {
  const desired = desiredEntries(snapshot);
  const byDn = (dn: string) => desired.find((e) => e.dn === dn)!;
  test('an active member has a {CRYPT} password; a disabled one none, and no group', () => {
    assert.deepEqual(byDn(memberDn('alice')).attributes.userPassword, ['{CRYPT}$6$s$h']);
    assert.equal(byDn(memberDn('bob')).attributes.userPassword, undefined);
    assert.deepEqual(byDn(groupDn('family')).attributes.member, [memberDn('alice')]);
    assert.deepEqual(byDn(groupDn('empty')).attributes.member, [NOBODY_DN]);
    assert.deepEqual(byDn(accessDn('mail')).attributes.member, [memberDn('alice')]);
  });
  test('an empty tree is filled parents first; a filled one needs nothing', () => {
    const changes = diff(desired, []);
    assert.ok(changes.every((c) => c.kind === 'add'));
    assert.equal(changes.length, desired.length);
    const first = changes[0]!;
    assert.equal(first.kind === 'add' && first.entry.dn, 'dc=foyer');
    // What a server answers: other case, objectClass lowercased, values in another order.
    const observed: Entry[] = desired.map((e) => ({
      dn: e.dn.toUpperCase(),
      attributes: Object.fromEntries(
        Object.entries(e.attributes).map(([k, v]) => [k.toLowerCase(), [...v].reverse()]),
      ),
    }));
    assert.deepEqual(diff(desired, observed), []);
  });
  test('a change is a replace of the attribute; a stale entry is deleted children first', () => {
    const observed: Entry[] = desired.map((e) =>
      e.dn === memberDn('alice')
        ? { ...e, attributes: { ...e.attributes, userPassword: ['{CRYPT}old'] } }
        : e,
    );
    observed.push(
      { dn: 'ou=old,dc=foyer', attributes: { objectClass: ['organizationalUnit'], ou: ['old'] } },
      { dn: 'uid=x,ou=old,dc=foyer', attributes: { objectClass: ['inetOrgPerson'] } },
    );
    assert.deepEqual(diff(desired, observed), [
      { kind: 'modify', dn: memberDn('alice'), replace: { userPassword: ['{CRYPT}$6$s$h'] } },
      { kind: 'delete', dn: 'uid=x,ou=old,dc=foyer' },
      { kind: 'delete', dn: 'ou=old,dc=foyer' },
    ]);
  });
});

describe('members in the store', () => {
  const dir = mkdtempSync(join(tmpdir(), 'foyer-members-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('an account made before the directory is a member, and its first sign-in adds the crypt hash', async () => {
    const store = openStore(join(dir, 'a.db'));
    const users = usersRepository(store.db);
    const members = membersRepository(store.db);
    await users.create({ username: 'admin', password: 'admin password', role: 'admin' });
    store.db.prepare('UPDATE users SET crypt_hash = NULL').run();
    assert.equal(members.get('admin')?.directoryPassword, false);
    assert.ok(await users.verifyPassword('admin', 'admin password'));
    const [admin] = members.snapshot().members;
    assert.ok(verifyCrypt('admin password', admin!.cryptHash!));
    store.close();
  });

  test('add, disable, groups, access, links and an all-or-nothing import', async () => {
    const store = openStore(join(dir, 'b.db'));
    addInstall(store, 'mail', 'web');
    const users = usersRepository(store.db);
    const members = membersRepository(store.db);
    members.addGroup('family');
    await members.add({
      name: 'alice',
      email: 'alice@example.org',
      password: 'alice password',
      groups: ['family'],
    });
    await assert.rejects(members.add({ name: 'alice', email: 'a2@example.org' }), /is taken/);
    await assert.rejects(
      members.add({ name: 'bob', email: 'ALICE@example.org' }),
      /alice's already/,
    );
    await assert.rejects(members.add({ name: 'root', email: 'r@example.org' }), /reserved/);
    members.grant('mail', 'family');
    assert.deepEqual(members.access('mail'), ['family']);
    members.setState('alice', 'disabled');
    assert.equal(await users.verifyPassword('alice', 'alice password'), undefined);
    members.setState('alice', 'active');
    assert.ok(await users.verifyPassword('alice', 'alice password'));

    const good = parseImport('name,email,groups\nbob,bob@example.org,family\n', 'm.csv');
    const clash = parseImport(
      'name,email\ncarol,carol@example.org\nalice,x@example.org\n',
      'm.csv',
    );
    assert.throws(
      () => members.importRows(clash.rows, 'm.csv'),
      /m\.csv:3: name: "alice" is taken/,
    );
    assert.equal(members.get('carol'), undefined);
    const [link] = members.importRows(good.rows, 'm.csv');
    assert.equal(await users.verifyPassword('bob', ''), undefined);
    assert.ok(await members.useLink(link!.token, 'bob new password'));
    assert.equal(await members.useLink(link!.token, 'again password'), undefined, 'spent');
    assert.ok(await users.verifyPassword('bob', 'bob new password'));
    const snap = members.snapshot();
    assert.deepEqual(snap.groups, [{ name: 'family', members: ['alice', 'bob'] }]);
    assert.equal(snap.binds.length, 1);
    members.remove('alice');
    assert.deepEqual(members.listGroups()[0]!.members, ['bob']);
    store.close();
  });
});
