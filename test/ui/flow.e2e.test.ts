// The web UI end to end, as a household member uses it: `foyer serve` (compiled, with the
// built UI: run `npm run build` first) on the test engine with the test catalogue, driven in
// Debian's headless Chromium. First-run setup with the code from the data dir, sign-out and
// sign-in, the BusyBox test app found in the catalogue and installed with a greeting, its
// progress, the app page with its state and its logs showing the greeting, stop, activity,
// settings, and uninstall with the confirmation. Locators go by role and label, so the test
// also checks that every control has the name a screen reader would read. Each screen is
// saved at desktop and phone width in test-results/screenshots/.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { totpCode } from '../../server/auth/totp.js';
import { instanceId } from '../../server/paths.js';
import { launchBrowser, newContext } from '../support/browser.js';
import { eventually } from '../support/foyer.js';
import { useTestEngine } from '../support/index.js';
import { startUiDaemon, type UiDaemon } from '../support/ui-daemon.js';
import { heading, see, shoot } from './ui-steps.js';

const engine = await useTestEngine();
const ADMIN = { username: 'alice', password: 'correct horse battery staple' };
const GREETING = `Hello from the e2e test ${process.pid}`;
const APP = 'Test web page';

let daemon: UiDaemon;
let browser: Browser;
let context: BrowserContext;
let page: Page;
/** The two-step verification key the settings screen showed. */
let secret = '';

/** The engine's containers of the `web` install of this test's daemon, with their state. */
async function containers(): Promise<string[]> {
  const { stdout } = await engine.docker([
    'ps',
    '-a',
    '--format',
    '{{.Names}} {{.State}}',
    '--filter',
    'label=foyer.install=web',
    '--filter',
    `label=foyer.instance=${instanceId(daemon.dataDir)}`,
  ]);
  return stdout.split('\n').filter(Boolean);
}

before(async () => {
  daemon = await startUiDaemon(engine);
  browser = await launchBrowser();
  context = await newContext(browser, 'desktop');
  page = await context.newPage();
  page.setDefaultTimeout(15_000);
});

after(async () => {
  await context?.close();
  await browser?.close();
  await daemon?.stop();
  await daemon?.removeObjects();
});

describe('the web UI, from first-run setup to uninstall', { timeout: 600_000 }, () => {
  test('first-run setup claims the box with the code from the data dir', async () => {
    await page.goto(`${daemon.url}/`);
    await heading(page, 'Welcome to Foyer');
    await shoot(page, '01-setup');
    await page.getByRole('textbox', { name: 'Setup code' }).fill(daemon.setupCode());
    await page.getByRole('textbox', { name: 'Your user name' }).fill(ADMIN.username);
    await page.getByLabel('Choose a password').fill(ADMIN.password);
    await page.getByLabel('Type the password again').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Create the account' }).click();
    await heading(page, 'Home');
    await see(page.getByText('Nothing is installed yet.'), 'the empty dashboard');
    await shoot(page, '02-dashboard-empty');
  });

  test('signing out and in again', async () => {
    await page.getByRole('button', { name: /Sign out/ }).click();
    await heading(page, 'Sign in');
    await shoot(page, '03-login');
    await page.getByRole('textbox', { name: 'User name' }).fill(ADMIN.username);
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await heading(page, 'Home');
  });

  test('the catalogue finds the BusyBox test app', async () => {
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Catalogue' })
      .click();
    await heading(page, 'Catalogue');
    await page.getByLabel('Search').fill('BusyBox page');
    const install = await see(
      page.getByRole('link', { name: `Install ${APP}` }),
      'the test app in the search results',
    );
    await shoot(page, '04-catalogue');
    await install.click();
  });

  test('installing with a greeting shows the progress, then the app running', async () => {
    await heading(page, `Install ${APP}`);
    await page.getByLabel('Greeting').fill(GREETING);
    await shoot(page, '05-install-form');
    await page.getByRole('button', { name: 'Install', exact: true }).click();
    await heading(page, `Installing ${APP}`);
    await shoot(page, '06-progress');
    await see(page.getByText(`${APP} is installed and running.`), 'the install done', 180_000);
    await shoot(page, '07-installed');
    assert.deepEqual(await containers(), ['web-web-1 running']);
  });

  test('the app page shows each part, its health and the greeting in its logs', async () => {
    await page.getByRole('link', { name: 'Go to the app’s page' }).click();
    await heading(page, APP);
    const main = page.getByRole('main');
    await see(main.getByText('Running', { exact: true }), 'the state "Running"');
    await see(main.getByRole('heading', { name: 'web', exact: true }), 'the service "web"');
    await see(main.getByText('Healthy', { exact: true }), 'the service healthy', 30_000);
    const log = page.getByRole('log', { name: 'Log lines' });
    await see(log.getByText(`serving: ${GREETING}`), 'the greeting in the logs', 30_000);
    // The search filters the lines; a search that matches nothing says so.
    const search = page.getByLabel('Search the logs');
    await search.fill('no such line anywhere');
    await see(log.getByText('No line matches your search.'), 'the empty search result');
    await search.fill('SERVING');
    await see(log.getByText(`serving: ${GREETING}`), 'the line found again');
    await search.fill('');
    await shoot(page, '08-app-running');
    await page.emulateMedia({ colorScheme: 'dark' });
    await shoot(page, '08-app-running-dark');
    await page.emulateMedia({ colorScheme: 'light' });
  });

  test('the dashboard lists the install with its state', async () => {
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Home' })
      .click();
    await heading(page, 'Home');
    const card = page.getByRole('article', { name: APP });
    await see(card.getByText('Running', { exact: true }), 'the running card');
    await shoot(page, '09-dashboard');
    await card.getByRole('link', { name: `Details of ${APP}` }).click();
    await heading(page, APP);
  });

  test('stop stops it, and the page says so', async () => {
    await page.getByRole('button', { name: 'Stop', exact: true }).click();
    await see(page.getByText(`${APP} is stopped.`), 'the stop done', 60_000);
    await see(page.getByRole('button', { name: 'Start', exact: true }), 'the start button');
    await see(page.getByRole('main').getByText('Stopped', { exact: true }), 'the state "Stopped"');
    await shoot(page, '10-app-stopped');
    assert.deepEqual(await containers(), ['web-web-1 exited']);
  });

  test('activity lists the jobs and the audit log', async () => {
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Activity' })
      .click();
    await heading(page, 'Activity');
    const jobs = page.getByRole('region', { name: 'Jobs' });
    await see(jobs.getByText('Install', { exact: false }), 'the install job');
    await see(jobs.getByText('Stop', { exact: false }), 'the stop job');
    const audit = page.getByRole('region', { name: 'Audit log' });
    const entries = audit.getByRole('listitem');
    await see(entries.filter({ hasText: /^\s*Signed in/ }), 'a sign-in in the audit log');
    await see(entries.filter({ hasText: /^\s*Stopped · web/ }), 'the stop in the audit log');
    await shoot(page, '11-activity');
  });

  test('settings: account and an API token shown once; two-step verification set up on My account', async () => {
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Settings' })
      .click();
    await heading(page, 'Settings');
    await see(page.getByText(ADMIN.username, { exact: true }), 'the account name');
    await page.getByLabel('Name of the new token').fill('e2e script');
    // A token outlives the session: the password is asked again, and a wrong one makes nothing.
    const confirm = page.getByLabel('Your password, to confirm');
    await confirm.fill('not the password');
    await page.getByRole('button', { name: 'Make a token' }).click();
    await see(page.getByText('That password is wrong, so nothing was made.'), 'the refusal');
    assert.equal(await confirm.inputValue(), '', 'the password field emptied');
    assert.equal(await page.locator('code.token').count(), 0, 'no token shown');
    await confirm.fill(ADMIN.password);
    await page.getByRole('button', { name: 'Make a token' }).click();
    await see(page.getByText(/The token “e2e script” was made/), 'the new token');
    assert.equal(await confirm.inputValue(), '', 'the password field emptied');
    const value = (await page.locator('code.token').textContent()) ?? '';
    const me = await fetch(`${daemon.url}/api/auth/me`, {
      headers: { authorization: `Bearer ${value.trim()}` },
    });
    assert.equal(me.status, 200, 'the token shown works');
    // Revoked: it stops working at once, and its value is no longer on screen as if it worked.
    await page.getByRole('button', { name: 'Revoke e2e script' }).click();
    await page
      .getByRole('dialog', { name: 'Revoke the token “e2e script”?' })
      .getByRole('button', { name: 'Revoke' })
      .click();
    await eventually(
      'the revoked token to leave the screen',
      async () => (await page.locator('code.token').count()) === 0,
    );
    const revoked = await fetch(`${daemon.url}/api/auth/me`, {
      headers: { authorization: `Bearer ${value.trim()}` },
    });
    assert.equal(revoked.status, 401, 'the revoked token opens nothing');
    // Password and two-step verification are on My account (issue 14), linked from Settings.
    await page.getByRole('main').getByRole('link', { name: 'My account' }).click();
    await heading(page, 'My account');
    await page.getByRole('button', { name: 'Turn on two-step verification' }).click();
    await see(
      page.getByRole('img', { name: 'QR code for your authenticator app' }),
      'the QR code to scan',
    );
    await see(page.getByText('Link for authenticator apps'), 'the otpauth link');
    await shoot(page, '12-my-account-two-step');
    // As the phone's app would: a code from the key shown.
    const key = ((await page.locator('code.secret').textContent()) ?? '').replace(/\s/g, '');
    await page.getByLabel('The 6-digit code the app shows').fill(totpCode(key, Date.now()));
    await page.getByRole('button', { name: 'Turn on', exact: true }).click();
    await see(page.getByText('Two-step verification is on.'), 'two-step verification on');
    secret = key;
  });

  test('signing in then asks for the second factor', async () => {
    await page.getByRole('button', { name: /Sign out/ }).click();
    await heading(page, 'Sign in');
    await page.getByRole('textbox', { name: 'User name' }).fill(ADMIN.username);
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await heading(page, 'Two-step verification');
    await shoot(page, '03-login-second-factor');
    // The code of the next 30-second step: the current one was spent turning it on.
    await page.getByRole('textbox', { name: 'Code' }).fill(totpCode(secret, Date.now() + 30_000));
    await page.getByRole('button', { name: 'Verify' }).click();
    await heading(page, 'Home');
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'My account' })
      .click();
    await heading(page, 'My account');
    await page.getByLabel('Your password, to turn it off').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Turn off two-step verification' }).click();
    await see(page.getByText('Two-step verification is off.'), 'two-step verification off');
  });

  test('uninstall asks first, with deleting the data a separate choice', async () => {
    await page.goto(`${daemon.url}/#/apps/web`);
    await heading(page, APP);
    await page.getByRole('button', { name: 'Uninstall', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: `Uninstall ${APP}?` });
    await see(dialog, 'the confirmation');
    const purge = dialog.getByRole('checkbox', { name: /Also delete this app’s data/ });
    assert.equal(await purge.isChecked(), false, 'deleting the data is not the default');
    await shoot(page, '13-uninstall-confirm');
    await purge.check();
    await dialog.getByRole('button', { name: 'Uninstall and delete data' }).click();
    await see(page.getByText(`${APP} was uninstalled.`), 'the uninstall done', 120_000);
    await shoot(page, '14-uninstalled');
    await eventually('the containers gone', async () => (await containers()).length === 0);
    const { stdout } = await engine.docker([
      'volume',
      'ls',
      '-q',
      '--filter',
      `label=foyer.instance=${instanceId(daemon.dataDir)}`,
    ]);
    assert.equal(stdout.trim(), '', 'the data was deleted as asked');
  });
});
