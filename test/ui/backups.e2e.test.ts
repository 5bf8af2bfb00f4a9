// The Backups screen in the web UI (issue 15), with a real `foyer serve` on the private engine
// and real restic: a local folder target is added in the UI and its recovery kit is shown once,
// as a file to download; the test app `notes` (the `web` fixture, data in a volume) is backed
// up from its row with live progress and the snapshot is listed; a test restore marks it
// verified, which the app page says too; its data is deleted in the container and the snapshot
// restored in place from the UI (the dialog says the current state is saved first), and the
// bytes on the engine are the ones backed up. The schedule refuses keeping nothing, by its
// field, and saves a change. Then the screen in French.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { instanceId } from '../../server/paths.js';
import { useTestEngine } from '../support/index.js';
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
const ID = 'notes';
const NAME = 'Test web page';
const work = mkdtempSync(join(tmpdir(), 'foyer-ui-backups-'));
const repo = join(work, 'repo');
let daemon: UiDaemon;
let ui: SignedInBrowser | undefined;
let page: Page;

/** A shell command in the install's one container, on the engine. */
async function inApp(script: string): Promise<string> {
  const { stdout } = await engine.docker([
    'ps',
    '-q',
    '--filter',
    `label=foyer.install=${ID}`,
    '--filter',
    `label=foyer.instance=${instanceId(daemon.dataDir)}`,
  ]);
  const container = stdout.trim().split('\n')[0];
  assert.ok(container, 'the install has a running container');
  return (await engine.docker(['exec', container, 'sh', '-c', script])).stdout;
}

/**
 * Records every text the backup progress showed from now on (a MutationObserver in the page):
 * backup work on a small volume takes a second, too short to catch by polling. A string, not a
 * function: the test runner's transpiler would wrap inner functions in a helper the page lacks.
 */
const RECORD = `(() => {
  window.__progress = [];
  const note = () => {
    for (const el of document.querySelectorAll('.backup-progress')) {
      const text = el.textContent.trim();
      if (text && !window.__progress.includes(text)) window.__progress.push(text);
    }
  };
  new MutationObserver(note).observe(document.body, { subtree: true, childList: true, characterData: true });
})()`;

before(async () => {
  daemon = await startUiDaemon(engine);
  await daemon.setup('alice', 'correct horse battery staple');
  await installRunning(daemon, 'web', ID);
  ui = await openSignedIn(daemon);
  page = ui.page;
});

after(async () => {
  await closeAll(ui, daemon);
  rmSync(work, { recursive: true, force: true });
});

describe('the Backups screen', { timeout: 8 * 60_000 }, () => {
  let payload = '';
  const row = () => page.getByRole('article', { name: NAME });

  test('an admin finds it in the menu; nothing is backed up until a place is added', async () => {
    await page.goto(`${daemon.url}/`);
    await heading(page, 'Home');
    await page.getByRole('link', { name: 'Backups' }).click();
    await heading(page, 'Backups');
    await see(page.getByText('No place to keep backups yet.'), 'the empty targets notice');
    await see(row().getByText('Not backed up yet.'), 'the app without snapshots');
    await see(row().getByText('never'), 'no verified restore yet');
  });

  test('the daemon’s refusal is shown by the field it concerns, and nothing is made', async () => {
    await page.getByRole('textbox', { name: 'Name' }).fill('Bad name!');
    await page.getByRole('textbox', { name: 'Folder or address' }).fill(repo);
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    const name = page.getByRole('textbox', { name: 'Name' });
    await see(page.getByText('use 1 to 40 lowercase letters'), 'the name problem');
    assert.equal(await name.getAttribute('aria-invalid'), 'true', 'the name field is marked');
    assert.equal(
      await page.getByRole('textbox', { name: 'Folder or address' }).getAttribute('aria-invalid'),
      null,
    );
    assert.equal(existsSync(repo), false, 'no repository was made');
  });

  test('adding a local folder shows the recovery kit once, as a file to download', async () => {
    await page.getByRole('textbox', { name: 'Name' }).fill('disk');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    const kit = await see(
      page.getByRole('region', { name: 'Save the recovery kit of “disk” now' }),
      'the recovery kit',
      60_000,
    );
    await see(kit.getByText(/Without it, nobody .* can ever read them/), 'the warning');
    await kit.getByRole('button', { name: 'I have saved it' }).click();
    await see(kit.getByText('Download the kit first'), 'a nudge before it is downloaded');
    await shoot(page, 'backups-01-recovery-kit');

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      kit.getByRole('link', { name: 'Download the recovery kit' }).click(),
    ]);
    assert.equal(download.suggestedFilename(), 'foyer-recovery-kit-disk.txt');
    const text = readFileSync((await download.path()) ?? '', 'utf8');
    assert.match(text, /FOYER BACKUP RECOVERY KIT/);
    assert.match(text, new RegExp(`Repository: +${repo}`));
    const password = /Password: +(\S{20,})/.exec(text)?.[1];
    assert.ok(password, 'the kit holds the password');
    assert.ok(existsSync(join(repo, 'config')), 'restic made the repository');

    await kit.getByRole('button', { name: 'I have saved it' }).click();
    await kit.waitFor({ state: 'detached' });
    await see(page.getByText(repo, { exact: true }), 'the target listed');
    await page.reload();
    await heading(page, 'Backups');
    await see(page.getByText(repo, { exact: true }), 'the target listed after a reload');
    assert.equal(await page.getByText('recovery kit').count(), 0, 'the kit is not shown again');
    assert.equal(await page.getByText(password).count(), 0, 'nor its password');
  });

  test('“Back up now” shows live progress, then the snapshot is listed', async () => {
    await inApp('head -c 300000 /dev/urandom > /www/blob.bin && echo precious > /www/keep.txt');
    payload = await inApp('md5sum /www/blob.bin /www/keep.txt');
    await page.evaluate(RECORD);
    await row()
      .getByRole('button', { name: /^Back up now/ })
      .click();
    await see(row().getByText('Backup finished.'), 'the backup done', 120_000);
    const shown = (await page.evaluate('window.__progress')) as string[];
    assert.ok(
      shown.some((s) => s.includes(`Backing up ${ID} to disk`)),
      `the step was shown: ${JSON.stringify(shown)}`,
    );
    const cells = row().getByRole('row').nth(1).getByRole('cell');
    await see(cells.nth(2).getByText('disk'), 'the snapshot’s target');
    assert.match((await cells.nth(1).textContent()) ?? '', /\d+ KB/, 'its size');
    assert.equal((await cells.nth(3).textContent())?.trim(), 'Never', 'not verified yet');
  });

  test('“Test a restore” marks the snapshot verified, here and on the app page', async () => {
    await row()
      .getByRole('button', { name: /^Test a restore/ })
      .click();
    await see(row().getByText('The test restore worked.'), 'the verification done', 120_000);
    const cells = row().getByRole('row').nth(1).getByRole('cell');
    await see(cells.nth(3).getByText(/^Yes, /), 'the snapshot verified');
    await page.goto(`${daemon.url}/#/apps/${ID}`);
    await heading(page, NAME);
    await see(page.getByText('Last verified restore:'), 'the line on the app page');
    assert.doesNotMatch(
      (await page.locator('.last-verified').textContent()) ?? '',
      /never|failed/,
      'a date, not never',
    );
  });

  test('restore in place after the data was deleted: the bytes come back', async () => {
    await inApp('rm -f /www/blob.bin /www/keep.txt && echo junk > /www/new.txt');
    await page.goto(`${daemon.url}/#/backups`);
    await heading(page, 'Backups');
    await row()
      .getByRole('button', { name: /^Restore…/ })
      .first()
      .click();
    const dialog = page.getByRole('dialog', { name: `Restore ${NAME}` });
    await see(dialog.getByText('Its current data is backed up first'), 'the undo promise');
    assert.equal(
      await dialog.getByRole('radio', { name: /Replace the current data/ }).isChecked(),
      true,
    );
    await shoot(page, 'backups-02-restore-dialog');
    await dialog.getByRole('button', { name: 'Restore', exact: true }).click();
    await see(row().getByText('Restore finished'), 'the restore done', 180_000);
    assert.equal(await inApp('md5sum /www/blob.bin /www/keep.txt'), payload);
    assert.equal(await inApp('test -e /www/new.txt && echo yes || echo no'), 'no\n');
    // The state before the restore was saved as a snapshot of its own.
    await see(row().getByRole('row').nth(2), 'two snapshots listed', 30_000);
    await shoot(page, 'backups-03-screen');
  });

  test('the schedule: a refusal shown by its field, then a change saved', async () => {
    const keep = (label: string) => page.getByRole('spinbutton', { name: label, exact: true });
    for (const label of ['Daily', 'Weekly', 'Monthly']) await keep(label).fill('0');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await see(page.getByText('must keep at least one snapshot'), 'the retention problem');
    const before = await daemon.api<{ retention: { daily: number } }>(
      'GET',
      '/api/backup/schedule',
    );
    assert.equal(before.body.retention.daily, 7, 'nothing was changed');
    await keep('Daily').fill('10');
    await page.getByRole('spinbutton', { name: 'Within (hours)' }).fill('3');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await see(page.getByText('Saved.'), 'the schedule saved');
    const after = await daemon.api<{ hours: number; retention: Record<string, number> }>(
      'GET',
      '/api/backup/schedule',
    );
    assert.equal(after.body.hours, 3);
    assert.deepEqual(after.body.retention, { daily: 10, weekly: 0, monthly: 0 });
  });

  test('the screen in French', async () => {
    await page.getByRole('combobox', { name: 'Language' }).selectOption('fr');
    await heading(page, 'Sauvegardes');
    await see(page.getByRole('heading', { name: 'Où vont les sauvegardes' }), 'targets in French');
    await see(page.getByRole('button', { name: 'Tout sauvegarder maintenant' }), 'run all');
    await see(page.getByText('Dernière restauration vérifiée :').first(), 'last verified');
    await see(page.getByRole('heading', { name: 'Quand et combien de temps' }), 'schedule');
    await shoot(page, 'backups-04-french');
  });
});
