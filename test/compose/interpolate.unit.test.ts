import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { interpolateString, interpolateTree, type Lookup } from '../../compose/interpolate.js';
import { Diagnostics } from '../../compose/problems.js';

const env: Record<string, string> = {
  FOO: 'foo',
  EMPTY: '',
  HOST: 'example.org',
  PORT: '8080',
};

const lookup: Lookup = (name) => (Object.hasOwn(env, name) ? env[name] : undefined);

/** Interpolates with the shared environment and returns the result and diagnostics. */
function run(template: string, path = 'services.web.image') {
  const diag = new Diagnostics();
  const value = interpolateString(template, lookup, path, diag);
  return { value, problems: diag.problems, warnings: diag.warnings };
}

/** Asserts a clean result: no errors and no warnings. */
function expand(template: string): string {
  const { value, problems, warnings } = run(template);
  assert.deepEqual(problems, [], `errors for ${template}`);
  assert.deepEqual(warnings, [], `warnings for ${template}`);
  return value;
}

describe('interpolateString: plain references', () => {
  test('$VAR and ${VAR} are replaced', () => {
    assert.equal(expand('$FOO'), 'foo');
    assert.equal(expand('${FOO}'), 'foo');
    assert.equal(expand('http://$HOST:${PORT}/x'), 'http://example.org:8080/x');
  });

  test('$VAR ends at the first character that cannot be in a name', () => {
    assert.equal(expand('$FOO-bar'), 'foo-bar');
    assert.equal(expand('$FOO.bar'), 'foo.bar');
    assert.equal(expand('${FOO}bar'), 'foobar');
  });

  test('an unbraced name runs as long as name characters do', () => {
    const { value, warnings } = run('$FOObar');
    assert.equal(value, '');
    assert.deepEqual(warnings, [
      {
        path: 'services.web.image',
        message: 'variable "FOObar" is not set, defaulting to a blank string',
      },
    ]);
  });

  test('names are case-sensitive and may start with an underscore', () => {
    const diag = new Diagnostics();
    const value = interpolateString('$_a1 $foo', (n) => (n === '_a1' ? 'u' : undefined), 'x', diag);
    assert.equal(value, 'u ');
    assert.equal(diag.warnings.length, 1);
    assert.match(diag.warnings[0]!.message, /"foo"/);
  });

  test('a set but empty variable gives an empty string without a warning', () => {
    assert.equal(expand('[${EMPTY}]'), '[]');
  });

  test('strings without $ come back untouched', () => {
    assert.equal(expand('nginx:1.27 {braces} } {'), 'nginx:1.27 {braces} } {');
  });

  test('a substituted value is not interpolated again', () => {
    const diag = new Diagnostics();
    const value = interpolateString('$A', (n) => (n === 'A' ? '$B ${C' : undefined), 'p', diag);
    assert.equal(value, '$B ${C');
    assert.deepEqual(diag.problems, []);
    assert.deepEqual(diag.warnings, []);
  });
});

describe('interpolateString: dollars', () => {
  test('$$ is a literal dollar and prevents interpolation', () => {
    assert.equal(expand('$$FOO'), '$FOO');
    assert.equal(expand('$${FOO}'), '${FOO}');
    assert.equal(expand('a$$b'), 'a$b');
    assert.equal(expand('$$$FOO'), '$foo');
    assert.equal(expand('$$$$'), '$$');
  });

  test('a lone $ is kept', () => {
    assert.equal(expand('$'), '$');
    assert.equal(expand('cost: 5$'), 'cost: 5$');
    assert.equal(expand('$ 5'), '$ 5');
    assert.equal(expand('$1 and $-x'), '$1 and $-x');
    assert.equal(expand('a$.b$/'), 'a$.b$/');
  });
});

describe('interpolateString: defaults', () => {
  test(':- uses the default when unset or empty', () => {
    assert.equal(expand('${UNSET:-dflt}'), 'dflt');
    assert.equal(expand('${EMPTY:-dflt}'), 'dflt');
    assert.equal(expand('${FOO:-dflt}'), 'foo');
  });

  test('- uses the default only when unset', () => {
    assert.equal(expand('${UNSET-dflt}'), 'dflt');
    assert.equal(expand('[${EMPTY-dflt}]'), '[]');
    assert.equal(expand('${FOO-dflt}'), 'foo');
  });

  test('an empty default is allowed', () => {
    assert.equal(expand('[${UNSET:-}]'), '[]');
    assert.equal(expand('[${UNSET-}]'), '[]');
  });

  test('defaults may hold spaces, colons, dashes and other operators', () => {
    assert.equal(expand('${UNSET:-a b:c-d?e+f}'), 'a b:c-d?e+f');
    assert.equal(expand('${UNSET:-:-x}'), ':-x');
  });

  test('defaults are interpolated', () => {
    assert.equal(expand('${UNSET:-$FOO}'), 'foo');
    assert.equal(expand('${UNSET:-${FOO}}'), 'foo');
    assert.equal(expand('${UNSET:-pre-${HOST}-post}'), 'pre-example.org-post');
  });

  test('defaults nest', () => {
    assert.equal(expand('${UNSET:-${ALSO_UNSET:-c}}'), 'c');
    assert.equal(expand('${UNSET:-${FOO:-c}}'), 'foo');
    assert.equal(expand('${A1:-${A2:-${A3:-deep}}}'), 'deep');
  });

  test('a nested default may contain ":" and "}" inside its own braces', () => {
    assert.equal(expand('${A:-${B:-http://x:80}}'), 'http://x:80');
    assert.equal(expand('${A:-${B:-http://x:80}}/path'), 'http://x:80/path');
    assert.equal(expand('${A:-${B:-x}y}z'), 'xyz');
  });

  test('bare braces inside a default nest, as compose-go counts them', () => {
    assert.equal(expand('${UNSET:-{x}}'), '{x}');
    assert.equal(expand('${UNSET:-{x}y}'), '{x}y');
    assert.equal(expand('${FOO:-{x}}'), 'foo');
    assert.equal(expand('${UNSET:-a}b}'), 'ab}');
  });

  test('$$ inside a default is a literal dollar', () => {
    assert.equal(expand('${UNSET:-$$FOO}'), '$FOO');
    assert.equal(expand('${UNSET:-$${X}}'), '${X}');
  });

  test('the default is not evaluated when the variable is set', () => {
    // Lazy: neither the warning for MISSING nor the required error may appear.
    assert.equal(expand('${FOO:-$MISSING}'), 'foo');
    assert.equal(expand('${FOO-${MISSING:?boom}}'), 'foo');
  });

  test('a used default reports its own unset variables', () => {
    const { value, warnings } = run('${UNSET:-x$MISSING}');
    assert.equal(value, 'x');
    assert.deepEqual(
      warnings.map((w) => w.message),
      ['variable "MISSING" is not set, defaulting to a blank string'],
    );
  });
});

describe('interpolateString: required variables', () => {
  test(':? fails when unset or empty', () => {
    for (const template of ['${UNSET:?give me a value}', '${EMPTY:?give me a value}']) {
      const { problems } = run(template, 'services.db.environment.PASSWORD');
      assert.deepEqual(problems, [
        {
          path: 'services.db.environment.PASSWORD',
          message: `required variable ${template.slice(2, template.indexOf(':'))} is missing a value: give me a value`,
        },
      ]);
    }
  });

  test('? fails only when unset', () => {
    assert.equal(
      run('${UNSET?need it}').problems[0]?.message,
      'required variable UNSET is missing a value: need it',
    );
    assert.equal(expand('[${EMPTY?need it}]'), '[]');
  });

  test('a set variable passes', () => {
    assert.equal(expand('${FOO:?x}'), 'foo');
    assert.equal(expand('${FOO?x}'), 'foo');
  });

  test('the message may be empty', () => {
    const { problems } = run('${UNSET:?}');
    assert.deepEqual(
      problems.map((p) => p.message),
      ['required variable UNSET is missing a value'],
    );
  });

  test('the message is interpolated', () => {
    assert.equal(
      run('${UNSET?set it on $HOST}').problems[0]?.message,
      'required variable UNSET is missing a value: set it on example.org',
    );
  });

  test('the message is not evaluated when the variable is set', () => {
    assert.equal(expand('${FOO:?$MISSING}'), 'foo');
  });

  test('a required check inside a used default fires', () => {
    const { problems } = run('${UNSET:-${INNER:?inner needed}}');
    assert.deepEqual(
      problems.map((p) => p.message),
      ['required variable INNER is missing a value: inner needed'],
    );
  });

  test('every missing variable in one string is reported', () => {
    assert.equal(run('${A:?a} ${B:?b}').problems.length, 2);
  });
});

describe('interpolateString: alternatives', () => {
  test(':+ uses the alternative when set and not empty', () => {
    assert.equal(expand('${FOO:+alt}'), 'alt');
    assert.equal(expand('[${EMPTY:+alt}]'), '[]');
    assert.equal(expand('[${UNSET:+alt}]'), '[]');
  });

  test('+ uses the alternative when set, even if empty', () => {
    assert.equal(expand('${FOO+alt}'), 'alt');
    assert.equal(expand('${EMPTY+alt}'), 'alt');
    assert.equal(expand('[${UNSET+alt}]'), '[]');
  });

  test('alternatives are interpolated only when used', () => {
    assert.equal(expand('${FOO:+--host=${HOST}}'), '--host=example.org');
    assert.equal(expand('[${UNSET:+${MISSING:?never}}]'), '[]');
  });
});

describe('interpolateString: invalid templates', () => {
  const invalid = [
    '${',
    '${ foo}',
    '${}',
    '${foo',
    '${foo!bar}',
    '${foo:bar}',
    '${foo:}',
    '${1abc}',
    'x ${FOO:-${BAR}',
    '${FOO:-abc',
    '${FOO/a/b}',
    '$${FOO} ${',
  ];
  for (const template of invalid) {
    test(`${JSON.stringify(template)} is an error naming the whole string`, () => {
      const { value, problems, warnings } = run(template, 'services.web.command[2]');
      assert.equal(problems.length, 1);
      assert.equal(problems[0]!.path, 'services.web.command[2]');
      assert.ok(
        problems[0]!.message.startsWith(
          `invalid interpolation format for ${JSON.stringify(template)}`,
        ),
        problems[0]!.message,
      );
      assert.deepEqual(warnings, []);
      assert.equal(value, template);
    });
  }

  test('a syntax error in an unused branch is still an error', () => {
    assert.equal(run('${FOO:-${}}').problems.length, 1);
  });

  test('an invalid template suppresses evaluation problems', () => {
    const { problems, warnings } = run('$MISSING ${REQ:?x} ${');
    assert.equal(problems.length, 1);
    assert.match(problems[0]!.message, /^invalid interpolation format/);
    assert.deepEqual(warnings, []);
  });
});

describe('interpolateTree', () => {
  test('interpolates string values at every depth and keeps the rest', () => {
    const tree = {
      services: {
        web: {
          image: 'nginx:${TAG:-latest}',
          ports: ['${PORT}:80', 443],
          environment: { FOO: '$FOO', DEBUG: true, NOTHING: null },
          labels: ['a=${HOST}'],
        },
      },
      'x-meta': { n: 3 },
    };
    const diag = new Diagnostics();
    const out = interpolateTree(tree, lookup, '', diag);
    assert.deepEqual(out, {
      services: {
        web: {
          image: 'nginx:latest',
          ports: ['8080:80', 443],
          environment: { FOO: 'foo', DEBUG: true, NOTHING: null },
          labels: ['a=example.org'],
        },
      },
      'x-meta': { n: 3 },
    });
    assert.deepEqual(diag.problems, []);
    assert.deepEqual(diag.warnings, []);
  });

  test('does not mutate its input', () => {
    const tree = { a: ['$FOO'], b: { c: '$FOO' } };
    interpolateTree(tree, lookup, '', new Diagnostics());
    assert.deepEqual(tree, { a: ['$FOO'], b: { c: '$FOO' } });
  });

  test('map keys are not interpolated', () => {
    const out = interpolateTree({ labels: { $FOO: '$FOO' } }, lookup, '', new Diagnostics());
    assert.deepEqual(out, { labels: { $FOO: 'foo' } });
  });

  test('problems carry the path of their value', () => {
    const tree = {
      services: {
        web: {
          environment: { FOO: '${NEED:?set NEED}', 'a.b': '$NOPE' },
          ports: ['80', '${BAD'],
        },
      },
    };
    const diag = new Diagnostics();
    interpolateTree(tree, lookup, '', diag);
    assert.deepEqual(diag.problems, [
      {
        path: 'services.web.environment.FOO',
        message: 'required variable NEED is missing a value: set NEED',
      },
      {
        path: 'services.web.ports[1]',
        message: diag.problems[1]?.message ?? '',
      },
    ]);
    assert.match(diag.problems[1]!.message, /^invalid interpolation format for "\$\{BAD"/);
    assert.deepEqual(diag.warnings, [
      {
        path: 'services.web.environment."a.b"',
        message: 'variable "NOPE" is not set, defaulting to a blank string',
      },
    ]);
  });

  test('starts from the given base path', () => {
    const diag = new Diagnostics();
    interpolateTree(['$NOPE'], lookup, 'services.web.command', diag);
    assert.equal(diag.warnings[0]?.path, 'services.web.command[0]');
  });

  test('scalars pass through unchanged', () => {
    const diag = new Diagnostics();
    assert.equal(interpolateTree(42, lookup, '', diag), 42);
    assert.equal(interpolateTree(false, lookup, '', diag), false);
    assert.equal(interpolateTree(null, lookup, '', diag), null);
    assert.equal(interpolateTree('$FOO', lookup, 'x', diag), 'foo');
  });

  test('a __proto__ key stays an ordinary key', () => {
    const tree = JSON.parse('{"__proto__": {"polluted": "$FOO"}}') as unknown;
    const out = interpolateTree(tree, lookup, '', new Diagnostics()) as Record<string, unknown>;
    assert.deepEqual(Object.keys(out), ['__proto__']);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
});

describe('performance', () => {
  test('a 50 kB document interpolates in a few milliseconds', () => {
    const services: Record<string, unknown> = {};
    for (let i = 0; i < 250; i++) {
      services[`svc${i}`] = {
        image: `registry.example.org/team/app-${i}:\${TAG:-1.2.3}`,
        environment: {
          URL: 'http://${HOST}:${PORT}/api/$$literal',
          NESTED: '${A:-${B:-${C:-http://fallback:80}}}',
        },
        command: ['run', '--name', `worker-${i}`, '--flag=${FOO:+on}'],
      };
    }
    const tree = { services };
    assert.ok(JSON.stringify(tree).length >= 50_000);
    // The best of a few runs, so a cold JIT or a busy machine does not decide the outcome.
    let best = Number.POSITIVE_INFINITY;
    for (let run = 0; run < 8; run++) {
      const started = performance.now();
      interpolateTree(tree, lookup, '', new Diagnostics());
      best = Math.min(best, performance.now() - started);
    }
    assert.ok(best < 10, `took ${best.toFixed(2)} ms`);
  });

  test('long and repetitive input stays linear', () => {
    const diag = new Diagnostics();
    const started = performance.now();
    assert.equal(interpolateString('$'.repeat(100_001), lookup, 'p', diag).length, 50_001);
    assert.equal(interpolateString('${FOO}'.repeat(20_000), lookup, 'p', diag).length, 60_000);
    assert.equal(
      interpolateString(`\${UNSET:-${'{'.repeat(20_000)}`, lookup, 'p', diag),
      '${UNSET:-' + '{'.repeat(20_000),
    );
    assert.ok(performance.now() - started < 200);
  });

  test('deep nesting is an error, not a stack overflow', () => {
    const nested = (depth: number) => '${A:-'.repeat(depth) + 'x' + '}'.repeat(depth);
    assert.equal(expand(nested(50)), 'x');
    const { value, problems } = run(nested(100_000));
    assert.equal(value.length, 100_000 * 6 + 1);
    assert.match(problems[0]?.message ?? '', /nested too deeply/);
  });
});
