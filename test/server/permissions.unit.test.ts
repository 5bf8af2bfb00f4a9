import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadProject, type Project } from '../../compose/index.js';
import {
  checkPermissions,
  covers,
  describePermission,
  normalisePermission,
  requestedPermissions,
  unusedPermissions,
} from '../../server/security/permissions.js';

const appDataDir = '/var/lib/foyer/apps/web';
const appDir = '/usr/share/foyer/catalog/demo';

/** Loads a Compose file from the app folder as project `web`, with FOYER_APP_DATA set. */
function project(yaml: string): Project {
  return loadProject({
    files: [{ path: `${appDir}/compose.yaml`, content: yaml }],
    projectName: 'web',
    environment: { FOYER_APP_DATA: appDataDir },
  }).project;
}

/** One service `web` running busybox with the given extra lines (indented under it). */
function service(lines: string, topLevel = ''): Project {
  const body = lines
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
  return project(`services:\n  web:\n    image: busybox\n${body}\n${topLevel}`);
}

function requested(p: Project): string[] {
  return requestedPermissions(p, { appDataDir, appDir }).map((r) => `${r.path} ${r.permission}`);
}

/** Asserts the project is refused with no permission and accepted with `granted` declared and accepted. */
function gate(p: Project, granted: string[]): void {
  const refused = checkPermissions(p, { appDataDir, appDir, declared: [], accepted: [] });
  assert.ok(refused.length > 0, 'refused without the permission');
  for (const problem of refused) assert.match(problem.message, /which the app does not declare$/);
  const accepted = checkPermissions(p, {
    appDataDir,
    appDir,
    declared: granted,
    accepted: granted,
  });
  assert.deepEqual(accepted, [], 'accepted with the permission');
}

describe('requested permissions, one kind at a time', () => {
  test('a plain service asks for nothing', () => {
    const p = service(
      'volumes:\n  - ${FOYER_APP_DATA}/db:/db\n  - ./conf:/conf:ro\n  - data:/data\n' +
        'ipc: private\ncap_drop: [ALL]\nnetwork_mode: none',
      'volumes:\n  data: {}\n',
    );
    assert.deepEqual(requested(p), []);
    assert.deepEqual(checkPermissions(p, { appDataDir, appDir, declared: [], accepted: [] }), []);
  });

  test('privileged', () => {
    const p = service('privileged: true');
    assert.deepEqual(requested(p), ['services.web.privileged privileged']);
    gate(p, ['privileged']);
  });

  test('cap_add, with CAP_ names and ALL', () => {
    const p = service('cap_add: [CAP_NET_ADMIN, sys_time, ALL]');
    assert.deepEqual(requested(p), [
      'services.web.cap_add[0] cap_add:NET_ADMIN',
      'services.web.cap_add[1] cap_add:SYS_TIME',
      'services.web.cap_add[2] cap_add:ALL',
    ]);
    gate(p, ['cap_add:NET_ADMIN', 'cap_add:CAP_SYS_TIME', 'cap_add:ALL']);
    const partial = checkPermissions(p, {
      appDataDir,
      declared: ['cap_add:ALL'],
      accepted: ['cap_add:ALL'],
    });
    assert.deepEqual(
      partial.map((x) => x.path),
      ['services.web.cap_add[0]', 'services.web.cap_add[1]'],
      'ALL is its own permission, not a wildcard',
    );
  });

  test('devices, matched exactly', () => {
    const p = service('devices: ["/dev/ttyUSB0:/dev/ttyUSB0"]');
    assert.deepEqual(requested(p), ['services.web.devices[0] device:/dev/ttyUSB0']);
    gate(p, ['device:/dev/ttyUSB0']);
    const other = ['device:/dev'];
    assert.equal(checkPermissions(p, { appDataDir, declared: other, accepted: other }).length, 1);
  });

  test('device_cgroup_rules, one permission per rule (issue 12)', () => {
    const p = service("device_cgroup_rules: ['c 189:* rmw', 'c 166:*  rw']");
    assert.deepEqual(requested(p), [
      'services.web.device_cgroup_rules[0] device_cgroup_rule:c 189:* rmw',
      'services.web.device_cgroup_rules[1] device_cgroup_rule:c 166:* rw',
    ]);
    gate(p, ['device_cgroup_rule:c 189:* rmw', 'device_cgroup_rule:c  166:* rw']);
    const one = ['device_cgroup_rule:c 189:* rmw'];
    const refused = checkPermissions(p, { appDataDir, declared: one, accepted: one });
    assert.deepEqual(refused, [
      {
        path: 'services.web.device_cgroup_rules[1]',
        message:
          'needs the permission "device_cgroup_rule:c 166:* rw", which the app does not declare',
      },
    ]);
  });

  test('GPU requests under deploy and gpus, by driver (issue 12)', () => {
    const deploy = service(
      'deploy:\n  resources:\n    reservations:\n      devices:\n' +
        '        - { driver: nvidia, count: all, capabilities: [gpu] }',
    );
    assert.deepEqual(requested(deploy), [
      'services.web.deploy.resources.reservations.devices[0] gpu:nvidia',
    ]);
    gate(deploy, ['gpu:nvidia']);
    const gpus = service('gpus: all');
    assert.deepEqual(requested(gpus), ['services.web.gpus[0] gpu:any']);
    gate(gpus, ['gpu:any']);
    const other = ['gpu:any'];
    assert.equal(
      checkPermissions(deploy, { appDataDir, declared: other, accepted: other }).length,
      1,
      'gpu:any is its own permission, not a wildcard',
    );
  });

  test('links and mount consistency ask for nothing', () => {
    const p = project(
      'services:\n  web:\n    image: busybox\n    links: [db, "db:database"]\n' +
        '    volumes: ["${FOYER_APP_DATA}/x:/x:ro,cached"]\n  db:\n    image: busybox\n',
    );
    assert.deepEqual(requested(p), []);
  });

  test('host namespaces', () => {
    const p = service('network_mode: host\npid: host\nipc: host');
    assert.deepEqual(requested(p), [
      'services.web.network_mode network:host',
      'services.web.pid pid:host',
      'services.web.ipc ipc:host',
    ]);
    gate(p, ['network:host', 'pid:host', 'ipc:host']);
  });

  test("another container's namespaces; the project's own are free", () => {
    const foreign = service(
      'network_mode: container:other\npid: container:other\nipc: container:x',
    );
    assert.deepEqual(requested(foreign), [
      'services.web.network_mode network:container',
      'services.web.pid pid:container',
      'services.web.ipc ipc:container',
    ]);
    gate(foreign, ['network:container', 'pid:container', 'ipc:container']);
    const own = project(
      'services:\n  db:\n    image: busybox\n    ipc: shareable\n' +
        '  web:\n    image: busybox\n    network_mode: service:db\n    pid: container:web-db-1\n' +
        '    ipc: service:db\n',
    );
    assert.deepEqual(requested(own), []);
  });

  test('network_mode naming an engine network is an external network', () => {
    const p = service('network_mode: bridge');
    assert.deepEqual(requested(p), ['services.web.network_mode external_network:bridge']);
  });

  test('binds outside the data folder; inside it and read-only app files are free', () => {
    const p = service(
      'volumes:\n  - /srv/media:/media\n  - ${FOYER_APP_DATA}:/data\n  - ${FOYER_APP_DATA}/sub:/sub\n' +
        '  - ./conf:/conf:ro\n  - ./state:/state',
    );
    assert.deepEqual(requested(p), [
      'services.web.volumes[0] bind:/srv/media',
      `services.web.volumes[4] bind:${appDir}/state`,
    ]);
    gate(p, ['bind:/srv/media', `bind:${appDir}/state`]);
  });

  test('.. escapes from the data folder are caught', () => {
    const p = service('volumes:\n  - ${FOYER_APP_DATA}/../../etc:/etc-host');
    assert.deepEqual(requested(p), ['services.web.volumes[0] bind:/var/lib/foyer/etc']);
    const sibling = service('volumes:\n  - ${FOYER_APP_DATA}/../web2:/x');
    assert.deepEqual(requested(sibling), ['services.web.volumes[0] bind:/var/lib/foyer/apps/web2']);
    gate(sibling, ['bind:/var/lib/foyer/apps/web2']);
  });

  test('symlinks are resolved by the caller when it can', () => {
    const p = service('volumes:\n  - ${FOYER_APP_DATA}/link:/x');
    const resolveHostPath = (path: string) => (path === `${appDataDir}/link` ? '/etc' : path);
    const requests = requestedPermissions(p, { appDataDir, resolveHostPath });
    assert.deepEqual(requests, [{ permission: 'bind:/etc', path: 'services.web.volumes[0]' }]);
  });

  test('the Docker socket, directly or through a folder holding it', () => {
    for (const socket of [
      '/var/run/docker.sock',
      '/run/docker.sock',
      '/home/u/.docker/docker.sock',
    ]) {
      const p = service(`volumes:\n  - ${socket}:/var/run/docker.sock`);
      assert.deepEqual(requested(p), ['services.web.volumes[0] docker_socket'], socket);
      gate(p, ['docker_socket']);
    }
    const run = service('volumes:\n  - /run:/host-run:ro');
    assert.deepEqual(requested(run), [
      'services.web.volumes[0] bind:/run',
      'services.web.volumes[0] docker_socket',
    ]);
    const refused = checkPermissions(run, {
      appDataDir,
      declared: ['bind:/run'],
      accepted: ['bind:/run'],
    });
    assert.deepEqual(
      refused.map((x) => x.message),
      ['needs the permission "docker_socket", which the app does not declare'],
    );
  });

  test('a named volume that is a bind in disguise', () => {
    const top =
      'volumes:\n  data:\n    driver: local\n    driver_opts: {type: none, o: bind, device: /etc}\n' +
      '  ok:\n    driver_opts: {type: none, o: "rbind,ro", device: "${FOYER_APP_DATA}/ok"}\n' +
      '  ram:\n    driver_opts: {type: tmpfs, device: tmpfs, o: size=64m}\n' +
      '  disk:\n    driver_opts: {type: ext4, device: /dev/sdb1}\n';
    const p = service('volumes: [data:/data, ok:/ok, ram:/ram, disk:/disk]', top);
    assert.deepEqual(requested(p), [
      'volumes.data.driver_opts.device bind:/etc',
      'volumes.disk.driver_opts mount:ext4',
    ]);
    gate(p, ['bind:/etc', 'mount:ext4']);
  });

  test('security_opt and sysctls', () => {
    const p = service(
      'security_opt: ["seccomp:unconfined", "apparmor:unconfined"]\n' +
        'sysctls: {net.ipv4.ip_forward: 1}',
    );
    assert.deepEqual(requested(p), [
      'services.web.security_opt[0] security_opt:seccomp:unconfined',
      'services.web.security_opt[1] security_opt:apparmor:unconfined',
      'services.web.sysctls."net.ipv4.ip_forward" sysctl:net.ipv4.ip_forward',
    ]);
    gate(p, [
      'security_opt:seccomp:unconfined',
      'security_opt:apparmor:unconfined',
      'sysctl:net.ipv4.ip_forward',
    ]);
  });

  test("external networks and volumes, and names outside the project's namespace", () => {
    const top =
      'networks:\n  proxy: {external: true, name: caddy}\n  lan: {driver: macvlan}\n' +
      'volumes:\n  shared: {external: true}\n  borrowed: {name: other_data}\n  mine: {name: web_mine}\n';
    const p = service('networks: [proxy, lan]\nvolumes: [shared:/s, borrowed:/b, mine:/m]', top);
    assert.deepEqual(requested(p).sort(), [
      'networks.lan.driver network_driver:macvlan',
      'networks.proxy.external external_network:caddy',
      'volumes.borrowed.name external_volume:other_data',
      'volumes.shared.external external_volume:shared',
    ]);
    gate(p, [
      'network_driver:macvlan',
      'external_network:caddy',
      'external_volume:other_data',
      'external_volume:shared',
    ]);
  });

  test('secret and config files outside the data and app folders', () => {
    const top =
      'secrets:\n  key: {file: /etc/ssl/private/key.pem}\n  own: {file: ./secret.txt}\n' +
      'configs:\n  conf: {file: "${FOYER_APP_DATA}/../../../../../etc/passwd"}\n';
    const p = service('secrets: [key, own]\nconfigs: [conf]', top);
    assert.deepEqual(requested(p), [
      'secrets.key.file bind:/etc/ssl/private/key.pem',
      'configs.conf.file bind:/etc/passwd',
    ]);
    gate(p, ['bind:/etc/ssl/private', 'bind:/etc/passwd']);
  });

  test('a build context outside the app folder', () => {
    const p = project('services:\n  web:\n    build: ../../../../../etc\n');
    assert.deepEqual(requested(p), ['services.web.build.context bind:/etc']);
    assert.deepEqual(requested(project('services:\n  web:\n    build: .\n')), []);
  });

  test('another runtime', () => {
    assert.deepEqual(requested(service('runtime: nvidia')), [
      'services.web.runtime runtime:nvidia',
    ]);
    assert.deepEqual(requested(service('runtime: runc')), []);
  });
});

describe('the gate', () => {
  test('declared but not accepted is refused with its own message', () => {
    const p = service('privileged: true');
    assert.deepEqual(checkPermissions(p, { appDataDir, declared: ['privileged'], accepted: [] }), [
      {
        path: 'services.web.privileged',
        message: 'needs the permission "privileged", which the admin has not accepted',
      },
    ]);
    assert.deepEqual(checkPermissions(p, { appDataDir, declared: [], accepted: ['privileged'] }), [
      {
        path: 'services.web.privileged',
        message: 'needs the permission "privileged", which the app does not declare',
      },
    ]);
  });

  test('every miss is reported, at its path', () => {
    const p = service('privileged: true\ncap_add: [NET_ADMIN]\nvolumes: ["/srv:/srv"]');
    const problems = checkPermissions(p, {
      appDataDir,
      declared: ['cap_add:NET_ADMIN'],
      accepted: [],
    });
    assert.deepEqual(
      problems.map((x) => x.path),
      ['services.web.privileged', 'services.web.cap_add[0]', 'services.web.volumes[0]'],
    );
  });

  test('bind:<dir> covers the dir and below, not a longer sibling', () => {
    assert.equal(covers('bind:/srv', 'bind:/srv'), true);
    assert.equal(covers('bind:/srv', 'bind:/srv/media'), true);
    assert.equal(covers('bind:/srv', 'bind:/srvx'), false);
    assert.equal(covers('bind:/srv/media', 'bind:/srv'), false);
    assert.equal(covers('bind:/', 'bind:/etc'), true);
    assert.equal(covers('device:/dev', 'device:/dev/sda'), false);
    const p = service('volumes: ["/srv/media:/media", "/srvx:/x"]');
    const grant = ['bind:/srv/'];
    assert.deepEqual(
      checkPermissions(p, { appDataDir, declared: grant, accepted: grant }).map((x) => x.path),
      ['services.web.volumes[1]'],
    );
  });

  test('unused declared permissions', () => {
    const p = service('privileged: true\nvolumes: ["/srv/media:/m"]');
    const requests = requestedPermissions(p, { appDataDir });
    assert.deepEqual(
      unusedPermissions(requests, [
        'privileged',
        'bind:/srv',
        'docker_socket',
        'cap_add:NET_ADMIN',
      ]),
      ['docker_socket', 'cap_add:NET_ADMIN'],
    );
  });

  test('permission strings are normalised or refused', () => {
    assert.equal(normalisePermission('cap_add:cap_net_admin'), 'cap_add:NET_ADMIN');
    assert.equal(normalisePermission('bind:/srv/./media/'), 'bind:/srv/media');
    assert.equal(normalisePermission('privileged'), 'privileged');
    assert.equal(normalisePermission('bind:srv'), undefined);
    assert.equal(normalisePermission('root'), undefined);
    assert.equal(normalisePermission('network:'), undefined);
    assert.equal(
      normalisePermission('device_cgroup_rule: c 189:*   rmw'),
      'device_cgroup_rule:c 189:* rmw',
    );
    assert.equal(normalisePermission('device_cgroup_rule:c 189 rmw'), undefined);
    assert.equal(normalisePermission('gpu:nvidia'), 'gpu:nvidia');
    assert.equal(normalisePermission('gpu:'), undefined);
  });

  test('plain words for the admin', () => {
    assert.equal(describePermission('privileged'), 'full access to the host (privileged mode)');
    assert.equal(
      describePermission('docker_socket'),
      'access to the Docker engine — equivalent to root on the host',
    );
    assert.equal(describePermission('bind:/srv/media'), 'the host path /srv/media');
    assert.equal(describePermission('cap_add:NET_ADMIN'), 'the Linux capability NET_ADMIN');
    assert.match(describePermission('network:host'), /host's network/);
    assert.match(describePermission('whatever'), /unknown/);
    assert.match(
      describePermission('device_cgroup_rule:c 189:* rmw'),
      /cgroup rule "c 189:\* rmw"/,
    );
    assert.equal(describePermission('gpu:nvidia'), "the host's GPUs, through the nvidia driver");
    assert.match(describePermission('gpu:any'), /whichever driver/);
  });
});
