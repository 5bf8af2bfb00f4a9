/**
 * What a load refuses, and how it says so: each problem names the exact path
 * of the offending value, and a file with several problems reports them all.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ComposeError, type LoadOptions, loadProject, type Problem } from '../../compose/index.js';
import { yaml } from '../support/yaml.js';

const DIR = '/srv/app';

/** Loads YAML text that must fail, and returns every problem reported. */
function problems(text: string, options: Partial<LoadOptions> = {}): Problem[] {
  try {
    loadProject({
      files: [{ path: `${DIR}/compose.yaml`, content: text }],
      environment: {},
      ...options,
    });
  } catch (error) {
    if (error instanceof ComposeError) return error.problems;
    throw error;
  }
  assert.fail('the load should have failed');
}

/** YAML for the inside of a service: dedented, then indented by four. */
function indented(strings: TemplateStringsArray, ...values: unknown[]): string {
  return yaml(strings, ...values).replace(/^(?=.)/gm, '    ');
}

/** One service `web` with `image: nginx` and the given extra lines (indented by four). */
function web(lines: string, top = ''): string {
  return `services:\n  web:\n    image: nginx\n${lines}${top}`;
}

describe('keys', () => {
  test('a spec key Foyer does not implement is "not supported", never dropped', () => {
    assert.deepEqual(problems(web('    volumes_from: [db]\n')), [
      { path: 'services.web.volumes_from', message: 'not supported by Foyer' },
    ]);
    assert.deepEqual(problems(web('    extends: { service: base }\n    volumes_from: [other]\n')), [
      { path: 'services.web.extends', message: 'not supported by Foyer' },
      { path: 'services.web.volumes_from', message: 'not supported by Foyer' },
    ]);
    assert.deepEqual(problems(web('', 'include: [other.yaml]\n')), [
      { path: 'include', message: 'not supported by Foyer' },
    ]);
    assert.deepEqual(problems(web('    deploy: { placement: { constraints: [] } }\n')), [
      { path: 'services.web.deploy.placement', message: 'not supported by Foyer' },
    ]);
  });

  test('a misspelt key is unknown, with the key it probably meant', () => {
    assert.deepEqual(problems(web('    network-mode: host\n')), [
      { path: 'services.web.network-mode', message: 'unknown key (did you mean "network_mode"?)' },
    ]);
    assert.deepEqual(problems(web('    enviroment: { A: "1" }\n')), [
      { path: 'services.web.enviroment', message: 'unknown key (did you mean "environment"?)' },
    ]);
    assert.deepEqual(problems(web('', 'volume:\n  data:\n')), [
      { path: 'volume', message: 'unknown key (did you mean "volumes"?)' },
    ]);
    assert.deepEqual(problems(web('    completely_unrelated: 1\n')), [
      { path: 'services.web.completely_unrelated', message: 'unknown key' },
    ]);
  });

  test('spec values Foyer cannot honour are named as such', () => {
    assert.deepEqual(problems(web('    pull_policy: daily\n')), [
      { path: 'services.web.pull_policy', message: '"daily" is not supported by Foyer' },
    ]);
    assert.deepEqual(problems(web('    pull_policy: sometimes\n')), [
      {
        path: 'services.web.pull_policy',
        message: 'must be one of always, never, missing, if_not_present, build',
      },
    ]);
    assert.deepEqual(problems(web('    devices: ["vendor1.com/device=gpu"]\n')), [
      {
        path: 'services.web.devices[0]',
        message: 'CDI device "vendor1.com/device=gpu" is not supported by Foyer',
      },
    ]);
    const readFile = () => 'A=1\n';
    assert.deepEqual(
      problems(web('    env_file: [{ path: a.env, format: json }]\n'), { readFile }),
      [
        {
          path: 'services.web.env_file[0].format',
          message: 'format "json" is not supported by Foyer',
        },
      ],
    );
  });
});

describe('references', () => {
  test('depends_on naming a missing service', () => {
    assert.deepEqual(problems(web('    depends_on: [db]\n')), [
      { path: 'services.web.depends_on.db', message: 'depends on undefined service "db"' },
    ]);
    assert.deepEqual(problems(web('    depends_on: { db: { condition: service_healthy } }\n')), [
      { path: 'services.web.depends_on.db', message: 'depends on undefined service "db"' },
    ]);
  });

  test('a network used but not declared', () => {
    assert.deepEqual(problems(web('    networks: [front, back]\n', 'networks:\n  back: {}\n')), [
      {
        path: 'services.web.networks.front',
        message: 'network "front" is used but not declared in the top-level networks',
      },
    ]);
  });

  test('a volume used but not declared', () => {
    assert.deepEqual(
      problems(web('    volumes:\n      - ./ok:/ok\n      - data:/data\n      - /anon\n')),
      [
        {
          path: 'services.web.volumes[1]',
          message: 'volume "data" is used but not declared in the top-level volumes',
        },
      ],
    );
  });

  test('a secret or config used but not declared', () => {
    assert.deepEqual(problems(web('    secrets: [token]\n    configs: [{ source: app }]\n')), [
      {
        path: 'services.web.secrets[0]',
        message: 'secret "token" is used but not declared in the top-level secrets',
      },
      {
        path: 'services.web.configs[0]',
        message: 'config "app" is used but not declared in the top-level configs',
      },
    ]);
  });

  test('network_mode and ipc naming a missing service', () => {
    assert.deepEqual(problems(web('    network_mode: "service:vpn"\n    ipc: "service:shm"\n')), [
      { path: 'services.web.network_mode', message: 'refers to undefined service "vpn"' },
      { path: 'services.web.ipc', message: 'refers to undefined service "shm"' },
    ]);
  });

  test('a service with neither image nor build', () => {
    assert.deepEqual(problems('services:\n  web:\n    restart: always\n  other:\n'), [
      { path: 'services.web', message: 'has neither "image" nor "build"' },
      { path: 'services.other', message: 'has neither "image" nor "build"' },
    ]);
  });

  test('a dependency cycle, reported once with its path', () => {
    assert.deepEqual(
      problems(yaml`
        services:
          a: { image: x, depends_on: [b] }
          b: { image: x, depends_on: { c: { condition: service_healthy } } }
          c: { image: x, depends_on: [a] }
          d: { image: x, depends_on: [a] }
      `),
      [{ path: 'services.a.depends_on', message: 'dependency cycle: a → b → c → a' }],
    );
    assert.deepEqual(problems(web('    depends_on: [web]\n')), [
      { path: 'services.web.depends_on', message: 'dependency cycle: web → web' },
    ]);
  });

  test('network_mode together with networks', () => {
    assert.deepEqual(problems(web('    network_mode: host\n    networks: [default]\n')), [
      { path: 'services.web.network_mode', message: 'cannot be combined with "networks"' },
    ]);
  });
});

describe('values', () => {
  test('invalid ports, short and long', () => {
    assert.deepEqual(
      problems(
        web(indented`
          ports:
            - "70000:80"
            - "8080:0"
            - "http"
            - "8000-8001:80-82"
            - "80/"
            - "127.0.0.1:80"
            - { target: 70000 }
            - { target: 80, published: "eighty" }
            - true
        `),
      ),
      [
        { path: 'services.web.ports[0]', message: 'invalid host port "70000"' },
        { path: 'services.web.ports[1]', message: 'invalid container port "0"' },
        { path: 'services.web.ports[2]', message: 'invalid container port "http"' },
        {
          path: 'services.web.ports[3]',
          message: 'host and container port ranges differ in size in "8000-8001:80-82"',
        },
        { path: 'services.web.ports[4]', message: 'missing protocol after "/" in "80/"' },
        { path: 'services.web.ports[5]', message: 'invalid host port "127.0.0.1"' },
        { path: 'services.web.ports[6].target', message: 'must be between 1 and 65535, got 70000' },
        { path: 'services.web.ports[7].published', message: 'must be a port or a port range' },
        { path: 'services.web.ports[8]', message: 'must be a port string or a mapping' },
      ],
    );
  });

  test('invalid volumes', () => {
    assert.deepEqual(
      problems(
        web(
          '    volumes:\n      - "./a:relative"\n      - "/a:/b:rx"\n      - { type: image, source: x, target: /x }\n      - { type: bind, target: /y }\n',
        ),
      ),
      [
        { path: 'services.web.volumes[0]', message: 'target "relative" must be an absolute path' },
        { path: 'services.web.volumes[1]', message: 'unknown volume mode "rx" in "/a:/b:rx"' },
        {
          path: 'services.web.volumes[2].type',
          message: 'mount type "image" is not supported by Foyer',
        },
        { path: 'services.web.volumes[3].source', message: 'a bind mount needs a source' },
      ],
    );
  });

  test('~ in a bind source with no HOME', () => {
    assert.deepEqual(problems(web('    volumes: ["~/data:/data"]\n')), [
      {
        path: 'services.web.volumes[0]',
        message: 'cannot resolve "~" in "~/data": HOME is not set',
      },
    ]);
  });

  test('invalid durations, bytes, restart, depends_on condition, healthcheck test', () => {
    assert.deepEqual(
      problems(
        web(
          indented`
          restart: sometimes
          stop_grace_period: 10
          mem_limit: lots
          depends_on: { db: { condition: service_ready } }
          healthcheck: { test: [curl, x], interval: 5 }
        `,
          '  db: { image: db }\n',
        ),
      ),
      [
        {
          path: 'services.web.depends_on.db.condition',
          message:
            'must be one of service_started, service_healthy, service_completed_successfully',
        },
        {
          path: 'services.web.healthcheck.test',
          message: 'a list must start with "NONE", "CMD" or "CMD-SHELL"',
        },
        {
          path: 'services.web.healthcheck.interval',
          message: 'invalid duration "5": missing unit (ns, us, ms, s, m, h)',
        },
        {
          path: 'services.web.stop_grace_period',
          message: 'invalid duration "10": missing unit (ns, us, ms, s, m, h)',
        },
        {
          path: 'services.web.mem_limit',
          message:
            'invalid byte value "lots": expected {amount}{unit} with unit b, k, kb, m, mb, g or gb',
        },
        {
          path: 'services.web.restart',
          message: 'must be one of "no", always, on-failure[:N], unless-stopped',
        },
      ],
    );
  });

  test('reserved label prefix and out-of-range kernel tunables', () => {
    assert.deepEqual(
      problems(
        web(indented`
          labels: ["com.docker.compose.project=other", "com.example.ok=1"]
          mem_swappiness: 101
          oom_score_adj: -1001
        `),
      ),
      [
        {
          path: 'services.web.labels."com.docker.compose.project"',
          message: 'the "com.docker.compose" prefix is reserved',
        },
        { path: 'services.web.mem_swappiness', message: 'must be between 0 and 100, got 101' },
        {
          path: 'services.web.oom_score_adj',
          message: 'must be between -1000 and 1000, got -1001',
        },
      ],
    );
  });

  test('an invalid profile name (spec: `[a-zA-Z0-9][a-zA-Z0-9_.-]+`)', () => {
    assert.deepEqual(problems(web('    profiles: [ok, -bad]\n'), { profiles: ['*'] }), [
      { path: 'services.web.profiles[1]', message: 'invalid profile name "-bad"' },
    ]);
  });

  test('cpus, mem_limit and friends must agree with deploy.resources', () => {
    assert.deepEqual(
      problems(
        web(indented`
          cpus: 0.5
          mem_limit: 300m
          mem_reservation: 100m
          pids_limit: 10
          deploy:
            resources:
              limits: { cpus: "1.0", memory: 300m, pids: 20 }
              reservations: { memory: 200m }
        `),
      ),
      [
        {
          path: 'services.web.deploy.resources.limits.cpus',
          message: '1 differs from "cpus: 0.5"; the two must agree',
        },
        {
          path: 'services.web.deploy.resources.limits.pids',
          message: '20 differs from "pids_limit: 10"; the two must agree',
        },
        {
          path: 'services.web.deploy.resources.reservations.memory',
          message: '209715200 differs from "mem_reservation: 104857600"; the two must agree',
        },
      ],
    );
  });

  test('external networks, volumes, secrets and configs take nothing but a name', () => {
    assert.deepEqual(
      problems(
        web(
          '',
          yaml`
            networks:
              outside: { external: true, driver: bridge }
            volumes:
              data: { external: true, name: real-data, labels: { a: b } }
            secrets:
              token: { external: true, file: ./token }
            configs:
              app: { external: { name: app-config }, content: x }
          `,
        ),
      ),
      [
        { path: 'networks.outside.driver', message: 'cannot be combined with "external: true"' },
        { path: 'volumes.data.labels', message: 'cannot be combined with "external: true"' },
        { path: 'secrets.token.file', message: 'cannot be combined with "external: true"' },
        { path: 'configs.app.content', message: 'cannot be combined with "external: true"' },
      ],
    );
  });

  test('a secret needs exactly one source', () => {
    assert.deepEqual(problems(web('', 'secrets:\n  token: { file: ./a, environment: TOKEN }\n')), [
      { path: 'secrets.token', message: 'needs exactly one of "file", "content" or "environment"' },
    ]);
  });

  test('a required env_file that is missing', () => {
    assert.deepEqual(
      problems(web('    env_file: [./a.env, { path: ./b.env, required: false }]\n')),
      [{ path: 'services.web.env_file[0]', message: `env file ${DIR}/a.env not found` }],
    );
  });

  test('an invalid service name and an empty services section', () => {
    assert.deepEqual(problems('services:\n  "bad name":\n    image: x\n'), [
      { path: 'services."bad name"', message: 'invalid service name' },
    ]);
    assert.deepEqual(problems('services: {}\n'), [
      { path: 'services', message: 'must define at least one service' },
    ]);
  });
});

describe('interpolation', () => {
  test('an invalid template names where it is', () => {
    assert.deepEqual(problems(web('    environment:\n      A: "${ foo}"\n')), [
      {
        path: 'services.web.environment.A',
        message:
          'invalid interpolation format for "${ foo}": expected a variable name after "${"' +
          ' (write "$$" for a literal "$")',
      },
    ]);
  });

  test('a required variable that is missing, with its message', () => {
    assert.deepEqual(problems(web('    environment:\n      - B=${X:?need X}\n')), [
      {
        path: 'services.web.environment[0]',
        message: 'required variable X is missing a value: need X',
      },
    ]);
    assert.deepEqual(
      problems(web('    image: "nginx:${TAG:?}"\n').replace('    image: nginx\n', ''), {
        environment: { TAG: '' },
      }),
      [{ path: 'services.web.image', message: 'required variable TAG is missing a value' }],
    );
  });
});

describe('every problem at once', () => {
  test('a file with several problems reports each one, in document order', () => {
    const text = yaml`
      services:
        web:
          image: nginx
          volumes_from: [db]
          network-mode: host
          ports: ["70000:80"]
          depends_on: [db, missing]
          networks: [front]
          volumes: ["data:/data"]
        db:
          depends_on: [web]
        worker:
          image: worker
          restart: sometimes
      volumes:
        cache: { external: true, driver: local }
    `;
    assert.deepEqual(problems(text), [
      { path: 'services.web.volumes_from', message: 'not supported by Foyer' },
      { path: 'services.web.network-mode', message: 'unknown key (did you mean "network_mode"?)' },
      { path: 'services.web.ports[0]', message: 'invalid host port "70000"' },
      { path: 'services.db', message: 'has neither "image" nor "build"' },
      {
        path: 'services.worker.restart',
        message: 'must be one of "no", always, on-failure[:N], unless-stopped',
      },
      { path: 'volumes.cache.driver', message: 'cannot be combined with "external: true"' },
      {
        path: 'services.web.depends_on.missing',
        message: 'depends on undefined service "missing"',
      },
      {
        path: 'services.web.networks.front',
        message: 'network "front" is used but not declared in the top-level networks',
      },
      {
        path: 'services.web.volumes[0]',
        message: 'volume "data" is used but not declared in the top-level volumes',
      },
      { path: 'services.web.depends_on', message: 'dependency cycle: web → db → web' },
    ]);
  });

  test('the error message lists every problem, one per line', () => {
    try {
      loadProject({
        files: [
          { path: `${DIR}/compose.yaml`, content: web('    volumes_from: [a]\n    scale: 2\n') },
        ],
      });
      assert.fail('the load should have failed');
    } catch (error) {
      assert.ok(error instanceof ComposeError);
      assert.equal(
        error.message,
        'services.web.volumes_from: not supported by Foyer\nservices.web.scale: not supported by Foyer',
      );
    }
  });
});
