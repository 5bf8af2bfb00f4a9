import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseDotenv } from '../../compose/dotenv.js';
import type { Lookup } from '../../compose/interpolate.js';
import { Diagnostics } from '../../compose/problems.js';

const shell: Record<string, string> = { SHELL_VAR: 'from-shell', SHARED: 'shell', EMPTY: '' };
const lookup: Lookup = (name) => (Object.hasOwn(shell, name) ? shell[name] : undefined);

/** Parses `content` as `.env` and returns the variables and diagnostics. */
function parse(content: string) {
  const diag = new Diagnostics();
  const values = parseDotenv(content, '.env', lookup, diag);
  return { values, problems: diag.problems, warnings: diag.warnings };
}

/** Parses `content` and asserts it raised no problem or warning. */
function clean(content: string): Record<string, string> {
  const { values, problems, warnings } = parse(content);
  assert.deepEqual(problems, []);
  assert.deepEqual(warnings, []);
  return values;
}

describe('parseDotenv: statements', () => {
  test('KEY=VALUE lines', () => {
    assert.deepEqual(clean('A=1\nB=two words\nC=x=y\n'), { A: '1', B: 'two words', C: 'x=y' });
  });

  test('KEY= is an empty string', () => {
    assert.deepEqual(clean('A=\nB=   \n'), { A: '', B: '' });
  });

  test('a KEY alone takes its value from the lookup, or is omitted', () => {
    assert.deepEqual(clean('SHELL_VAR\nNOT_IN_SHELL\nEMPTY\n'), {
      SHELL_VAR: 'from-shell',
      EMPTY: '',
    });
  });

  test('blank lines and # comments are ignored', () => {
    assert.deepEqual(clean('# header\n\n   \n  # indented comment\nA=1\n#B=2\n'), { A: '1' });
  });

  test('the export prefix is dropped', () => {
    assert.deepEqual(clean('export A=1\nexport\tB="2"\nexport SHELL_VAR\n'), {
      A: '1',
      B: '2',
      SHELL_VAR: 'from-shell',
    });
  });

  test('a key that merely starts with "export" keeps its name', () => {
    assert.deepEqual(clean('exported=1\nexport=2\n'), { exported: '1', export: '2' });
  });

  test('CRLF line endings', () => {
    assert.deepEqual(clean('A=1\r\nB="2"\r\n# c\r\nC=3 # note\r\nD\r\n'), {
      A: '1',
      B: '2',
      C: '3',
    });
  });

  test('a file without a final newline', () => {
    assert.deepEqual(clean('A=1\nB=2'), { A: '1', B: '2' });
  });

  test('a UTF-8 byte order mark does not join the first key', () => {
    assert.deepEqual(clean('\uFEFFA=1\n'), { A: '1' });
  });

  test('spaces around the key and after = are trimmed', () => {
    assert.deepEqual(clean('  A = 1  \n'), { A: '1' });
  });

  test('a later definition wins', () => {
    assert.deepEqual(clean('A=1\nA=2\n'), { A: '2' });
  });

  test('keys may hold dots and dashes', () => {
    assert.deepEqual(clean('a.b-c_D9=1\n_X=2\n'), { 'a.b-c_D9': '1', _X: '2' });
  });

  test('a __proto__ key is an ordinary key', () => {
    const values = clean('__proto__=x\n');
    assert.deepEqual(Object.keys(values), ['__proto__']);
    assert.equal(Object.getPrototypeOf(values), Object.prototype);
  });
});

describe('parseDotenv: unquoted values', () => {
  test('an inline comment needs whitespace before #', () => {
    assert.deepEqual(
      clean('A=VAL # comment\nB=VAL# not a comment\nC=VAL\t# tab\nD=#x\nE= # only\n'),
      {
        A: 'VAL',
        B: 'VAL# not a comment',
        C: 'VAL',
        D: '#x',
        E: '',
      },
    );
  });

  test('backslashes are literal', () => {
    assert.deepEqual(clean('A=some\\tvalue\n'), { A: 'some\\tvalue' });
  });

  test('quotes inside the value are kept', () => {
    assert.deepEqual(clean(`A=it's "x"\n`), { A: `it's "x"` });
  });
});

describe('parseDotenv: single quotes', () => {
  test('are literal: no interpolation, no escapes', () => {
    assert.deepEqual(clean("A='$OTHER'\nB='${OTHER}'\nC='some\\tvalue'\nD='a # b'\n"), {
      A: '$OTHER',
      B: '${OTHER}',
      C: 'some\\tvalue',
      D: 'a # b',
    });
  });

  test('an escaped single quote is kept (spec example)', () => {
    assert.deepEqual(clean("A='Let\\'s go!'\n"), { A: "Let's go!" });
  });

  test('a comment may follow the closing quote', () => {
    assert.deepEqual(clean("A='x' # c\n"), { A: 'x' });
  });

  test('may span lines', () => {
    assert.deepEqual(clean("A='one\ntwo'\nB=3\n"), { A: 'one\ntwo', B: '3' });
  });
});

describe('parseDotenv: double quotes', () => {
  test('strip the quotes and keep # inside', () => {
    assert.deepEqual(clean('A="VAL # not a comment"\nB="VAL" # comment\nC=""\n'), {
      A: 'VAL # not a comment',
      B: 'VAL',
      C: '',
    });
  });

  test('expand escapes', () => {
    assert.deepEqual(clean('A="a\\nb\\rc\\td\\\\e\\"f\\$g"\n'), { A: 'a\nb\rc\td\\e"f$g' });
  });

  test('escaped quotes make JSON possible (spec example)', () => {
    assert.deepEqual(clean('VAR="{\\"hello\\": \\"json\\"}"\n'), { VAR: '{"hello": "json"}' });
  });

  test('unknown escapes keep their backslash', () => {
    assert.deepEqual(clean('A="C:\\dir\\x"\n'), { A: 'C:\\dir\\x' });
  });

  test('span several lines and keep later line numbers right', () => {
    const { values, warnings } = parse('A="line one\nline two\n  line three"\nB=ok\nC=$NOPE\n');
    assert.deepEqual(values, { A: 'line one\nline two\n  line three', B: 'ok', C: '' });
    assert.deepEqual(warnings, [
      { path: '.env:5', message: 'variable "NOPE" is not set, defaulting to a blank string' },
    ]);
  });

  test('a multi-line value in a CRLF file has no carriage returns', () => {
    assert.deepEqual(clean('A="one\r\ntwo"\r\nB=2\r\n'), { A: 'one\ntwo', B: '2' });
  });

  test('\\$ is a literal dollar, not a reference', () => {
    assert.deepEqual(clean('A="\\$SHELL_VAR"\nB="$$SHELL_VAR"\n'), {
      A: '$SHELL_VAR',
      B: '$SHELL_VAR',
    });
  });
});

describe('parseDotenv: interpolation', () => {
  test('applies to unquoted and double-quoted values', () => {
    assert.deepEqual(clean('A=$SHELL_VAR\nB="${SHELL_VAR}-x"\nC=${NOPE:-dflt}\n'), {
      A: 'from-shell',
      B: 'from-shell-x',
      C: 'dflt',
    });
  });

  test('earlier keys of the file win over the lookup', () => {
    assert.deepEqual(clean('SHARED=file\nA=${SHARED}\nB=$SHARED\n'), {
      SHARED: 'file',
      A: 'file',
      B: 'file',
    });
  });

  test('a key not yet defined resolves from the lookup', () => {
    assert.deepEqual(clean('A=$SHARED\nSHARED=file\n'), { A: 'shell', SHARED: 'file' });
  });

  test('references chain through earlier keys', () => {
    assert.deepEqual(clean('HOST=db\nPORT=5432\nURL="postgres://${HOST}:${PORT:-1}/app"\n'), {
      HOST: 'db',
      PORT: '5432',
      URL: 'postgres://db:5432/app',
    });
  });

  test('every form works, including nested defaults with colons', () => {
    const values = clean(
      [
        'EMPTY_HERE=',
        'A=${EMPTY_HERE-unset-only}',
        'B=${EMPTY_HERE:-empty-too}',
        'C=${SHELL_VAR:+alt}',
        'D=${NOPE+alt}',
        'E=${NOPE:-${NOPE2:-http://x:80}}',
        'F=${SHELL_VAR?needed}',
      ].join('\n'),
    );
    assert.deepEqual(values, {
      EMPTY_HERE: '',
      A: '',
      B: 'empty-too',
      C: 'alt',
      D: '',
      E: 'http://x:80',
      F: 'from-shell',
    });
  });

  test('an unset reference warns at its line', () => {
    const { values, warnings } = parse('A=1\nB=x${NOPE}y\n');
    assert.deepEqual(values, { A: '1', B: 'xy' });
    assert.deepEqual(warnings, [
      { path: '.env:2', message: 'variable "NOPE" is not set, defaulting to a blank string' },
    ]);
  });

  test('a missing required variable is an error at its line', () => {
    const { problems } = parse('\n\nDB_PASSWORD=${SECRET:?set SECRET first}\n');
    assert.deepEqual(problems, [
      { path: '.env:3', message: 'required variable SECRET is missing a value: set SECRET first' },
    ]);
  });

  test('an invalid template is an error at its line', () => {
    const { problems } = parse('A=1\nB="${oops"\n');
    assert.equal(problems.length, 1);
    assert.equal(problems[0]!.path, '.env:2');
    assert.match(problems[0]!.message, /^invalid interpolation format for "\$\{oops"/);
  });
});

describe('parseDotenv: problems', () => {
  test('an unterminated quote is reported at the line it opens on', () => {
    const { values, problems } = parse('A=1\nB=2\nC="never closed\nD=4\n');
    assert.deepEqual(problems, [{ path: '.env:3', message: 'unterminated quoted value' }]);
    assert.equal(values.A, '1');
    assert.equal(values.C, undefined);
  });

  test('an unterminated single quote too', () => {
    const { problems } = parse("A='open\n");
    assert.deepEqual(problems, [{ path: '.env:1', message: 'unterminated quoted value' }]);
  });

  test('invalid keys are reported and skipped', () => {
    const { values, problems } = parse('1A=x\nMY KEY=y\nB$=z\nOK=1\n=v\n');
    assert.deepEqual(
      problems.map((p) => p.path),
      ['.env:1', '.env:2', '.env:3', '.env:5'],
    );
    assert.match(problems[0]!.message, /invalid variable name "1A"/);
    assert.deepEqual(values, { OK: '1' });
  });

  test('text after a closing quote is an error', () => {
    const { problems } = parse('A="x" y\n');
    assert.equal(problems.length, 1);
    assert.equal(problems[0]!.path, '.env:1');
  });

  test('the source name is the path prefix', () => {
    const diag = new Diagnostics();
    parseDotenv('X="open', 'config/app.env', lookup, diag);
    assert.equal(diag.problems[0]?.path, 'config/app.env:1');
  });
});
