// My account's QR codes (issue 14) in headless Chromium against a real `foyer serve`: a member
// whose group may use chat and calendar sees each service's settings with a QR code, and the
// chat code, decoded from a screenshot's pixels (jsQR), is the member's `xmpp:` address, the
// calendar's the CalDAV URL; an app password asks for the member's password again (a wrong one
// is refused and makes nothing), then is made, shown once, listed and revoked. The store is
// filled before the daemon starts (installs stopped, no directory yet), so nothing is built:
// the page reads only the installs' settings.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import jsqr from 'jsqr';
import type { Locator, Page } from 'playwright-core';
import { membersRepository } from '../../server/directory/members.js';
import { APP_PASSWORD_PATTERN } from '../../server/store/app-passwords.js';
import { openStore } from '../../server/store/index.js';
import { addFolderInstall, FOYER_CATALOG } from '../support/foyer.js';
import { useTestEngine } from '../support/index.js';
import {
  closeAll,
  openSignedIn,
  type SignedInBrowser,
  startUiDaemon,
  type UiDaemon,
} from '../support/ui-daemon.js';
import { heading, see, shoot } from './ui-steps.js';

// A CommonJS module: Node's default export is module.exports, whose `default` is the function.
const jsQR = jsqr.default;
const engine = await useTestEngine();
const PASSWORD = 'alice long password 1';
let daemon: UiDaemon;
let ui: SignedInBrowser | undefined;
let page: Page;

before(async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'foyer-ui-data-'));
  const store = openStore(join(dataDir, 'foyer.db'));
  for (const [id, app, settings] of [
    ['chat', 'chat', { DOMAIN: 'lune.test', C2S_PORT: '15222', S2S_PORT: '15269' }],
    ['agenda', 'calendar', { PORT: '15232' }],
  ] as const) {
    addFolderInstall(store, id, join(FOYER_CATALOG, app), settings);
    store.installs.setDesired(id, 'stopped');
  }
  const members = membersRepository(store.db);
  await members.add({ name: 'admin', email: 'admin@lune.test', role: 'admin', password: PASSWORD });
  members.addGroup('friends');
  members.grant('chat', 'friends');
  members.grant('agenda', 'friends');
  await members.add({
    name: 'alice',
    email: 'alice@lune.test',
    password: PASSWORD,
    groups: ['friends'],
  });
  store.close();

  daemon = await startUiDaemon(engine, { dataDir, env: { FOYER_CATALOG } });
  const signedIn = await daemon.api('POST', '/api/auth/login', {
    username: 'alice',
    password: PASSWORD,
  });
  assert.equal(signedIn.status, 200, JSON.stringify(signedIn.body));
  ui = await openSignedIn(daemon);
  page = ui.page;
});

after(async () => {
  await closeAll(ui, daemon);
});

/** The text of the QR code in `image`, read from a screenshot of it as a phone's camera would. */
async function decode(image: Locator): Promise<string | undefined> {
  const png = (await image.screenshot()).toString('base64');
  // The browser turns the PNG into pixels (no PNG decoder needed here); jsQR reads them.
  const { width, height, data } = await image.page().evaluate(async (b64) => {
    const img = new Image();
    img.src = `data:image/png;base64,${b64}`;
    await img.decode();
    const canvas = document.createElement('canvas');
    canvas.width = img.naturalWidth;
    canvas.height = img.naturalHeight;
    const g = canvas.getContext('2d')!;
    g.drawImage(img, 0, 0);
    const pixels = g.getImageData(0, 0, canvas.width, canvas.height);
    return { width: pixels.width, height: pixels.height, data: Array.from(pixels.data) };
  }, png);
  return jsQR(Uint8ClampedArray.from(data), width, height)?.data;
}

describe('QR codes on My account', { timeout: 5 * 60_000 }, () => {
  test('chat: the code holds the member’s xmpp: address; calendar: the CalDAV URL', async () => {
    await page.goto(`${daemon.url}/#/account`);
    await heading(page, 'My account');
    const chat = await see(
      page.getByRole('img', { name: 'QR code of xmpp:alice@lune.test' }),
      'the chat code',
    );
    await see(page.getByText('Scan with your phone’s chat app'), 'what the chat code is for');
    assert.equal(await decode(chat), 'xmpp:alice@lune.test');

    const caldav = new URL(daemon.url);
    const url = `http://${caldav.hostname}:15232/alice/`;
    const calendar = await see(
      page.getByRole('img', { name: `QR code of ${url}` }),
      'the calendar code',
    );
    assert.equal(await decode(calendar), url);
    await see(
      page.getByRole('figure').filter({ hasText: url }),
      'the calendar caption names the URL',
    );
    await shoot(page, 'account-qr-01');
  });

  test('an app password: asks the password again, made and shown once, listed, revoked', async () => {
    const section = page.getByRole('region', { name: 'App passwords' });
    await see(section.getByText('You have no app passwords.'), 'none yet');
    const label = section.getByLabel('What is it for?');
    await label.fill('Thunderbird on the laptop');
    // It outlives the session and skips two-step verification: the password is asked again.
    const confirm = section.getByLabel('Your password, to confirm');
    assert.equal(await confirm.getAttribute('type'), 'password');
    await confirm.fill('not the password');
    await section.getByRole('button', { name: 'Make an app password' }).click();
    await see(section.getByText('That password is wrong, so nothing was made.'), 'the refusal');
    assert.equal(await confirm.inputValue(), '', 'the password field emptied');
    assert.equal(await label.inputValue(), 'Thunderbird on the laptop', 'the label kept');
    assert.equal(await section.getByTestId('app-password').count(), 0, 'nothing shown');
    await see(section.getByText('You have no app passwords.'), 'nothing made');
    await shoot(page, 'account-app-password-00-refused');

    await confirm.fill(PASSWORD);
    await section.getByRole('button', { name: 'Make an app password' }).click();
    const shown = await see(section.getByTestId('app-password'), 'the new app password');
    assert.match((await shown.textContent()) ?? '', APP_PASSWORD_PATTERN);
    assert.equal(await confirm.inputValue(), '', 'the password field emptied');
    assert.equal(await section.getByText(/That password is wrong/).count(), 0, 'refusal gone');
    const list = section.getByRole('list', { name: 'App passwords' });
    await see(list.getByText('Thunderbird on the laptop'), 'listed by its label');
    await shoot(page, 'account-app-password-01');

    await list.getByRole('button', { name: 'Revoke Thunderbird on the laptop' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke' }).click();
    await see(section.getByText('You have no app passwords.'), 'gone once revoked');
    assert.equal(await section.getByTestId('app-password').count(), 0, 'not shown again');
  });

  test('in French, the caption too', async () => {
    await page.getByRole('combobox', { name: 'Language' }).selectOption('fr');
    await heading(page, 'Mon compte');
    await see(
      page.getByRole('img', { name: 'Code QR de xmpp:alice@lune.test' }),
      'the French label',
    );
    await see(page.getByText('Scannez avec l’application de messagerie'), 'the French caption');
    await see(page.getByLabel('Votre mot de passe, pour confirmer'), 'the French password field');
    await shoot(page, 'account-qr-02-fr');
  });
});
