/**
 * The words of the provider's pages (page.ts) in English and French, the UI's two languages
 * (ui/src/messages/en.ts, fr.ts: the same wording), picked from the browser's Accept-Language.
 * Pure.
 */

export type PageLanguage = 'en' | 'fr';

const EN = {
  title: 'Sign in with Foyer',
  continueTo: 'to continue to {app}',
  name: 'Name',
  password: 'Password',
  totp: 'Code from your authenticator app',
  submit: 'Sign in',
  signingIn: 'Signing in',
  continue: 'Continue',
  cannotGoOn: 'Sign-in could not go on',
  expiredTitle: 'This sign-in has expired',
  expiredDetail: 'Go back to the app and start signing in again.',
  tooMany: 'Too many failed attempts; try again in {seconds} seconds.',
  wrong: 'Wrong name, password or code.',
  askTotp: 'Type the code from your authenticator app, and your password again.',
};

export type PageText = typeof EN;

const FR: PageText = {
  title: 'Se connecter avec Foyer',
  continueTo: 'pour continuer vers {app}',
  name: 'Nom',
  password: 'Mot de passe',
  totp: 'Code de votre application d’authentification',
  submit: 'Se connecter',
  signingIn: 'Connexion',
  continue: 'Continuer',
  cannotGoOn: 'La connexion n’a pas pu continuer',
  expiredTitle: 'Cette connexion a expiré',
  expiredDetail: 'Revenez à l’application et recommencez la connexion.',
  tooMany: 'Trop d’essais manqués ; réessayez dans {seconds} secondes.',
  wrong: 'Le nom, le mot de passe ou le code est faux.',
  askTotp:
    'Saisissez le code de votre application d’authentification, et de nouveau votre mot de passe.',
};

const TEXTS: Record<PageLanguage, PageText> = { en: EN, fr: FR };

/** The page's words in `language`. */
export function pageText(language: PageLanguage): PageText {
  return TEXTS[language];
}

/** `text` with each `{key}` replaced by its value. */
export function fill(text: string, values: Record<string, string | number>): string {
  return text.replace(/\{(\w+)\}/g, (whole, key: string) =>
    key in values ? String(values[key]) : whole,
  );
}

/**
 * The language of the browser's first choice Foyer speaks (RFC 9110 §12.5.4: q-values, `*`,
 * `fr-CA` for `fr`); English when none or no header.
 */
export function pageLanguage(acceptLanguage: string | undefined): PageLanguage {
  if (!acceptLanguage) return 'en';
  const ranked = acceptLanguage
    .split(',')
    .map((part, index) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      const weight = q ? Number(q.slice(2)) : 1;
      return { tag: tag.trim().toLowerCase(), weight: Number.isFinite(weight) ? weight : 0, index };
    })
    .filter((choice) => choice.weight > 0 && choice.tag !== '')
    .sort((a, b) => b.weight - a.weight || a.index - b.index);
  for (const { tag } of ranked) {
    const primary = tag.split('-')[0];
    if (primary === 'fr') return 'fr';
    if (primary === 'en' || tag === '*') return 'en';
  }
  return 'en';
}
