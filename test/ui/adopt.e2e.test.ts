// The "Take over" dialog in the web UI (issue 12 §2), as after a reinstall: Foyer A runs the
// `web` app with data in its volume; Foyer B (a new data dir, the UI in Chromium) installs the
// same app under the same id and it fails, naming A's objects. The app page offers "Take over";
// its dialog lists A's objects, says A still runs and refuses (nothing changes). Once A is gone,
// the dialog offers them and confirming takes them over: B runs the app with A's data.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { instanceId } from '../../server/paths.js';
import { launchBrowser } from '../support/browser.js';
import { removeLabelled, runFoyer, serveFoyer } from '../support/cli.js';
import { type DaemonProcess, eventually, TEST_CATALOG } from '../support/foyer.js';
import { useTestEngine } from '../support/index.js';
import { signedInContext, startUiDaemon, type UiDaemon } from '../support/ui-daemon.js';
import { heading, see, shoot } from './ui-steps.js';

const engine = await useTestEngine();
const id = `take${process.pid.toString(36)}`;
const NAME = 'Test web page';
const dirA = mkdtempSync(join(tmpdir(), 'foyer-ui-adopt-a-'));
let a: DaemonProcess | undefined;
let b: UiDaemon;
let browser: Browser;
let context: BrowserContext;
let page: Page;

const owned = async (dataDir: string) =>
  (
    await engine.docker(['ps', '-aq', '--filter', `label=foyer.instance=${instanceId(dataDir)}`])
  ).stdout
    .split('\n')
    .filter(Boolean);

before(async () => {
  a = await serveFoyer(engine, dirA, { FOYER_CATALOG: TEST_CATALOG });
  const run = await runFoyer(dirA, 'install', 'web', '--id', id, '--wait');
  assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
  await engine.docker(['exec', `${id}-web-1`, 'sh', '-c', 'echo precious > /www/keep.txt']);
  b = await startUiDaemon(engine);
  await b.setup('alice', 'correct horse battery staple');
  const installed = await b.api('POST', '/api/installs', { app: 'web', id });
  assert.equal(installed.status, 202, JSON.stringify(installed.body));
  await eventually(
    'B’s install to fail naming foyer adopt',
    async () => {
      const res = await b.api<{ status: { state: string; reason?: string } | null }>(
        'GET',
        `/api/installs/${id}`,
      );
      return (
        res.body.status?.state === 'failed' && /foyer adopt/.test(res.body.status.reason ?? '')
      );
    },
    60_000,
  );
  browser = await launchBrowser();
  context = await signedInContext(browser, b);
  page = await context.newPage();
  page.setDefaultTimeout(15_000);
});

after(async () => {
  await context?.close();
  await browser?.close();
  await a?.kill('SIGTERM');
  await b?.stop();
  await b?.removeObjects();
  await removeLabelled(engine, `foyer.instance=${instanceId(dirA)}`);
  rmSync(dirA, { recursive: true, force: true });
});

describe('taking over what another Foyer left, in the web UI', { timeout: 300_000 }, () => {
  test('while the first Foyer runs, the dialog names its objects and refuses', async () => {
    await page.goto(`${b.url}/`);
    await heading(page, 'Home');
    await page.getByRole('link', { name: `Details of ${NAME}` }).click();
    await heading(page, NAME);
    await page.getByRole('button', { name: 'Take over' }).click();
    const dialog = page.getByRole('dialog', {
      name: `Take over what another Foyer left for ${NAME}?`,
    });
    await see(dialog.getByText(`container ${id}-web-1`), 'A’s container');
    await see(dialog.getByText(`volume ${id}_www`), 'A’s volume');
    await see(dialog.getByText(`another Foyer (${instanceId(dirA)})`).first(), 'its owner');
    await see(dialog.getByText('which still runs').first(), 'that A still runs');
    await see(dialog.getByText(/^Not taken: /).first(), 'the refusal');
    const confirm = dialog.getByRole('button', { name: 'Take over' });
    assert.ok(await confirm.isDisabled(), 'nothing can be taken');
    await shoot(page, 'adopt-01-refused');
    await confirm.click({ force: true });
    assert.equal((await owned(dirA)).length, 1, 'A’s container is still A’s');
    assert.deepEqual(await owned(b.dataDir), [], 'B made nothing');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
  });

  test('once the first Foyer is gone, confirming takes its objects over with the data', async () => {
    await a?.kill('SIGTERM');
    a = undefined;
    await page.getByRole('button', { name: 'Take over' }).click();
    const dialog = page.getByRole('dialog', {
      name: `Take over what another Foyer left for ${NAME}?`,
    });
    await see(dialog.getByText(`volume ${id}_www`), 'A’s volume');
    assert.equal(await dialog.getByText('which still runs').count(), 0, 'A no longer runs');
    assert.equal(await dialog.getByText(/^Not taken: /).count(), 0, 'nothing refused');
    await shoot(page, 'adopt-02-offered');
    await dialog.getByRole('button', { name: 'Take over' }).click();
    await eventually(
      'B to run the app',
      async () => {
        const res = await b.api<{ status: { state: string } | null }>('GET', `/api/installs/${id}`);
        return res.body.status?.state === 'running';
      },
      120_000,
    );
    assert.deepEqual(await owned(dirA), [], 'nothing is A’s');
    const { stdout } = await engine.docker(['exec', `${id}-web-1`, 'cat', '/www/keep.txt']);
    assert.equal(stdout.trim(), 'precious', 'the data came along');
    await eventually(
      'the page to stop offering Take over',
      async () => (await page.getByRole('button', { name: 'Take over' }).count()) === 0,
      30_000,
    );
    await shoot(page, 'adopt-03-done');
  });
});
