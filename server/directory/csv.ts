/**
 * The member import file (`foyer members import <file.csv>`, issue 14):
 * a header `name,email,display_name,groups` (any order; `display_name` and
 * `groups` may be left out), then one member a line. Fields follow RFC 4180
 * (double quotes around a field with a comma, `""` for a quote). `groups`
 * holds group names separated by `;` — a semicolon, so the field never
 * needs quoting. Every problem names its line (`members.csv:7: name: …`),
 * and one bad line fails the whole file, so an import never stops half-way.
 * Pure: text in, rows or problems out.
 */
import { displayNameProblem, emailProblem, nameProblem } from './names.js';

/** One member of the file. */
export interface ImportRow {
  line: number;
  name: string;
  email: string;
  displayName: string;
  groups: string[];
}

export type ImportParse = { rows: ImportRow[]; problems: [] } | { rows: []; problems: string[] };

/** The character between group names in the `groups` column. */
export const GROUP_SEPARATOR = ';';

const COLUMNS = ['name', 'email', 'display_name', 'groups'] as const;
const REQUIRED = ['name', 'email'] as const;
const MAX_ROWS = 10_000;

/** Splits CSV text into records, each with the line it starts on. */
export function csvRecords(text: string): { line: number; fields: string[] }[] | string {
  const records: { line: number; fields: string[] }[] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let start = 1;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0; // a byte-order mark from spreadsheets
  let atFieldStart = true;
  const endRecord = () => {
    fields.push(field);
    if (!(fields.length === 1 && fields[0] === '')) records.push({ line: start, fields });
    fields = [];
    field = '';
    atFieldStart = true;
  };
  for (; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else {
        if (ch === '\n') line++;
        field += ch;
      }
      continue;
    }
    if (ch === '"' && atFieldStart) {
      quoted = true;
      atFieldStart = false;
    } else if (ch === ',') {
      fields.push(field);
      field = '';
      atFieldStart = true;
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      endRecord();
      line++;
      start = line;
    } else {
      if (ch === '"') return `${line}: a quote inside a field that does not start with one`;
      field += ch;
      atFieldStart = false;
    }
  }
  if (quoted) return `${start}: a quoted field is not closed`;
  endRecord();
  return records;
}

/** Parses an import file named `file` (used in the problems). */
export function parseImport(text: string, file: string): ImportParse {
  const records = csvRecords(text);
  if (typeof records === 'string') return { rows: [], problems: [`${file}:${records}`] };
  const [header, ...body] = records;
  if (!header)
    return {
      rows: [],
      problems: [`${file}: empty; the first line names the columns: ${COLUMNS.join(',')}`],
    };
  const problems: string[] = [];
  const at = (line: number, what: string) => problems.push(`${file}:${line}: ${what}`);
  const names = header.fields.map((f) => f.trim().toLowerCase());
  const index = new Map<string, number>();
  names.forEach((name, i) => {
    if (!(COLUMNS as readonly string[]).includes(name))
      at(header.line, `unknown column "${name}"; the columns are ${COLUMNS.join(',')}`);
    else if (index.has(name)) at(header.line, `column "${name}" appears twice`);
    else index.set(name, i);
  });
  for (const column of REQUIRED) if (!index.has(column)) at(header.line, `no "${column}" column`);
  if (problems.length > 0) return { rows: [], problems };
  if (body.length > MAX_ROWS)
    return { rows: [], problems: [`${file}: ${body.length} members; at most ${MAX_ROWS} a file`] };

  const rows: ImportRow[] = [];
  const seenNames = new Map<string, number>();
  const seenEmails = new Map<string, number>();
  for (const { line, fields } of body) {
    if (fields.length !== names.length) {
      at(line, `${fields.length} fields; the header has ${names.length}`);
      continue;
    }
    const get = (column: string) => (index.has(column) ? fields[index.get(column)!]!.trim() : '');
    const name = get('name');
    const email = get('email');
    const displayName = get('display_name');
    const groups = get('groups')
      .split(GROUP_SEPARATOR)
      .map((g) => g.trim())
      .filter((g) => g !== '');
    const before = problems.length;
    const nameWhy = nameProblem(name);
    if (nameWhy) at(line, `name: ${nameWhy}`);
    else if (seenNames.has(name))
      at(line, `name: "${name}" is already on line ${seenNames.get(name)}`);
    const emailWhy = emailProblem(email);
    if (emailWhy) at(line, `email: ${emailWhy}`);
    else if (seenEmails.has(email.toLowerCase()))
      at(line, `email: "${email}" is already on line ${seenEmails.get(email.toLowerCase())}`);
    const displayWhy = displayNameProblem(displayName);
    if (displayWhy) at(line, `display_name: ${displayWhy}`);
    for (const group of groups) {
      const why = nameProblem(group);
      if (why) at(line, `groups: ${why}`);
    }
    if (problems.length > before) continue;
    seenNames.set(name, line);
    seenEmails.set(email.toLowerCase(), line);
    rows.push({ line, name, email, displayName, groups: [...new Set(groups)] });
  }
  return problems.length > 0 ? { rows: [], problems } : { rows, problems: [] };
}
