import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { splitShellWords } from '../../compose/shell-words.js';

describe('splitShellWords', () => {
  const cases: Array<[string, string[]]> = [
    ['bundle exec thin -p 3000', ['bundle', 'exec', 'thin', '-p', '3000']],
    ['sh -c "echo hello && sleep 1"', ['sh', '-c', 'echo hello && sleep 1']],
    ["a 'b c' d\\ e", ['a', 'b c', 'd e']],
    ['--x=""', ['--x=']],
    ['""', ['']],
    ["a '' b", ['a', '', 'b']],
    ['  leading   and\ttrailing\n ', ['leading', 'and', 'trailing']],
    ['', []],
    ['   ', []],
    ['pre"mid dle"post\'x y\'', ['premid dlepostx y']],
    ["'it''s'", ['its']],
    ["'a\\b'", ['a\\b']],
    ['"a\\"b"', ['a"b']],
    ['"a\\\\b"', ['a\\b']],
    ['"\\$HOME"', ['$HOME']],
    ['"\\`x\\`"', ['`x`']],
    ['"a\\nb"', ['a\\nb']],
    ['"it\'s"', ["it's"]],
    ['\'say "hi"\'', ['say "hi"']],
    ['a\\\\b', ['a\\b']],
    ['\\"x', ['"x']],
    ['one \\\ntwo', ['one', 'two']],
    ['"one \\\ntwo"', ['one two']],
    ['echo $HOME; ls # not a comment', ['echo', '$HOME;', 'ls', '#', 'not', 'a', 'comment']],
    ['CMD-SHELL curl -f http://localhost', ['CMD-SHELL', 'curl', '-f', 'http://localhost']],
    ['echo "héllo wörld" ✓', ['echo', 'héllo wörld', '✓']],
  ];
  for (const [input, expected] of cases) {
    test(JSON.stringify(input), () => {
      assert.deepEqual(splitShellWords(input), expected);
    });
  }

  test('unterminated double quote is an error naming the quote and the input', () => {
    assert.throws(
      () => splitShellWords('sh -c "echo hi'),
      /unterminated double quote.*character 7/,
    );
  });

  test('unterminated single quote is an error', () => {
    assert.throws(() => splitShellWords("echo 'hi"), /unterminated single quote/);
  });

  test('an escaped closing quote does not close a double-quoted string', () => {
    assert.throws(() => splitShellWords('"abc\\"'), /unterminated double quote/);
  });

  test('a lone trailing backslash is an error', () => {
    assert.throws(() => splitShellWords('echo \\'), /lone backslash/);
  });
});
