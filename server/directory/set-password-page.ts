/**
 * The page a one-time set-password link opens (`/set-password#<token>`; the
 * token stays in the fragment, so it never reaches a server log or a
 * Referer). Plain HTML and one same-origin script under the UI's strict
 * Content-Security-Policy; it posts to `POST /api/members/set-password`.
 * The UI proper (issue 14's screens) may replace it.
 */
import type { FastifyInstance } from 'fastify';
import { UI_CSP } from '../plugins/ui.js';

const PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Set your password · Foyer</title><script src="/set-password.js" defer></script></head>
<body>
<main>
<h1>Set your password</h1>
<p>One password for Foyer, mail, chat and calendar. At least 10 characters; a few words are easy to remember and hard to guess.</p>
<form id="form">
<p><label for="password">New password</label><br><input id="password" type="password" autocomplete="new-password" minlength="10" maxlength="1024" required></p>
<p><label for="again">The same again</label><br><input id="again" type="password" autocomplete="new-password" minlength="10" maxlength="1024" required></p>
<p><button type="submit">Set my password</button></p>
</form>
<p id="status" role="status"></p>
</main>
</body>
</html>
`;

const SCRIPT = `'use strict';
document.addEventListener('DOMContentLoaded', () => {
  const form = document.getElementById('form');
  const status = document.getElementById('status');
  const token = decodeURIComponent(location.hash.slice(1));
  if (!token) { status.textContent = 'This link is incomplete: open the whole link you were given.'; form.hidden = true; return; }
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const password = document.getElementById('password').value;
    if (password !== document.getElementById('again').value) { status.textContent = 'The two passwords differ.'; return; }
    status.textContent = 'Setting…';
    const res = await fetch('/api/members/set-password', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token, password }) });
    const body = await res.json().catch(() => ({}));
    if (res.ok) { form.hidden = true; history.replaceState(null, '', location.pathname); status.textContent = 'Done, ' + body.name + ': your password is set. Sign in with it everywhere.'; }
    else status.textContent = body.message || 'That did not work; ask for a new link.';
  });
});
`;

/** GET /set-password and its script, public, under the UI's CSP. */
export function setPasswordPage(app: FastifyInstance, path: string): void {
  const route = { config: { public: true }, schema: { hide: true } };
  const headers = {
    'content-security-policy': UI_CSP,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
    'cache-control': 'no-cache',
  };
  app.get(path, route, async (_request, reply) =>
    reply.headers(headers).type('text/html; charset=utf-8').send(PAGE),
  );
  app.get(`${path}.js`, route, async (_request, reply) =>
    reply.headers(headers).type('text/javascript; charset=utf-8').send(SCRIPT),
  );
}
