/**
 * YAML 1.2 loading for Compose files: the core schema (so `yes` and
 * `10025:25` stay strings, spec: ports short syntax note), `<<` merge keys,
 * anchors, CRLF, and the `!reset` / `!override` tags of the spec's "Merge and
 * override" section, handed to the merger as sentinels.
 */
import yaml from 'js-yaml';
import { OVERRIDE, RESET } from './merge.js';
import type { Diagnostics } from './problems.js';
import { isMap, type RawMap } from './raw.js';

const KINDS = ['scalar', 'sequence', 'mapping'] as const;

const tags = KINDS.flatMap((kind) => [
  new yaml.Type('!reset', { kind, construct: () => RESET }),
  new yaml.Type('!override', { kind, construct: (data: unknown) => ({ [OVERRIDE]: data }) }),
]);

// @types/js-yaml does not declare the built-in `types` table that js-yaml 4 exports.
const { merge } = (yaml as unknown as { types: { merge: yaml.Type } }).types;
const SCHEMA = yaml.CORE_SCHEMA.extend([merge, ...tags]);

/** Parses one Compose document; a syntax error is reported as `file:line:column`. */
export function parseComposeYaml(
  content: string,
  source: string,
  diag: Diagnostics,
): RawMap | undefined {
  let doc: unknown;
  try {
    // js-yaml refuses duplicate keys, which Compose also treats as an error.
    doc = yaml.load(content, { schema: SCHEMA, filename: source });
  } catch (error) {
    if (error instanceof yaml.YAMLException) {
      const { line, column } = error.mark ?? { line: -1, column: -1 };
      const where = line >= 0 ? `${source}:${line + 1}:${column + 1}` : source;
      diag.error(where, error.reason || error.message);
      return undefined;
    }
    throw error;
  }
  if (doc === undefined || doc === null) {
    diag.error(source, 'the file is empty');
    return undefined;
  }
  if (!isMap(doc)) {
    diag.error(source, 'the top level must be a mapping');
    return undefined;
  }
  return doc;
}
