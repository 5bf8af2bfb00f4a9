/**
 * Golden tests for the pure translation to Docker Engine API bodies, the
 * `docker compose config` JSON, and the config hash. `UPDATE_GOLDEN=1`
 * rewrites the golden files; review the diff before committing it.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  configHash,
  loadProject,
  type Project,
  toComposeConfig,
  translateProject,
} from '../../compose/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixture = readFileSync(join(here, 'fixtures/golden-app.yaml'), 'utf8');

function load(content = fixture, environment: Record<string, string> = {}): Project {
  return loadProject({ files: [{ path: '/srv/golden/compose.yaml', content }], environment })
    .project;
}

function matchesGolden(name: string, actual: unknown): void {
  const path = join(here, 'golden', name);
  const text = `${JSON.stringify(actual, null, 2)}\n`;
  if (process.env.UPDATE_GOLDEN) writeFileSync(path, text);
  assert.equal(text, readFileSync(path, 'utf8'), `${name} differs from the golden file`);
}

const foyerLabels = {
  'foyer.managed': 'true',
  'foyer.install': 'golden',
  'foyer.app': 'golden-app',
};

describe('translation to Engine API bodies', () => {
  test('matches the golden bodies', () => {
    const bodies = translateProject(load(), {
      labels: foyerLabels,
      defaultRestart: 'unless-stopped',
    });
    matchesGolden('translate.json', bodies);
  });

  test('matches the golden compose config JSON', () => {
    matchesGolden('config.json', toComposeConfig(load()));
  });

  test('puts deterministic names, Compose labels and the default restart policy on containers', () => {
    const { containers } = translateProject(load(), {
      labels: foyerLabels,
      defaultRestart: 'unless-stopped',
    });
    const db = containers.find((c) => c.name === 'golden-db-1');
    assert.ok(db, 'the db container is named <project>-<service>-1');
    const labels = db.body.Labels as Record<string, string>;
    assert.equal(labels['com.docker.compose.project'], 'golden');
    assert.equal(labels['com.docker.compose.service'], 'db');
    assert.equal(labels['foyer.install'], 'golden');
    assert.match(labels['com.docker.compose.config-hash'] ?? '', /^[0-9a-f]{64}$/);
    assert.deepEqual((db.body.HostConfig as Record<string, unknown>).RestartPolicy, {
      Name: 'unless-stopped',
    });
  });

  test('hands inline configs to the executor as files and binds file secrets read-only', () => {
    const { containers } = translateProject(load());
    const web = containers.find((c) => c.name === 'golden-web-1')!;
    assert.deepEqual(web.files, [
      {
        path: '/etc/web/site.conf',
        content: 'listen 8080;\n',
        mode: 0o440,
        uid: undefined,
        gid: undefined,
      },
    ]);
    const mounts = (
      web.body.HostConfig as { Mounts: { Source?: string; Target: string; ReadOnly: boolean }[] }
    ).Mounts;
    assert.deepEqual(
      mounts.find((m) => m.Target === '/run/secrets/db_password'),
      {
        Type: 'bind',
        Source: '/srv/golden/secrets/db_password.txt',
        Target: '/run/secrets/db_password',
        ReadOnly: true,
      },
    );
  });
});

describe('config hash', () => {
  const hashes = (project: Project) =>
    Object.fromEntries(
      Object.values(project.services).map((s) => [s.name, configHash(project, s)]),
    );

  test('matches the golden hashes (a change here recreates every container: bump CONFIG_HASH_VERSION)', () => {
    matchesGolden('hash.json', hashes(load()));
  });

  test('ignores key order, build, depends_on, profiles and x- extensions', () => {
    const base = hashes(load());
    const reordered = fixture.replace(
      '    user: "999:999"\n    volumes: [db:/var/lib/db]',
      '    volumes: [db:/var/lib/db]\n    user: "999:999"\n    profiles: [core]\n    x-note: hello',
    );
    assert.notEqual(reordered, fixture);
    const withoutDeps = fixture.replace(
      '    depends_on:\n      db: { condition: service_healthy }\n',
      '',
    );
    assert.notEqual(withoutDeps, fixture);
    assert.deepEqual(
      hashes(
        loadProject({
          files: [{ path: '/srv/golden/compose.yaml', content: reordered }],
          profiles: ['core'],
        }).project,
      ),
      base,
    );
    assert.deepEqual(hashes(load(withoutDeps)), base);
  });

  test('changes with what the container is made of: environment, image, image digest, config content', () => {
    const base = hashes(load());
    assert.notEqual(hashes(load(fixture, { WEB_TAG: '1.3' })).web, base.web);
    assert.notEqual(
      hashes(load(fixture.replace('MODE: production', 'MODE: staging'))).web,
      base.web,
    );
    assert.notEqual(hashes(load(fixture.replace('listen 8080;', 'listen 8081;'))).web, base.web);
    assert.equal(hashes(load(fixture.replace('MODE: production', 'MODE: staging'))).db, base.db);
    const project = load();
    const web = project.services.web!;
    assert.notEqual(
      configHash(project, web, 'registry.local/web@sha256:' + 'a'.repeat(64)),
      base.web,
    );
  });
});

describe('Engine API versions', () => {
  const withStartInterval = `services:
  web:
    image: busybox
    healthcheck: { test: ["CMD", "true"], start_interval: 2s }
    networks: [a, b]
networks: { a: {}, b: {} }
`;

  test('joins one network at create and connects the others before start (API 1.41)', () => {
    const { containers } = translateProject(
      load(withStartInterval.replace(', start_interval: 2s', '')),
    );
    const [web] = containers;
    assert.ok(web);
    assert.deepEqual(
      Object.keys((web.body.NetworkingConfig as { EndpointsConfig: object }).EndpointsConfig),
      ['golden_a'],
    );
    assert.deepEqual(web.connect, [
      {
        network: 'golden_b',
        body: { Container: 'golden-web-1', EndpointConfig: { Aliases: ['web'] } },
      },
    ]);
  });

  test('refuses, with its path, a feature the engine API cannot express', () => {
    assert.throws(
      () => translateProject(load(withStartInterval)),
      (error: Error) =>
        error.message ===
        'services.web.healthcheck.start_interval: needs Docker Engine API 1.44 or newer; this engine speaks 1.41',
    );
    const { containers } = translateProject(load(withStartInterval), { apiVersion: '1.44' });
    const healthcheck = containers[0]?.body.Healthcheck as { StartInterval: number } | undefined;
    assert.equal(healthcheck?.StartInterval, 2e9);
  });
});

test('network_mode, pid and ipc of the form service:x join x’s container', () => {
  const project = load(`services:
  app: { image: busybox }
  sidecar: { image: busybox, network_mode: "service:app", pid: "service:app", ipc: "service:app" }
`);
  const sidecar = translateProject(project).containers.find((c) => c.name === 'golden-sidecar-1');
  const host = sidecar?.body.HostConfig as Record<string, string>;
  assert.deepEqual(
    [host.NetworkMode, host.PidMode, host.IpcMode],
    Array(3).fill('container:golden-app-1'),
  );
  assert.deepEqual(sidecar?.body.NetworkingConfig, { EndpointsConfig: {} });
});
