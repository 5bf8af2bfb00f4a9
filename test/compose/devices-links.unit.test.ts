/**
 * The last Compose gaps found in real app stores' files (issue 12 §3): mount
 * consistency modes, `links`, `device_cgroup_rules`, and device requests
 * (`deploy.resources.reservations.devices`, `gpus`). Each is checked in the
 * normalised model, in the `docker compose config --format json` shape and
 * in the Engine API body. The CasaOS corpus holds GPU requests (its
 * `*_Nvidia` apps, checked here file by file) but no links, cgroup rules or
 * consistency modes (`grep -rE 'links:|device_cgroup_rules|:cached|
 * :delegated|consistency'` finds none), so those are checked on small files
 * written the way such apps write them.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ComposeError,
  configHash,
  loadProject,
  type Project,
  toComposeConfig,
  translateProject,
} from '../../compose/index.js';
import { readCorpus } from '../support/corpus.js';

function load(content: string): Project {
  return loadProject({ files: [{ path: '/srv/app/compose.yaml', content }], environment: {} })
    .project;
}

function problems(content: string): { path: string; message: string }[] {
  try {
    load(content);
    return [];
  } catch (error) {
    if (error instanceof ComposeError) return error.problems;
    throw error;
  }
}

type Body = Record<string, unknown> & { HostConfig: Record<string, unknown> };

function bodies(project: Project) {
  return translateProject(project).containers;
}

function body(project: Project, service: string): Body {
  const name = `${project.name}-${service}-1`;
  const spec = bodies(project).find((c) => c.name === name);
  assert.ok(spec, `a container for ${service}`);
  return spec.body as Body;
}

function configService(project: Project, service: string): Record<string, unknown> {
  const services = toComposeConfig(project).services as Record<string, Record<string, unknown>>;
  return services[service]!;
}

describe('mount consistency (delegated, cached, consistent)', () => {
  const project = load(`
name: app
services:
  web:
    image: busybox
    volumes:
      - ./src:/src:cached
      - ./logs:/logs:ro,delegated
      - data:/data:consistent
      - type: bind
        source: ./conf
        target: /conf
        consistency: cached
volumes:
  data: {}
`);
  const web = project.services.web!;

  test('short syntax is accepted and, as in Compose, nothing of the mode is kept', () => {
    assert.deepEqual(web.volumes.slice(0, 3), [
      { type: 'bind', source: '/srv/app/src', target: '/src', bind: { create_host_path: true } },
      {
        type: 'bind',
        source: '/srv/app/logs',
        target: '/logs',
        read_only: true,
        bind: { create_host_path: true },
      },
      { type: 'volume', source: 'data', target: '/data', volume: {} },
    ]);
  });

  test('long syntax keeps consistency in the model and the config JSON', () => {
    assert.equal(web.volumes[3]!.consistency, 'cached');
    const volumes = configService(project, 'web').volumes as Record<string, unknown>[];
    assert.equal(volumes[3]!.consistency, 'cached');
    assert.equal(volumes[0]!.consistency, undefined);
  });

  test('Linux ignores it: the bodies carry plain binds and mounts', () => {
    const host = body(project, 'web').HostConfig;
    assert.deepEqual(host.Binds, ['/srv/app/src:/src:rw', '/srv/app/logs:/logs:ro']);
    assert.ok(!JSON.stringify(host.Mounts).includes('onsistency'));
  });

  test('consistency does not change the config hash: it changes nothing on Linux', () => {
    const other = load(
      `name: app\nservices:\n  web:\n    image: busybox\n    volumes:\n` +
        '      - {type: bind, source: ./conf, target: /conf, consistency: delegated}\n',
    );
    const plain = load(
      `name: app\nservices:\n  web:\n    image: busybox\n    volumes:\n` +
        '      - {type: bind, source: ./conf, target: /conf}\n',
    );
    assert.equal(configHash(other, other.services.web!), configHash(plain, plain.services.web!));
  });

  test('an unknown mode is still refused', () => {
    assert.deepEqual(problems('services:\n  web:\n    image: x\n    volumes: ["./a:/a:fast"]\n'), [
      { path: 'services.web.volumes[0]', message: 'unknown volume mode "fast" in "./a:/a:fast"' },
    ]);
  });
});

describe('links', () => {
  const project = load(`
name: shop
services:
  web:
    image: busybox
    links: [db, "cache:redis"]
    depends_on:
      cache: { condition: service_healthy }
  db:
    image: busybox
  cache:
    image: busybox
    networks: [default, back]
networks:
  back: {}
`);
  const web = project.services.web!;

  test('kept as written, each implying a dependency unless one is declared', () => {
    assert.deepEqual(web.links, ['db', 'cache:redis']);
    assert.deepEqual(web.depends_on, {
      cache: { condition: 'service_healthy', required: true, restart: false },
      db: { condition: 'service_started', required: true, restart: true },
    });
  });

  test('in the config JSON as Compose prints them', () => {
    const json = configService(project, 'web');
    assert.deepEqual(json.links, ['db', 'cache:redis']);
    assert.deepEqual(json.depends_on, web.depends_on);
  });

  test('HostConfig.Links and the endpoint Links name the container and the alias', () => {
    const spec = body(project, 'web');
    const links = ['shop-db-1:db', 'shop-cache-1:redis'];
    assert.deepEqual(spec.HostConfig.Links, links);
    const endpoints = (spec.NetworkingConfig as { EndpointsConfig: Record<string, unknown> })
      .EndpointsConfig;
    assert.deepEqual(endpoints.shop_default, { Aliases: ['web'], Links: links });
    assert.equal(body(project, 'db').HostConfig.Links, undefined);
  });

  test('a service without links keeps its config hash', () => {
    const before = load('name: shop\nservices:\n  db:\n    image: busybox\n');
    assert.equal(
      configHash(project, project.services.db!),
      configHash(before, before.services.db!),
    );
    assert.notEqual(configHash(project, web), configHash(project, { ...web, links: [] }));
  });

  test('bad links are refused at their path', () => {
    assert.deepEqual(
      problems(
        'services:\n  web:\n    image: x\n    links: ["db:a:b", nothere]\n' +
          '  side:\n    image: x\n    network_mode: host\n    links: [web]\n',
      ),
      [
        {
          path: 'services.web.links[0]',
          message: 'invalid link "db:a:b": expected SERVICE or SERVICE:ALIAS',
        },
        { path: 'services.side.links', message: 'cannot be combined with "network_mode: host"' },
        { path: 'services.web.links[1]', message: 'links to undefined service "nothere"' },
      ],
    );
  });
});

describe('device_cgroup_rules', () => {
  const project = load(`
name: zwave
services:
  hub:
    image: busybox
    device_cgroup_rules: ['c 189:* rmw', "c  166:0   rw"]
`);

  test('normalised to the kernel form, printed and translated', () => {
    assert.deepEqual(project.services.hub!.device_cgroup_rules, ['c 189:* rmw', 'c 166:0 rw']);
    assert.deepEqual(configService(project, 'hub').device_cgroup_rules, [
      'c 189:* rmw',
      'c 166:0 rw',
    ]);
    assert.deepEqual(body(project, 'hub').HostConfig.DeviceCgroupRules, [
      'c 189:* rmw',
      'c 166:0 rw',
    ]);
  });

  test('a rule that is not in the kernel format is refused', () => {
    assert.deepEqual(
      problems("services:\n  hub:\n    image: x\n    device_cgroup_rules: ['c 189 rmw']\n"),
      [
        {
          path: 'services.hub.device_cgroup_rules[0]',
          message: 'invalid device cgroup rule "c 189 rmw": expected e.g. "c 189:* rmw"',
        },
      ],
    );
  });
});

describe('device requests: deploy.resources.reservations.devices and gpus', () => {
  const project = load(`
name: ai
services:
  llm:
    image: busybox
    deploy:
      resources:
        reservations:
          memory: 1g
          devices:
            - { driver: nvidia, count: 2, capabilities: [gpu, compute], options: { x: "1" } }
            - { device_ids: ["0", "GPU-3a"], capabilities: [gpu] }
            - { capabilities: [tpu] }
    gpus:
      - { driver: nvidia, count: all }
  all:
    image: busybox
    gpus: all
`);
  const llm = project.services.llm!;

  test('the model: count all is -1, and with neither count nor ids every device is asked', () => {
    assert.deepEqual(llm.resources.reservations, {
      memory: 1024 ** 3,
      devices: [
        { capabilities: ['gpu', 'compute'], options: { x: '1' }, driver: 'nvidia', count: 2 },
        { capabilities: ['gpu'], options: {}, device_ids: ['0', 'GPU-3a'] },
        { capabilities: ['tpu'], options: {}, count: -1 },
      ],
    });
    assert.deepEqual(llm.gpus, [{ capabilities: [], options: {}, driver: 'nvidia', count: -1 }]);
    assert.deepEqual(project.services.all!.gpus, [{ capabilities: [], count: -1, options: {} }]);
  });

  test('the config JSON', () => {
    const json = configService(project, 'llm');
    assert.deepEqual(json.deploy, {
      resources: {
        reservations: {
          memory: 1024 ** 3,
          devices: [
            { capabilities: ['gpu', 'compute'], driver: 'nvidia', count: 2, options: { x: '1' } },
            { capabilities: ['gpu'], device_ids: ['0', 'GPU-3a'] },
            { capabilities: ['tpu'], count: -1 },
          ],
        },
      },
    });
    assert.deepEqual(json.gpus, [{ driver: 'nvidia', count: -1 }]);
    assert.deepEqual(configService(project, 'all').gpus, [{ count: -1 }]);
  });

  test('DeviceRequests: gpus adds the gpu capability, as Compose does', () => {
    assert.deepEqual(body(project, 'llm').HostConfig.DeviceRequests, [
      {
        Driver: 'nvidia',
        Count: 2,
        DeviceIDs: [],
        Capabilities: [['gpu', 'compute']],
        Options: { x: '1' },
      },
      { Driver: '', Count: 0, DeviceIDs: ['0', 'GPU-3a'], Capabilities: [['gpu']], Options: {} },
      { Driver: '', Count: -1, DeviceIDs: [], Capabilities: [['tpu']], Options: {} },
      { Driver: 'nvidia', Count: -1, DeviceIDs: [], Capabilities: [['gpu']], Options: {} },
    ]);
    assert.deepEqual(body(project, 'all').HostConfig.DeviceRequests, [
      { Driver: '', Count: -1, DeviceIDs: [], Capabilities: [['gpu']], Options: {} },
    ]);
  });

  test('what the spec forbids is refused at its path', () => {
    const bad = `
services:
  llm:
    image: x
    gpus: some
    deploy:
      resources:
        reservations:
          devices:
            - { count: 1, device_ids: ["0"], capabilities: [gpu] }
            - { driver: nvidia }
            - { count: 0, capabilities: [gpu] }
`;
    const at = 'services.llm.deploy.resources.reservations.devices';
    assert.deepEqual(problems(bad), [
      { path: 'services.llm.gpus', message: 'must be "all" or a list of device requests' },
      { path: `${at}[0].count`, message: 'cannot be combined with "device_ids"' },
      {
        path: `${at}[1].capabilities`,
        message: 'is required: the capabilities the device must have',
      },
      { path: `${at}[2].count`, message: 'must be between 1 and ∞, got 0' },
    ]);
  });

  test('every GPU app of the CasaOS corpus: one nvidia request for all GPUs', () => {
    const gpuApps = readCorpus().filter((f) => f.content.includes('capabilities'));
    const translated = gpuApps.filter((file) => {
      const { project } = loadProject({ files: [file], environment: {} });
      const requests = translateProject(project).containers.flatMap(
        (c) => ((c.body as Body).HostConfig.DeviceRequests as unknown[] | undefined) ?? [],
      );
      if (requests.length === 0) return false;
      assert.deepEqual(
        requests,
        [{ Driver: 'nvidia', Count: -1, DeviceIDs: [], Capabilities: [['gpu']], Options: {} }],
        file.app,
      );
      return true;
    });
    assert.deepEqual(
      translated.map((f) => f.app),
      [
        'DeepSeek-OCR_Nvidia',
        'Emby_Nvidia',
        'Index-TTS_Nvidia',
        'Jellyfin_Nvidia',
        'LLaMA-Factory_Nvidia', // writes `count: "all"`, quoted
        'Ollama_Nvidia',
        'Plex_Nvidia',
        'TurboDiffusion_Nvidia', // writes capabilities as a block list
      ],
    );
  });
});
