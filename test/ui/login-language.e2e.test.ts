// Two things a person meets before anything else, in a phone-sized Chromium: a wrong password
// is refused with a message in words (and no session), and a browser that prefers French gets
// the catalogue (and activity and settings) in French, then English again through the switch.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { launchBrowser, newContext, screenshot } from '../support/browser.js';
import { useTestEngine } from '../support/index.js';
import { startUiDaemon, type UiDaemon } from '../support/ui-daemon.js';
import { heading, see } from './ui-steps.js';

const engine = await useTestEngine();
const ADMIN = { username: 'bob', password: 'a long and proper passphrase' };

let daemon: UiDaemon;
let browser: Browser;

before(async () => {
  daemon = await startUiDaemon(engine);
  await daemon.setup(ADMIN.username, ADMIN.password);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await daemon?.stop();
  await daemon?.removeObjects();
});

describe('sign-in and language', { timeout: 120_000 }, () => {
  for (const size of ['phone', 'desktop'] as const) {
    test(`a wrong password shows an error and signs nobody in (${size})`, async () => {
      const context = await newContext(browser, size);
      try {
        const page = await context.newPage();
        await page.goto(`${daemon.url}/`);
        await heading(page, 'Sign in');
        await page.getByRole('textbox', { name: 'User name' }).fill(ADMIN.username);
        await page.getByLabel('Password').fill('not the password');
        await page.getByRole('button', { name: 'Sign in', exact: true }).click();
        const alert = await see(
          page.getByRole('alert').filter({ hasText: 'The user name, password or code is wrong.' }),
          'the wrong-password message',
        );
        assert.ok(await alert.isVisible());
        await screenshot(page, '20-login-wrong-password');
        await heading(page, 'Sign in');
        const cookies = await context.cookies();
        assert.ok(!cookies.some((c) => c.name === 'foyer_session'), 'no session was given');
      } finally {
        await context.close();
      }
    });
  }

  for (const size of ['phone', 'desktop'] as const) {
    test(`a browser preferring French gets the catalogue in French (${size})`, async () => {
      const context = await newContext(browser, size, { locale: 'fr-FR', colorScheme: 'dark' });
      try {
        const page = await context.newPage();
        await page.goto(`${daemon.url}/`);
        await heading(page, 'Connexion');
        assert.equal(await page.locator('html').getAttribute('lang'), 'fr');
        await page.getByRole('textbox', { name: 'Nom d’utilisateur' }).fill(ADMIN.username);
        await page.getByLabel('Mot de passe').fill(ADMIN.password);
        await page.getByRole('button', { name: 'Se connecter', exact: true }).click();
        await heading(page, 'Accueil');
        await page
          .getByRole('navigation', { name: 'Principale' })
          .getByRole('link', { name: 'Catalogue' })
          .click();
        await heading(page, 'Catalogue');
        await see(
          page.getByText('Les applications que vous pouvez installer sur ce serveur.'),
          'the French introduction',
        );
        await see(page.getByRole('link', { name: 'Installer Test web page' }), 'French links');
        await page.getByLabel('Rechercher').fill('BusyBox page');
        await see(page.getByText('Applications affichées : 1'), 'the French count');
        await screenshot(page, '21-catalogue-fr-dark');
        const nav = page.getByRole('navigation', { name: 'Principale' });
        await nav.getByRole('link', { name: 'Activité' }).click();
        await heading(page, 'Activité');
        await see(page.getByRole('region', { name: 'Journal d’audit' }), 'the French audit log');
        await see(page.getByText(/^\s*Connexion/).first(), 'a sign-in, in French');
        await screenshot(page, '22-activity-fr-dark');
        await nav.getByRole('link', { name: 'Réglages' }).click();
        await heading(page, 'Réglages');
        await see(page.getByRole('button', { name: 'Créer un jeton' }), 'French settings');
        await screenshot(page, '23-settings-fr-dark');
        await nav.getByRole('link', { name: 'Catalogue' }).click();
        await heading(page, 'Catalogue');
        // The switch changes every text at once, without a reload, and is remembered.
        await page.getByLabel('Langue').selectOption('en');
        await heading(page, 'Catalogue');
        await see(page.getByText('Apps you can install on this server.'), 'English again');
        await page.reload();
        await see(page.getByText('Apps you can install on this server.'), 'English remembered');
      } finally {
        await context.close();
      }
    });
  }
});
