// Live progress in the web UI from the daemon's event stream, with real work behind it: an
// image only a registry on loopback has (a 24 MB layer, so its download takes a moment) is
// pulled with a bar per layer, and an app built from its Dockerfile shows the build's lines.
// Before any of it, the install form warns when the server is smaller than the app needs.
// Progress screens change fast, so the page records what it ever showed (a MutationObserver
// set up before the click) and the test reads that record once the install is done.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { BUSYBOX_IMAGE, useTestEngine } from '../support/index.js';
import { startRegistry } from '../support/registry.js';
import {
  closeAll,
  openSignedIn,
  type SignedInBrowser,
  startUiDaemon,
  type UiDaemon,
} from '../support/ui-daemon.js';
import { heading, see, shoot } from './ui-steps.js';

const engine = await useTestEngine();
// Started at the top of the file: its helper registers the after() hook that stops it. Started
// inside before(), the registry was found stopped before the tests ran (in a tier run).
const registry = await startRegistry();
let daemon: UiDaemon;
let ui: SignedInBrowser | undefined;
let page: Page;

before(async () => {
  // An image with one layer of 24 MB of random bytes (it does not compress), in the registry
  // only: the install must pull it.
  const dir = mkdtempSync(join(tmpdir(), 'foyer-pull-'));
  writeFileSync(
    join(dir, 'Dockerfile'),
    `FROM ${BUSYBOX_IMAGE}\nRUN head -c 25165824 /dev/urandom > /blob\n`,
  );
  const ref = `${registry.address}/foyer-test/pulled:1`;
  await engine.docker(['build', '-q', '-t', ref, dir]);
  await engine.docker(['push', ref]);
  await engine.docker(['rmi', ref]);
  daemon = await startUiDaemon(engine);
  await daemon.setup('alice', 'correct horse battery staple');
  ui = await openSignedIn(daemon);
  page = ui.page;
});

after(async () => {
  await closeAll(ui, daemon);
});

/**
 * Starts recording what the progress view shows: layer bars and build lines, by their names.
 * A string, not a function: the test runner's transpiler would wrap a function's inner
 * functions in a helper the page does not have.
 */
const RECORD = `(() => {
  const seen = { layers: [], build: [] };
  window.seen = seen;
  new MutationObserver(() => {
    for (const bar of document.querySelectorAll('progress[aria-label^="Part "]')) {
      const name = bar.getAttribute('aria-label') || '';
      if (!seen.layers.includes(name)) seen.layers.push(name);
    }
    for (const pre of document.querySelectorAll('section[aria-label^="Preparing"] pre')) {
      for (const line of (pre.textContent || '').split('\\n')) {
        if (line && !seen.build.includes(line)) seen.build.push(line);
      }
    }
  }).observe(document.body, { subtree: true, childList: true, characterData: true });
})()`;

async function recordProgress(): Promise<void> {
  await page.evaluate(RECORD);
}

async function recorded(): Promise<{ layers: string[]; build: string[] }> {
  return page.evaluate('window.seen') as Promise<{ layers: string[]; build: string[] }>;
}

describe('live progress in the UI', { timeout: 300_000 }, () => {
  test('a pull shows a bar for each layer as it downloads', async () => {
    await page.goto(`${daemon.url}/#/install/pulled`);
    await heading(page, 'Install Pulled from a registry');
    await page.getByRole('textbox', { name: 'REGISTRY' }).fill(registry.address);
    await recordProgress();
    await page.getByRole('button', { name: 'Install', exact: true }).click();
    await heading(page, 'Pulled from a registry installed', 120_000);
    const seen = await recorded();
    assert.ok(seen.layers.length >= 2, `layer bars shown: ${JSON.stringify(seen)}`);
    assert.ok(
      seen.layers.every((name) => /^Part [0-9a-f]{12}$/.test(name)),
      JSON.stringify(seen.layers),
    );
    await shoot(page, '30-pulled-installed');
  });

  test('a build shows its lines while the image is prepared', async () => {
    await page.goto(`${daemon.url}/#/install/built`);
    await heading(page, 'Install Built from a Dockerfile');
    await page.getByRole('combobox', { name: 'FLAVOUR' }).selectOption('spicy');
    await recordProgress();
    await page.getByRole('button', { name: 'Install', exact: true }).click();
    await heading(page, 'Built from a Dockerfile installed', 180_000);
    const seen = await recorded();
    assert.ok(
      seen.build.some((line) => /RUN echo "built with \$FLAVOUR"/.test(line)),
      `build lines shown: ${JSON.stringify(seen.build)}`,
    );
    await see(page.getByRole('link', { name: 'Go to the app’s page' }), 'the app page link');
  });

  test('the install form warns when the server has less memory or storage than the app needs', async () => {
    await page.goto(`${daemon.url}/#/install/hungry`);
    await heading(page, 'Install Needs a bigger server');
    await see(
      page.getByText(/This app needs 4 TB of memory and only .* is free/),
      'the memory warning',
    );
    await see(
      page.getByText(/This app needs [\d.]+ TB of storage and only .* is free/),
      'the disk warning',
    );
    await shoot(page, '31-install-requirements-warning');
    // The daemon refuses it (issue 12 §4) until "Install anyway" is ticked.
    await page.getByRole('button', { name: 'Install', exact: true }).click();
    await see(page.getByText(/Foyer did not install it: the app needs 4 TiB/), 'the refusal');
    await page.getByRole('checkbox', { name: /Install anyway/ }).check();
    await page.getByRole('button', { name: 'Install', exact: true }).click();
    await heading(page, 'Needs a bigger server installed', 120_000);
  });

  test('the app page shows the install’s CPU, memory and disk with a chart of the last hour', async () => {
    await page.goto(`${daemon.url}/#/apps/hungry`);
    await heading(page, 'Needs a bigger server');
    const panel = page.getByRole('region', { name: 'Resources' });
    await see(
      panel.getByRole('img', { name: 'Memory use over the last hour' }),
      'the memory chart',
    );
    await see(panel.getByText(/^\d[\d.,]* (KB|MB)$/), 'a memory figure');
    await see(panel.getByText(/% of one core/), 'a CPU figure from the live stream', 20_000);
    await shoot(page, '32-app-resources');
  });
});
