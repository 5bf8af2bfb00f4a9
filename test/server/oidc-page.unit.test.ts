/**
 * The OpenID Connect sign-in page speaks the browser's language (issue 14: the UI is English and
 * French): Accept-Language with its q-values picks French or English, and each page says the
 * same things in both, the member's own input escaped in either.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { errorPage, reloadPage, signInPage } from '../../server/oidc/page.js';
import { fill, pageLanguage, pageText } from '../../server/oidc/page-text.js';

describe('the sign-in page in English and French', () => {
  test('Accept-Language picks the language, q-values and regions included', () => {
    const cases: [string | undefined, 'en' | 'fr'][] = [
      [undefined, 'en'],
      ['', 'en'],
      ['fr', 'fr'],
      ['fr-FR,fr;q=0.9,en-US;q=0.8,en;q=0.7', 'fr'],
      ['fr-CA', 'fr'],
      ['FR-be', 'fr'],
      ['en-GB,en;q=0.9,fr;q=0.8', 'en'],
      ['de-DE,de;q=0.9,fr;q=0.8,en;q=0.5', 'fr'],
      ['de-DE,de;q=0.9', 'en'],
      ['en;q=0.5, fr;q=0.8', 'fr'],
      ['fr;q=0, en', 'en'],
      ['*', 'en'],
      ['es, *;q=0.5, fr;q=0.4', 'en'],
      ['fr;q=abc, en;q=0.1', 'en'],
    ];
    for (const [header, expected] of cases) assert.equal(pageLanguage(header), expected, header);
  });

  test('the form in French: every word, the html lang, and the input escaped', () => {
    const html = signInPage({
      action: '/oidc/interaction/abc/login',
      appName: 'Fédi <b>',
      username: 'alice"',
      error: pageText('fr').wrong,
      askTotp: true,
      language: 'fr',
    });
    assert.match(html, /<html lang="fr">/);
    assert.match(html, /<title>Se connecter avec Foyer<\/title>/);
    assert.match(html, /<p>pour continuer vers <strong>Fédi &lt;b&gt;<\/strong><\/p>/);
    assert.match(html, /<label for="username">Nom<\/label>/);
    assert.match(html, /<label for="password">Mot de passe<\/label>/);
    assert.match(html, /<label for="totp">Code de votre application d’authentification<\/label>/);
    assert.match(html, /<button type="submit">Se connecter<\/button>/);
    assert.match(html, /role="alert" id="problem">Le nom, le mot de passe ou le code est faux\./);
    assert.match(html, /value="alice&quot;"/);
    assert.doesNotMatch(html, /Sign in|Password|Name</);
  });

  test('English stays the default, word for word', () => {
    const html = signInPage({ action: '/x', appName: 'Notes' });
    assert.match(html, /<html lang="en">/);
    assert.match(
      html,
      /<h1>Sign in with Foyer<\/h1>\n<p>to continue to <strong>Notes<\/strong><\/p>/,
    );
    assert.match(html, /<label for="username">Name<\/label>/);
    assert.match(html, /<button type="submit">Sign in<\/button>/);
    assert.doesNotMatch(html, /totp/);
  });

  test('the other pages and messages have both languages, with the same placeholders', () => {
    assert.match(reloadPage('/oidc/i/1', 'fr'), /<a href="\/oidc\/i\/1">Continuer<\/a>/);
    assert.match(reloadPage('/oidc/i/1'), /<a href="\/oidc\/i\/1">Continue<\/a>/);
    const fr = pageText('fr');
    assert.match(
      errorPage(fr.expiredTitle, fr.expiredDetail, 'fr'),
      /<h1>Cette connexion a expiré<\/h1>/,
    );
    assert.equal(
      fill(fr.tooMany, { seconds: 30 }),
      'Trop d’essais manqués ; réessayez dans 30 secondes.',
    );
    assert.equal(
      fill(pageText('en').tooMany, { seconds: 30 }),
      'Too many failed attempts; try again in 30 seconds.',
    );
    const en = pageText('en');
    assert.deepEqual(Object.keys(fr).sort(), Object.keys(en).sort());
    for (const key of Object.keys(en) as (keyof typeof en)[]) {
      const holes = (text: string) => text.match(/\{\w+\}/g) ?? [];
      assert.deepEqual(holes(fr[key]), holes(en[key]), key);
      assert.notEqual(fr[key], en[key], `${key} is translated`);
    }
  });
});
