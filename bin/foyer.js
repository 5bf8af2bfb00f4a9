#!/usr/bin/env node
// The `foyer` command: the daemon (`foyer serve`) and its client verbs.
// Runs the compiled CLI from dist/ (built by `npm ci` through the prepare script).
import { main } from '../dist/server/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
