#!/usr/bin/env node
// The `foyer` command: the daemon (`foyer serve`) and its client verbs.
// Runs the bundled CLI from dist/bundle (built by `npm ci` through the prepare script).
const { main } = await import('../dist/bundle/main.mjs');
process.exitCode = await main(process.argv.slice(2));
