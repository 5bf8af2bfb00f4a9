// Single sign-on's pure parts and its store (issue 14): the claims an app gets and who may sign
// in, the client an install's app.yaml declares (schema problems with paths, redirect URIs on
// its web addresses, the secret made once), the issuer, and oidc-provider's adapter and keys
// over a real SQLite file (migration 12).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { readAppFolder } from '../../server/catalog/catalog.js';
import { pinFolder } from '../../server/catalog/definitions.js';
import { parseManifest } from '../../server/catalog/manifest.js';
import { PinnedDefinitions } from '../../server/catalog/pins.js';
import { resolveSettings } from '../../server/catalog/settings.js';
import { appSource } from '../../server/daemon.js';
import { membersRepository } from '../../server/directory/members.js';
import { oidcAccounts } from '../../server/oidc/accounts.js';
import { sqliteAdapter } from '../../server/oidc/adapter.js';
import { type MemberFacts, mayUse, memberClaims } from '../../server/oidc/claims.js';
import {
  CLIENT_SECRET_KEY,
  clientMetadata,
  declaredOrigins,
  webOrigins,
} from '../../server/oidc/clients.js';
import { issuerUrl } from '../../server/oidc/issuer.js';
import { ensureKeys, rsaThumbprint } from '../../server/oidc/keys.js';
import { PAGE_CSP, signInPage } from '../../server/oidc/page.js';
import { OidcService } from '../../server/oidc/service.js';
import { openStore } from '../../server/store/index.js';

const dir = mkdtempSync(join(tmpdir(), 'foyer-oidc-unit-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const bob: MemberFacts = {
  subject: '6f1c1c1e-0000-4000-8000-000000000001',
  name: 'bob',
  displayName: 'Bob B',
  email: 'bob@example.org',
  role: 'member',
  state: 'active',
  groups: ['family', 'chess'],
};

describe('claims', () => {
  test('a member becomes sub, preferred_username, name, email and groups', () => {
    assert.deepEqual(memberClaims(bob), {
      sub: bob.subject,
      preferred_username: 'bob',
      name: 'Bob B',
      email: 'bob@example.org',
      email_verified: true,
      groups: ['chess', 'family'],
    });
  });
  test('no display name: the name; no address: no email claims', () => {
    const claims = memberClaims({ ...bob, displayName: '', email: null, groups: [] });
    assert.equal(claims.name, 'bob');
    assert.equal('email' in claims, false);
    assert.equal('email_verified' in claims, false);
    assert.deepEqual(claims.groups, []);
  });
});

describe('who may sign into an app', () => {
  test('a member in a granted group may, one in none may not', () => {
    assert.deepEqual(mayUse(bob, 'social', ['family']), { allowed: true });
    const refused = mayUse(bob, 'social', ['others']);
    assert.equal(refused.allowed, false);
    assert.match((refused as { reason: string }).reason, /no group allowed to use social/);
  });
  test('admins always may; disabled members never, admins included', () => {
    const admin = { ...bob, role: 'admin' as const, groups: [] };
    assert.deepEqual(mayUse(admin, 'social', []), { allowed: true });
    assert.equal(mayUse({ ...admin, state: 'disabled' }, 'social', []).allowed, false);
    assert.equal(mayUse({ ...bob, state: 'disabled' }, 'social', ['family']).allowed, false);
  });
});

const manifest = (oidc: string) =>
  parseManifest(`id: social\nname: Social\nversion: "1"\n${oidc}`, 'app.yaml');

describe('a client from app.yaml', () => {
  test('oidc is checked with paths', () => {
    const bad = manifest(
      'oidc:\n  redirectPaths: ["auth/callback", "/x", "/x"]\n  scopes: [openid, phone]\n  extra: 1\n',
    );
    const said = bad.problems.map((p) => `${p.path}: ${p.message}`).join('\n');
    assert.match(said, /app\.yaml: oidc\.redirectPaths\[0\]: must match/);
    assert.match(
      said,
      /app\.yaml: oidc\.scopes\[1\]: must be one of openid, profile, email, groups/,
    );
    assert.match(said, /app\.yaml: oidc\.extra: is not a known field/);
    const twice = manifest('oidc:\n  redirectPaths: ["/x", "/x"]\n');
    assert.deepEqual(twice.problems, [
      { path: 'app.yaml: oidc.redirectPaths[1]', message: '"/x" is listed twice' },
    ]);
    assert.match(
      manifest('oidc: {}\n')
        .problems.map((p) => `${p.path}: ${p.message}`)
        .join(),
      /oidc\.redirectPaths: is required/,
    );
  });

  test('an install of an app with oidc gets a client secret, made once', () => {
    const { manifest: m } = manifest('oidc:\n  redirectPaths: [/auth/callback]\n');
    const first = resolveSettings(m!, {});
    assert.equal(first.secrets[CLIENT_SECRET_KEY]!.length, 48);
    const again = resolveSettings(m!, {}, { settings: {}, secrets: first.secrets });
    assert.equal(again.secrets[CLIENT_SECRET_KEY], first.secrets[CLIENT_SECRET_KEY]);
    const plain = parseManifest('id: a\nname: A\nversion: "1"\n').manifest!;
    assert.equal(CLIENT_SECRET_KEY in resolveSettings(plain, {}).secrets, false);
  });

  test('redirect URIs: each path on each web address and declared origin', () => {
    const { manifest: m } = manifest(
      'oidc:\n  redirectPaths: [/auth/callback]\n  scopes: [profile, groups]\n  origins: ["https://${DOMAIN}", "ftp://x"]\n',
    );
    const declared = declaredOrigins(m!.oidc!, { DOMAIN: 'social.example.org' });
    assert.deepEqual(declared.origins, ['https://social.example.org']);
    assert.deepEqual(declared.problems, [
      { path: 'oidc.origins[1]', message: '"ftp://x" is not an http(s) origin' },
    ]);
    const web = webOrigins('social', { publishedPort: 8080, names: ['localhost', 'fd00::1'] });
    assert.deepEqual(web, ['http://localhost:8080', 'http://[fd00::1]:8080']);
    assert.deepEqual(webOrigins('social', { domain: 'example.org', names: ['localhost'] }), [
      'https://social.example.org',
    ]);
    assert.deepEqual(webOrigins('social', { domain: 'example.org', httpsPort: 8443, names: [] }), [
      'https://social.example.org:8443',
    ]);
    assert.deepEqual(webOrigins('social', { names: ['localhost'] }), []);
    const client = clientMetadata({
      install: 'social',
      appName: 'Social',
      declaration: m!.oidc!,
      secret: 's3cret',
      origins: [...declared.origins, ...web],
    });
    assert.equal(client.client_id, 'social');
    assert.equal(client.client_secret, 's3cret');
    assert.deepEqual(client.redirect_uris, [
      'https://social.example.org/auth/callback',
      'http://localhost:8080/auth/callback',
      'http://[fd00::1]:8080/auth/callback',
    ]);
    assert.equal(client.scope, 'openid profile groups');
    assert.deepEqual(client.response_types, ['code']);
  });
});

describe('the sign-in page', () => {
  test('what it echoes is escaped; the code field only when asked', () => {
    const html = signInPage({
      action: '/oidc/interaction/u1/login',
      appName: 'Social <b>',
      username: '"><script>alert(1)</script>',
      error: 'Wrong <name>',
    });
    assert.equal(html.includes('<script>'), false);
    assert.match(html, /value="&quot;&gt;&lt;script&gt;alert\(1\)&lt;\/script&gt;"/);
    assert.match(html, /Social &lt;b&gt;/);
    assert.match(html, /role="alert" id="problem">Wrong &lt;name&gt;/);
    assert.equal(html.includes('name="totp"'), false);
    assert.match(signInPage({ action: '/x', appName: 'A', askTotp: true }), /name="totp"/);
    assert.equal(
      PAGE_CSP.includes('form-action'),
      false,
      'the redirect to the app must not be held',
    );
  });
});

describe('an install’s client, from its pinned app.yaml', () => {
  test('redirect URIs on the published web port (on the address it is bound to), or the domain', () => {
    const store = openStore(join(dir, 'clients.db'));
    after(() => store.close());
    const appDir = join(dir, 'social-app');
    mkdirSync(appDir);
    writeFileSync(
      join(appDir, 'app.yaml'),
      'id: social\nname: Social\nversion: "1"\nweb: { service: web, port: 8080 }\n' +
        'oidc: { redirectPaths: [/cb], origins: ["https://${DOMAIN:-x.example}"] }\n',
    );
    writeFileSync(
      join(appDir, 'compose.yaml'),
      'services:\n  web:\n    image: busybox\n    ports: ["127.0.0.1:18080:8080"]\n',
    );
    const definition = pinFolder(dir, appDir);
    const secret = resolveSettings(readAppFolder(appDir).manifest, {}).secrets[CLIENT_SECRET_KEY]!;
    const common = { appId: 'social', appDir, definition, appVersion: '1' };
    store.installs.create({ id: 'social', ...common, secrets: { [CLIENT_SECRET_KEY]: secret } });
    store.installs.create({ id: 'nosecret', ...common });
    let domain: string | undefined;
    const oidc = new OidcService({
      db: store.db,
      installs: store.installs,
      pins: new PinnedDefinitions(dir),
      render: { dataDir: dir },
      loadApp: appSource,
      issuer: { domain: () => domain },
      names: () => ['localhost', 'box.local'],
      log: { info() {}, warn() {}, error() {} },
    });
    const client = oidc.findClient('social')!;
    assert.equal(client.client_secret, secret);
    assert.deepEqual(client.redirect_uris, [
      'https://x.example/cb',
      'http://localhost:18080/cb',
      'http://127.0.0.1:18080/cb',
    ]);
    assert.equal(oidc.findClient('nosecret'), undefined, 'no secret, no client');
    assert.equal(oidc.findClient('absent'), undefined);
    domain = 'example.org';
    assert.deepEqual(oidc.findClient('social')!.redirect_uris, [
      'https://x.example/cb',
      'https://social.example.org/cb',
    ]);
    oidc.listening('http://192.168.1.20:8420/');
    assert.equal(oidc.issuer(), 'https://example.org/oidc');
    domain = undefined;
    assert.equal(oidc.issuer(), 'http://192.168.1.20:8420/oidc');
  });
});

describe('the issuer', () => {
  test('https://<domain>/oidc with a domain, else the daemon’s own origin', () => {
    assert.equal(issuerUrl({ domain: 'example.org' }), 'https://example.org/oidc');
    assert.equal(
      issuerUrl({ domain: 'example.org', httpsPort: 8443, selfUrl: 'http://10.0.0.2:8420/' }),
      'https://example.org:8443/oidc',
    );
    assert.equal(
      issuerUrl({ selfUrl: 'http://192.168.1.20:8420/' }),
      'http://192.168.1.20:8420/oidc',
    );
    assert.equal(issuerUrl({}), undefined);
  });
});

describe('the provider’s store (migration 12)', () => {
  const store = openStore(join(dir, 'foyer.db'));
  after(() => store.close());

  test('the adapter round-trips models, finds by uid, consumes, expires and revokes by grant', async () => {
    let clock = 1_800_000_000_000;
    const Adapter = sqliteAdapter(
      store.db,
      (id) => (id === 'social' ? { client_id: id } : undefined),
      () => clock,
    );
    const codes = new Adapter('AuthorizationCode');
    await codes.upsert('c1', { accountId: 'a', grantId: 'g1', uid: 'u1' }, 60);
    await codes.upsert('c2', { accountId: 'a', grantId: 'g2' }, 60);
    assert.deepEqual(await codes.find('c1'), { accountId: 'a', grantId: 'g1', uid: 'u1' });
    assert.deepEqual(await codes.findByUid('u1'), { accountId: 'a', grantId: 'g1', uid: 'u1' });
    assert.equal(await new Adapter('Session').find('c1'), undefined, 'models are apart');
    await codes.consume('c1');
    assert.equal((await codes.find('c1'))?.consumed, Math.floor(clock / 1000));
    await codes.revokeByGrantId('g1');
    assert.equal(await codes.find('c1'), undefined);
    await codes.destroy('c2');
    assert.equal(await codes.find('c2'), undefined);
    const sessions = new Adapter('Session');
    await sessions.upsert('s1', { uid: 'x' }, 10);
    clock += 11_000;
    assert.equal(await sessions.find('s1'), undefined, 'expired');
    assert.deepEqual(await new Adapter('Client').find('social'), { client_id: 'social' });
    assert.equal(await new Adapter('Client').find('other'), undefined);
  });

  test('keys are made once: the same kid and cookie keys at every start', async () => {
    const first = await ensureKeys(store.db);
    const again = await ensureKeys(store.db);
    assert.deepEqual(again, first);
    const [key] = first.jwks.keys;
    assert.equal(key!.alg, 'RS256');
    assert.equal(key!.kid, rsaThumbprint(key as { e: string; n: string }));
    assert.ok(key!.d, 'the private part is kept');
    assert.equal(first.cookieKeys.length, 1);
  });

  test('a member’s subject is made once and never names someone else', async () => {
    const members = membersRepository(store.db);
    members.addGroup('family');
    await members.add({ name: 'bob', email: 'bob@example.org', groups: ['family'] });
    const accounts = oidcAccounts(store.db);
    const id = store.db
      .prepare("SELECT id FROM users WHERE username = 'bob'")
      .pluck()
      .get() as number;
    const first = accounts.byUserId(id)!;
    assert.equal(accounts.byUserId(id)!.subject, first.subject);
    assert.deepEqual(accounts.bySubject(first.subject)?.groups, ['family']);
    members.remove('bob');
    await members.add({ name: 'bob', email: 'bob@example.org' });
    const newId = store.db
      .prepare("SELECT id FROM users WHERE username = 'bob'")
      .pluck()
      .get() as number;
    assert.notEqual(accounts.byUserId(newId)!.subject, first.subject);
    assert.equal(accounts.bySubject(first.subject), undefined);
  });
});
