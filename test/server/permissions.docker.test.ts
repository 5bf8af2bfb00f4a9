/**
 * Every dangerous Compose option, on a real engine: refused without its
 * permission (nothing is created), and accepted with it (the container is
 * created carrying that host power). DESIGN: "The same gate runs on install,
 * update and every other path that creates containers".
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { addFolderInstall, eventually, startTestFoyer, type TestFoyer } from '../support/foyer.js';
import { BUSYBOX_IMAGE, useTestEngine } from '../support/index.js';

const engine = await useTestEngine();
const run = `p${process.pid.toString(36)}`;
const catalog = mkdtempSync(join(tmpdir(), 'foyer-gate-'));
let foyer: TestFoyer;

interface Case {
  name: string;
  service: string;
  permission: string;
  /** Reads the host power from `docker inspect` of the created container. */
  granted: (inspect: { HostConfig: Record<string, unknown> }) => boolean;
}

const cases: Case[] = [
  {
    name: 'privileged',
    service: 'privileged: true',
    permission: 'privileged',
    granted: (i) => i.HostConfig.Privileged === true,
  },
  {
    name: 'capability',
    service: 'cap_add: [SYS_ADMIN]',
    permission: 'cap_add:SYS_ADMIN',
    granted: (i) => JSON.stringify(i.HostConfig.CapAdd).includes('SYS_ADMIN'),
  },
  {
    name: 'device',
    service: 'devices: ["/dev/null:/dev/other-null"]',
    permission: 'device:/dev/null',
    granted: (i) => JSON.stringify(i.HostConfig.Devices).includes('/dev/other-null'),
  },
  {
    name: 'host-network',
    service: 'network_mode: host',
    permission: 'network:host',
    granted: (i) => i.HostConfig.NetworkMode === 'host',
  },
  {
    name: 'host-pid',
    service: 'pid: host',
    permission: 'pid:host',
    granted: (i) => i.HostConfig.PidMode === 'host',
  },
  {
    name: 'host-ipc',
    service: 'ipc: host',
    permission: 'ipc:host',
    granted: (i) => i.HostConfig.IpcMode === 'host',
  },
  {
    name: 'host-path',
    service: 'volumes: ["/etc/hostname:/host-hostname:ro"]',
    permission: 'bind:/etc/hostname',
    granted: (i) => JSON.stringify(i.HostConfig.Binds).includes('/etc/hostname'),
  },
  {
    name: 'docker-socket',
    service: `volumes: ["${engine.socketPath}:/var/run/docker.sock"]`,
    permission: 'docker_socket',
    granted: (i) => JSON.stringify(i.HostConfig.Binds).includes('docker.sock'),
  },
  {
    name: 'security-opt',
    service: 'security_opt: ["no-new-privileges:true"]',
    permission: 'security_opt:no-new-privileges:true',
    granted: (i) => JSON.stringify(i.HostConfig.SecurityOpt).includes('no-new-privileges'),
  },
  {
    name: 'sysctl',
    service: 'sysctls: { net.ipv4.ip_unprivileged_port_start: "80" }',
    permission: 'sysctl:net.ipv4.ip_unprivileged_port_start',
    granted: (i) => JSON.stringify(i.HostConfig.Sysctls).includes('ip_unprivileged_port_start'),
  },
  {
    // Issue 12: a cgroup rule opens host devices by number (189 is USB), like `devices` does.
    name: 'device-cgroup-rule',
    service: "device_cgroup_rules: ['c 189:* rmw']",
    permission: 'device_cgroup_rule:c 189:* rmw',
    granted: (i) => JSON.stringify(i.HostConfig.DeviceCgroupRules) === '["c 189:* rmw"]',
  },
];

before(async () => {
  foyer = await startTestFoyer(engine);
  for (const c of cases) {
    const dir = join(catalog, c.name);
    mkdirSync(dir);
    writeFileSync(
      join(dir, 'app.yaml'),
      `id: ${c.name}\nname: ${c.name}\nversion: 1.0.0-1\npermissions: ["${c.permission}"]\n`,
    );
    writeFileSync(
      join(dir, 'compose.yaml'),
      `services:\n  app:\n    image: ${BUSYBOX_IMAGE}\n    command: [sleep, "3600"]\n    stop_grace_period: 1s\n    ${c.service}\n`,
    );
  }
});

after(async () => {
  for (const install of foyer.store.installs.list()) {
    foyer.store.installs.setDesired(install.id, 'absent', { purge: true });
    foyer.reconciler.enqueue(install.id);
  }
  await eventually('gate installs removed', () => foyer.store.installs.list().length === 0, 60_000);
  await foyer.close();
});

const containersOf = async (install: string) =>
  (await engine.docker(['ps', '-aq', '--filter', `label=foyer.install=${install}`])).stdout
    .split('\n')
    .filter(Boolean);

test('each dangerous option is refused without its permission and nothing is created', async () => {
  for (const c of cases) {
    const install = `${run}-no-${c.name}`;
    addFolderInstall(foyer.store, install, join(catalog, c.name));
    foyer.reconciler.enqueue(install);
  }
  for (const c of cases) {
    const install = `${run}-no-${c.name}`;
    const status = await eventually(
      `${install} refused`,
      () =>
        foyer.reconciler.status(install)?.state === 'failed' && foyer.reconciler.status(install),
    );
    assert.match(
      status.reason ?? '',
      new RegExp(
        `needs the permission "${c.permission.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}", which the admin has not accepted`,
      ),
      c.name,
    );
    assert.deepEqual(await containersOf(install), [], `${c.name}: nothing created`);
  }
});

test('each dangerous option is accepted with its permission: the container carries it', async () => {
  for (const c of cases) {
    const install = `${run}-yes-${c.name}`;
    addFolderInstall(foyer.store, install, join(catalog, c.name), {}, [c.permission]);
    foyer.reconciler.enqueue(install);
  }
  for (const c of cases) {
    const install = `${run}-yes-${c.name}`;
    const [json] = await eventually(`${install} created`, async () => {
      const out = await engine.docker(['inspect', `${install}-app-1`]).catch(() => undefined);
      return out && (JSON.parse(out.stdout) as { HostConfig: Record<string, unknown> }[]);
    });
    assert.ok(json && c.granted(json), `${c.name}: the container has ${c.permission}`);
  }
});
