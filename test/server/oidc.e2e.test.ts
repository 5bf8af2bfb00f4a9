// Single sign-on for web apps (issue 14) with a real relying party: a tiny web app served by the
// test on loopback uses `openid-client` (authorization code + PKCE) against Foyer's /oidc
// discovery, and Debian's Chromium does what a member does. The RP is at `localhost`, Foyer at
// `127.0.0.1`: two sites, so Foyer's SameSite=Strict session cookie is withheld on the way in,
// as it is for an app on another domain. The client is the `sso` test app's install; its
// issuer, id and secret are read from its container's environment (what the app is handed).
//
// Members and groups are written to the store directly, as the members API does, so the test
// does not build slapd (the directory's own tests cover the API and LDAP).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { generateSecret, totpCode } from '../../server/auth/totp.js';
import { membersRepository } from '../../server/directory/members.js';
import { openStore, type Store } from '../../server/store/index.js';
import { usersRepository } from '../../server/store/users.js';
import { launchBrowser, newContext } from '../support/browser.js';
import { eventually, spawnDaemon, TEST_CATALOG } from '../support/foyer.js';
import { useTestEngine } from '../support/index.js';
import { freePort } from '../support/ports.js';
import { type RelyingParty, startRelyingParty } from '../support/relying-party.js';
import { startUiDaemon, type UiDaemon } from '../support/ui-daemon.js';
import { see } from '../ui/ui-steps.js';

const engine = await useTestEngine();
const PASSWORD = 'a long member password';
let daemon: UiDaemon;
let store: Store;
let rp: RelyingParty;
let browser: Browser;
let port: number;
let issuer: string;
let firstKid: string;
const contexts: BrowserContext[] = [];
let restarted: ReturnType<typeof spawnDaemon> | undefined;

async function page(): Promise<Page> {
  const context = await newContext(browser, 'desktop');
  contexts.push(context);
  const p = await context.newPage();
  p.setDefaultTimeout(20_000);
  if (process.env.FOYER_TEST_LOG) {
    p.on('response', (r) => console.log('response', r.status(), r.request().method(), r.url()));
    p.on('console', (m) => console.log('console', m.text()));
  }
  return p;
}

/** Follows the RP's sign-in link; signs in on Foyer's form when it is shown. */
async function signIn(p: Page, name?: string): Promise<string> {
  await p.goto(`${rp.origin}/`);
  await p.getByRole('link', { name: 'Sign in with Foyer' }).click();
  if (name !== undefined) {
    await p.getByLabel('Name').fill(name);
    await p.getByLabel('Password').fill(PASSWORD);
    await p.getByRole('button', { name: 'Sign in' }).click();
  }
  try {
    await p.waitForURL((url) => url.origin === rp.origin || url.pathname.endsWith('/login'));
    return (await p.locator('#result, p.error').first().textContent()) ?? '';
  } catch (error) {
    const shown =
      (await p
        .locator('body')
        .textContent()
        .catch(() => '')) ?? '';
    throw new Error(`${(error as Error).message}\nat ${p.url()}:\n${shown.slice(0, 1000)}`);
  }
}

const env = async (container: string) => {
  const { stdout } = await engine.docker([
    'inspect',
    container,
    '--format',
    '{{json .Config.Env}}',
  ]);
  return Object.fromEntries(
    (JSON.parse(stdout) as string[]).map((line) => [
      line.slice(0, line.indexOf('=')),
      line.slice(line.indexOf('=') + 1),
    ]),
  );
};

before(async () => {
  port = await freePort();
  daemon = await startUiDaemon(engine, { env: { FOYER_PORT: String(port) } });
  await daemon.setup('alice', 'correct horse battery staple');
  store = openStore(join(daemon.dataDir, 'foyer.db'));
  const members = membersRepository(store.db);
  members.addGroup('family');
  members.addGroup('others');
  await members.add({
    name: 'bob',
    email: 'bob@example.org',
    displayName: 'Bob B',
    password: PASSWORD,
    groups: ['family'],
  });
  await members.add({
    name: 'carol',
    email: 'carol@example.org',
    password: PASSWORD,
    groups: ['others'],
  });
  await members.add({
    name: 'erin',
    email: 'erin@example.org',
    password: PASSWORD,
    groups: ['family'],
  });
  await members.add({
    name: 'dave',
    email: 'dave@example.org',
    password: PASSWORD,
    groups: ['family'],
  });
  const rpPort = await freePort();
  const installed = await daemon.api('POST', '/api/installs', {
    app: 'sso',
    id: 'sso',
    settings: { RP_PORT: rpPort },
  });
  assert.equal(installed.status, 202, JSON.stringify(installed.body));
  members.grant('sso', 'family');
  const handed = await eventually(
    'the sso app to run with its client',
    async () => {
      const handedEnv = await env('sso-app-1').catch(() => undefined);
      return handedEnv?.OIDC_CLIENT_SECRET ? handedEnv : undefined;
    },
    120_000,
  );
  issuer = handed.OIDC_ISSUER!;
  assert.equal(issuer, `http://127.0.0.1:${port}/oidc`);
  assert.equal(handed.OIDC_CLIENT_ID, 'sso');
  assert.equal(handed.OIDC_CLIENT_SECRET!.length, 48);
  rp = await startRelyingParty({
    port: rpPort,
    issuer,
    clientId: handed.OIDC_CLIENT_ID!,
    clientSecret: handed.OIDC_CLIENT_SECRET!,
  });
  browser = await launchBrowser();
});

after(async () => {
  for (const context of contexts) await context.close().catch(() => {});
  await browser?.close();
  await rp?.close();
  store?.close();
  await restarted?.kill('SIGTERM');
  await daemon?.stop();
  await daemon?.removeObjects();
});

describe('OpenID Connect for web apps, with a real relying party', { timeout: 300_000 }, () => {
  test('a member with access signs in; the ID token verifies and carries their groups', async () => {
    const p = await page();
    assert.match(await signIn(p, 'bob'), /signed in as bob/);
    const got = rp.results.at(-1)!;
    assert.equal(got.error, undefined);
    assert.equal(got.claims?.iss, issuer);
    assert.equal(got.claims?.aud, 'sso');
    assert.equal(got.claims?.preferred_username, 'bob');
    assert.equal(got.claims?.name, 'Bob B');
    assert.equal(got.claims?.email, 'bob@example.org');
    assert.equal(got.claims?.email_verified, true);
    assert.deepEqual(got.claims?.groups, ['family']);
    assert.match(String(got.claims?.sub), /^[0-9a-f-]{36}$/);
    firstKid = got.kid!;
    // Signed into Foyer now: the next sign-in goes straight back, without the form.
    const before = rp.results.length;
    assert.match(await signIn(p), /signed in as bob/);
    assert.equal(rp.results.length, before + 1);
    assert.equal(rp.results.at(-1)!.claims?.sub, got.claims?.sub);
  });

  test('a French browser gets the sign-in page in French (Accept-Language)', async () => {
    const context = await newContext(browser, 'desktop', { locale: 'fr-FR' });
    contexts.push(context);
    const p = await context.newPage();
    p.setDefaultTimeout(20_000);
    await p.goto(`${rp.origin}/`);
    await p.getByRole('link', { name: 'Sign in with Foyer' }).click();
    await see(p.getByRole('heading', { name: 'Se connecter avec Foyer' }), 'the French title');
    assert.equal(await p.locator('html').getAttribute('lang'), 'fr');
    await p.getByLabel('Nom', { exact: true }).fill('bob');
    await p.getByLabel('Mot de passe', { exact: true }).fill(PASSWORD);
    await p.getByRole('button', { name: 'Se connecter' }).click();
    await p.waitForURL((url) => url.origin === rp.origin);
    assert.equal(rp.results.at(-1)!.claims?.preferred_username, 'bob');
  });

  test('a member in no group granted to the app is refused', async () => {
    const p = await page();
    assert.match(await signIn(p, 'carol'), /refused: access_denied/);
    assert.equal(rp.results.at(-1)!.error, 'access_denied');
  });

  test('a disabled member is refused, signed in or not', async () => {
    const p = await page();
    assert.match(await signIn(p, 'dave'), /signed in as dave/);
    membersRepository(store.db).setState('dave', 'disabled');
    const before = rp.results.length;
    // Their Foyer session ended with the disable: the form again, and the password fails.
    const said = await signIn(p, 'dave');
    assert.match(said, /Wrong name, password or code/);
    assert.equal(rp.results.length, before, 'the app received nothing');
  });

  test('two-step verification: the code is asked for, and a wrong one refused', async () => {
    const users = usersRepository(store.db);
    const erin = users.getByUsername('erin')!;
    const secret = generateSecret();
    users.setTotpSecret(erin.id, secret);
    users.setTotpEnabled(erin.id, true);
    const p = await page();
    assert.match(await signIn(p, 'erin'), /code from your authenticator app/i);
    const code = p.getByLabel('Code from your authenticator app');
    await code.fill(totpCode(secret, Date.now() + 300_000));
    await p.getByLabel('Password').fill(PASSWORD);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await see(p.getByText('Wrong name, password or code.'), 'the refusal of a wrong code');
    await p.getByLabel('Password').fill(PASSWORD);
    await p.getByLabel('Code from your authenticator app').fill(totpCode(secret, Date.now()));
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.waitForURL((url) => url.origin === rp.origin);
    assert.equal(rp.results.at(-1)!.claims?.preferred_username, 'erin');
  });

  test('failed guesses count with Foyer’s own sign-in: one guard for both doors', async () => {
    const p = await page();
    for (let i = 0; i < 5; i++) {
      await p.goto(`${rp.origin}/login`);
      await p.getByLabel('Name').fill('carol');
      await p.getByLabel('Password').fill('not the password');
      await p.getByRole('button', { name: 'Sign in' }).click();
      await see(p.getByText('Wrong name, password or code.'), `refusal ${i + 1}`);
    }
    await p.getByLabel('Password').fill(PASSWORD);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await see(p.getByText(/Too many failed attempts/), 'the sign-in limit');
    const api = await daemon.api('POST', '/api/auth/login', {
      username: 'carol',
      password: PASSWORD,
    });
    assert.equal(api.status, 429, 'Foyer’s own sign-in counts the same guesses');
  });

  test('the signing key survives a restart (same kid)', async () => {
    await daemon.stop();
    restarted = spawnDaemon(engine, daemon.dataDir, {
      FOYER_CATALOG: TEST_CATALOG,
      FOYER_PORT: String(port),
      FOYER_LOG_LEVEL: 'warn',
    });
    await eventually('the daemon to answer again', () =>
      restarted!.output().includes('Foyer is running at'),
    );
    const jwks = (await (await fetch(`${issuer}/jwks`)).json()) as { keys: { kid: string }[] };
    assert.deepEqual(
      jwks.keys.map((k) => k.kid),
      [firstKid],
    );
    const p = await page();
    assert.match(await signIn(p, 'bob'), /signed in as bob/);
    // The RP verified it against the JWKS the restarted daemon serves.
    assert.equal(rp.results.at(-1)!.kid, firstKid);
  });
});
