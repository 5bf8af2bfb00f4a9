#!/usr/bin/env node
// The `foyer` command: the daemon (`foyer serve`) and its client verbs.
// Runs the compiled CLI from dist/ (built by `npm ci` through the prepare script).
import { setFlagsFromString } from 'node:v8';

if (process.argv[2] === 'serve') {
  // The daemon idles on small boards: a 1 MiB young generation and size-first code
  // cost a little GC time and keep ~15 MiB less resident (npm run bench:daemon).
  setFlagsFromString('--max-semi-space-size=1');
  setFlagsFromString('--optimize-for-size');
}

const { main } = await import('../dist/server/cli/main.js');
process.exitCode = await main(process.argv.slice(2));
