/**
 * The `foyer` command as a person runs it: the real bin, the compiled code
 * (`npm run build`, which `npm ci` runs through `prepare`), real files.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { describe, type TestContext, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { socketRequest } from '../support/api-box.js';
import { freePort } from '../support/ports.js';

const bin = resolve(dirname(fileURLToPath(import.meta.url)), '../../bin/foyer.js');
const run = promisify(execFile);

async function foyer(args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args], {
      env: { ...process.env, ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'foyer-cli-'));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return dir;
}

describe('foyer compose config', () => {
  test('prints the normalised project like docker compose config --format json', async () => {
    const dir = project({
      'compose.yaml':
        'services:\n  web:\n    image: "busybox:${TAG}"\n    ports: ["8080:80"]\n    volumes: [data:/data, ./site:/www:ro]\n    environment: [A=1, B]\nvolumes:\n  data:\n',
      '.env': 'TAG=1.36\nB=from-dotenv\n',
    });
    const { code, stdout, stderr } = await foyer([
      'compose',
      'config',
      join(dir, 'compose.yaml'),
      '--project-name',
      'Demo',
    ]);
    assert.equal(code, 0, stderr);
    const config = JSON.parse(stdout);
    assert.equal(config.name, 'demo');
    assert.deepEqual(config.services.web.ports, [
      { mode: 'ingress', target: 80, published: '8080', protocol: 'tcp' },
    ]);
    assert.equal(config.services.web.image, 'busybox:1.36');
    assert.deepEqual(config.services.web.environment, { A: '1', B: 'from-dotenv' });
    assert.deepEqual(config.services.web.volumes, [
      { type: 'volume', source: 'data', target: '/data', volume: {} },
      {
        type: 'bind',
        source: join(dir, 'site'),
        target: '/www',
        read_only: true,
        bind: { create_host_path: true },
      },
    ]);
    assert.deepEqual(config.services.web.networks, { default: null });
    assert.deepEqual(config.networks, { default: { name: 'demo_default', ipam: {} } });
    assert.deepEqual(config.volumes, { data: { name: 'demo_data' } });
  });

  test('merges several files and reads --env-file instead of .env', async () => {
    const dir = project({
      'compose.yaml':
        'services:\n  web:\n    image: "app:${TAG:-latest}"\n    environment: {A: "1"}\n',
      'override.yaml': 'services:\n  web:\n    environment: {B: "2"}\n',
      '.env': 'TAG=wrong\n',
      'prod.env': 'TAG=2.0\n',
    });
    const { code, stdout, stderr } = await foyer([
      'compose',
      'config',
      join(dir, 'compose.yaml'),
      join(dir, 'override.yaml'),
      '--env-file',
      join(dir, 'prod.env'),
    ]);
    assert.equal(code, 0, stderr);
    const config = JSON.parse(stdout);
    assert.equal(config.services.web.image, 'app:2.0');
    assert.deepEqual(config.services.web.environment, { A: '1', B: '2' });
  });

  test('exits 1 with one path: message line per problem, and prints nothing on stdout', async () => {
    const dir = project({
      'compose.yaml':
        'services:\n  web:\n    network-mode: host\n    depends_on: [db]\n    ports: ["99999:80"]\n',
    });
    const { code, stdout, stderr } = await foyer(['compose', 'config', join(dir, 'compose.yaml')]);
    assert.equal(code, 1);
    assert.equal(stdout, '');
    const lines = stderr.trim().split('\n').sort();
    assert.deepEqual(lines, [
      'services.web.depends_on.db: depends on undefined service "db"',
      'services.web.network-mode: unknown key (did you mean "network_mode"?)',
      'services.web.ports[0]: invalid host port "99999"',
      'services.web: has neither "image" nor "build"',
    ]);
  });

  test('a missing file is an error naming it', async () => {
    const { code, stderr } = await foyer(['compose', 'config', '/nonexistent/compose.yaml']);
    assert.equal(code, 1);
    assert.match(stderr, /\/nonexistent\/compose\.yaml: file not found/);
  });
});

/**
 * `foyer serve` from the built bin on a free-ish port, with no Docker engine; resolves once ready.
 * Killed at the test's end if it still runs (a failed assertion must not leave it holding the run).
 */
async function startServe(t: TestContext) {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'foyer-serve-'));
  const child = spawn(process.execPath, [bin, 'serve'], {
    env: {
      ...process.env,
      FOYER_DATA_DIR: dataDir,
      DOCKER_HOST: 'unix:///nonexistent/docker.sock',
      FOYER_PORT: String(port),
      FOYER_HOST: '127.0.0.1',
      FOYER_LOG_LEVEL: 'warn',
    },
  });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let output = '';
  await new Promise<void>((resolveReady, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk;
      if (output.includes('Foyer is running at')) resolveReady();
    });
    child.once('exit', (code) => reject(new Error(`serve exited early with ${code}: ${output}`)));
  });
  const stop = async () => {
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    return exited;
  };
  return { port, dataDir, output: () => output, stop };
}

describe('foyer serve', () => {
  test('serves without a Docker engine, reports it unreachable, prints the setup code, stops on SIGTERM', async (t) => {
    const { port, output, stop } = await startServe(t);
    assert.match(output(), new RegExp(`http://127\\.0\\.0\\.1:${port}/`));
    const response = await fetch(`http://127.0.0.1:${port}/api/health`);
    assert.equal(response.status, 200);
    assert.equal(((await response.json()) as { status: string }).status, 'ok');
    // The Docker engine is not there: the daemon serves anyway and says so.
    let engine = '';
    for (let i = 0; i < 50 && engine !== 'unreachable'; i++) {
      engine = (
        (await (await fetch(`http://127.0.0.1:${port}/api/health`)).json()) as { engine: string }
      ).engine;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(engine, 'unreachable');
    assert.match(output(), /First-run setup code: /);
    assert.equal(await stop(), 0);
  });

  // @fastify/static and @fastify/swagger are imported at their first request (issue 12 §5):
  // this is where the bundle's own chunks for them are loaded and run.
  test('sends the built UI and the OpenAPI document, loading their plugins at first use', async (t) => {
    const { port, dataDir, stop } = await startServe(t);
    const origin = `http://127.0.0.1:${port}`;
    const page = await fetch(`${origin}/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    assert.equal(page.headers.get('cache-control'), 'no-cache');
    const script = /<script[^>]* src="(\/assets\/[^"]+\.js)"/.exec(await page.text())?.[1];
    assert.ok(script, 'index.html loads a script from /assets');
    const asset = await fetch(`${origin}${script}`, { headers: { 'accept-encoding': 'br' } });
    assert.equal(asset.status, 200);
    assert.equal(asset.headers.get('content-encoding'), 'br');
    assert.match(asset.headers.get('cache-control') ?? '', /max-age=31536000.*immutable/);
    assert.ok((await asset.arrayBuffer()).byteLength > 0);
    assert.equal((await fetch(`${origin}/assets/missing.js`)).status, 404);
    const openapi = await socketRequest(join(dataDir, 'foyer.sock'), 'GET', '/api/openapi.json');
    assert.equal(openapi.status, 200, openapi.body);
    const document = JSON.parse(openapi.body) as { paths: Record<string, unknown> };
    assert.ok(document.paths['/api/health'], '/api/health in the OpenAPI document');
    assert.equal(await stop(), 0);
  });
});
