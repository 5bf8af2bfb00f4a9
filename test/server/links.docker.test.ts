/**
 * Compose `links` on a real engine (issue 12 §3): an install whose `web`
 * links `db:database` reaches db by the alias, and only web does — on a
 * user-defined network the engine scopes a link alias to the linking
 * container (endpoint `Links`), as `docker compose` sets it up. The link's
 * implied dependency starts db first.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { addFolderInstall, eventually, startTestFoyer, type TestFoyer } from '../support/foyer.js';
import { BUSYBOX_IMAGE, useTestEngine } from '../support/index.js';

const engine = await useTestEngine();
const install = `l${process.pid.toString(36)}-links`;
const catalog = mkdtempSync(join(tmpdir(), 'foyer-links-'));
let foyer: TestFoyer;

const COMPOSE = `services:
  db:
    image: ${BUSYBOX_IMAGE}
    command: [httpd, -f, -p, "8080", -h, /etc]
    stop_grace_period: 1s
  web:
    image: ${BUSYBOX_IMAGE}
    command: [sleep, "3600"]
    stop_grace_period: 1s
    links: ["db:database"]
  other:
    image: ${BUSYBOX_IMAGE}
    command: [sleep, "3600"]
    stop_grace_period: 1s
`;

before(async () => {
  foyer = await startTestFoyer(engine);
  const dir = join(catalog, 'linked');
  mkdirSync(dir);
  writeFileSync(join(dir, 'app.yaml'), 'id: linked\nname: Linked\nversion: 1.0.0-1\n');
  writeFileSync(join(dir, 'compose.yaml'), COMPOSE);
  addFolderInstall(foyer.store, install, dir);
  foyer.reconciler.enqueue(install);
});

after(async () => {
  foyer.store.installs.setDesired(install, 'absent', { purge: true });
  foyer.reconciler.enqueue(install);
  await eventually('links install removed', () => foyer.store.installs.list().length === 0, 60_000);
  await foyer.close();
  rmSync(catalog, { recursive: true, force: true });
});

const exec = (service: string, args: string[]) =>
  engine.docker(['exec', `${install}-${service}-1`, ...args]);

test('web reaches db by its link alias; a service without the link does not', async () => {
  await eventually(
    'links install running',
    () => {
      const status = foyer.reconciler.status(install);
      if (status?.state === 'failed') throw new Error(JSON.stringify(status));
      return status?.state === 'running';
    },
    60_000,
  );
  const { stdout } = await eventually('db answers at "database"', () =>
    exec('web', ['wget', '-q', '-O', '-', 'http://database:8080/hostname']).catch(() => undefined),
  );
  const dbHostname = (await exec('db', ['hostname'])).stdout.trim();
  assert.equal(stdout.trim(), dbHostname, 'the alias names the db container');
  await assert.rejects(
    exec('other', ['wget', '-q', '-T', '2', '-O', '-', 'http://database:8080/hostname']),
    "the alias is the linking container's own",
  );
  // Every service still reaches db by its service name.
  await exec('other', ['wget', '-q', '-O', '/dev/null', 'http://db:8080/hostname']);
});

test('the container carries the link as Compose sets it', async () => {
  const [inspect] = JSON.parse((await engine.docker(['inspect', `${install}-web-1`])).stdout) as {
    HostConfig: { Links: string[] | null };
    NetworkSettings: { Networks: Record<string, { Links: string[] | null }> };
  }[];
  assert.ok(inspect);
  assert.deepEqual(inspect.NetworkSettings.Networks[`${install}_default`]?.Links, [
    `${install}-db-1:database`,
  ]);
});
