/**
 * The web UI (ui/, built by Vite into ui/dist): `/` answers index.html,
 * never cached, with a strict Content-Security-Policy; `/assets/*` answers
 * the content-hashed bundles, cached for a year; other top-level files of
 * ui/dist (the icon) are cached for a day. The UI routes by the URL's hash
 * (`/#/catalogue`), so no path needs a fallback to index.html. Every route
 * here is public: the page itself holds nothing, the API behind it checks
 * the session. Without a build the daemon still runs and `/` says how to
 * make one.
 *
 * Files are sent by `@fastify/static`'s `sendFile` (ranges, ETags, the
 * pre-compressed `.br`/`.gz` siblings), loaded at the first UI request rather
 * than at start: with `glob` and `@fastify/send` it was ~1.7 MiB of an idle
 * daemon's RSS that a daemon nobody opens never uses (issue 12 §5).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
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
  const sendFile = lazySendFile(app, dir);

  app.get('/', route, async (_request, reply) =>
    (await sendFile())(
      pageHeaders(reply)
        .header('content-security-policy', UI_CSP)
        .header('cache-control', 'no-cache'),
      'index.html',
      { cacheControl: false },
    ),
  );
  app.get('/assets/*', route, async (request, reply) => {
    const path = (request.params as { '*': string })['*'];
    return (await sendFile())(pageHeaders(reply), `assets/${path}`, {
      maxAge: YEAR_MS,
      immutable: true,
    });
  });
  for (const name of readdirSync(dir)) {
    if (name === 'index.html' || name.startsWith('.') || /\.(br|gz)$/.test(name)) continue;
    if (!statSync(join(dir, name)).isFile()) continue;
    app.get(`/${name}`, route, async (_request, reply) =>
      (await sendFile())(pageHeaders(reply), name, { maxAge: DAY_MS }),
    );
  }
}

/** Options of one file sent (`@fastify/send`'s): caching and the like. */
interface SendOptions {
  cacheControl?: boolean;
  maxAge?: number;
  immutable?: boolean;
}
type SendFile = (reply: FastifyReply, path: string, options: SendOptions) => FastifyReply;

/**
 * `@fastify/static`'s `reply.sendFile` for files under `dir`, made at the first call: the plugin
 * runs on a stand-in that only takes its reply decorators (with `serve: false` it adds no route),
 * and the decorator is called with the real reply as `this`. Pre-compressed .br/.gz files written
 * by the build are served to browsers that take them. A failed load is tried again next time.
 */
function lazySendFile(app: FastifyInstance, dir: string): () => Promise<SendFile> {
  let made: Promise<SendFile> | undefined;
  const make = async (): Promise<SendFile> => {
    // The CommonJS exports object, which also holds the plugin unwrapped (no fastify-plugin
    // checks): `default` is the one name both Node and the esbuild bundle give it.
    const { fastifyStatic } = (
      (await import('@fastify/static')) as unknown as {
        default: { fastifyStatic: (instance: object, options: object) => Promise<void> };
      }
    ).default;
    const decorators = new Map<string, (...args: unknown[]) => FastifyReply>();
    const standIn = {
      log: app.log,
      decorateReply(name: string, value: (...args: unknown[]) => FastifyReply) {
        decorators.set(name, value);
      },
    };
    await fastifyStatic(standIn, { root: dir, serve: false, preCompressed: true });
    const send = decorators.get('sendFile');
    if (!send) throw new Error('@fastify/static changed: it decorated no reply.sendFile');
    return (reply, path, options) => send.call(reply, path, options);
  };
  return () =>
    (made ??= make().catch((error: unknown) => {
      made = undefined;
      throw error;
    }));
}
