/**
 * Normalisation of every service form, written from the Compose
 * Specification's "Services top-level element": each short syntax comes out
 * in its long form, as `docker compose config --format json` prints it.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ComposeError,
  type LoadOptions,
  loadProject,
  type Problem,
  type Service,
  toComposeConfig,
} from '../../compose/index.js';
import { yaml } from '../support/yaml.js';

const DIR = '/srv/app';

function load(text: string, options: Partial<LoadOptions> = {}) {
  return loadProject({
    files: [{ path: `${DIR}/compose.yaml`, content: text }],
    environment: {},
    ...options,
  });
}

/** The `docker compose config` JSON of one service. */
function serviceJson(
  text: string,
  name = 'web',
  options: Partial<LoadOptions> = {},
): Record<string, unknown> {
  const services = toComposeConfig(load(text, options).project).services as Record<
    string,
    Record<string, unknown>
  >;
  const service = services[name];
  assert.ok(service, `service ${name} is in the project`);
  return service;
}

/** The normalised model of one service. */
function model(text: string, name = 'web', options: Partial<LoadOptions> = {}): Service {
  const service = load(text, options).project.services[name];
  assert.ok(service, `service ${name} is in the project`);
  return service;
}

function problems(text: string, options: Partial<LoadOptions> = {}): Problem[] {
  try {
    load(text, options);
  } catch (error) {
    if (error instanceof ComposeError) return error.problems;
    throw error;
  }
  assert.fail('the load should have failed');
}

describe('ports', () => {
  test('short syntax: every example of the spec, in long form', () => {
    const web = serviceJson(yaml`
      services:
        web:
          image: nginx
          ports:
            - "3000"
            - "3000-3002"
            - "8000:8000"
            - "9090-9091:8080-8081"
            - "49100:22"
            - "8000-9000:80"
            - "127.0.0.1:8001:8001"
            - "127.0.0.1:5000-5001:5000-5001"
            - "::1:6000:6000"
            - "[::1]:6001:6001"
            - "6060:6060/udp"
            - 10025:25
            - 8080
    `);
    const tcp = (target: number, extra: object = {}) => ({
      mode: 'ingress',
      target,
      protocol: 'tcp',
      ...extra,
    });
    assert.deepEqual(web.ports, [
      tcp(3000),
      tcp(3000),
      tcp(3001),
      tcp(3002),
      tcp(8000, { published: '8000' }),
      tcp(8080, { published: '9090' }),
      tcp(8081, { published: '9091' }),
      tcp(22, { published: '49100' }),
      tcp(80, { published: '8000-9000' }),
      tcp(8001, { host_ip: '127.0.0.1', published: '8001' }),
      tcp(5000, { host_ip: '127.0.0.1', published: '5000' }),
      tcp(5001, { host_ip: '127.0.0.1', published: '5001' }),
      tcp(6000, { host_ip: '::1', published: '6000' }),
      tcp(6001, { host_ip: '::1', published: '6001' }),
      { mode: 'ingress', target: 6060, protocol: 'udp', published: '6060' },
      tcp(25, { published: '10025' }),
      tcp(8080),
    ]);
  });

  test('short syntax: a host IP without a host port lets the engine pick the port', () => {
    const web = serviceJson(yaml`
      services:
        web:
          image: nginx
          ports: ["127.0.0.1::80", "[2001:db8::1]:8443:443/tcp"]
    `);
    assert.deepEqual(web.ports, [
      { mode: 'ingress', target: 80, protocol: 'tcp', host_ip: '127.0.0.1' },
      {
        mode: 'ingress',
        target: 443,
        protocol: 'tcp',
        host_ip: '2001:db8::1',
        published: '8443',
      },
    ]);
  });

  test('long syntax: every field, published as a string, ranges kept', () => {
    const web = serviceJson(yaml`
      services:
        web:
          image: nginx
          ports:
            - name: web
              target: 80
              host_ip: 127.0.0.1
              published: 8080
              protocol: tcp
              app_protocol: http
              mode: host
            - name: web-secured
              target: 443
              published: "8083-9000"
              app_protocol: https
            - target: 53
              protocol: udp
    `);
    assert.deepEqual(web.ports, [
      {
        mode: 'host',
        target: 80,
        protocol: 'tcp',
        published: '8080',
        host_ip: '127.0.0.1',
        app_protocol: 'http',
        name: 'web',
      },
      {
        mode: 'ingress',
        target: 443,
        protocol: 'tcp',
        published: '8083-9000',
        app_protocol: 'https',
        name: 'web-secured',
      },
      { mode: 'ingress', target: 53, protocol: 'udp' },
    ]);
  });

  test('short and long entries mix; expose keeps ports and ranges as text', () => {
    const web = model(yaml`
      services:
        web:
          image: nginx
          ports: ["80", { target: 81 }]
          expose: ["3000", 3001, "4000-4005", "5000/udp"]
    `);
    assert.deepEqual(
      web.ports.map((p) => p.target),
      [80, 81],
    );
    assert.deepEqual(web.expose, ['3000', '3001', '4000-4005', '5000/udp']);
  });
});

describe('volumes', () => {
  const file = yaml`
    services:
      web:
        image: nginx
        volumes:
          - data:/var/lib/data
          - ./html:/usr/share/nginx/html:ro
          - ../shared:/shared:rw,z
          - ~/backups:/backups
          - /etc/ssl:/etc/ssl:ro,rslave
          - cache:/cache:nocopy
          - /anonymous
    volumes:
      data:
      cache:
  `;

  test('short syntax: named volumes, relative and ~ binds made absolute, modes as options', () => {
    const web = serviceJson(file, 'web', { environment: { HOME: '/home/ada' } });
    assert.deepEqual(web.volumes, [
      { type: 'volume', source: 'data', target: '/var/lib/data', volume: {} },
      {
        type: 'bind',
        source: '/srv/app/html',
        target: '/usr/share/nginx/html',
        bind: { create_host_path: true },
        read_only: true,
      },
      {
        type: 'bind',
        source: '/srv/shared',
        target: '/shared',
        bind: { create_host_path: true, selinux: 'z' },
      },
      {
        type: 'bind',
        source: '/home/ada/backups',
        target: '/backups',
        bind: { create_host_path: true },
      },
      {
        type: 'bind',
        source: '/etc/ssl',
        target: '/etc/ssl',
        bind: { create_host_path: true, propagation: 'rslave' },
        read_only: true,
      },
      { type: 'volume', source: 'cache', target: '/cache', volume: { nocopy: true } },
      { type: 'volume', target: '/anonymous' },
    ]);
  });

  test('relative paths resolve against the working dir, not the file', () => {
    const web = model(file, 'web', { workingDir: '/opt/elsewhere', environment: { HOME: '/h' } });
    assert.equal(web.volumes[1]?.source, '/opt/elsewhere/html');
    assert.equal(web.volumes[2]?.source, '/opt/shared');
  });

  test('long syntax: bind, volume and tmpfs options', () => {
    const web = serviceJson(yaml`
      services:
        web:
          image: nginx
          volumes:
            - type: volume
              source: db-data
              target: /data
              volume:
                nocopy: true
                subpath: sub
            - type: bind
              source: ./config
              target: /config
              read_only: true
              bind:
                create_host_path: false
                propagation: rprivate
                selinux: Z
            - type: bind
              source: /var/run/postgres/postgres.sock
              target: /var/run/postgres/postgres.sock
            - type: tmpfs
              target: /scratch
              tmpfs:
                size: 64m
                mode: 0o1777
            - type: volume
              target: /anonymous
      volumes:
        db-data: {}
    `);
    assert.deepEqual(web.volumes, [
      {
        type: 'volume',
        target: '/data',
        source: 'db-data',
        volume: { nocopy: true, subpath: 'sub' },
      },
      {
        type: 'bind',
        target: '/config',
        source: '/srv/app/config',
        read_only: true,
        bind: { create_host_path: false, propagation: 'rprivate', selinux: 'Z' },
      },
      {
        type: 'bind',
        target: '/var/run/postgres/postgres.sock',
        source: '/var/run/postgres/postgres.sock',
      },
      { type: 'tmpfs', target: '/scratch', tmpfs: { size: 64 * 1024 * 1024, mode: 0o1777 } },
      { type: 'volume', target: '/anonymous' },
    ]);
  });

  test('a tmpfs mode written as an octal string is octal too', () => {
    const web = model(yaml`
      services:
        web:
          image: nginx
          volumes:
            - { type: tmpfs, target: /t, tmpfs: { mode: "750", size: 1024 } }
    `);
    assert.deepEqual(web.volumes[0]?.tmpfs, { size: 1024, mode: 0o750 });
  });

  test('service tmpfs: a single path or a list, options kept as written', () => {
    assert.deepEqual(
      model(yaml`
        services:
          web: { image: nginx, tmpfs: /run }
      `).tmpfs,
      ['/run'],
    );
    assert.deepEqual(
      model(yaml`
        services:
          web:
            image: nginx
            tmpfs:
              - /data:mode=755,uid=1009,gid=1009
              - /run
      `).tmpfs,
      ['/data:mode=755,uid=1009,gid=1009', '/run'],
    );
  });
});

describe('environment and labels', () => {
  test('map form: booleans and numbers become strings, a bare key is resolved or dropped', () => {
    const web = serviceJson(
      yaml`
        services:
          web:
            image: nginx
            environment:
              RACK_ENV: development
              SHOW: "true"
              DEBUG: false
              WORKERS: 4
              RATIO: 1.5
              EMPTY: ""
              USER_INPUT:
              NOT_SET:
      `,
      'web',
      { environment: { USER_INPUT: 'from the shell' } },
    );
    assert.deepEqual(web.environment, {
      RACK_ENV: 'development',
      SHOW: 'true',
      DEBUG: 'false',
      WORKERS: '4',
      RATIO: '1.5',
      EMPTY: '',
      USER_INPUT: 'from the shell',
    });
  });

  test('list form: KEY=VALUE, KEY= (empty), KEY alone resolved from the project environment', () => {
    const web = model(
      yaml`
        services:
          web:
            image: nginx
            environment:
              - RACK_ENV=development
              - SHOW=true
              - EMPTY=
              - URL=postgres://u:p@db/x?a=b
              - USER_INPUT
              - NOT_SET
      `,
      'web',
      { environment: { USER_INPUT: 'typed' } },
    );
    assert.deepEqual(web.environment, {
      RACK_ENV: 'development',
      SHOW: 'true',
      EMPTY: '',
      URL: 'postgres://u:p@db/x?a=b',
      USER_INPUT: 'typed',
    });
  });

  test('a bare key also resolves from the .env file', () => {
    const web = model(
      yaml`
        services:
          web: { image: nginx, environment: [TZ] }
      `,
      'web',
      { readFile: (path) => (path === `${DIR}/.env` ? 'TZ=Europe/Paris\n' : undefined) },
    );
    assert.deepEqual(web.environment, { TZ: 'Europe/Paris' });
  });

  test('labels: map or list, a label without value is empty, numbers become strings', () => {
    const asMap = serviceJson(yaml`
      services:
        web:
          image: nginx
          labels:
            com.example.description: "Accounting webapp"
            com.example.department: Finance
            com.example.label-with-empty-value: ""
            com.example.replicas: 3
            com.example.public: true
    `);
    assert.deepEqual(asMap.labels, {
      'com.example.description': 'Accounting webapp',
      'com.example.department': 'Finance',
      'com.example.label-with-empty-value': '',
      'com.example.replicas': '3',
      'com.example.public': 'true',
    });
    const asList = serviceJson(yaml`
      services:
        web:
          image: nginx
          labels:
            - "com.example.description=Accounting webapp"
            - "com.example.department=Finance"
            - "com.example.label-with-empty-value"
    `);
    assert.deepEqual(asList.labels, {
      'com.example.description': 'Accounting webapp',
      'com.example.department': 'Finance',
      'com.example.label-with-empty-value': '',
    });
  });

  test('label keys are not interpolated in a map but are in the list form', () => {
    const web = model(
      yaml`
        services:
          web:
            image: nginx
            labels:
              - "$$LITERAL=a"
              - "$KEY=b"
      `,
      'web',
      { environment: { KEY: 'resolved' } },
    );
    assert.deepEqual(web.labels, { $LITERAL: 'a', resolved: 'b' });
    const map = model(yaml`
      services:
        web:
          image: nginx
          labels:
            "$KEY": "c"
    `);
    assert.deepEqual(map.labels, { $KEY: 'c' });
  });
});

describe('env_file', () => {
  const files: Record<string, string> = {
    [`${DIR}/a.env`]: 'A=1\nSHARED=from-a\nQUOTED="x y"\n',
    [`${DIR}/b.env`]: 'SHARED=from-b\nREF=${A}-${OUTER}\n',
    [`${DIR}/raw.env`]: 'RAW="kept $quotes"\n# comment\nPLAIN=$HOME\n',
    [`${DIR}/override.env`]: 'GONE=1\nBLANKED=1\n',
  };
  const readFile = (path: string) => files[path];

  test('short form: one file or a list, later files win, relative to the working dir', () => {
    assert.deepEqual(
      model(
        yaml`
          services:
            web: { image: nginx, env_file: a.env }
        `,
        'web',
        { readFile },
      ).environment,
      { A: '1', SHARED: 'from-a', QUOTED: 'x y' },
    );
    assert.deepEqual(
      model(
        yaml`
          services:
            web: { image: nginx, env_file: [./a.env, ./b.env] }
        `,
        'web',
        { readFile, environment: { OUTER: 'o' } },
      ).environment,
      { A: '1', SHARED: 'from-b', QUOTED: 'x y', REF: '1-o' },
    );
  });

  test('long form: `required: false` skips a missing file; `format: raw` takes values verbatim', () => {
    const web = model(
      yaml`
        services:
          web:
            image: nginx
            env_file:
              - path: ./a.env
                required: true
              - path: ./missing.env
                required: false
              - path: ./raw.env
                format: raw
      `,
      'web',
      { readFile, environment: { HOME: '/root' } },
    );
    assert.deepEqual(web.environment, {
      A: '1',
      SHARED: 'from-a',
      QUOTED: 'x y',
      RAW: '"kept $quotes"',
      PLAIN: '$HOME',
    });
  });

  test('environment overrides env_file, even with an empty value or an unresolved key', () => {
    const web = model(
      yaml`
        services:
          web:
            image: nginx
            env_file: override.env
            environment:
              - BLANKED=
              - GONE
              - NEW=1
      `,
      'web',
      { readFile },
    );
    assert.deepEqual(web.environment, { BLANKED: '', NEW: '1' });
  });

  test('an absolute env_file path is read but warned about', () => {
    const result = load(
      yaml`
        services:
          web: { image: nginx, env_file: /srv/app/a.env }
      `,
      { readFile },
    );
    assert.equal(result.project.services.web?.environment.A, '1');
    assert.deepEqual(
      result.warnings.map((w) => w.path),
      ['services.web.env_file'],
    );
  });
});

describe('depends_on', () => {
  test('list form: each name with the default condition', () => {
    const web = serviceJson(yaml`
      services:
        web: { image: nginx, depends_on: [db, redis] }
        db: { image: postgres }
        redis: { image: redis }
    `);
    assert.deepEqual(web.depends_on, {
      db: { condition: 'service_started', required: true, restart: false },
      redis: { condition: 'service_started', required: true, restart: false },
    });
  });

  test('map form: conditions, restart and required', () => {
    const web = serviceJson(yaml`
      services:
        web:
          image: nginx
          depends_on:
            db:
              condition: service_healthy
              restart: true
            redis:
              condition: service_started
            migrate:
              condition: service_completed_successfully
              required: false
            worker:
        db: { image: postgres }
        redis: { image: redis }
        migrate: { image: app }
        worker: { image: app }
    `);
    assert.deepEqual(web.depends_on, {
      db: { condition: 'service_healthy', required: true, restart: true },
      redis: { condition: 'service_started', required: true, restart: false },
      migrate: { condition: 'service_completed_successfully', required: false, restart: false },
      worker: { condition: 'service_started', required: true, restart: false },
    });
  });

  test('an optional dependency on a missing service is only a warning, and is dropped', () => {
    const result = load(yaml`
      services:
        web:
          image: nginx
          depends_on:
            cache: { condition: service_started, required: false }
    `);
    assert.deepEqual(result.project.services.web?.depends_on, {});
    assert.deepEqual(
      result.warnings.map((w) => w.path),
      ['services.web.depends_on.cache'],
    );
  });
});

describe('healthcheck', () => {
  test('list test with CMD, durations in Go form, retries', () => {
    const web = serviceJson(yaml`
      services:
        web:
          image: nginx
          healthcheck:
            test: ["CMD", "curl", "-f", "http://localhost"]
            interval: 1m30s
            timeout: 10s
            retries: 3
            start_period: 40s
            start_interval: 5s
    `);
    assert.deepEqual(web.healthcheck, {
      test: ['CMD', 'curl', '-f', 'http://localhost'],
      interval: '1m30s',
      timeout: '10s',
      start_period: '40s',
      start_interval: '5s',
      retries: 3,
    });
    const check = model(yaml`
      services:
        web:
          image: nginx
          healthcheck: { test: [CMD, "true"], interval: 1h5m30s20ms, timeout: 500ms }
    `).healthcheck;
    assert.deepEqual(check, {
      test: ['CMD', 'true'],
      interval: (3600 + 5 * 60 + 30) * 1e9 + 20e6,
      timeout: 500e6,
    });
  });

  test('CMD-SHELL list and a plain string are the same thing', () => {
    const listed = model(yaml`
      services:
        web:
          image: nginx
          healthcheck:
            test: ["CMD-SHELL", "curl -f http://localhost || exit 1"]
    `).healthcheck;
    const string = model(yaml`
      services:
        web:
          image: nginx
          healthcheck:
            test: curl -f http://localhost || exit 1
    `).healthcheck;
    assert.deepEqual(listed, { test: ['CMD-SHELL', 'curl -f http://localhost || exit 1'] });
    assert.deepEqual(string, listed);
  });

  test('NONE and disable: true both turn the image healthcheck off', () => {
    assert.deepEqual(
      model(yaml`
        services:
          web: { image: nginx, healthcheck: { test: ["NONE"] } }
      `).healthcheck,
      { test: ['NONE'] },
    );
    assert.deepEqual(
      serviceJson(yaml`
        services:
          web: { image: nginx, healthcheck: { disable: true } }
      `).healthcheck,
      { test: ['NONE'], disable: true },
    );
  });

  test('timings alone tune the image healthcheck', () => {
    assert.deepEqual(
      model(yaml`
        services:
          web: { image: nginx, healthcheck: { interval: 2s, retries: 0 } }
      `).healthcheck,
      { test: [], interval: 2e9, retries: 0 },
    );
  });
});

describe('command and entrypoint', () => {
  test('a string is split like a shell would, without running one', () => {
    const web = serviceJson(yaml`
      services:
        web:
          image: app
          command: /bin/sh -c 'echo "hello $$HOSTNAME"'
          entrypoint: /code/entrypoint.sh --verbose
    `);
    assert.deepEqual(web.command, ['/bin/sh', '-c', 'echo "hello $HOSTNAME"']);
    assert.deepEqual(web.entrypoint, ['/code/entrypoint.sh', '--verbose']);
  });

  test('a list is kept as is, numbers as strings', () => {
    const web = model(yaml`
      services:
        web:
          image: app
          command: [ "bundle", "exec", "thin", "-p", 3000 ]
          entrypoint:
            - php
            - -d
            - memory_limit=-1
    `);
    assert.deepEqual(web.command, ['bundle', 'exec', 'thin', '-p', '3000']);
    assert.deepEqual(web.entrypoint, ['php', '-d', 'memory_limit=-1']);
  });

  test('null keeps the image default; [] and "" override it with nothing', () => {
    const project = load(yaml`
      services:
        absent: { image: app }
        nulled: { image: app, command: null, entrypoint: null }
        empty-list: { image: app, command: [], entrypoint: [] }
        empty-string: { image: app, command: "", entrypoint: "" }
    `).project;
    const pick = (name: string) => {
      const s = project.services[name]!;
      return [s.command, s.entrypoint];
    };
    assert.deepEqual(pick('absent'), [null, null]);
    assert.deepEqual(pick('nulled'), [null, null]);
    assert.deepEqual(pick('empty-list'), [[], []]);
    assert.deepEqual(pick('empty-string'), [[], []]);
  });
});

describe('networks', () => {
  test('no networks: attached to the implicit default network, which is declared', () => {
    const config = toComposeConfig(
      load(yaml`
        services:
          web: { image: nginx }
      `).project,
    );
    const services = config.services as Record<string, { networks: unknown }>;
    assert.deepEqual(services.web?.networks, { default: null });
    assert.deepEqual(config.networks, { default: { name: 'app_default', ipam: {} } });
  });

  test('list form and map form with aliases and static addresses', () => {
    const config = toComposeConfig(
      load(yaml`
        services:
          frontend:
            image: example/webapp
            networks: [front-tier, back-tier]
          backend:
            image: example/backend
            networks:
              back-tier:
                aliases: [database]
              admin:
                aliases:
                  - mysql
                ipv4_address: 172.16.238.10
                ipv6_address: "2001:3984:3989::10"
                priority: 100
              front-tier:
        networks:
          front-tier: {}
          back-tier: {}
          admin:
            ipam:
              driver: default
              config:
                - subnet: "172.16.238.0/24"
                - subnet: "2001:3984:3989::/64"
      `).project,
    );
    const services = config.services as Record<string, { networks: unknown }>;
    assert.deepEqual(services.frontend?.networks, { 'front-tier': null, 'back-tier': null });
    assert.deepEqual(services.backend?.networks, {
      'back-tier': { aliases: ['database'] },
      admin: {
        aliases: ['mysql'],
        ipv4_address: '172.16.238.10',
        ipv6_address: '2001:3984:3989::10',
        priority: 100,
      },
      'front-tier': null,
    });
    assert.deepEqual(config.networks, {
      'front-tier': { name: 'app_front-tier', ipam: {} },
      'back-tier': { name: 'app_back-tier', ipam: {} },
      admin: {
        name: 'app_admin',
        ipam: {
          driver: 'default',
          config: [{ subnet: '172.16.238.0/24' }, { subnet: '2001:3984:3989::/64' }],
        },
      },
    });
  });

  test('network_mode replaces networks and the default network is not created for it', () => {
    const config = toComposeConfig(
      load(yaml`
        services:
          web: { image: nginx, network_mode: host }
      `).project,
    );
    const web = (config.services as Record<string, Record<string, unknown>>).web!;
    assert.equal(web.network_mode, 'host');
    assert.equal(web.networks, undefined);
    assert.equal(config.networks, undefined);
  });
});

describe('simple scalars and lists', () => {
  test('restart: every policy of the spec; `no` stays a string', () => {
    for (const policy of ['no', '"no"', 'always', 'on-failure', 'on-failure:3', 'unless-stopped']) {
      const web = model(`services:\n  web:\n    image: nginx\n    restart: ${policy}\n`);
      assert.equal(web.restart, policy.replaceAll('"', ''));
    }
    assert.equal(model('services:\n  web: { image: nginx }\n').restart, undefined);
  });

  test('user, working_dir, hostname, container_name as strings, numbers included', () => {
    const web = serviceJson(yaml`
      services:
        web:
          image: nginx
          user: 1000
          working_dir: /app
          hostname: web01
          domainname: example.com
          container_name: my-web
          stop_signal: SIGUSR1
          stop_grace_period: 1m30s
    `);
    assert.equal(web.user, '1000');
    assert.equal(web.working_dir, '/app');
    assert.equal(web.hostname, 'web01');
    assert.equal(web.domainname, 'example.com');
    assert.equal(web.container_name, 'my-web');
    assert.equal(web.stop_signal, 'SIGUSR1');
    assert.equal(web.stop_grace_period, '1m30s');
    assert.equal(model('services:\n  web: { image: a, user: "999:999" }\n').user, '999:999');
  });

  test('stop_grace_period is kept in whole seconds, never shortened', () => {
    assert.equal(
      model('services:\n  web: { image: a, stop_grace_period: 1s }\n').stop_grace_period,
      1,
    );
    assert.equal(
      model('services:\n  web: { image: a, stop_grace_period: 1500ms }\n').stop_grace_period,
      2,
    );
  });

  test('cap_add, cap_drop, dns (one value or a list), security_opt, group_add', () => {
    const web = model(yaml`
      services:
        web:
          image: nginx
          cap_add: [ALL]
          cap_drop: [NET_ADMIN, SYS_ADMIN]
          dns: 8.8.8.8
          dns_search: [dc1.example.com, dc2.example.com]
          dns_opt: [use-vc, no-tld-query]
          security_opt: ["label:user:USER", "label:role:ROLE"]
          group_add: [mail, 42]
    `);
    assert.deepEqual(web.cap_add, ['ALL']);
    assert.deepEqual(web.cap_drop, ['NET_ADMIN', 'SYS_ADMIN']);
    assert.deepEqual(web.dns, ['8.8.8.8']);
    assert.deepEqual(web.dns_search, ['dc1.example.com', 'dc2.example.com']);
    assert.deepEqual(web.dns_opt, ['use-vc', 'no-tld-query']);
    assert.deepEqual(web.security_opt, ['label:user:USER', 'label:role:ROLE']);
    assert.deepEqual(web.group_add, ['mail', '42']);
  });

  test('booleans, also from interpolated strings', () => {
    const web = serviceJson(
      yaml`
        services:
          web:
            image: nginx
            privileged: true
            read_only: ${'${RO}'}
            init: true
            tty: false
            stdin_open: "true"
      `,
      'web',
      { environment: { RO: 'true' } },
    );
    assert.equal(web.privileged, true);
    assert.equal(web.read_only, true);
    assert.equal(web.init, true);
    assert.equal(web.tty, undefined);
    assert.equal(web.stdin_open, true);
  });
});

describe('devices, extra_hosts, ulimits, sysctls, logging', () => {
  test('devices: HOST[:CONTAINER[:PERMISSIONS]] and the long form', () => {
    const web = serviceJson(yaml`
      services:
        web:
          image: nginx
          devices:
            - "/dev/ttyUSB0:/dev/ttyUSB0"
            - "/dev/sda:/dev/xvda:rwm"
            - "/dev/snd"
            - "/dev/dri:/dev/dri:r"
            - { source: /dev/fuse, target: /dev/fuse, permissions: rw }
    `);
    assert.deepEqual(web.devices, [
      { source: '/dev/ttyUSB0', target: '/dev/ttyUSB0', permissions: 'rwm' },
      { source: '/dev/sda', target: '/dev/xvda', permissions: 'rwm' },
      { source: '/dev/snd', target: '/dev/snd', permissions: 'rwm' },
      { source: '/dev/dri', target: '/dev/dri', permissions: 'r' },
      { source: '/dev/fuse', target: '/dev/fuse', permissions: 'rw' },
    ]);
  });

  test('extra_hosts: HOST=IP and HOST:IP, IPv6 with or without brackets, host-gateway', () => {
    const web = serviceJson(yaml`
      services:
        web:
          image: nginx
          extra_hosts:
            - "somehost=162.242.195.82"
            - "otherhost:50.31.209.229"
            - "myhostv6=::1"
            - "myhostv6b=[::1]"
            - "oldv6:::1"
            - "host.docker.internal:host-gateway"
    `);
    assert.deepEqual(web.extra_hosts, [
      'somehost:162.242.195.82',
      'otherhost:50.31.209.229',
      'myhostv6:::1',
      'myhostv6b:::1',
      'oldv6:::1',
      'host.docker.internal:host-gateway',
    ]);
  });

  test('extra_hosts: the map form, one or several addresses per host', () => {
    const web = model(yaml`
      services:
        web:
          image: nginx
          extra_hosts:
            somehost: "162.242.195.82"
            myhostv6: "[::1]"
            multi: ["10.0.0.1", "10.0.0.2"]
            host.docker.internal: host-gateway
    `);
    assert.deepEqual(web.extra_hosts, [
      'somehost:162.242.195.82',
      'myhostv6:::1',
      'multi:10.0.0.1',
      'multi:10.0.0.2',
      'host.docker.internal:host-gateway',
    ]);
  });

  test('ulimits: one number for both limits, or soft and hard', () => {
    const web = serviceJson(yaml`
      services:
        web:
          image: nginx
          ulimits:
            nproc: 65535
            nofile:
              soft: 20000
              hard: 40000
    `);
    assert.deepEqual(web.ulimits, {
      nproc: { soft: 65535, hard: 65535 },
      nofile: { soft: 20000, hard: 40000 },
    });
  });

  test('sysctls: map or list, values as strings', () => {
    const expected = { 'net.core.somaxconn': '1024', 'net.ipv4.tcp_syncookies': '0' };
    assert.deepEqual(
      model(yaml`
        services:
          web:
            image: nginx
            sysctls:
              net.core.somaxconn: 1024
              net.ipv4.tcp_syncookies: 0
      `).sysctls,
      expected,
    );
    assert.deepEqual(
      model(yaml`
        services:
          web:
            image: nginx
            sysctls:
              - net.core.somaxconn=1024
              - net.ipv4.tcp_syncookies=0
      `).sysctls,
      expected,
    );
  });

  test('logging: driver and options, option values as strings', () => {
    const web = serviceJson(yaml`
      services:
        web:
          image: nginx
          logging:
            driver: syslog
            options:
              syslog-address: "tcp://192.168.0.42:123"
              max-file: 3
    `);
    assert.deepEqual(web.logging, {
      driver: 'syslog',
      options: { 'syslog-address': 'tcp://192.168.0.42:123', 'max-file': '3' },
    });
  });
});

describe('resources', () => {
  test('deploy.resources limits and reservations, bytes and fractional CPUs', () => {
    const web = serviceJson(yaml`
      services:
        web:
          image: nginx
          deploy:
            resources:
              limits:
                cpus: '0.50'
                memory: 50M
                pids: 1
              reservations:
                cpus: '0.25'
                memory: 20M
    `);
    assert.deepEqual(web.deploy, {
      resources: {
        limits: { cpus: 0.5, memory: 50 * 1024 * 1024, pids: 1 },
        reservations: { cpus: 0.25, memory: 20 * 1024 * 1024 },
      },
    });
  });

  test('cpus, mem_limit, mem_reservation and pids_limit land in the same place', () => {
    const legacy = model(yaml`
      services:
        web:
          image: nginx
          cpus: 1.5
          mem_limit: 300m
          mem_reservation: 1gb
          pids_limit: 10
          memswap_limit: -1
          shm_size: 64m
    `);
    assert.deepEqual(legacy.resources, {
      limits: { cpus: 1.5, memory: 300 * 1024 ** 2, pids: 10 },
      reservations: { memory: 1024 ** 3 },
    });
    assert.equal(legacy.memswap_limit, -1);
    assert.equal(legacy.shm_size, 64 * 1024 ** 2);
  });

  test('both forms may be set when they agree', () => {
    const web = model(yaml`
      services:
        web:
          image: nginx
          cpus: 0.5
          mem_limit: 1g
          deploy:
            resources:
              limits: { cpus: "0.5", memory: 1024m }
    `);
    assert.deepEqual(web.resources.limits, { cpus: 0.5, memory: 1024 ** 3 });
  });

  test('the legacy CPU and memory tunables', () => {
    const web = serviceJson(yaml`
      services:
        web:
          image: nginx
          cpu_shares: 512
          cpu_period: 100000
          cpu_quota: 50000
          cpuset: 0-3
          mem_swappiness: 0
          oom_kill_disable: true
          oom_score_adj: -500
    `);
    assert.equal(web.cpu_shares, 512);
    assert.equal(web.cpu_period, 100000);
    assert.equal(web.cpu_quota, 50000);
    assert.equal(web.cpuset, '0-3');
    assert.equal(web.mem_swappiness, 0);
    assert.equal(web.oom_kill_disable, true);
    assert.equal(web.oom_score_adj, -500);
  });

  test('deploy.restart_policy becomes a restart policy; `restart` wins over it', () => {
    const policy = (text: string) => model(`services:\n  web:\n    image: nginx\n${text}`).restart;
    assert.equal(
      policy('    deploy: { restart_policy: { condition: on-failure, max_attempts: 3 } }\n'),
      'on-failure:3',
    );
    assert.equal(policy('    deploy: { restart_policy: { condition: none } }\n'), 'no');
    assert.equal(policy('    deploy: { restart_policy: {} }\n'), 'always');
    assert.equal(
      policy('    restart: unless-stopped\n    deploy: { restart_policy: { condition: any } }\n'),
      'unless-stopped',
    );
  });
});

describe('secrets and configs', () => {
  const file = yaml`
    services:
      web:
        image: nginx
        secrets:
          - server-certificate
          - source: token
            target: token.txt
            uid: "103"
            gid: "103"
            mode: 0o440
          - source: legacy
            target: /etc/legacy
            mode: 0400
        configs:
          - my_config
          - source: app_config
            target: /etc/app/app.conf
            mode: 0440
          - source: from_env
    secrets:
      server-certificate:
        file: ./server.cert
      token:
        environment: OAUTH_TOKEN
      legacy:
        external: true
        name: legacy-secret
    configs:
      my_config:
        file: ./my_config.txt
      app_config:
        content: |
          debug=${'${DEBUG}'}
          spring.application.name=${'${COMPOSE_PROJECT_NAME}'}
      from_env:
        environment: CONFIG_TEXT
  `;

  test('service references: short names get the default targets, long forms keep their options', () => {
    const web = serviceJson(file, 'web', {
      environment: { DEBUG: 'true', OAUTH_TOKEN: 't0k3n', CONFIG_TEXT: 'x=1' },
    });
    assert.deepEqual(web.secrets, [
      { source: 'server-certificate', target: '/run/secrets/server-certificate' },
      { source: 'token', target: '/run/secrets/token.txt', uid: '103', gid: '103', mode: 0o440 },
      { source: 'legacy', target: '/etc/legacy', mode: 0o400 },
    ]);
    assert.deepEqual(web.configs, [
      { source: 'my_config', target: '/my_config' },
      { source: 'app_config', target: '/etc/app/app.conf', mode: 0o440 },
      { source: 'from_env', target: '/from_env' },
    ]);
  });

  test('top level: files made absolute, inline content interpolated, environment resolved', () => {
    const project = load(file, {
      environment: { DEBUG: 'true', OAUTH_TOKEN: 't0k3n', CONFIG_TEXT: 'x=1' },
    }).project;
    assert.deepEqual(project.secrets, {
      'server-certificate': {
        name: 'app_server-certificate',
        file: '/srv/app/server.cert',
        external: false,
      },
      token: { name: 'app_token', environment: 'OAUTH_TOKEN', content: 't0k3n', external: false },
      legacy: { name: 'legacy-secret', external: true },
    });
    assert.deepEqual(project.configs, {
      my_config: { name: 'app_my_config', file: '/srv/app/my_config.txt', external: false },
      app_config: {
        name: 'app_app_config',
        content: 'debug=true\nspring.application.name=app\n',
        external: false,
      },
      from_env: {
        name: 'app_from_env',
        environment: 'CONFIG_TEXT',
        content: 'x=1',
        external: false,
      },
    });
  });
});

describe('profiles and build', () => {
  test('profiles are kept on the service', () => {
    const web = model(
      yaml`
        services:
          web: { image: nginx, profiles: [frontend, debug] }
      `,
      'web',
      { profiles: ['debug'] },
    );
    assert.deepEqual(web.profiles, ['frontend', 'debug']);
  });

  test('build as a context path', () => {
    assert.deepEqual(model('services:\n  web:\n    build: ./dir\n').build, {
      context: '/srv/app/dir',
      dockerfile: 'Dockerfile',
      args: {},
    });
    assert.deepEqual(model('services:\n  web:\n    build: .\n').build?.context, '/srv/app');
  });

  test('build as a mapping: context, dockerfile, args (map or list, bare ones resolved), target', () => {
    const web = serviceJson(
      yaml`
        services:
          web:
            image: example/webapp:dev
            build:
              context: ../backend
              dockerfile: webapp.Dockerfile
              args:
                GIT_COMMIT: cdc3b19
                DEBUG: true
                VERSION: 1.2
                FROM_ENV:
                NOT_SET:
              target: prod
      `,
      'web',
      { environment: { FROM_ENV: 'env-value' } },
    );
    assert.deepEqual(web.build, {
      context: '/srv/backend',
      dockerfile: 'webapp.Dockerfile',
      args: { GIT_COMMIT: 'cdc3b19', DEBUG: 'true', VERSION: '1.2', FROM_ENV: 'env-value' },
      target: 'prod',
    });
    assert.equal(web.image, 'example/webapp:dev');
    const listed = model(yaml`
      services:
        web:
          build:
            args: [A=1, B]
    `);
    assert.deepEqual(listed.build, {
      context: '/srv/app',
      dockerfile: 'Dockerfile',
      args: { A: '1' },
    });
  });
});

describe('extensions on a service', () => {
  test('x- keys are kept verbatim and printed', () => {
    const text = yaml`
      services:
        web:
          image: nginx
          x-foo: bar
          x-nested: { list: [1, "two"], flag: true }
    `;
    assert.deepEqual(model(text).extensions, {
      'x-foo': 'bar',
      'x-nested': { list: [1, 'two'], flag: true },
    });
    assert.equal(serviceJson(text)['x-foo'], 'bar');
  });

  test('nothing is lost silently: every problem of a bad service is reported', () => {
    assert.deepEqual(
      problems(yaml`
        services:
          web:
            image: nginx
            restart: sometimes
            ports: [{ target: 80, mode: swarm }]
            healthcheck: { test: [curl, x] }
      `),
      [
        {
          path: 'services.web.ports[0].mode',
          message: 'must be "ingress" or "host"',
        },
        {
          path: 'services.web.healthcheck.test',
          message: 'a list must start with "NONE", "CMD" or "CMD-SHELL"',
        },
        {
          path: 'services.web.restart',
          message: 'must be one of "no", always, on-failure[:N], unless-stopped',
        },
      ],
    );
  });
});
