// The update badge and button in the web UI (issue 17): an app installed at 1.0.0-1 from a local
// catalogue folder; the folder moves to 2.0.0-1 (a new image and a permission asked anew) and
// the catalogue is reloaded. The home screen's card and the app page say an update is
// available, the install still runs 1.0.0-1, and the Update dialog shows what changes before
// anything does; confirming it moves the install to 2.0.0-1 on the engine.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { instanceId } from '../../server/paths.js';
import { TEST_CATALOG } from '../support/foyer.js';
import { BUSYBOX_IMAGE, useTestEngine } from '../support/index.js';
import { startRegistry } from '../support/registry.js';
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
// At the top of the file: its after() hook stops it (see progress.e2e.test.ts).
const registry = await startRegistry();
const V1 = `${registry.address}/foyer-test/keeper:1`;
const V2 = `${registry.address}/foyer-test/keeper:2`;
const catalog = mkdtempSync(join(tmpdir(), 'foyer-ui-update-'));
const NAME = 'Keeper';
let daemon: UiDaemon;
let ui: SignedInBrowser | undefined;
let page: Page;

function writeApp(version: 1 | 2) {
  const dir = join(catalog, 'keeper');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'app.yaml'),
    [
      'id: keeper',
      `name: ${NAME}`,
      `version: ${version}.0.0-1`,
      'summary: A page served from a volume.',
      version === 1 ? 'permissions: []' : 'permissions: [cap_add:NET_ADMIN]',
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(dir, 'compose.yaml'),
    [
      'services:',
      '  web:',
      `    image: ${version === 1 ? V1 : V2}`,
      '    command: ["sh", "-c", "echo hello > /www/index.html && exec httpd -f -p 8080 -h /www"]',
      ...(version === 2 ? ['    cap_add: [NET_ADMIN]'] : []),
      '    volumes: [www:/www]',
      '    healthcheck:',
      '      test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/"]',
      '      interval: 1s',
      '      retries: 3',
      '    stop_grace_period: 1s',
      'volumes:',
      '  www:',
      '',
    ].join('\n'),
  );
}

async function inspect(format: string): Promise<string> {
  const { stdout } = await engine.docker([
    'ps',
    '-q',
    '--filter',
    'label=foyer.install=keeper',
    '--filter',
    `label=foyer.instance=${instanceId(daemon.dataDir)}`,
  ]);
  const id = stdout.trim().split('\n')[0];
  assert.ok(id, 'the install has a container');
  return (await engine.docker(['inspect', '--format', format, id])).stdout.trim();
}

before(async () => {
  // Two different images (a file added to v2), in the registry only.
  const dir = mkdtempSync(join(tmpdir(), 'foyer-keeper-'));
  writeFileSync(join(dir, 'Dockerfile'), `FROM ${BUSYBOX_IMAGE}\nRUN echo 2 > /v\n`);
  await engine.docker(['tag', BUSYBOX_IMAGE, V1]);
  await engine.docker(['build', '-q', '-t', V2, dir]);
  for (const ref of [V1, V2]) {
    await engine.docker(['push', ref]);
    await engine.docker(['rmi', ref]);
  }
  writeApp(1);
  daemon = await startUiDaemon(engine, {
    env: { FOYER_CATALOG: [TEST_CATALOG, catalog].join(delimiter) },
  });
  await daemon.setup('alice', 'correct horse battery staple');
  await installRunning(daemon, 'keeper');
  writeApp(2);
  const reload = await daemon.api<{ apps: number }>('POST', '/api/apps/reload', {});
  assert.equal(reload.status, 200, JSON.stringify(reload.body));
  ui = await openSignedIn(daemon);
  page = ui.page;
});

after(async () => {
  await closeAll(ui, daemon);
  rmSync(catalog, { recursive: true, force: true });
});

describe('an update offered by the catalogue, in the web UI', { timeout: 300_000 }, () => {
  test('the home screen shows an update badge; the app still runs 1.0.0-1', async () => {
    await page.goto(`${daemon.url}/`);
    await heading(page, 'Home');
    const card = page.getByRole('article', { name: NAME });
    await see(card.getByText('Update available: 2.0.0-1'), 'the update badge on the card');
    assert.equal(await inspect('{{.Config.Image}}'), V1, 'nothing changed on the engine');
    await shoot(page, 'update-01-dashboard-badge');
  });

  test('the app page names the version and the Update dialog shows what changes', async () => {
    await page.getByRole('link', { name: `Details of ${NAME}` }).click();
    await heading(page, NAME);
    await see(page.getByText('Version 1.0.0-1'), 'the installed version');
    await see(page.getByText('Version 2.0.0-1 of Keeper is available.'), 'the update notice');
    await page.getByRole('button', { name: 'Update to 2.0.0-1' }).click();
    const dialog = page.getByRole('dialog', { name: `Update ${NAME}?` });
    await see(dialog.getByText('From version 1.0.0-1 to version 2.0.0-1.'), 'the versions');
    await see(dialog.getByText(`web: ${V1} → ${V2}`), 'the image that changes');
    await see(dialog.getByText('The new version asks for more access'), 'the permission warning');
    await see(dialog.getByText('cap_add:NET_ADMIN'), 'the permission asked anew');
    await shoot(page, 'update-02-dialog');
    assert.equal(await inspect('{{.Config.Image}}'), V1, 'opening the dialog changed nothing');
  });

  test('a confirm waits for a change under way, then moves the install to 2.0.0-1', async () => {
    const dialog = page.getByRole('dialog', { name: `Update ${NAME}?` });
    const confirm = dialog.getByRole('button', { name: 'Update to 2.0.0-1' });
    // A restart asked elsewhere while the dialog is open: the confirm waits for it, and says so,
    // rather than doing nothing when pressed.
    const restart = await daemon.api('POST', '/api/installs/keeper/restart');
    assert.equal(restart.status, 202, JSON.stringify(restart.body));
    await see(dialog.getByText(`${NAME} is busy with another change.`), 'the wait', 10_000);
    assert.equal(await confirm.isDisabled(), true, 'no confirm while the restart runs');
    await shoot(page, 'update-03-waits');
    const wait = dialog.getByText(`${NAME} is busy with another change.`);
    await wait.waitFor({ state: 'hidden', timeout: 60_000 });
    await confirm.click();
    await see(page.getByText('Version 2.0.0-1', { exact: true }), 'the new version', 60_000);
    await see(page.getByText(`${NAME} is up to date.`), 'the job done', 120_000);
    assert.equal(await page.getByText('Update available').count(), 0, 'no badge any more');
    assert.equal(await inspect('{{.Config.Image}}'), V2);
    assert.match(await inspect('{{json .HostConfig.CapAdd}}'), /NET_ADMIN/);
    await shoot(page, 'update-04-done');
  });

  test('automatic updates: off by default, turned on in a window, a bad window refused', async () => {
    const panel = page.getByRole('region', { name: 'Automatic updates' });
    const box = panel.getByRole('checkbox', { name: 'Update automatically' });
    await see(box, 'the automatic updates control');
    assert.equal(await box.isChecked(), false, 'off by default');
    await box.check();
    await panel.getByRole('textbox', { name: 'Window (server time)' }).fill('23:00-01:00');
    await panel.getByRole('button', { name: 'Save' }).click();
    await see(panel.getByText('Saved: updates itself between 23:00-01:00.'), 'saved');
    const stored = await daemon.api<{ enabled: boolean; window: string }>(
      'GET',
      '/api/installs/keeper/auto-update',
    );
    assert.deepEqual([stored.body.enabled, stored.body.window], [true, '23:00-01:00']);
    await shoot(page, 'update-05-auto-update');

    await panel.getByRole('textbox', { name: 'Window (server time)' }).fill('25:00-01:00');
    await panel.getByRole('button', { name: 'Save' }).click();
    await see(panel.getByText(/window: must be a range of the day/), 'the refusal');
    const after = await daemon.api<{ window: string }>('GET', '/api/installs/keeper/auto-update');
    assert.equal(after.body.window, '23:00-01:00', 'the refused window changed nothing');
  });
});
