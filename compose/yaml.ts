/**
 * YAML 1.2 loading for Compose files: the core schema (so `yes` and
 * `10025:25` stay strings, spec: ports short syntax note), `<<` merge keys,
 * anchors, CRLF, and the `!reset` / `!override` tags of the spec's "Merge and
 * override" section, handed to the merger as sentinels.
 */
import yaml from 'js-yaml';
import { markOverride, RESET } from './merge.js';
import type { Diagnostics } from './problems.js';
import { isMap, type RawMap } from './raw.js';

const KINDS = ['scalar', 'sequence', 'mapping'] as const;

const tags = KINDS.flatMap((kind) => [
  new yaml.Type('!reset', { kind, construct: () => RESET }),
  new yaml.Type('!override', { kind, construct: (data: unknown) => markOverride(data ?? null) }),
]);

// @types/js-yaml does not declare the built-in `types` table that js-yaml 4 exports.
const core = (
  yaml as unknown as { types: Record<'null' | 'bool' | 'int' | 'float' | 'merge', yaml.Type> }
).types;

/**
 * `0440` read as octal, as Compose's own YAML library (go-yaml v3) does: file
 * modes in `secrets`/`configs` are written that way (spec: "octal notation").
 * Listed before the core int type, which would read it as decimal 440.
 */
// Its own tag: js-yaml keeps only the last implicit type per tag, which would drop this one.
const legacyOctal = new yaml.Type('tag:foyer,2026:legacy-octal-int', {
  kind: 'scalar',
  resolve: (data: unknown) => typeof data === 'string' && /^0[0-7]+$/.test(data),
  construct: (data: string) => Number.parseInt(data, 8),
  predicate: () => false,
});

// `<<` must be an implicit type: extend() with a plain list would make it explicit and inert.
const SCHEMA = yaml.FAILSAFE_SCHEMA.extend({
  implicit: [core.null, core.bool, legacyOctal, core.int, core.float, core.merge],
  explicit: tags,
});

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
