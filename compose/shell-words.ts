/**
 * Splits the string forms of `command`, `entrypoint` and `healthcheck.test` into
 * words. The spec (services "command"/"entrypoint") says a string is parsed like
 * a shell would; Compose does not run a shell, so there is no expansion, no
 * operators and no comments: `$`, `&&`, `#` are ordinary characters here
 * (interpolation has already happened before this runs).
 */

const BLANKS = new Set([' ', '\t', '\n', '\r']);

/** Characters a backslash escapes inside double quotes (POSIX 2.2.3); before others it stays. */
const DOUBLE_QUOTE_ESCAPES = new Set(['"', '\\', '$', '`', '\n']);

type Scanner = { text: string; pos: number };

/** Splits a command string into POSIX shell-like words; throws on an unterminated quote. */
export function splitShellWords(input: string): string[] {
  const words: string[] = [];
  const scan: Scanner = { text: input, pos: 0 };
  let word = '';
  // A quoted empty string (`""`) still makes a word, so track "started" apart from length.
  let started = false;
  while (scan.pos < input.length) {
    const ch = input[scan.pos]!;
    if (BLANKS.has(ch)) {
      if (started) words.push(word);
      word = '';
      started = false;
      scan.pos++;
      continue;
    }
    word += readPart(scan, ch);
    started = true;
  }
  if (started) words.push(word);
  return words;
}

/** Reads one quoted part, escape or plain character starting at `scan.pos`. */
function readPart(scan: Scanner, ch: string): string {
  if (ch === "'") return readSingleQuoted(scan);
  if (ch === '"') return readDoubleQuoted(scan);
  if (ch === '\\') return readEscape(scan);
  scan.pos++;
  return ch;
}

/** `'…'`: everything up to the next single quote is literal, backslashes included. */
function readSingleQuoted(scan: Scanner): string {
  const end = scan.text.indexOf("'", scan.pos + 1);
  if (end < 0) throw unterminated(scan, "single quote (')");
  const part = scan.text.slice(scan.pos + 1, end);
  scan.pos = end + 1;
  return part;
}

/** `"…"`: literal except for backslash escapes of `"`, `\`, `$`, backquote and newline. */
function readDoubleQuoted(scan: Scanner): string {
  const { text } = scan;
  let part = '';
  let pos = scan.pos + 1;
  while (pos < text.length) {
    const ch = text[pos]!;
    if (ch === '"') {
      scan.pos = pos + 1;
      return part;
    }
    const next = text[pos + 1];
    if (ch === '\\' && next !== undefined && DOUBLE_QUOTE_ESCAPES.has(next)) {
      // An escaped newline is a line continuation: both characters vanish.
      if (next !== '\n') part += next;
      pos += 2;
      continue;
    }
    part += ch;
    pos++;
  }
  throw unterminated(scan, 'double quote (")');
}

/** `\x` outside quotes keeps `x` literally; `\` before a newline joins the lines. */
function readEscape(scan: Scanner): string {
  const next = scan.text[scan.pos + 1];
  if (next === undefined) {
    throw new Error(`command ends with a lone backslash: ${JSON.stringify(scan.text)}`);
  }
  scan.pos += 2;
  return next === '\n' ? '' : next;
}

function unterminated(scan: Scanner, what: string): Error {
  return new Error(
    `unterminated ${what} starting at character ${scan.pos + 1} in ${JSON.stringify(scan.text)}`,
  );
}
