/**
 * The web UI (ui/, built by Vite into ui/dist): `/` answers index.html,
 * never cached, with a strict Content-Security-Policy; `/assets/*` answers
 * the content-hashed bundles, cached for a year; other top-level files of
 * ui/dist (the icon) are cached for a day. The UI routes by the URL's hash
 * (`/#/catalogue`), so no path needs a fallback to index.html. Every route
 * here is public: the page itself holds nothing, the API behind it checks
 * the session. Without a build the daemon still runs and `/` says how to
 * make one.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';

export interface UiOptions {
  /** The built UI; default `ui/dist` of the package. */
  dir?: string;
}

/**
 * The page may load only its own scripts, styles, images (and `data:` ones)
 * and talk only to its own origin: no inline script, no other site, no
 * framing. Svelte's build puts every style in the CSS file, so no
 * 'unsafe-inline' is needed for styles either.
 */
export const UI_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const PUBLIC = { public: true };
const YEAR_MS = 365 * 24 * 3600 * 1000;
const DAY_MS = 24 * 3600 * 1000;

/** ui/dist of the package this module runs from (dist/bundle/, dist/server/plugins/ or server/plugins/). */
export function defaultUiDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dir !== dirname(dir)) dir = dirname(dir);
  return join(dir, 'ui', 'dist');
}

/** Headers of every UI answer: no sniffing, no referrer leaking install names, no framing. */
function pageHeaders(reply: FastifyReply): FastifyReply {
  return reply
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('x-frame-options', 'DENY');
}

export default async function uiRoutes(app: FastifyInstance, options: UiOptions = {}) {
  const dir = options.dir ?? defaultUiDir();
  const route = { config: PUBLIC, schema: { hide: true } };
  if (!existsSync(join(dir, 'index.html'))) {
    app.log.warn({ dir }, 'the web UI is not built; run `npm run build`');
    app.get('/', route, async (_request, reply) =>
      pageHeaders(reply)
        .code(503)
        .type('text/plain; charset=utf-8')
        .send(
          `Foyer's web UI is not built (${dir} is missing).\n` +
            'Run `npm run build` in the Foyer package, then restart Foyer.\n' +
            'The API answers at /api meanwhile.\n',
        ),
    );
    return;
  }
  // Only the reply.sendFile decorator: the routes below are Foyer's, with their own config.
  // Pre-compressed .br/.gz files written by the build are served to browsers that take them.
  await app.register(fastifyStatic, { root: dir, serve: false, preCompressed: true });

  app.get('/', route, async (_request, reply) =>
    pageHeaders(reply)
      .header('content-security-policy', UI_CSP)
      .header('cache-control', 'no-cache')
      .sendFile('index.html', { cacheControl: false }),
  );
  app.get('/assets/*', route, async (request, reply) => {
    const path = (request.params as { '*': string })['*'];
    return pageHeaders(reply).sendFile(`assets/${path}`, { maxAge: YEAR_MS, immutable: true });
  });
  for (const name of readdirSync(dir)) {
    if (name === 'index.html' || name.startsWith('.') || /\.(br|gz)$/.test(name)) continue;
    if (!statSync(join(dir, name)).isFile()) continue;
    app.get(`/${name}`, route, async (_request, reply) =>
      pageHeaders(reply).sendFile(name, { maxAge: DAY_MS }),
    );
  }
}
