// Bundles the compiled CLI and daemon (dist/server/cli/main.js) into dist/bundle/ with
// esbuild: start-up of `foyer serve` is mostly module resolution, and one bundle (split per
// verb, so the client verbs stay small) halves it (npm run bench:daemon). Native addons and
// the packages whose files are resolved at run time stay external.
//
// V8 keeps each module's source text for as long as the daemon runs, one byte per character
// when the text is all ASCII and two otherwise: comments are dropped (a stray "§" or "—" in
// one made the 2.3 MB serve chunk a 4.5 MiB string) and the output is checked to be ASCII.
// Identifiers are kept, so stack traces still name functions (issue 12 §5).
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

// Chunk names carry content hashes: clear the last build's, so only this one's are checked.
rmSync('dist/bundle', { recursive: true, force: true });
await build({
  entryPoints: ['dist/server/cli/main.js'],
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  outdir: 'dist/bundle',
  outExtension: { '.js': '.mjs' },
  // better-sqlite3 and argon2 are native; dockerode is loaded with createRequire and stubs
  // (server/docker/dockerode-load.ts); tar-fs finds tar-stream beside itself; pino loads
  // worker files by path.
  // @fastify/cookie loads `cookie` with a dynamic import that esbuild would turn into a default
  // export only (cookie 1.x is CommonJS): it stays external and finds its own copy.
  // oidc-provider is loaded only at the first request under /oidc, from node_modules: bundled,
  // its dependencies' regular expressions are not ASCII (issue 14).
  external: [
    'better-sqlite3',
    '@node-rs/argon2',
    'dockerode',
    'docker-modem',
    'tar-fs',
    'pino',
    '@fastify/cookie',
    'oidc-provider',
  ],
  banner: {
    js: "import { createRequire as __foyerRequire } from 'node:module'; const require = __foyerRequire(import.meta.url);",
  },
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'none',
  charset: 'ascii',
  logLevel: 'warning',
});

for (const name of readdirSync('dist/bundle')) {
  const text = readFileSync(join('dist/bundle', name), 'latin1');
  const at = text.search(/[^\x00-\x7f]/);
  if (at >= 0) {
    throw new Error(
      `dist/bundle/${name} is not ASCII at ${at}: ${JSON.stringify(text.slice(at - 40, at + 10))}`,
    );
  }
}
