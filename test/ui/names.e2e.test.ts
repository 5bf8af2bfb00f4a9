// The "Names and HTTPS" screen (issue 13) end to end: `foyer serve` (compiled, with the built
// UI: run `npm run build` first) on the test engine, its edge on free loopback ports
// (FOYER_HTTP_PORT, FOYER_HTTPS_PORT), the BusyBox `web` app installed, driven in Debian's
// headless Chromium as an admin. A domain the daemon refuses shows its error next to the field
// and changes nothing; home mode set through the screen lists Foyer's name and the app's with
// the issuer and expiry of their certificates; the root certificate downloaded from the screen
// is a PEM CA certificate that verifies what the edge serves; public mode with a root that is
// not a certificate, then with a directory that does not answer, is refused by field and
// leaves home mode in place; the app's card opens its HTTPS
// address, and the edge (Foyer's own) is not among the apps; and the screen speaks French.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { connect } from 'node:tls';
import type { Page } from 'playwright-core';
import { eventually } from '../support/foyer.js';
import { useTestEngine } from '../support/index.js';
import { freePort } from '../support/ports.js';
import {
  closeAll,
  installRunning,
  openSignedIn,
  type SignedInBrowser,
  startUiDaemon,
  type UiDaemon,
} from '../support/ui-daemon.js';
import { heading, see, shoot } from './ui-steps.js';

const engine = await useTestEngine();
const DOMAIN = 'foyer.home.arpa';
const APP_NAME = `web.${DOMAIN}`;
let httpsPort = 0;
let daemon: UiDaemon;
let ui: SignedInBrowser | undefined;
let page: Page;
let downloadedPem = '';

interface DomainStatus {
  mode: string | null;
  domain: string | null;
  names: { name: string; issuer?: string | null; expires?: string | null }[];
}

const domainStatus = async () => (await daemon.api<DomainStatus>('GET', '/api/domain')).body;

/** The certificate the edge serves for `name`, checked against `ca`; rejects if it does not verify. */
function servedCertificate(name: string, ca: string): Promise<X509Certificate> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port: httpsPort, servername: name, ca }, () => {
      const peer = socket.getPeerX509Certificate();
      socket.end();
      if (!peer) reject(new Error('no certificate'));
      else resolve(peer);
    });
    socket.once('error', reject);
    socket.setTimeout(10_000, () => socket.destroy(new Error(`no TLS answer for ${name}`)));
  });
}

before(async () => {
  httpsPort = await freePort();
  daemon = await startUiDaemon(engine, {
    env: { FOYER_HTTP_PORT: String(await freePort()), FOYER_HTTPS_PORT: String(httpsPort) },
  });
  await daemon.setup('alice', 'correct horse battery staple');
  await installRunning(daemon, 'web');
  ui = await openSignedIn(daemon);
  page = ui.page;
});

after(async () => {
  await closeAll(ui, daemon);
});

describe('names and HTTPS in the web UI', { timeout: 600_000 }, () => {
  test('settings lead an admin to the screen; no domain is set yet', async () => {
    await page.goto(`${daemon.url}/#/settings`);
    await heading(page, 'Settings');
    await page.getByRole('link', { name: 'Set up names and HTTPS' }).click();
    await heading(page, 'Names and HTTPS');
    await see(page.getByText('No domain yet'), 'the state without a domain');
    await shoot(page, 'names-01-empty');
  });

  test('a domain the daemon refuses shows its error next to the field and changes nothing', async () => {
    await page.getByRole('radio', { name: /At home only/ }).check();
    const field = page.getByRole('textbox', { name: /^Domain/ });
    await field.fill('not a domain!');
    await page.getByRole('button', { name: 'Apply' }).click();
    await see(page.getByText('Nothing was changed.'), 'the form’s refusal');
    assert.equal(await field.getAttribute('aria-invalid'), 'true', 'the field is marked');
    const error = await field.evaluate(
      (input) =>
        (input.getAttribute('aria-describedby') ?? '')
          .split(' ')
          .map((id) => document.getElementById(id))
          .find((el) => el?.classList.contains('error'))?.textContent,
    );
    assert.ok(error && error.length > 5, `the daemon's words are tied to the field: ${error}`);
    await shoot(page, 'names-02-bad-domain');
    const status = await domainStatus();
    assert.equal(status.domain, null, 'no domain was stored');
    assert.equal(status.mode, null);
  });

  test('home mode for a domain: the names are listed with issuer and expiry', async () => {
    await page.getByRole('textbox', { name: /^Domain/ }).fill(DOMAIN);
    await page.getByRole('button', { name: 'Apply' }).click();
    await see(page.getByText('Saved.'), 'the form’s success');
    await see(page.getByText(`Foyer is at`), 'the new state');
    const list = page.locator('section', { has: page.getByRole('heading', { name: 'Names' }) });
    for (const name of [DOMAIN, APP_NAME]) {
      await see(list.getByRole('link', { name: `Open ${name}` }), `the name ${name}`);
    }
    // The edge's first start builds its image from Debian: minutes on a busy machine. The screen
    // keeps reading the status meanwhile, so the certificates show up without a reload.
    await see(list.getByText(/Valid until/).nth(1), 'both certificates valid', 300_000);
    await see(list.getByText(/Signed by /).first(), 'the issuer');
    const status = await domainStatus();
    assert.equal(status.mode, 'internal');
    assert.equal(status.domain, DOMAIN);
    for (const name of [DOMAIN, APP_NAME]) {
      const entry = status.names.find((n) => n.name === name);
      assert.ok(
        entry?.issuer && entry.expires,
        `${name} has a certificate: ${JSON.stringify(entry)}`,
      );
      assert.ok(new Date(entry.expires).getTime() > Date.now(), `${name} is not expired`);
    }
    await see(page.getByRole('heading', { name: 'DNS records to create' }), 'the DNS records');
    await see(page.getByText(`*.${DOMAIN}`), 'the wildcard record');
    await see(page.getByText('Nothing to forward in home mode'), 'no ports in home mode');
    await shoot(page, 'names-03-home-mode');
  });

  test('the root certificate downloads as a PEM CA certificate that verifies the edge', async () => {
    const section = page.locator('section', {
      has: page.getByRole('heading', { name: 'Trust this box on your devices' }),
    });
    for (const system of ['Android', 'iPhone and iPad', 'Windows', 'macOS', 'Linux', 'Firefox']) {
      await see(section.getByText(system, { exact: false }).first(), `instructions for ${system}`);
    }
    await section.getByText('iPhone and iPad').click();
    await see(section.getByText('Certificate Trust Settings'), 'iOS full trust step');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      section.getByRole('link', { name: 'Download the certificate' }).click(),
    ]);
    assert.match(download.suggestedFilename(), /\.crt$/);
    const path = await download.path();
    downloadedPem = readFileSync(path, 'utf8');
    assert.match(
      downloadedPem,
      /^-----BEGIN CERTIFICATE-----\r?\n[A-Za-z0-9+/=\r\n]+-----END CERTIFICATE-----\s*$/,
    );
    const root = new X509Certificate(downloadedPem);
    assert.equal(root.ca, true, 'a CA certificate, not a site certificate');
    // What the edge serves for each name chains to it, and is a leaf for that name.
    for (const name of [DOMAIN, APP_NAME]) {
      const leaf = await servedCertificate(name, downloadedPem);
      assert.equal(leaf.ca, false, `${name}: a leaf certificate`);
      assert.ok(leaf.checkHost(name), `${name}: the certificate names it`);
    }
    await shoot(page, 'names-04-trust');
  });

  test('public mode with a root that is no certificate, then a directory that does not answer: refused by field', async () => {
    await page.getByRole('radio', { name: /On the internet/ }).check();
    await page.getByText('Another certificate authority (advanced)').click();
    const acme = page.getByRole('textbox', { name: /ACME directory URL/ });
    await acme.fill(`https://127.0.0.1:${await freePort()}/dir`);
    const root = page.getByLabel('The authority’s root certificate (PEM file)');
    await root.setInputFiles({
      name: 'root.pem',
      mimeType: 'text/plain',
      buffer: Buffer.from('hello'),
    });
    await page.getByRole('button', { name: 'Apply' }).click();
    await see(page.getByText(/not a PEM certificate/), 'the root’s problem');
    assert.equal(await root.getAttribute('aria-invalid'), 'true', 'the file field is marked');
    await root.setInputFiles({
      name: 'root.pem',
      mimeType: 'application/x-pem-file',
      buffer: Buffer.from(downloadedPem),
    });
    await page.getByRole('button', { name: 'Apply' }).click();
    await see(page.getByText(/did not answer/), 'the directory’s problem', 30_000);
    assert.equal(await acme.getAttribute('aria-invalid'), 'true', 'the URL field is marked');
    assert.equal(await root.getAttribute('aria-invalid'), null, 'the root is fine now');
    await shoot(page, 'names-05-public-refused');
    const status = await domainStatus();
    assert.equal(status.mode, 'internal', 'still home mode');
    assert.equal(status.domain, DOMAIN);
  });

  test('the app’s card opens its HTTPS address', async () => {
    await page.goto(`${daemon.url}/`);
    await heading(page, 'Home');
    const { url } = (await daemon.api<{ url?: string | null }>('GET', '/api/installs/web')).body;
    assert.match(url ?? '', /^https:\/\/web\.foyer\.home\.arpa(:\d+)?\/$/);
    const card = page.getByRole('article', { name: 'Test web page' });
    await see(card, 'the app’s card');
    assert.equal(await page.getByRole('article').count(), 1, 'the edge is not one of the apps');
    const open = card.getByRole('link', { name: /^Open/ });
    await eventually(
      'the card to link the HTTPS address',
      async () => (await open.getAttribute('href')) === url,
      15_000,
    );
    await shoot(page, 'names-06-dashboard');
  });

  test('the screen in French', async () => {
    await page.goto(`${daemon.url}/#/names`);
    await heading(page, 'Names and HTTPS');
    await page.getByRole('combobox', { name: 'Language' }).selectOption('fr');
    await heading(page, 'Noms et HTTPS');
    await see(page.getByText('Faire confiance à ce serveur sur vos appareils'), 'the CA section');
    await see(page.getByRole('link', { name: 'Télécharger le certificat' }), 'the download');
    await see(page.getByRole('radio', { name: /À la maison seulement/ }), 'the mode');
    await see(page.getByText(/Valide jusqu’au/).first(), 'the expiry in French');
    await shoot(page, 'names-07-french');
    await page.getByRole('combobox', { name: 'Langue' }).selectOption('en');
  });
});
