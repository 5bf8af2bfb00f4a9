import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import yaml from 'js-yaml';
import {
  isOverride,
  markOverride,
  mergeDocuments,
  OVERRIDE,
  RESET,
  resolveMergeTags,
} from '../../compose/merge.js';
import { Diagnostics } from '../../compose/problems.js';

/** The loader contract: `!reset x` → RESET, `!override x` → markOverride(x), on any node kind. */
const SCHEMA = yaml.DEFAULT_SCHEMA.extend(
  (['scalar', 'sequence', 'mapping'] as const).flatMap((kind) => [
    new yaml.Type('!reset', { kind, construct: () => RESET }),
    new yaml.Type('!override', { kind, construct: (data: unknown) => markOverride(data ?? null) }),
  ]),
);

function load(text: string): Record<string, unknown> {
  return yaml.load(text, { schema: SCHEMA }) as Record<string, unknown>;
}

/** Merges YAML documents in order, as `-f a -f b -f c` would. */
function mergeYaml(...texts: string[]): { doc: Record<string, unknown>; diag: Diagnostics } {
  const diag = new Diagnostics();
  const [first = '{}', ...rest] = texts;
  let doc = resolveMergeTags(load(first)) as Record<string, unknown>;
  for (const text of rest) doc = mergeDocuments(doc, load(text), diag);
  return { doc, diag };
}

function assertMerged(texts: string[], expected: string): void {
  const { doc, diag } = mergeYaml(...texts);
  assert.deepEqual(diag.problems, []);
  assert.deepEqual(doc, yaml.load(expected));
}

describe('mergeDocuments: the spec examples ("Merge and override")', () => {
  test('Mapping: missing entries are added, conflicting ones merged', () => {
    assertMerged(
      [
        'services: {foo: {key1: value1, key2: value2}}',
        'services: {foo: {key2: VALUE, key3: value3}}',
      ],
      'services: {foo: {key1: value1, key2: VALUE, key3: value3}}',
    );
  });

  test('Sequence: values from the later file are appended', () => {
    assertMerged(
      ['services: {foo: {DNS: [1.1.1.1]}}', 'services: {foo: {DNS: [8.8.8.8]}}'],
      'services: {foo: {DNS: [1.1.1.1, 8.8.8.8]}}',
    );
  });

  test('Shell commands: command is replaced, not appended', () => {
    assertMerged(
      ['services: {foo: {command: [echo, foo]}}', 'services: {foo: {command: [echo, bar]}}'],
      'services: {foo: {command: [echo, bar]}}',
    );
  });

  test('Unique resources: a volume with the same target replaces the earlier one', () => {
    assertMerged(
      ['services: {foo: {volumes: ["foo:/work"]}}', 'services: {foo: {volumes: ["bar:/work"]}}'],
      'services: {foo: {volumes: ["bar:/work"]}}',
    );
  });

  test('Reset value: !reset removes the attribute', () => {
    const base = `
services:
  app:
    image: myapp
    ports:
      - "8080:80"
    environment:
      FOO: BAR
`;
    const override = `
services:
  app:
    image: myapp
    ports: !reset []
    environment:
      FOO: !reset null
`;
    assertMerged([base, override], 'services: {app: {image: myapp, environment: {}}}');
  });

  test('Replace value: !override replaces without merging', () => {
    const base = 'services: {app: {image: myapp, ports: ["8080:80"]}}';
    const override = 'services:\n  app:\n    ports: !override\n      - "8443:443"\n';
    assertMerged([base, override], 'services: {app: {image: myapp, ports: ["8443:443"]}}');
  });

  test('without !override the ports are appended', () => {
    assertMerged(
      ['services: {app: {ports: ["8080:80"]}}', 'services: {app: {ports: ["8443:443"]}}'],
      'services: {app: {ports: ["8080:80", "8443:443"]}}',
    );
  });
});

/** Merges the `services.s` mappings of two documents given as objects. */
function mergeService(base: object, override: object): Record<string, unknown> {
  const diag = new Diagnostics();
  const doc = mergeDocuments({ services: { s: base } }, { services: { s: override } }, diag);
  assert.deepEqual(diag.problems, []);
  return (doc.services as Record<string, Record<string, unknown>>).s!;
}

describe('mergeDocuments: shell commands', () => {
  const cases: Array<[string, object, object, unknown]> = [
    ['entrypoint list', { entrypoint: ['a', 'b'] }, { entrypoint: ['c'] }, ['c']],
    ['entrypoint string over list', { entrypoint: ['a'] }, { entrypoint: 'sh -c x' }, 'sh -c x'],
    [
      'healthcheck.test',
      { healthcheck: { test: ['CMD', 'a'], interval: '5s' } },
      { healthcheck: { test: ['CMD', 'b'] } },
      { test: ['CMD', 'b'], interval: '5s' },
    ],
  ];
  for (const [name, base, override, expected] of cases) {
    test(name, () => {
      const key = Object.keys(override)[0]!;
      assert.deepEqual(mergeService(base, override)[key], expected);
    });
  }
});

describe('mergeDocuments: unique resources', () => {
  const cases: Array<[string, string, unknown[], unknown[], unknown[]]> = [
    ['ports: same short key', 'ports', ['8080:80'], ['8080:80', '9000:90'], ['8080:80', '9000:90']],
    [
      'ports: long replaces the equal short entry in place',
      'ports',
      ['8080:80', '22'],
      [{ target: 80, published: '8080', mode: 'host' }],
      [{ target: 80, published: '8080', mode: 'host' }, '22'],
    ],
    ['ports: protocol distinguishes', 'ports', ['53:53'], ['53:53/udp'], ['53:53', '53:53/udp']],
    ['ports: protocol case', 'ports', ['53:53/udp'], ['53:53/UDP'], ['53:53/UDP']],
    [
      'ports: host ip distinguishes, brackets do not',
      'ports',
      ['127.0.0.1:80:80', '[::1]:80:80'],
      ['::1:80:80'],
      ['127.0.0.1:80:80', '::1:80:80'],
    ],
    ['ports: number and string', 'ports', [49100], ['49100'], ['49100']],
    [
      'ports: ranges',
      'ports',
      ['3000-3005'],
      ['3000-3005', '9090-9091:8080-8081'],
      ['3000-3005', '9090-9091:8080-8081'],
    ],
    [
      'volumes: long and short by target',
      'volumes',
      ['./data:/data:ro', '/cache'],
      [{ type: 'volume', source: 'db', target: '/data/' }],
      [{ type: 'volume', source: 'db', target: '/data/' }, '/cache'],
    ],
    [
      'secrets: short and long by mount path',
      'secrets',
      ['a', 'b'],
      [{ source: 'x', target: 'a' }, { source: 'b' }],
      [{ source: 'x', target: 'a' }, { source: 'b' }],
    ],
    [
      'secrets: an absolute target differs from the default',
      'secrets',
      ['a'],
      [{ source: 'a', target: '/etc/a' }],
      ['a', { source: 'a', target: '/etc/a' }],
    ],
    [
      'configs: short and long by target',
      'configs',
      ['my_config'],
      [{ source: 'other', target: '/my_config' }],
      [{ source: 'other', target: '/my_config' }],
    ],
    ['expose', 'expose', ['3000', 8000], [3000, '9000'], [3000, 8000, '9000']],
    [
      'dns: a single value is a list',
      'dns',
      ['1.1.1.1'],
      ['8.8.8.8', '1.1.1.1'],
      ['1.1.1.1', '8.8.8.8'],
    ],
    ['dns_opt', 'dns_opt', ['use-vc'], ['use-vc', 'no-tld-query'], ['use-vc', 'no-tld-query']],
    ['cap_add', 'cap_add', ['NET_ADMIN'], ['NET_ADMIN', 'SYS_TIME'], ['NET_ADMIN', 'SYS_TIME']],
    [
      'tmpfs by path',
      'tmpfs',
      ['/run', '/data:mode=755'],
      ['/data:mode=700'],
      ['/run', '/data:mode=700'],
    ],
    [
      'devices by container path',
      'devices',
      ['/dev/sda:/dev/xvda:rwm', 'vendor1.com/device=gpu'],
      ['/dev/sdb:/dev/xvda', 'vendor1.com/device=gpu'],
      ['/dev/sdb:/dev/xvda', 'vendor1.com/device=gpu'],
    ],
    [
      'env_file by path',
      'env_file',
      ['./a.env', './b.env'],
      [{ path: './a.env', required: false }],
      [{ path: './a.env', required: false }, './b.env'],
    ],
    [
      'security_opt (sequence, duplicates removed)',
      'security_opt',
      ['label:role:ROLE'],
      ['label:user:USER'],
      ['label:role:ROLE', 'label:user:USER'],
    ],
    ['other lists still append', 'volumes_from', ['a'], ['a'], ['a', 'a']],
  ];
  for (const [name, key, base, override, expected] of cases) {
    test(name, () => {
      assert.deepEqual(mergeService({ [key]: base }, { [key]: override })[key], expected);
    });
  }

  test('a single string is merged with a list (spec: dns)', () => {
    assert.deepEqual(mergeService({ dns: '1.1.1.1' }, { dns: ['8.8.8.8'] }).dns, [
      '1.1.1.1',
      '8.8.8.8',
    ]);
  });

  test('an entry without a key is kept for the normaliser to report', () => {
    const merged = mergeService({ volumes: [{ type: 'tmpfs' }] }, { volumes: [{ type: 'tmpfs' }] });
    assert.deepEqual(merged.volumes, [{ type: 'tmpfs' }, { type: 'tmpfs' }]);
  });

  test('an invalid short port is keyed by its text', () => {
    assert.deepEqual(mergeService({ ports: ['x:y'] }, { ports: ['x:y'] }).ports, ['x:y']);
  });

  test('ipam config entries with the same subnet are merged', () => {
    const diag = new Diagnostics();
    const doc = mergeDocuments(
      { networks: { n: { ipam: { config: [{ subnet: '10.0.0.0/24', gateway: '10.0.0.1' }] } } } },
      {
        networks: {
          n: {
            ipam: {
              config: [
                { subnet: '10.0.0.0/24', ip_range: '10.0.0.0/25' },
                { subnet: '10.1.0.0/24' },
              ],
            },
          },
        },
      },
      diag,
    );
    assert.deepEqual(doc.networks, {
      n: {
        ipam: {
          config: [
            { subnet: '10.0.0.0/24', gateway: '10.0.0.1', ip_range: '10.0.0.0/25' },
            { subnet: '10.1.0.0/24' },
          ],
        },
      },
    });
  });
});

describe('mergeDocuments: key-value attributes in list or map form', () => {
  test('two lists merge by key; a later value replaces in place', () => {
    const merged = mergeService(
      { environment: ['A=1', 'B=2', 'C'] },
      { environment: ['B=3', 'D=4=5', 'C'] },
    );
    assert.deepEqual(merged.environment, ['A=1', 'B=3', 'C', 'D=4=5']);
  });

  test('two maps merge by key; null is a value (KEY without value)', () => {
    const merged = mergeService(
      { environment: { A: '1', B: 2 } },
      { environment: { B: null, C: true } },
    );
    assert.deepEqual(merged.environment, { A: '1', B: null, C: true });
  });

  test('a list and a map become a map (spec: environment "same output if array syntax is used")', () => {
    assert.deepEqual(
      mergeService(
        { environment: ['TZ=utc', 'PORT=80', 'EMPTY=', 'BARE'] },
        { environment: { PORT: 8080 } },
      ).environment,
      { TZ: 'utc', PORT: 8080, EMPTY: '', BARE: null },
    );
    assert.deepEqual(mergeService({ labels: { a: 'x' } }, { labels: ['a=y', 'b'] }).labels, {
      a: 'y',
      b: null,
    });
  });

  test('applies to labels of networks and volumes, sysctls and build args', () => {
    const diag = new Diagnostics();
    const doc = mergeDocuments(
      {
        networks: { n: { labels: ['a=1'] } },
        volumes: { v: { labels: { a: '1' } } },
        services: { s: { sysctls: ['net.core.somaxconn=1024'], build: { args: ['X=1'] } } },
      },
      {
        networks: { n: { labels: { a: '2' } } },
        volumes: { v: { labels: ['b=2'] } },
        services: { s: { sysctls: { 'net.core.somaxconn': 2048 }, build: { args: ['X=2'] } } },
      },
      diag,
    );
    assert.deepEqual(doc, {
      networks: { n: { labels: { a: '2' } } },
      volumes: { v: { labels: { a: '1', b: '2' } } },
      services: {
        s: { sysctls: { 'net.core.somaxconn': 2048 }, build: { args: ['X=2'] } },
      },
    });
  });

  test('extra_hosts: a later file replaces the addresses of a host', () => {
    assert.deepEqual(
      mergeService(
        { extra_hosts: ['a=1.1.1.1', 'a=::1', 'b:2.2.2.2'] },
        { extra_hosts: ['a=3.3.3.3', 'c=4.4.4.4'] },
      ).extra_hosts,
      ['b:2.2.2.2', 'a=3.3.3.3', 'c=4.4.4.4'],
    );
    assert.deepEqual(
      mergeService(
        { extra_hosts: ['a=1.1.1.1', 'a=::1', 'v6:::1'] },
        { extra_hosts: { b: '2.2.2.2' } },
      ).extra_hosts,
      { a: ['1.1.1.1', '::1'], v6: '::1', b: '2.2.2.2' },
    );
  });
});

describe('mergeDocuments: attributes with two shapes', () => {
  test('depends_on: list and map become a map with the short syntax defaults', () => {
    assert.deepEqual(
      mergeService(
        { depends_on: ['db'] },
        { depends_on: { cache: { condition: 'service_healthy' } } },
      ).depends_on,
      {
        db: { condition: 'service_started', required: true },
        cache: { condition: 'service_healthy' },
      },
    );
    assert.deepEqual(mergeService({ depends_on: ['db'] }, { depends_on: ['db', 'x'] }).depends_on, [
      'db',
      'x',
    ]);
  });

  test('networks: list and map merge by network name', () => {
    assert.deepEqual(
      mergeService(
        { networks: { front: { aliases: ['a'] }, back: null } },
        { networks: { front: { aliases: ['a', 'b'] }, back: { priority: 1 } } },
      ).networks,
      { front: { aliases: ['a', 'b'] }, back: { priority: 1 } },
    );
    assert.deepEqual(mergeService({ networks: ['front'] }, { networks: { back: null } }).networks, {
      front: null,
      back: null,
    });
  });

  test('models: like networks, and a plain null keeps the earlier value', () => {
    assert.deepEqual(mergeService({ models: ['llm'] }, { models: { emb: null } }).models, {
      llm: null,
      emb: null,
    });
    assert.deepEqual(mergeService({ models: ['llm'] }, { models: null }).models, ['llm']);
  });

  test('build: a string is the context', () => {
    assert.deepEqual(
      mergeService({ build: './app' }, { build: { dockerfile: 'Dockerfile.dev' } }).build,
      {
        context: './app',
        dockerfile: 'Dockerfile.dev',
      },
    );
    assert.deepEqual(
      mergeService({ build: { context: '.', target: 'x' } }, { build: './b' }).build,
      {
        context: './b',
        target: 'x',
      },
    );
  });

  test('logging: another driver replaces the options, the same driver merges them', () => {
    const base = { logging: { driver: 'json-file', options: { 'max-size': '10m' } } };
    assert.deepEqual(mergeService(base, { logging: { driver: 'syslog' } }).logging, {
      driver: 'syslog',
    });
    assert.deepEqual(mergeService(base, { logging: { options: { 'max-file': '3' } } }).logging, {
      driver: 'json-file',
      options: { 'max-size': '10m', 'max-file': '3' },
    });
  });

  test('ulimits: a number and a mapping replace each other', () => {
    assert.deepEqual(
      mergeService(
        { ulimits: { nproc: 100, nofile: { soft: 1, hard: 2 } } },
        { ulimits: { nproc: { soft: 5, hard: 6 }, nofile: { hard: 4 } } },
      ).ulimits,
      { nproc: { soft: 5, hard: 6 }, nofile: { soft: 1, hard: 4 } },
    );
    assert.deepEqual(
      mergeService({ ulimits: { nofile: { soft: 1, hard: 2 } } }, { ulimits: { nofile: 9 } })
        .ulimits,
      {
        nofile: 9,
      },
    );
  });
});

describe('mergeDocuments: nulls, mismatches and safety', () => {
  test('a plain null does not clear a value (that is what !reset is for)', () => {
    assert.deepEqual(mergeService({ image: 'a', ports: ['80'] }, { image: null, ports: null }), {
      image: 'a',
      ports: ['80'],
    });
  });

  test('a null base value takes the later value', () => {
    const diag = new Diagnostics();
    const doc = mergeDocuments(
      { volumes: { data: null } },
      { volumes: { data: { driver: 'local' } } },
      diag,
    );
    assert.deepEqual(doc, { volumes: { data: { driver: 'local' } } });
  });

  test('a list over a mapping is a path-qualified problem; the later value is kept', () => {
    const diag = new Diagnostics();
    const doc = mergeDocuments(
      { services: { web: { deploy: { resources: {} } } } },
      { services: { web: { deploy: ['x'] } } },
      diag,
    );
    assert.deepEqual(diag.problems, [
      {
        path: 'services.web.deploy',
        message: 'cannot merge a mapping with a list from a later file; use !override',
      },
    ]);
    assert.deepEqual(doc, { services: { web: { deploy: ['x'] } } });
  });

  test('a scalar replaces a scalar of another type silently', () => {
    assert.deepEqual(mergeService({ cpus: 1 }, { cpus: '1.5' }), { cpus: '1.5' });
  });

  test('inputs are not mutated and the result shares nothing with them', () => {
    const base = { services: { s: { ports: ['80'], environment: { A: '1' } } } };
    const override = { services: { s: { ports: ['81'], labels: { l: 'x' } } } };
    const frozen = JSON.stringify([base, override]);
    const diag = new Diagnostics();
    const doc = mergeDocuments(base, override, diag) as typeof base & typeof override;
    assert.equal(JSON.stringify([base, override]), frozen);
    assert.notEqual(doc.services.s.environment, base.services.s.environment);
    assert.notEqual(doc.services.s.labels, override.services.s.labels);
  });

  test('a "__proto__" key is an ordinary key', () => {
    const diag = new Diagnostics();
    const doc = mergeDocuments(
      JSON.parse('{"x-a": {"__proto__": {"p": 1}}}'),
      JSON.parse('{"x-a": {"__proto__": {"q": 2}}, "x-b": {"__proto__": 3}}'),
      diag,
    );
    assert.equal(JSON.stringify(doc), '{"x-a":{"__proto__":{"p":1,"q":2}},"x-b":{"__proto__":3}}');
    assert.equal(Object.getPrototypeOf(doc['x-b']), Object.prototype);
  });
});

describe('!reset and !override', () => {
  test('!reset in a lone file removes the key', () => {
    const doc = resolveMergeTags(load('services:\n  a:\n    image: x\n    ports: !reset ["80"]\n'));
    assert.deepEqual(doc, { services: { a: { image: 'x' } } });
  });

  test('!override in a lone file is just its value', () => {
    const doc = resolveMergeTags(load('services:\n  a:\n    ports: !override ["80"]\n'));
    assert.deepEqual(doc, { services: { a: { ports: ['80'] } } });
  });

  test('!reset in a list removes the element; a top-level !reset is null', () => {
    assert.deepEqual(resolveMergeTags(['a', RESET, 'b']), ['a', 'b']);
    assert.equal(resolveMergeTags(RESET), null);
  });

  test('!reset of a key the earlier file lacks is harmless', () => {
    assertMerged(
      ['services: {a: {image: x}}', 'services: {a: {ports: !reset []}}'],
      'services: {a: {image: x}}',
    );
  });

  test('!reset removes a whole service, and a later file can define it again', () => {
    assertMerged(
      [
        'services: {a: {image: x}, b: {image: y}}',
        'services: {b: !reset null}',
        'services: {b: {image: z}}',
      ],
      'services: {a: {image: x}, b: {image: z}}',
    );
  });

  test('!reset inside a list-form environment converted to a map', () => {
    assertMerged(
      [
        'services: {a: {environment: [A=1, B=2]}}',
        'services: {a: {environment: {A: !reset null}}}',
      ],
      'services: {a: {environment: {B: "2"}}}',
    );
  });

  test('!override replaces a mapping whole, and tags inside it are resolved', () => {
    assertMerged(
      [
        'services: {a: {environment: {A: "1"}, logging: {driver: local, options: {x: "1"}}}}',
        'services:\n  a:\n    environment: !override {B: "2", C: !reset null}\n    logging: !override {options: {y: "2"}}\n',
      ],
      'services: {a: {environment: {B: "2"}, logging: {options: {y: "2"}}}}',
    );
  });

  test('!override of a unique-resource list, across three files', () => {
    assertMerged(
      [
        'services: {a: {volumes: ["x:/x", "y:/y"]}}',
        'services: {a: {volumes: !override ["z:/z"]}}',
        'services: {a: {volumes: ["w:/z", "v:/v"]}}',
      ],
      'services: {a: {volumes: ["w:/z", "v:/v"]}}',
    );
  });

  test('the override wrapper is recognisable and keyed by the symbol', () => {
    const wrapped = markOverride([1]);
    assert.ok(isOverride(wrapped));
    assert.deepEqual(wrapped[OVERRIDE], [1]);
    assert.equal(isOverride({}), false);
    assert.equal(isOverride(null), false);
  });
});
