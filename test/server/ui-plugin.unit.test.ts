/**
 * Serving the web UI (server/plugins/ui.ts) from a stand-in build in a temp
 * dir: `/` with a strict CSP and no caching, hashed assets cached for a year
 * and sent pre-compressed, and a plain 503 when the UI was never built.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { brotliCompressSync } from 'node:zlib';
import Fastify from 'fastify';
import uiRoutes, { defaultUiDir, UI_CSP } from '../../server/plugins/ui.js';

const root = mkdtempSync(join(tmpdir(), 'foyer-ui-'));
after(() => rmSync(root, { recursive: true, force: true }));

async function serve(dir: string) {
  const app = Fastify({ logger: false });
  await app.register(uiRoutes, { dir });
  return app;
}

describe('the UI plugin', () => {
  const dist = join(root, 'dist');
  mkdirSync(join(dist, 'assets'), { recursive: true });
  writeFileSync(join(dist, 'index.html'), '<!doctype html><title>Foyer</title>');
  const script = 'console.log("foyer");'.repeat(100);
  writeFileSync(join(dist, 'assets', 'index-abc123.js'), script);
  writeFileSync(join(dist, 'assets', 'index-abc123.js.br'), brotliCompressSync(script));
  writeFileSync(join(dist, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');

  test('serves index.html at / with a strict CSP, never cached', async () => {
    const app = await serve(dist);
    const res = await app.inject({ url: '/' });
    assert.equal(res.statusCode, 200);
    assert.match(res.headers['content-type'] as string, /^text\/html/);
    assert.equal(res.headers['cache-control'], 'no-cache');
    assert.equal(res.headers['content-security-policy'], UI_CSP);
    assert.match(UI_CSP, /script-src 'self'(;|$)/);
    assert.doesNotMatch(UI_CSP, /unsafe-inline|unsafe-eval/);
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    assert.match(res.body, /<title>Foyer<\/title>/);
    await app.close();
  });

  test('serves hashed assets for a year, pre-compressed when the browser takes it', async () => {
    const app = await serve(dist);
    const plain = await app.inject({ url: '/assets/index-abc123.js' });
    assert.equal(plain.statusCode, 200);
    assert.equal(plain.body, script);
    assert.match(plain.headers['cache-control'] as string, /max-age=31536000.*immutable/);
    const br = await app.inject({
      url: '/assets/index-abc123.js',
      headers: { 'accept-encoding': 'br, gzip' },
    });
    assert.equal(br.headers['content-encoding'], 'br');
    assert.ok(br.rawPayload.length < script.length);
    const icon = await app.inject({ url: '/favicon.svg' });
    assert.equal(icon.statusCode, 200);
    assert.equal((await app.inject({ url: '/assets/missing.js' })).statusCode, 404);
    assert.equal(
      (await app.inject({ url: '/assets/..%2f..%2fpackage.json' })).statusCode >= 400,
      true,
    );
    await app.close();
  });

  test('marks every route public and hides it from the OpenAPI document', async () => {
    const app = Fastify({ logger: false });
    const seen: { url: string; public: unknown; hide: unknown }[] = [];
    app.addHook('onRoute', (route) => {
      seen.push({ url: route.url, public: route.config?.public, hide: route.schema?.hide });
    });
    await app.register(uiRoutes, { dir: dist });
    await app.ready();
    assert.ok(seen.length >= 3);
    for (const route of seen) {
      assert.equal(route.public, true, route.url);
      assert.equal(route.hide, true, route.url);
      assert.ok(!route.url.startsWith('/api'), route.url);
    }
    await app.close();
  });

  test('answers 503 with what to do when the UI was never built', async () => {
    const app = await serve(join(root, 'missing'));
    const res = await app.inject({ url: '/' });
    assert.equal(res.statusCode, 503);
    assert.match(res.headers['content-type'] as string, /^text\/plain/);
    assert.match(res.body, /npm run build/);
    await app.close();
  });

  test('finds ui/dist at the package root', () => {
    assert.match(defaultUiDir(), /[/\\]ui[/\\]dist$/);
  });
});
