/**
 * The catalogue lint: one small app folder per case, written into a temp
 * folder; a clean app passes, and each check fails on its own at its path.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { formatProblem } from '../../compose/problems.js';
import { lintApp, lintCatalog } from '../../server/catalog/lint.js';

const root = mkdtempSync(join(tmpdir(), 'foyer-lint-'));
after(() => rmSync(root, { recursive: true, force: true }));

const DIGEST = `sha256:${'a'.repeat(64)}`;

const APP = `id: notes
name: Notes
version: "1.2.3-1"
icon: icon.svg
architectures: [amd64, arm64]
requirements: {memory: 128m, disk: 1g}
web: {service: web, port: 8080}
settings:
  - {key: TITLE, type: string, default: Notes}
  - {key: ADMIN_EMAIL, type: email}
  - {key: WORKERS, type: number, min: 2, max: 8}
  - {key: THEME, type: choice, choices: [light, dark]}
  - {key: ADMIN_PASSWORD, type: password, secret: {generate: true}}
permissions: []
`;

const COMPOSE = `services:
  web:
    image: example/notes:1.2.3@${DIGEST}
    environment:
      TITLE: \${TITLE}
      ADMIN_EMAIL: $ADMIN_EMAIL
      WORKERS: \${WORKERS:-2}
      THEME: "\${THEME?}"
      ADMIN_PASSWORD: \${ADMIN_PASSWORD}
      URL: https://\${FOYER_DOMAIN}/\${FOYER_INSTALL}
    command: ["sh", "-c", "echo $$HOME"]
    volumes: ["\${FOYER_APP_DATA}/data:/data"]
    healthcheck:
      test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/"]
  migrate:
    image: example/notes:1.2.3@${DIGEST}
    restart: "no"
`;

let count = 0;

/** Writes an app folder (the clean app, changed by `edit`) and returns its path. */
function writeApp(files: Record<string, string | undefined> = {}): string {
  const dir = join(root, `case-${count++}`, 'notes');
  mkdirSync(dir, { recursive: true });
  const all: Record<string, string | undefined> = {
    'app.yaml': APP,
    'compose.yaml': COMPOSE,
    'icon.svg': '<svg xmlns="http://www.w3.org/2000/svg"/>',
    ...files,
  };
  for (const [file, content] of Object.entries(all)) {
    if (content !== undefined) writeFileSync(join(dir, file), content);
  }
  return dir;
}

function lint(files: Record<string, string | undefined> = {}): string[] {
  return lintApp(writeApp(files)).map(formatProblem);
}

/** Asserts exactly one problem, at `path`, whose message matches `message`. */
function assertOne(problems: string[], path: string, message: RegExp): void {
  assert.equal(problems.length, 1, problems.join('\n'));
  const [problem] = problems as [string];
  assert.ok(problem.startsWith(`${path}: `), `expected path ${path}, got: ${problem}`);
  assert.match(problem.slice(path.length + 2), message);
}

describe('catalogue lint', () => {
  test('a clean app has no problems', () => {
    assert.deepEqual(lint(), []);
  });

  test('1: app.yaml must validate', () => {
    const app = APP.replace('key: TITLE', 'key: 1TITLE');
    assertOne(lint({ 'app.yaml': app }), 'app.yaml: settings[0].key', /must match/);
  });

  test('2: the compose file must load', () => {
    const compose = COMPOSE.replace('    restart: "no"', '    restart: "no"\n    ports: [abc]');
    assertOne(
      lint({ 'compose.yaml': compose }),
      'compose.yaml: services.migrate.ports[0]',
      /invalid container port "abc"/,
    );
  });

  test('tls entries name services of the compose file and resolve to host names', () => {
    const app = APP.replace(
      'permissions: []',
      'tls:\n  - {name: "${TITLE}.example.org", services: [web]}\n' +
        '  - {name: "${ADMIN_EMAIL}", services: [api]}\npermissions: []',
    );
    assert.deepEqual(lint({ 'app.yaml': app }), [
      'app.yaml: tls[1].services[0]: compose.yaml has no service "api"',
      'app.yaml: tls[1].name: "a@example.org" is not a host name a certificate can name',
    ]);
  });

  test('memberData names a service that mounts the named volume (issue 14)', () => {
    const compose = `${COMPOSE.replace(
      '    volumes: ["${FOYER_APP_DATA}/data:/data"]',
      '    volumes: ["${FOYER_APP_DATA}/data:/data", "files:/files"]',
    )}volumes:\n  files:\n  other:\n`;
    const app = (entry: string) =>
      APP.replace(
        'permissions: []',
        `accounts: directory\nmemberData:\n  - ${entry}\npermissions: []`,
      );
    assert.deepEqual(
      lint({
        'compose.yaml': compose,
        'app.yaml': app('{service: web, volume: files, path: "u/{name}"}'),
      }),
      [],
    );
    assertOne(
      lint({
        'compose.yaml': compose,
        'app.yaml': app('{service: api, volume: files, path: "{name}"}'),
      }),
      'app.yaml: memberData[0].service',
      /compose\.yaml has no service "api"/,
    );
    assertOne(
      lint({
        'compose.yaml': compose,
        'app.yaml': app('{service: web, volume: nope, path: "{name}"}'),
      }),
      'app.yaml: memberData[0].volume',
      /has no volume "nope"/,
    );
    assertOne(
      lint({
        'compose.yaml': compose,
        'app.yaml': app('{service: web, volume: other, path: "{name}"}'),
      }),
      'app.yaml: memberData[0].volume',
      /service "web" does not mount the volume "other"/,
    );
    assertOne(
      lint({
        'compose.yaml': compose,
        'app.yaml': app('{service: web, volume: files, path: "../{name}"}'),
      }),
      'app.yaml: memberData[0].path',
      /"\." or "\.\." segments/,
    );
  });

  test('memberSessions names a service of the app (issue 14)', () => {
    const app = (entry: string) =>
      APP.replace(
        'permissions: []',
        `accounts: directory\nmemberSessions:\n  - ${entry}\npermissions: []`,
      );
    assert.deepEqual(lint({ 'app.yaml': app('{service: web, command: [kick, "{name}"]}') }), []);
    assertOne(
      lint({ 'app.yaml': app('{service: api, command: [kick, "{name}"]}') }),
      'app.yaml: memberSessions[0].service',
      /compose\.yaml has no service "api"/,
    );
  });

  test('2: a YAML error names the file and line', () => {
    const problems = lint({ 'compose.yaml': 'services:\n  web:\n    image: [x\n' });
    // The settings it cannot use are reported too; the YAML error comes first.
    assert.match(problems[0]!, /^compose\.yaml:4:1: unexpected end of the stream/);
  });

  test('3: a permission the compose file needs must be declared', () => {
    const compose = COMPOSE.replace(
      '    healthcheck:',
      '    cap_add: [NET_ADMIN]\n    healthcheck:',
    );
    assertOne(
      lint({ 'compose.yaml': compose }),
      'compose.yaml: services.web.cap_add[0]',
      /"cap_add:NET_ADMIN".*does not declare/,
    );
  });

  test('3: device cgroup rules and GPU requests are permissions it knows (issue 12)', () => {
    const compose = COMPOSE.replace(
      '    healthcheck:',
      "    device_cgroup_rules: ['c 189:* rmw']\n    gpus: [{driver: nvidia, count: 1}]\n    healthcheck:",
    );
    assert.deepEqual(lint({ 'compose.yaml': compose }), [
      'compose.yaml: services.web.device_cgroup_rules[0]: needs the permission "device_cgroup_rule:c 189:* rmw", which app.yaml does not declare',
      'compose.yaml: services.web.gpus[0]: needs the permission "gpu:nvidia", which app.yaml does not declare',
    ]);
    const app = APP.replace(
      'permissions: []',
      'permissions: ["device_cgroup_rule:c 189:* rmw", "gpu:nvidia"]',
    );
    assert.deepEqual(lint({ 'app.yaml': app, 'compose.yaml': compose }), []);
    const typo = APP.replace('permissions: []', 'permissions: ["device_cgroup_rule:c 189 rmw"]');
    assert.match(
      lint({ 'app.yaml': typo, 'compose.yaml': compose })[0]!,
      /^app\.yaml: permissions\[0\]/,
    );
  });

  test('3: a declared permission the compose file does not need is reported', () => {
    const app = APP.replace('permissions: []', 'permissions: [privileged, "bind:/srv"]');
    const compose = COMPOSE.replace('/data:/data"]', '/data:/data", "/srv/x:/x"]');
    assertOne(
      lint({ 'app.yaml': app, 'compose.yaml': compose }),
      'app.yaml: permissions[0]',
      /"privileged" is declared but compose\.yaml does not need it/,
    );
  });

  test('4: a long-running service needs a health check', () => {
    const compose = COMPOSE.replace('    restart: "no"', '    restart: unless-stopped');
    assertOne(
      lint({ 'compose.yaml': compose }),
      'compose.yaml: services.migrate.healthcheck',
      /^a long-running service needs a health check that proves it answers$/,
    );
  });

  test('4: a disabled health check does not count; on-failure is not long-running', () => {
    const compose = COMPOSE.replace(
      /healthcheck:\n.*\n/,
      'healthcheck:\n      disable: true\n',
    ).replace('restart: "no"', 'restart: on-failure:3');
    assertOne(
      lint({ 'compose.yaml': compose }),
      'compose.yaml: services.web.healthcheck',
      /health check/,
    );
  });

  test('5: an upstream image must be pinned by tag and digest', () => {
    const compose = COMPOSE.replace(
      `    image: example/notes:1.2.3@${DIGEST}\n    restart`,
      '    image: r:5000/notes\n    restart',
    ).replace(`image: example/notes:1.2.3@${DIGEST}`, `image: example/notes@${DIGEST}`);
    const problems = lint({ 'compose.yaml': compose });
    assert.equal(problems.length, 2, problems.join('\n'));
    assert.match(
      problems[0]!,
      /^compose\.yaml: services\.web\.image: "example\/notes@sha256:a+" .*pinned by tag and digest/,
    );
    assert.match(
      problems[1]!,
      /^compose\.yaml: services\.migrate\.image: "r:5000\/notes" .*pinned/,
    );
  });

  test('5: a service built from a Dockerfile needs no pin', () => {
    const compose = COMPOSE.replace(
      `    image: example/notes:1.2.3@${DIGEST}\n    restart`,
      '    build: .\n    restart',
    );
    assert.deepEqual(
      lint({ 'compose.yaml': compose, Dockerfile: 'FROM debian:bookworm-slim\n' }),
      [],
    );
  });

  test('6: a variable that is neither a setting nor a Foyer variable is reported', () => {
    const compose = COMPOSE.replace('THEME: "${THEME?}"', 'THEME: "${THEME?} ${COLOUR:-red}"');
    assertOne(lint({ 'compose.yaml': compose }), 'compose.yaml:8', /uses the variable COLOUR/);
  });

  test('6: a declared setting the compose file never uses is reported', () => {
    const compose = COMPOSE.replace(
      '      WORKERS: ${WORKERS:-2}\n',
      () => '      WORKERS: $$WORKERS\n',
    );
    assertOne(
      lint({ 'compose.yaml': compose }),
      'app.yaml: settings[2].key',
      /the setting WORKERS is not used/,
    );
  });

  test('7: architectures must be declared', () => {
    const app = APP.replace('architectures: [amd64, arm64]\n', '');
    assertOne(lint({ 'app.yaml': app }), 'app.yaml: architectures', /architectures/);
  });

  test('7: memory and disk requirements must be declared', () => {
    const app = APP.replace('{memory: 128m, disk: 1g}', '{memory: 128m}');
    assertOne(lint({ 'app.yaml': app }), 'app.yaml: requirements.disk', /disk/);
    const none = APP.replace('requirements: {memory: 128m, disk: 1g}\n', '');
    assertOne(lint({ 'app.yaml': none }), 'app.yaml: requirements', /memory and disk/);
  });

  test('7: the icon file must exist in the app folder', () => {
    assertOne(lint({ 'icon.svg': undefined }), 'app.yaml: icon', /"icon\.svg" is not a file/);
    const outside = APP.replace('icon: icon.svg', 'icon: ../icon.svg');
    assertOne(lint({ 'app.yaml': outside }), 'app.yaml: icon', /not a file in the app folder/);
  });

  test('lintCatalog takes catalogue folders and app folders', () => {
    const good = writeApp();
    const bad = writeApp({ 'icon.svg': undefined });
    const results = lintCatalog([dirname(good), bad]);
    assert.deepEqual(
      results.map((r) => [r.app, r.problems.length]),
      [
        ['notes', 0],
        ['notes', 1],
      ],
    );
  });
});

describe('foyer catalog lint', () => {
  const bin = resolve(dirname(fileURLToPath(import.meta.url)), '../../bin/foyer.js');
  const run = promisify(execFile);

  async function foyer(args: string[]) {
    try {
      const { stdout, stderr } = await run(process.execPath, [bin, ...args]);
      return { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  }

  test('exits 0 for a clean catalogue, 1 with one line per problem, 2 on usage errors', async () => {
    const clean = dirname(writeApp());
    const ok = await foyer(['catalog', 'lint', clean]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stderr, /1 app checked, no problems/);

    const bad = writeApp({ 'icon.svg': undefined });
    const failed = await foyer(['catalog', 'lint', clean, bad]);
    assert.equal(failed.code, 1, failed.stderr);
    assert.match(failed.stderr, /^notes: app\.yaml: icon: "icon\.svg" is not a file/m);
    assert.match(failed.stderr, /2 apps checked, 1 problem in 1/);

    const missing = await foyer(['catalog', 'lint', join(root, 'nowhere')]);
    assert.equal(missing.code, 2);
  });
});
