// Bundles the compiled CLI and daemon (dist/server/cli/main.js) into dist/bundle/ with
// esbuild: start-up of `foyer serve` is mostly module resolution, and one bundle (split per
// verb, so the client verbs stay small) halves it (npm run bench:daemon). Native addons and
// the packages whose files are resolved at run time stay external.
import { build } from 'esbuild';

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
  external: [
    'better-sqlite3',
    '@node-rs/argon2',
    'dockerode',
    'docker-modem',
    'tar-fs',
    'pino',
    '@fastify/cookie',
  ],
  banner: {
    js: "import { createRequire as __foyerRequire } from 'node:module'; const require = __foyerRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
