#!/usr/bin/env node
// Runs test tiers in ONE `node --test` process so a run ends with one summary:
//   node scripts/run-tests.mjs <unit|docker|e2e|all|path/to/file.test.ts>… [-- <extra node --test options>]
// Tiers are chosen by file name, test/**/*.<tier>.test.ts. For the docker and e2e tiers it first
// starts one private Docker engine (unless FOYER_TEST_DOCKER_HOST names one), builds the test
// images, passes the engine on in FOYER_TEST_DOCKER_HOST, and stops it whatever happens.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { constants } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const TIERS = ['unit', 'docker', 'e2e'];
const ENGINE_TIERS = ['docker', 'e2e'];
const root = fileURLToPath(new URL('..', import.meta.url));

const argv = process.argv.slice(2);
const dash = argv.indexOf('--');
const names = dash === -1 ? argv : argv.slice(0, dash);
const extra = dash === -1 ? [] : argv.slice(dash + 1);
// A name ending in .test.ts is one file to run on its own (its tier from its name).
const picked = names.filter((n) => n.endsWith('.test.ts')).map((n) => join(root, n));
const tierNames = names.filter((n) => !n.endsWith('.test.ts'));
const tiers = [...new Set(tierNames.flatMap((t) => (t === 'all' ? TIERS : [t])))];
const unknown = tiers.filter((t) => !TIERS.includes(t));
if ((tiers.length === 0 && picked.length === 0) || unknown.length > 0) {
  fail(`usage: run-tests.mjs <${TIERS.join('|')}|all>… [-- node-test-options]`, 2);
}

const all = listFiles(join(root, 'test'));
const files = [
  ...all.filter((f) => tiers.some((t) => f.endsWith(`.${t}.test.ts`))),
  ...picked.filter((f) => all.includes(f)),
];
if (picked.some((f) => !all.includes(f)))
  fail(`no such test file: ${picked.find((f) => !all.includes(f))}`, 2);
if (files.length === 0) fail(`no test files for ${tiers.join(', ')} under test/`, 1);
const needsEngine = files.some((f) => ENGINE_TIERS.some((t) => f.endsWith(`.${t}.test.ts`)));

let child;
let interrupted;
let engine;
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    interrupted ??= sig;
    // The tests get the signal too; teardown runs once they have ended.
    if (child) child.kill(sig);
    else say(`${sig}: stopping once the current step ends`);
  });
}

let code = 1;
try {
  const env = { ...process.env };
  if (needsEngine) {
    const support = await importSupport();
    if (env.FOYER_TEST_DOCKER_HOST) {
      say(`using the engine at ${env.FOYER_TEST_DOCKER_HOST}`);
      delete env.FOYER_TEST_PRIVATE_ENGINE;
      engine = support.engineAt(env.FOYER_TEST_DOCKER_HOST);
    } else {
      const started = Date.now();
      const privateEngine = await support.startPrivateEngine();
      engine = { ...support.engineAt(privateEngine.host), stop: privateEngine.stop };
      say(`private Docker engine at ${engine.host} (${seconds(started)})`);
      env.FOYER_TEST_DOCKER_HOST = engine.host;
      // The files may clear everything on it between them (test/support/leftovers.ts).
      env.FOYER_TEST_PRIVATE_ENGINE = '1';
    }
    if (!interrupted) {
      const started = Date.now();
      await support.ensureTestImages(engine);
      say(`test images ready (${seconds(started)})`);
    }
  }
  if (!interrupted) {
    const args = ['--import', 'tsx', '--test', '--test-concurrency=1', ...extra];
    code = await runTests([...args, ...files.map((f) => relative(root, f))], env);
  }
} catch (e) {
  say(e instanceof Error ? e.message : String(e));
  code = 1;
} finally {
  if (engine?.stop) {
    try {
      await engine.stop();
      say('private Docker engine stopped and removed');
    } catch (e) {
      say(`stopping the engine failed: ${e instanceof Error ? e.message : e}`);
      if (code === 0) code = 1;
    }
  }
}
// An interrupted run reports the signal even when the tests exited on their own after it.
process.exit(interrupted ? 128 + constants.signals[interrupted] : code);

// Every file under dir, skipping dependencies; sorted so runs are reproducible.
function listFiles(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(path));
    else if (entry.isFile()) out.push(path);
  }
  return out.sort();
}

// tsx is loaded only when an engine is needed, so the unit tier does not pay for it.
async function importSupport() {
  const { tsImport } = await import('tsx/esm/api');
  return tsImport('../test/support/index.ts', import.meta.url);
}

function runTests(args, env) {
  return new Promise((resolve) => {
    child = spawn(process.execPath, args, { cwd: root, env, stdio: 'inherit' });
    child.on('error', (e) => {
      say(`cannot start node --test: ${e.message}`);
      resolve(1);
    });
    child.on('exit', (status, sig) => {
      child = undefined;
      resolve(status ?? 128 + (constants.signals[sig] ?? 0));
    });
  });
}

function seconds(since) {
  return `${((Date.now() - since) / 1000).toFixed(1)}s`;
}

function say(message) {
  process.stderr.write(`run-tests: ${message}\n`);
}

function fail(message, status) {
  say(message);
  process.exit(status);
}
