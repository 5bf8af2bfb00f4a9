/**
 * The planner, pure: golden text plans for every situation a crash can leave
 * behind, and the steady state that plans nothing.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadProject } from '../../compose/index.js';
import type { ContainerSummary } from '../../server/docker/adapter.js';
import { desiredState, type InstallRecord } from '../../server/reconcile/desired.js';
import { plan, planToString } from '../../server/reconcile/plan.js';
import type { DesiredState, ObservedState } from '../../server/reconcile/types.js';

const compose = `
services:
  db:
    image: registry.local/db:1
    healthcheck: { test: ["CMD", "true"] }
    volumes: [data:/data]
  migrate:
    image: registry.local/app:1
    restart: "no"
    depends_on: { db: { condition: service_healthy } }
  web:
    image: registry.local/app:1
    environment: { GREETING: "\${GREETING:-hello}" }
    depends_on:
      db: { condition: service_healthy }
      migrate: { condition: service_completed_successfully }
    networks: [default, front]
volumes:
  data:
networks:
  front:
`;

const install: InstallRecord = {
  id: 'shop',
  appId: 'shop-app',
  appDir: '/srv/catalog/shop',
  settings: {},
  secrets: {},
  acceptedPermissions: [],
  desired: 'running',
  purge: false,
  generation: 1,
};

const images: ObservedState['images'] = {
  'registry.local/db:1': { id: 'sha256:db' },
  'registry.local/app:1': { id: 'sha256:app' },
};

function desired(
  overrides: Partial<InstallRecord> = {},
  environment: Record<string, string> = {},
): DesiredState {
  const record = { ...install, ...overrides };
  const { project } = loadProject({
    files: [{ path: '/srv/catalog/shop/compose.yaml', content: compose }],
    environment,
    projectName: 'shop',
  });
  return desiredState(record, project, images);
}

/** A container as the list API shows it, made from the desired service it would run. */
function container(
  state: DesiredState,
  service: string,
  options: {
    name?: string;
    hash?: string;
    state?: ContainerSummary['state'];
    status?: string;
    health?: ContainerSummary['health'];
  } = {},
): ContainerSummary {
  const s = state.services.find((x) => x.name === service)!;
  return {
    id: `id-${options.name ?? s.containerName}`,
    name: options.name ?? s.containerName,
    labels: {
      'com.docker.compose.service': service,
      'com.docker.compose.config-hash': options.hash ?? s.hash,
      'foyer.install': 'shop',
    },
    state: options.state ?? 'running',
    status: options.status ?? 'Up 1 minute',
    ...(options.health ? { health: options.health } : {}),
    imageId: 'sha256:x',
    created: 0,
  };
}

const networks = [
  { id: 'n1', name: 'shop_default', labels: {} },
  { id: 'n2', name: 'shop_front', labels: {} },
];
const volumes = [{ name: 'shop_data', labels: {} }];
const none = { restartUnhealthy: new Set<string>() };

function steady(state: DesiredState): ContainerSummary[] {
  return [
    container(state, 'db', { health: 'healthy' }),
    container(state, 'migrate', { state: 'exited', status: 'Exited (0) 1 minute ago' }),
    container(state, 'web'),
  ];
}

const text = (state: DesiredState, observed: Partial<ObservedState>, supervision = none) =>
  planToString(
    plan(state, { containers: [], networks: [], volumes: [], images, ...observed }, supervision),
  );

describe('plan', () => {
  test('a fresh install pulls missing images first, and nothing else of the containers', () => {
    assert.equal(
      text(desired(), { images: { 'registry.local/db:1': { id: 'sha256:db' } } }),
      `[1] CreateNetwork shop_front — network missing
[2] CreateNetwork shop_default — network missing
[3] CreateVolume shop_data — volume missing
[4] PullImage service:migrate registry.local/app:1 — image missing`,
    );
  });

  test('with images present it creates and starts in dependency order, waiting on conditions', () => {
    assert.equal(
      text(desired(), {}),
      `[1] CreateNetwork shop_front — network missing
[2] CreateNetwork shop_default — network missing
[3] CreateVolume shop_data — volume missing
[4] CreateContainer service:db shop-db-1 — no container
[5] StartContainer service:db shop-db-1 — not running
[6] CreateContainer service:migrate shop-migrate-1 — no container
[7] WaitForDependency service:migrate until db (service_healthy) — depends_on service_healthy
[8] StartContainer service:migrate shop-migrate-1 — not running
[9] CreateContainer service:web shop-web-1 — no container
[10] ConnectNetwork service:web shop-web-1 to shop_front — another network
[11] WaitForDependency service:web until db (service_healthy) — depends_on service_healthy
[12] WaitForDependency service:web until migrate (service_completed_successfully) — depends_on service_completed_successfully
[13] StartContainer service:web shop-web-1 — not running`,
    );
  });

  test('a steady state plans nothing, and a finished one-shot is not run again', () => {
    const state = desired();
    assert.deepEqual(
      plan(state, { containers: steady(state), networks, volumes, images }, none),
      [],
    );
  });

  test('a settings change recreates: the new container exists before the old one is removed', () => {
    const old = desired();
    const state = desired({ generation: 2 }, { GREETING: 'bonjour' });
    assert.equal(
      text(state, { containers: steady(old), networks, volumes }),
      `[1] CreateContainer service:web shop-web-1-next — config changed
[2] ConnectNetwork service:web shop-web-1-next to shop_front — another network
[3] StopContainer service:web shop-web-1 — replaced by a recreated container
[4] RemoveContainer service:web shop-web-1 — replaced by a recreated container
[5] RenameContainer service:web shop-web-1-next to shop-web-1 — finish recreate
[6] WaitForDependency service:web until db (service_healthy) — depends_on service_healthy
[7] WaitForDependency service:web until migrate (service_completed_successfully) — depends_on service_completed_successfully
[8] StartContainer service:web shop-web-1 — not running`,
    );
    // The replacement joins the other network, not the container it replaces (issue 13).
    const ops = plan(state, { containers: steady(old), networks, volumes, images }, none);
    const connect = ops.find((op) => op.kind === 'ConnectNetwork');
    assert.equal(connect?.kind === 'ConnectNetwork' && connect.body.Container, 'shop-web-1-next');
  });

  test('after a crash mid-recreate it finishes with the replacement it already made', () => {
    const old = desired();
    const state = desired({ generation: 2 }, { GREETING: 'bonjour' });
    const next = container(state, 'web', {
      name: 'shop-web-1-next',
      state: 'created',
      status: 'Created',
    });
    const [db, migrate] = steady(old);
    assert.equal(
      text(state, { containers: [db!, migrate!, container(old, 'web'), next], networks, volumes }),
      `[1] StopContainer service:web shop-web-1 — replaced by a recreated container
[2] RemoveContainer service:web shop-web-1 — replaced by a recreated container
[3] RenameContainer service:web shop-web-1-next to shop-web-1 — finish recreate
[4] WaitForDependency service:web until db (service_healthy) — depends_on service_healthy
[5] WaitForDependency service:web until migrate (service_completed_successfully) — depends_on service_completed_successfully
[6] StartContainer service:web shop-web-1 — not running`,
    );
    assert.equal(
      text(state, { containers: [db!, migrate!, next], networks, volumes }).split('\n')[0],
      '[1] RenameContainer service:web shop-web-1-next to shop-web-1 — finish recreate',
    );
  });

  test('a stale replacement from an older change is removed and made again', () => {
    const old = desired();
    const state = desired({ generation: 3 }, { GREETING: 'hej' });
    const stale = container(old, 'web', {
      name: 'shop-web-1-next',
      hash: 'stale',
      state: 'created',
      status: 'Created',
    });
    const [db, migrate] = steady(old);
    assert.match(
      text(state, { containers: [db!, migrate!, container(old, 'web'), stale], networks, volumes }),
      /^\[1\] RemoveContainer service:web shop-web-1-next — stale replacement\n\[2\] CreateContainer service:web shop-web-1-next — config changed/,
    );
  });

  test('uninstall removes containers and networks, and volumes only when purged', () => {
    const state = desired();
    const observed = { containers: steady(state), networks, volumes };
    const absent = text({ ...state, run: 'absent' }, observed);
    assert.doesNotMatch(absent, /RemoveVolume/);
    assert.match(absent, /StopContainer service:db shop-db-1 — install removed/);
    assert.match(absent, /RemoveNetwork shop_front — install removed/);
    assert.match(
      text({ ...state, run: 'absent', purge: true }, observed),
      /RemoveVolume shop_data — install purged/,
    );
  });

  test('a stopped install stops what runs; a service that left the app is removed', () => {
    const state = desired();
    const extra = {
      ...container(state, 'web', { name: 'shop-old-1' }),
      labels: { 'com.docker.compose.service': 'old', 'com.docker.compose.config-hash': 'x' },
    };
    assert.equal(
      text(
        { ...state, run: 'stopped' },
        { containers: [...steady(state), extra], networks, volumes },
      ),
      `[1] StopContainer service:old shop-old-1 — service left the app
[2] RemoveContainer service:old shop-old-1 — service left the app
[3] StopContainer service:db shop-db-1 — install stopped
[4] StopContainer service:web shop-web-1 — install stopped`,
    );
  });

  test('an unhealthy container is restarted only while supervision allows it', () => {
    const state = desired();
    const [, migrate, web] = steady(state);
    const containers = [container(state, 'db', { health: 'unhealthy' }), migrate!, web!];
    assert.equal(text(state, { containers, networks, volumes }), '');
    assert.equal(
      text(state, { containers, networks, volumes }, { restartUnhealthy: new Set(['db']) }),
      '[1] RestartContainer service:db shop-db-1 — unhealthy',
    );
  });

  test('a long-running service stopped by hand is started; a failed one-shot is left alone', () => {
    const state = desired();
    const [db, , web] = steady(state);
    const stoppedWeb = { ...web!, state: 'exited' as const, status: 'Exited (137) 5 seconds ago' };
    const failedMigrate = container(state, 'migrate', {
      state: 'exited',
      status: 'Exited (1) 1 minute ago',
    });
    const ops = plan(
      state,
      { containers: [db!, failedMigrate, stoppedWeb], networks, volumes, images },
      none,
    );
    assert.deepEqual(
      ops.filter((o) => o.kind === 'StartContainer').map((o) => 'container' in o && o.container),
      ['shop-web-1'],
    );
  });
});
