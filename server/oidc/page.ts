/**
 * The provider's own pages (issue 14): the sign-in form an app sends a member to when they are
 * not signed into Foyer, the hop that picks up Foyer's session cookie after a cross-site
 * redirect, and errors. Plain HTML with no script and no outside resource. The CSP has no
 * `form-action`: the sign-in form's answer redirects to the app, and browsers hold a redirect
 * after a post to that directive.
 */

import { type PageLanguage, pageText } from './page-text.js';

/** The page's Content-Security-Policy: nothing loads, no framing. */
export const PAGE_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'";

/** Text made safe for HTML content and attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

const STYLE = `body{font-family:system-ui,sans-serif;max-width:24rem;margin:3rem auto;padding:0 1rem;color:#1b1b1b}
label{display:block;margin-top:1rem}input{display:block;width:100%;box-sizing:border-box;padding:.5rem;font-size:1rem}
button{margin-top:1.5rem;padding:.6rem 1.2rem;font-size:1rem}p.error{color:#a40000}
@media (prefers-color-scheme:dark){body{background:#161616;color:#eee}p.error{color:#ff8a80}}`;

function page(language: PageLanguage, title: string, body: string, head = ''): string {
  return `<!doctype html>
<html lang="${language}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>${head}<style>${STYLE}</style></head>
<body><main>${body}</main></body></html>
`;
}

export interface SignInPage {
  /** Where the form posts: `/oidc/interaction/<uid>/login`. */
  action: string;
  /** The app the member is signing into. */
  appName: string;
  username?: string;
  /** The password was right and the member has two-step verification on. */
  askTotp?: boolean;
  error?: string;
  /** The browser's language (page-text.ts `pageLanguage`); English by default. */
  language?: PageLanguage;
}

/** The sign-in form. */
export function signInPage(input: SignInPage): string {
  const language = input.language ?? 'en';
  const text = pageText(language);
  const error = input.error
    ? `<p class="error" role="alert" id="problem">${escapeHtml(input.error)}</p>`
    : '';
  const described = input.error ? ' aria-describedby="problem"' : '';
  const totp = input.askTotp
    ? `<label for="totp">${escapeHtml(text.totp)}</label>
<input id="totp" name="totp" inputmode="numeric" autocomplete="one-time-code" required autofocus${described}>`
    : '';
  const [before, after = ''] = text.continueTo.split('{app}');
  return page(
    language,
    text.title,
    `<h1>${escapeHtml(text.title)}</h1>
<p>${escapeHtml(before ?? '')}<strong>${escapeHtml(input.appName)}</strong>${escapeHtml(after)}</p>
${error}
<form method="post" action="${escapeHtml(input.action)}">
<label for="username">${escapeHtml(text.name)}</label>
<input id="username" name="username" autocomplete="username" required value="${escapeHtml(input.username ?? '')}"${input.askTotp ? '' : ' autofocus'}${described}>
<label for="password">${escapeHtml(text.password)}</label>
<input id="password" name="password" type="password" autocomplete="current-password" required${described}>
${totp}
<button type="submit">${escapeHtml(text.submit)}</button>
</form>`,
  );
}

/**
 * A page that loads `url` again from Foyer's own origin: after a redirect that began on another
 * site the browser withholds Foyer's SameSite=Strict session cookie, and a same-origin
 * navigation sends it, so a member already signed in is not asked again.
 */
export function reloadPage(url: string, language: PageLanguage = 'en'): string {
  const text = pageText(language);
  return page(
    language,
    text.signingIn,
    `<p><a href="${escapeHtml(url)}">${escapeHtml(text.continue)}</a></p>`,
    `<meta http-equiv="refresh" content="0;url=${escapeHtml(url)}">`,
  );
}

/** An error the provider shows (a bad request from an app, an expired sign-in). */
export function errorPage(title: string, detail: string, language: PageLanguage = 'en'): string {
  return page(language, title, `<h1>${escapeHtml(title)}</h1><p>${escapeHtml(detail)}</p>`);
}
