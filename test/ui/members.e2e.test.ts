// The Members screen and My account (issue 14) in headless Chromium, with a real `foyer serve`
// on the private engine and Foyer's own catalogue: the first member added builds and starts the
// directory's slapd from Debian. An admin adds a group and a member in it (a refusal shown by
// its field first), sees them listed, edits, disables and enables them, imports a CSV file of 3 members
// with a bad line (its line-qualified error, nothing added) and then the corrected file (a link per
// member). The member follows their one-time link, signs in, sees My account without the
// Members screen, changes their password there, and LDAP takes the new one. French text shown;
// a removed member's data still to delete is listed with its error and retried from the screen.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { memberDn } from '../../server/directory/entries.js';
import { launchBrowser, newContext } from '../support/browser.js';
import { explainDaemon } from '../support/cli.js';
import { ldapBinds } from '../support/directory.js';
import { eventually, FOYER_CATALOG } from '../support/foyer.js';
import { useTestEngine } from '../support/index.js';
import { signedInContext, startUiDaemon, type UiDaemon } from '../support/ui-daemon.js';
import { heading, see, shoot } from './ui-steps.js';

const engine = await useTestEngine();
const FIRST = 'carol first pass 1';
const SECOND = 'carol second pass 2';
let daemon: UiDaemon;
let browser: Browser;
let admin: BrowserContext;
let page: Page;
let member: BrowserContext | undefined;
let link = '';

interface MemberRow {
  name: string;
  state: string;
  groups: string[];
}
const listed = async () =>
  (await daemon.api<{ members: MemberRow[] }>('GET', '/api/members')).body.members;
const csv = (lines: string[]) => ({
  name: 'village.csv',
  mimeType: 'text/csv',
  buffer: Buffer.from(`${lines.join('\n')}\n`),
});

before(async () => {
  daemon = await startUiDaemon(engine, { env: { FOYER_CATALOG } });
  await daemon.setup('admin', 'correct horse battery staple');
  browser = await launchBrowser();
  admin = await signedInContext(browser, daemon);
  page = await admin.newPage();
  page.setDefaultTimeout(15_000);
});

after(async () => {
  await member?.close();
  await admin?.close();
  await browser?.close();
  await daemon?.stop();
  await daemon?.removeObjects();
});

describe('members in the web UI', { timeout: 15 * 60_000 }, () => {
  const row = (name: string) => page.locator(`tr[data-member="${name}"]`);

  test('an admin adds a group and a member in it; a refusal shows by its field', async () => {
    await page.goto(`${daemon.url}/`);
    await heading(page, 'Home');
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Members' })
      .click();
    await heading(page, 'Members');
    await page.getByRole('textbox', { name: 'New group’s name' }).fill('family');
    await page.getByRole('button', { name: 'Add the group' }).click();
    await see(page.getByText('The group family was added.'), 'the group added');

    const name = page.getByRole('textbox', { name: /^Name/ });
    await name.fill('Carol');
    await page.getByRole('textbox', { name: /^Email address/ }).fill('carol@example.org');
    await page.getByRole('textbox', { name: /^Display name/ }).fill('Carol Lune');
    await page.getByRole('checkbox', { name: 'family', exact: true }).check();
    await page.getByRole('button', { name: 'Add the member', exact: true }).click();
    await see(page.getByText('has capital letters'), 'the name problem by its field');
    assert.equal(await name.getAttribute('aria-invalid'), 'true', 'the name field is marked');
    assert.equal((await listed()).length, 1, 'nobody was added');

    await name.fill('carol');
    await page.getByRole('button', { name: 'Add the member', exact: true }).click();
    await see(page.getByText('carol was added.'), 'the member added');
    const box = await see(
      page.getByRole('textbox', { name: 'Set-password link for carol' }),
      'the one-time link to pass on',
    );
    link = await box.inputValue();
    assert.match(link, /\/set-password#[\w-]{20,}$/);
    await see(row('carol').getByText('Carol Lune'), 'the display name listed');
    await see(row('carol').getByText('family'), 'the group listed');
    await see(row('carol').getByText('Active'), 'the state listed');
    await shoot(page, 'members-01-added');
    const carol = (await listed()).find((m) => m.name === 'carol');
    assert.deepEqual(carol?.groups, ['family']);
  });

  test('disable, then enable', async () => {
    await row('carol').getByRole('button', { name: 'Disable carol' }).click();
    await see(row('carol').getByText('Disabled'), 'disabled in the list');
    await see(page.getByText('carol is disabled'), 'what disabling does');
    assert.equal((await listed()).find((m) => m.name === 'carol')?.state, 'disabled');
    await shoot(page, 'members-02-disabled');
    await row('carol').getByRole('button', { name: 'Enable carol' }).click();
    await see(row('carol').getByText('Active'), 'active again');
    assert.equal((await listed()).find((m) => m.name === 'carol')?.state, 'active');
  });

  test('edit: a taken address is refused by its field, then a new display name is saved', async () => {
    await row('carol').getByRole('button', { name: 'Edit carol' }).click();
    const form = page.getByRole('form', { name: 'Edit carol' });
    const email = form.getByRole('textbox', { name: /^Email address/ });
    await email.fill('admin@example.org');
    await daemon.api('PATCH', '/api/members/admin', { email: 'admin@example.org' });
    await form.getByRole('button', { name: 'Save' }).click();
    await see(form.getByText("is admin's already"), 'the email problem by its field');
    assert.equal(await email.getAttribute('aria-invalid'), 'true');
    await shoot(page, 'members-02b-edit-refused');
    await email.fill('carol@example.org');
    await form.getByRole('textbox', { name: /^Display name/ }).fill('Carol Lune-Martin');
    await form.getByRole('button', { name: 'Save' }).click();
    await see(page.getByText('carol was saved.'), 'saved');
    await see(row('carol').getByText('Carol Lune-Martin'), 'the new display name listed');
  });

  test('a CSV file with a bad line adds nobody and names the line; the corrected one adds all', async () => {
    const file = page.getByLabel('The CSV file');
    const lines = [
      'name,email,display_name,groups',
      'dan,dan@example.org,Dan,family',
      'eve,not-an-address,Eve,',
      'fay,fay@example.org,Fay,',
    ];
    await file.setInputFiles(csv(lines));
    await page.getByRole('button', { name: 'Add the members in the file' }).click();
    await see(page.getByText('Nothing was added.'), 'the refusal');
    await see(page.getByText(/village\.csv:3: email: "not-an-address"/), 'the bad line named');
    assert.equal((await listed()).length, 2, 'nothing imported');
    await shoot(page, 'members-03-import-refused');

    lines[2] = 'eve,eve@example.org,Eve,family';
    await file.setInputFiles(csv(lines));
    await page.getByRole('button', { name: 'Add the members in the file' }).click();
    await see(page.getByText('3 members were added.'), 'the import done');
    for (const name of ['dan', 'eve', 'fay']) {
      const value = await (
        await see(page.getByRole('textbox', { name: `Set-password link for ${name}` }), name)
      ).inputValue();
      assert.match(value, /\/set-password#[\w-]{20,}$/, `${name}'s link`);
    }
    await see(row('eve').getByText('has not chosen a password yet'), 'no password yet');
    assert.deepEqual(
      (await listed()).map((m) => m.name),
      ['admin', 'carol', 'dan', 'eve', 'fay'],
    );
    await shoot(page, 'members-04-imported');
  });

  test('the member sets their password with the link, signs in and sees My account only', async () => {
    member = await newContext(browser, 'desktop');
    const own = await member.newPage();
    own.setDefaultTimeout(15_000);
    await own.goto(link);
    await own.getByLabel('New password').fill(FIRST);
    await own.getByLabel('The same again').fill(FIRST);
    await own.getByRole('button', { name: 'Set my password' }).click();
    await see(own.getByText('Done, carol: your password is set.'), 'the password set');

    await own.goto(`${daemon.url}/`);
    await heading(own, 'Sign in');
    await own.getByRole('textbox', { name: 'User name' }).fill('carol');
    await own.getByLabel('Password').fill(FIRST);
    await own.getByRole('button', { name: 'Sign in', exact: true }).click();
    await heading(own, 'Home');
    const nav = own.getByRole('navigation', { name: 'Main' });
    await see(nav.getByRole('link', { name: 'My account' }), 'My account in the menu');
    assert.equal(await nav.getByRole('link', { name: 'Members' }).count(), 0, 'no Members link');
    await nav.getByRole('link', { name: 'My account' }).click();
    await heading(own, 'My account');
    await see(own.getByText('carol@example.org'), 'their address');
    await see(own.getByText('Carol Lune-Martin'), 'their display name');
    await see(own.getByText('No service yet.'), 'no service granted yet');
    await see(own.getByRole('heading', { name: 'Two-step verification' }), 'two-step here');

    await own.getByLabel('Current password').fill(FIRST);
    await own.getByLabel('New password').first().fill(SECOND);
    await own.getByLabel('New password again').fill(SECOND);
    await own.getByRole('button', { name: 'Change the password' }).click();
    await see(own.getByText('Your password was changed.'), 'the password changed');
    await shoot(own, 'members-05-my-account');

    await own.goto(`${daemon.url}/#/members`);
    await heading(own, 'Page not found');
    assert.equal(await own.getByRole('heading', { name: 'Members' }).count(), 0);
    const refused = await own.evaluate(async () => (await fetch('/api/members')).status);
    assert.equal(refused, 403, 'the API refuses a member too');

    await own.getByRole('combobox', { name: 'Language' }).selectOption('fr');
    await own
      .getByRole('navigation', { name: 'Principale' })
      .getByRole('link', { name: 'Mon compte' })
      .click();
    await heading(own, 'Mon compte');
    await see(own.getByRole('heading', { name: 'Vos services' }), 'French services');
    await see(own.getByRole('button', { name: 'Changer le mot de passe' }), 'French password');
    await shoot(own, 'members-06-mon-compte');
  });

  test('the Members screen in French', async () => {
    await page.getByRole('combobox', { name: 'Language' }).selectOption('fr');
    await heading(page, 'Membres');
    await see(page.getByRole('heading', { name: 'Ajouter un membre' }), 'add in French');
    await see(row('carol').getByText('Actif'), 'the state in French');
    await see(
      page.getByRole('heading', { name: 'Ajouter plusieurs membres depuis un fichier' }),
      'import',
    );
    await shoot(page, 'members-07-french');

    // Removing asks whether to keep or delete the member's mail, chats and calendars; keep is chosen.
    for (const [name, choice] of [
      ['dan', 'Les supprimer'],
      ['eve', undefined],
    ] as const) {
      await row(name)
        .getByRole('button', { name: `Retirer ${name}` })
        .click();
      const dialog = page.getByRole('dialog', { name: `Retirer ${name} ?` });
      await see(
        dialog.getByRole('group', { name: 'Son courriel, sa messagerie et ses agendas' }),
        'the choice',
      );
      assert.ok(await dialog.getByRole('radio', { name: /Les garder/ }).isChecked(), 'keep first');
      if (choice) {
        await dialog.getByRole('radio', { name: new RegExp(choice) }).check();
        await shoot(page, 'members-08-remove-delete');
      }
      await dialog.getByRole('button', { name: 'Retirer', exact: true }).click();
      await see(
        page.getByText(
          choice
            ? `${name} a été retiré, avec son courriel, sa messagerie et ses agendas.`
            : `${name} a été retiré.`,
        ),
        `${name} removed`,
      );
    }
    const audit = await daemon.api<{ action: string; target: string; detail: { data: string } }[]>(
      'GET',
      '/api/audit?limit=50',
    );
    const said = (name: string) =>
      audit.body.find((e) => e.action === 'member.removed' && e.target === name)?.detail.data;
    assert.equal(said('dan'), 'deleted');
    assert.equal(said('eve'), 'kept');
  });

  test("a removed member's data still to delete is shown with its error and retried from the screen", async () => {
    // The row a removal whose deletion failed leaves (the daemon's own store, as the removal
    // writes it): its install is not there, nor its volume, so a retry finds nothing to delete.
    const db = new Database(join(daemon.dataDir, 'foyer.db'), { fileMustExist: true });
    try {
      db.prepare(
        `INSERT INTO member_data_pending (member, install_id, service, volume, path, attempts,
         last_error, created_at, last_attempt_at, next_attempt_at)
         VALUES ('frank', 'mail', 'dovecot', 'mail', 'members/frank', 1, ?, ?, ?, ?)`,
      ).run(
        'mail-dovecot-1 does not exist',
        new Date().toISOString(),
        new Date().toISOString(),
        new Date(Date.now() + 3_600_000).toISOString(),
      );
    } finally {
      db.close();
    }
    const refused = await daemon.api<{ message: string }>('POST', '/api/members', {
      name: 'frank',
      email: 'frank@example.org',
    });
    assert.equal(refused.status, 409, JSON.stringify(refused.body));
    assert.match(refused.body.message, /still being deleted .*mail-dovecot-1 does not exist/);

    await page.reload();
    await heading(page, 'Membres');
    const notice = page.getByRole('region', { name: 'Données encore à supprimer' });
    await see(notice.getByText('frank : mail, members/frank'), 'the place');
    await see(
      notice.getByText('essais : 1 ; dernière erreur : mail-dovecot-1 does not exist'),
      'why it waits',
    );
    await shoot(page, 'members-09-pending-data');
    await notice.getByRole('button', { name: 'Réessayer maintenant' }).click();
    await see(
      notice.getByText('Toutes les données des membres retirés sont supprimées.'),
      'the retry done',
    );
    await page.getByRole('button', { name: 'Réessayer maintenant' }).waitFor({ state: 'detached' });
    const pending = await daemon.api<{ pending: unknown[] }>('GET', '/api/members/pending-data');
    assert.deepEqual(pending.body.pending, []);
    const audit = await daemon.api<{ action: string; actor: string; target: string }[]>(
      'GET',
      '/api/audit?limit=10',
    );
    const line = audit.body.find((e) => e.target === 'frank');
    assert.equal(line?.action, 'member.data-deleted');
    assert.equal(line?.actor, 'admin');
  });

  test('the directory takes the password the member chose (slapd built on first use)', async () => {
    await eventually(
      'carol to bind to slapd with her new password',
      async () =>
        (await ldapBinds(daemon.dataDir, memberDn('carol'), SECOND).catch(() => false)) ||
        undefined,
      600_000,
      () => explainDaemon(engine, daemon.dataDir, daemon.process),
    );
    assert.equal(
      await ldapBinds(daemon.dataDir, memberDn('carol'), FIRST),
      false,
      'not the old one',
    );
  });
});
