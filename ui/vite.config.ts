/**
 * Builds the web UI into ui/dist: one entry, hashed assets under /assets/,
 * no inline scripts (the daemon's Content-Security-Policy forbids them) and
 * nothing fetched from elsewhere at run time. Text files also get .br and .gz
 * twins that the daemon sends as they are (no compressing on a small board).
 * `npm run build` runs it from the package root; `npm run dev:ui` serves it
 * for development with /api proxied to a daemon on FOYER_PORT (default 8420).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig, type Plugin } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

/** Writes `<file>.br` and `<file>.gz` beside each text file of the build worth compressing. */
function precompress(): Plugin {
  return {
    name: 'foyer-precompress',
    apply: 'build',
    writeBundle(options, bundle) {
      const dir = options.dir ?? join(root, 'dist');
      for (const file of Object.values(bundle)) {
        if (!/\.(js|css|html|svg)$/.test(file.fileName)) continue;
        const source = file.type === 'chunk' ? file.code : file.source;
        const content = typeof source === 'string' ? Buffer.from(source) : Buffer.from(source);
        if (content.length < 1024) continue;
        const path = join(dir, file.fileName);
        writeFileSync(`${path}.gz`, gzipSync(content, { level: 9 }));
        writeFileSync(
          `${path}.br`,
          brotliCompressSync(content, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }),
        );
      }
    },
  };
}

export default defineConfig({
  root,
  base: '/',
  plugins: [svelte({ configFile: false }), precompress()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // The module preload polyfill would be a second script for browsers this UI does not serve.
    modulePreload: { polyfill: false },
    // Small files stay files: an inlined data: URL would need a laxer CSP for fonts and scripts.
    assetsInlineLimit: 0,
    reportCompressedSize: false,
  },
  server: {
    proxy: { '/api': `http://127.0.0.1:${process.env.FOYER_PORT ?? 8420}` },
  },
});
