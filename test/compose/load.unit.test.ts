/**
 * Loading at the file level, from the Compose Specification: YAML as Compose
 * reads it (Fragments, Extension), several files (Merge and override), the
 * project's variables (`.env`, `--env-file`, Interpolation), the project name
 * (Name top-level element) and Profiles.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ComposeError,
  type ComposeFile,
  type LoadOptions,
  loadProject,
  type Problem,
  toComposeConfig,
} from '../../compose/index.js';
import { yaml } from '../support/yaml.js';

const DIR = '/srv/app';
const FILE = `${DIR}/compose.yaml`;

function load(text: string, options: Partial<LoadOptions> = {}) {
  return loadProject({ files: [{ path: FILE, content: text }], environment: {}, ...options });
}

function config(text: string, options: Partial<LoadOptions> = {}) {
  return toComposeConfig(load(text, options).project);
}

function services(json: Record<string, unknown>): Record<string, Record<string, unknown>> {
  return json.services as Record<string, Record<string, unknown>>;
}

function problemsOf(run: () => unknown): Problem[] {
  try {
    run();
  } catch (error) {
    if (error instanceof ComposeError) return error.problems;
    throw error;
  }
  assert.fail('the load should have failed');
}

/** A `readFile` over an in-memory folder that records what was asked for. */
function folder(files: Record<string, string>) {
  const asked: string[] = [];
  const readFile = (path: string) => {
    asked.push(path);
    return files[path];
  };
  return { asked, readFile };
}

describe('YAML as Compose reads it', () => {
  const lf = yaml`
    name: crlf
    services:
      web:
        image: nginx
        command: >
          echo
          hello
        environment:
          A: "1"
    configs:
      motd:
        content: |
          line one
          line two
  `;

  test('CRLF line endings read exactly like LF, block scalars included', () => {
    const crlf = lf.replaceAll('\n', '\r\n');
    assert.ok(crlf.includes('\r\n'));
    const json = config(crlf);
    assert.deepEqual(json, config(lf));
    assert.deepEqual(services(json).web?.command, ['echo', 'hello']);
    assert.deepEqual(json.configs, {
      motd: { name: 'crlf_motd', content: 'line one\nline two\n' },
    });
  });

  test('anchors, aliases and `<<` merge keys (spec: Fragments, Extension)', () => {
    const json = config(yaml`
      x-common: &common
        restart: always
        labels: { tier: web }
      x-env: &env
        FOO: BAR
        ZOT: QUIX
      x-keys: &keys
        KEY: VALUE
      services:
        first:
          <<: *common
          image: my-image:latest
          environment: &list
            - CONFIG_KEY=1
            - EXAMPLE_KEY=2
        second:
          <<: *common
          image: another-image:latest
          restart: "no"
          environment:
            <<: [*env, *keys]
            YET_ANOTHER: VARIABLE
            ZOT: override
        third:
          image: third
          environment: *list
      volumes:
        db-data: &default-volume
          driver: default
          name: "data"
        metrics:
          <<: *default-volume
          name: "metrics"
    `);
    const s = services(json);
    assert.equal(s.first?.restart, 'always');
    assert.deepEqual(s.first?.labels, { tier: 'web' });
    assert.deepEqual(s.first?.environment, { CONFIG_KEY: '1', EXAMPLE_KEY: '2' });
    assert.equal(s.second?.restart, 'no', 'a key of the mapping wins over the merged one');
    assert.deepEqual(s.second?.labels, { tier: 'web' });
    assert.deepEqual(s.second?.environment, {
      FOO: 'BAR',
      ZOT: 'override',
      KEY: 'VALUE',
      YET_ANOTHER: 'VARIABLE',
    });
    assert.deepEqual(s.third?.environment, s.first?.environment);
    assert.deepEqual(json.volumes, {
      'db-data': { name: 'data', driver: 'default' },
      metrics: { name: 'metrics', driver: 'default' },
    });
  });

  test('x- extensions: kept on services and at the top level, ignored elsewhere', () => {
    const { project } = load(yaml`
      x-custom:
        foo: [bar, zot]
      services:
        webapp:
          image: example/webapp
          x-foo: bar
          healthcheck: { test: [CMD, "true"], x-why: "documented" }
          networks:
            front: { x-note: 1 }
      networks:
        front:
          x-owner: ops
    `);
    assert.deepEqual(project.extensions, { 'x-custom': { foo: ['bar', 'zot'] } });
    assert.deepEqual(project.services.webapp?.extensions, { 'x-foo': 'bar' });
    const json = toComposeConfig(project);
    assert.deepEqual(json['x-custom'], { foo: ['bar', 'zot'] });
    assert.equal(services(json).webapp?.['x-foo'], 'bar');
  });

  test('YAML 1.2 scalars: `yes`, `no`, `on`, `off` and `10025:25` stay strings', () => {
    const { project } = load(yaml`
      services:
        web:
          image: nginx
          restart: no
          ports:
            - 10025:25
            - 22:22
          environment:
            A: yes
            B: no
            C: on
            D: off
            E: true
            G: 0x1F
            H: 1e3
            I: .inf
            J: ~
    `);
    const web = project.services.web!;
    assert.equal(web.restart, 'no');
    assert.deepEqual(
      web.ports.map((p) => `${p.published}:${p.target}`),
      ['10025:25', '22:22'],
    );
    assert.deepEqual(web.environment, {
      A: 'yes',
      B: 'no',
      C: 'on',
      D: 'off',
      E: 'true',
      G: '31',
      H: '1000',
      I: 'Infinity',
    });
  });

  test('file modes written 0440, as the spec does, are octal; quoted text is left alone', () => {
    const { project } = load(yaml`
      services:
        web:
          image: nginx
          configs: [{ source: c, mode: 0440 }]
          environment: { UMASK: "022" }
      configs:
        c: { content: x }
    `);
    assert.equal(project.services.web?.configs[0]?.mode, 0o440);
    assert.equal(project.services.web?.environment.UMASK, '022');
  });

  test('a duplicate key is refused with file:line:column', () => {
    const problems = problemsOf(() =>
      load(yaml`
        services:
          web:
            image: nginx
            image: httpd
      `),
    );
    assert.equal(problems.length, 1);
    assert.equal(problems[0]?.path, `${FILE}:4:5`);
    assert.match(problems[0]?.message ?? '', /duplicate/);
  });

  test('a syntax error names the file and line; an empty file and a list are refused', () => {
    const [syntax] = problemsOf(() => load('services:\n  web: [\n'));
    assert.match(syntax?.path ?? '', /^\/srv\/app\/compose\.yaml:\d+:\d+$/);
    assert.deepEqual(
      problemsOf(() => load('')),
      [{ path: FILE, message: 'the file is empty' }],
    );
    assert.deepEqual(
      problemsOf(() => load('- a\n- b\n')),
      [{ path: FILE, message: 'the top level must be a mapping' }],
    );
  });
});

describe('a large file', () => {
  const COUNT = 170;
  const lines = ['name: big', 'services:'];
  for (let i = 0; i < COUNT; i++) {
    lines.push(
      `  svc${i}:`,
      `    image: registry.local/app${i}:1.${i}`,
      '    restart: unless-stopped',
      '    environment:',
      `      INDEX: "${i}"`,
      `      NAME: svc${i}`,
      '    ports:',
      `      - "${10000 + i}:80"`,
      '    volumes:',
      `      - data${i}:/data`,
      `      - ./conf/${i}:/etc/app:ro`,
      '    labels:',
      `      - com.example.index=${i}`,
      ...(i > 0 ? ['    depends_on:', `      - svc${i - 1}`] : []),
    );
  }
  lines.push('volumes:', ...Array.from({ length: COUNT }, (_, i) => `  data${i}:`));
  const text = `${lines.join('\n')}\n`;

  test('about 50 kB with many services loads whole and in order', () => {
    assert.ok(text.length >= 50_000, `the file is ${text.length} bytes`);
    const { project } = load(text);
    const names = Object.keys(project.services);
    assert.equal(names.length, COUNT);
    assert.deepEqual(names.slice(0, 3), ['svc0', 'svc1', 'svc2']);
    assert.equal(Object.keys(project.volumes).length, COUNT);
    const json = services(toComposeConfig(project));
    assert.deepEqual(json.svc137, {
      command: null,
      entrypoint: null,
      image: 'registry.local/app137:1.137',
      environment: { INDEX: '137', NAME: 'svc137' },
      labels: { 'com.example.index': '137' },
      depends_on: { svc136: { condition: 'service_started', required: true, restart: false } },
      ports: [{ mode: 'ingress', target: 80, protocol: 'tcp', published: '10137' }],
      volumes: [
        { type: 'volume', source: 'data137', target: '/data', volume: {} },
        {
          type: 'bind',
          source: '/srv/app/conf/137',
          target: '/etc/app',
          bind: { create_host_path: true },
          read_only: true,
        },
      ],
      networks: { default: null },
      restart: 'unless-stopped',
    });
    assert.equal(json.svc0?.depends_on, undefined);
  });
});

describe('several files (spec: Merge and override)', () => {
  const base: ComposeFile = {
    path: FILE,
    content: yaml`
      services:
        web:
          image: nginx:1.25
          command: ["nginx", "-g", "daemon off;"]
          environment:
            MODE: dev
            KEEP: "1"
          ports: ["8080:80"]
          volumes: ["./html:/usr/share/nginx/html:ro"]
        db:
          image: postgres:16
          environment: [POSTGRES_PASSWORD=x]
    `,
  };
  const override: ComposeFile = {
    path: `${DIR}/overrides/compose.prod.yaml`,
    content: yaml`
      name: prod
      services:
        web:
          image: nginx:1.27
          command: nginx-debug -g 'daemon off;'
          environment: [MODE=prod]
          ports: ["8443:443"]
          volumes: ["./certs:/etc/nginx/certs:ro"]
        db:
          environment: !reset []
        cache:
          image: redis
    `,
  };

  test('later files win on scalars, merge maps, append lists and replace commands', () => {
    const json = toComposeConfig(loadProject({ files: [base, override], environment: {} }).project);
    assert.equal(json.name, 'prod');
    const s = services(json);
    const web = s.web!;
    assert.equal(web.image, 'nginx:1.27');
    assert.deepEqual(web.command, ['nginx-debug', '-g', 'daemon off;']);
    assert.deepEqual(web.environment, { MODE: 'prod', KEEP: '1' });
    assert.deepEqual(
      (web.ports as { published: string }[]).map((p) => p.published),
      ['8080', '8443'],
    );
    assert.deepEqual(
      (web.volumes as { source: string }[]).map((v) => v.source),
      ['/srv/app/html', '/srv/app/certs'],
      "relative paths resolve against the first file's folder",
    );
    assert.equal(s.db?.environment, undefined, '!reset clears the earlier value');
    assert.equal(s.cache?.image, 'redis');
  });

  test('!override replaces a list instead of appending to it, interpolated first', () => {
    const third: ComposeFile = {
      path: `${DIR}/compose.ports.yaml`,
      content: 'services:\n  web:\n    ports: !override ["${HOST_PORT:-9000}:80"]\n',
    };
    const { project } = loadProject({ files: [base, override, third], environment: {} });
    assert.deepEqual(project.services.web?.ports, [
      { mode: 'ingress', target: 80, protocol: 'tcp', published: '9000' },
    ]);
  });

  test('problems of every file are reported together', () => {
    const broken: ComposeFile = { path: `${DIR}/broken.yaml`, content: 'services: [\n' };
    const other: ComposeFile = {
      path: `${DIR}/other.yaml`,
      content: 'services:\n  web:\n    image: ${BAD\n',
    };
    const problems = problemsOf(() => loadProject({ files: [base, broken, other] }));
    assert.deepEqual(
      problems.map((p) => p.path.replace(/:\d+:\d+$/, '')),
      [`${DIR}/broken.yaml`, 'services.web.image'],
    );
  });

  test('no file at all is an error', () => {
    assert.deepEqual(
      problemsOf(() => loadProject({ files: [] })),
      [{ path: '', message: 'no Compose file given' }],
    );
  });
});

describe('project variables: .env and --env-file (spec: Interpolation)', () => {
  const text = yaml`
    services:
      web:
        image: "nginx:${'${TAG}'}"
        ports: ["${'${PORT:-80}'}:80"]
        environment:
          - GREETING
          - WHO=${'${WHO:-nobody}'}
          - LITERAL=$$HOME
  `;

  test('.env is read from the working dir through readFile', () => {
    const { asked, readFile } = folder({
      [`${DIR}/.env`]: '# defaults\nTAG=1.0\nPORT=8080\nGREETING="hello world"\n',
    });
    const web = services(config(text, { readFile })).web!;
    assert.deepEqual(asked, [`${DIR}/.env`]);
    assert.equal(web.image, 'nginx:1.0');
    assert.equal((web.ports as { published: string }[])[0]?.published, '8080');
    assert.deepEqual(web.environment, {
      GREETING: 'hello world',
      WHO: 'nobody',
      LITERAL: '$HOME',
    });
  });

  test("the caller's environment wins over .env", () => {
    const { readFile } = folder({ [`${DIR}/.env`]: 'TAG=1.0\nWHO=dotenv\n' });
    const web = services(config(text, { readFile, environment: { TAG: '2.0', GREETING: 'hi' } }))
      .web!;
    assert.equal(web.image, 'nginx:2.0');
    assert.deepEqual(web.environment, { GREETING: 'hi', WHO: 'dotenv', LITERAL: '$HOME' });
  });

  test('an explicit working dir moves .env and relative paths with it', () => {
    const { asked, readFile } = folder({ '/opt/other/.env': 'TAG=other\n' });
    const { project } = load(text, { readFile, workingDir: '/opt/other' });
    assert.deepEqual(asked, ['/opt/other/.env']);
    assert.equal(project.services.web?.image, 'nginx:other');
    assert.equal(project.working_dir, '/opt/other');
    assert.equal(project.name, 'other');
  });

  test('--env-file replaces .env; later env files win and see earlier ones', () => {
    const { asked, readFile } = folder({
      [`${DIR}/.env`]: 'TAG=from-dotenv\n',
      [`${DIR}/config/base.env`]: 'TAG=base\nWHO=base\n',
      [`${DIR}/config/prod.env`]: 'TAG=prod-${WHO}\n',
    });
    const { project } = load(text, {
      readFile,
      envFiles: ['config/base.env', 'config/prod.env'],
    });
    assert.deepEqual(asked, [`${DIR}/config/base.env`, `${DIR}/config/prod.env`]);
    assert.equal(project.services.web?.image, 'nginx:prod-base');
    assert.equal(project.services.web?.environment.WHO, 'base');
  });

  test('a missing .env is fine; a missing --env-file is an error', () => {
    const { project, warnings } = load(text, { environment: { TAG: 't' } });
    assert.equal(project.services.web?.image, 'nginx:t');
    assert.deepEqual(warnings, []);
    assert.deepEqual(
      problemsOf(() => load(text, { envFiles: ['missing.env'], readFile: () => undefined })),
      [{ path: 'missing.env', message: `env file ${DIR}/missing.env not found` }],
    );
  });

  test('an unset variable becomes blank, with a warning naming where it was used', () => {
    const { project, warnings } = load(text);
    assert.equal(project.services.web?.image, 'nginx:');
    assert.deepEqual(warnings, [
      {
        path: 'services.web.image',
        message: 'variable "TAG" is not set, defaulting to a blank string',
      },
    ]);
  });

  test('variables inherited from Object.prototype are not variables', () => {
    const { project } = load('services:\n  web:\n    image: "a:${toString:-unset}"\n');
    assert.equal(project.services.web?.image, 'a:unset');
  });
});

describe('project name (spec: Name top-level element)', () => {
  const text = yaml`
    services:
      foo:
        image: busybox
        environment:
          - COMPOSE_PROJECT_NAME
        command: echo "I'm running ${'${COMPOSE_PROJECT_NAME}'}"
  `;

  test('defaults to the working dir name, lower-cased and cleaned', () => {
    assert.equal(load(text, { workingDir: '/home/u/My App.v2' }).project.name, 'myappv2');
  });

  test('the top-level name, then COMPOSE_PROJECT_NAME, then the option, in rising precedence', () => {
    const named = `name: from-file\n${text}`;
    assert.equal(load(named).project.name, 'from-file');
    assert.equal(
      load(named, { environment: { COMPOSE_PROJECT_NAME: 'from-env' } }).project.name,
      'from-env',
    );
    assert.equal(
      load(named, { environment: { COMPOSE_PROJECT_NAME: 'from-env' }, projectName: 'opt' }).project
        .name,
      'opt',
    );
    assert.equal(
      load('name: ${STACK:-stack}-x\nservices:\n  a: { image: a }\n').project.name,
      'stack-x',
    );
  });

  test('the name is exposed as COMPOSE_PROJECT_NAME for interpolation and environment', () => {
    const foo = load(`name: demo\n${text}`).project.services.foo!;
    assert.deepEqual(foo.environment, { COMPOSE_PROJECT_NAME: 'demo' });
    assert.deepEqual(foo.command, ['echo', "I'm running demo"]);
    const other = load(text, { projectName: 'Other' }).project.services.foo!;
    assert.deepEqual(other.environment, { COMPOSE_PROJECT_NAME: 'other' });
  });

  test('an unusable name is an error', () => {
    assert.deepEqual(
      problemsOf(() => load(text, { projectName: '__' })),
      [
        {
          path: 'name',
          message: '"__" is not a valid project name (use lowercase letters, digits, "-" and "_")',
        },
      ],
    );
  });

  test('the obsolete top-level version is accepted with a warning', () => {
    const { warnings } = load(`version: "3.8"\n${text}`, { projectName: 'p' });
    assert.deepEqual(warnings, [
      { path: 'version', message: 'the attribute is obsolete and ignored' },
    ]);
  });
});

describe('profiles (spec: Profiles, illustrative example)', () => {
  const text = yaml`
    services:
      foo:
        image: foo
      bar:
        image: bar
        profiles:
          - test
      baz:
        image: baz
        depends_on:
          - bar
        profiles:
          - test
      zot:
        image: zot
        depends_on:
          - bar
        profiles:
          - debug
  `;
  const names = (options: Partial<LoadOptions>) =>
    Object.keys(load(text, options).project.services);

  test('with no profile only the services without profiles are kept', () => {
    assert.deepEqual(names({}), ['foo']);
  });

  test('`test` enables bar and baz', () => {
    assert.deepEqual(names({ profiles: ['test'] }), ['foo', 'bar', 'baz']);
  });

  test('`debug` alone makes zot depend on a disabled service: an error', () => {
    assert.deepEqual(
      problemsOf(() => load(text, { profiles: ['debug'] })),
      [
        {
          path: 'services.zot.depends_on.bar',
          message: 'depends on "bar", whose profiles are not active',
        },
      ],
    );
  });

  test('`debug` and `test` together, or `*`, enable everything', () => {
    assert.deepEqual(names({ profiles: ['debug', 'test'] }), ['foo', 'bar', 'baz', 'zot']);
    assert.deepEqual(names({ profiles: ['*'] }), ['foo', 'bar', 'baz', 'zot']);
  });

  test('COMPOSE_PROFILES from the environment or .env; the option wins over it', () => {
    assert.deepEqual(names({ environment: { COMPOSE_PROFILES: 'test,debug' } }), [
      'foo',
      'bar',
      'baz',
      'zot',
    ]);
    const { readFile } = folder({ [`${DIR}/.env`]: 'COMPOSE_PROFILES=test\n' });
    assert.deepEqual(names({ readFile }), ['foo', 'bar', 'baz']);
    assert.deepEqual(names({ readFile, profiles: [] }), ['foo']);
  });

  test('an optional dependency on a disabled service is dropped with a warning', () => {
    const { project, warnings } = load(yaml`
      services:
        web:
          image: web
          depends_on:
            debugger: { condition: service_started, required: false }
        debugger:
          image: dbg
          profiles: [debug]
    `);
    assert.deepEqual(Object.keys(project.services), ['web']);
    assert.deepEqual(project.services.web?.depends_on, {});
    assert.deepEqual(
      warnings.map((w) => w.path),
      ['services.web.depends_on.debugger'],
    );
  });

  test('sharing the network of a disabled service is an error', () => {
    assert.deepEqual(
      problemsOf(() =>
        load(yaml`
          services:
            web: { image: web, network_mode: "service:vpn" }
            vpn: { image: vpn, profiles: [vpn] }
        `),
      ),
      [
        {
          path: 'services.web.network_mode',
          message: 'refers to "vpn", whose profiles are not active',
        },
      ],
    );
  });
});
