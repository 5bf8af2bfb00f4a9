/**
 * ajv's validation errors as problems people can act on (issue 11 §5): one
 * problem per field that says what is allowed, never ajv's internals. With
 * `allErrors`, a TypeBox union such as `role: 'admin' | 'member'` fails with
 * one error per branch plus "must match a schema in anyOf"; read together
 * they mean "must be one of: admin, member", and that is what is said.
 */

/** The parts of an ajv ErrorObject read here (Fastify's FastifySchemaValidationError). */
export interface SchemaError {
  keyword: string;
  instancePath: string;
  schemaPath: string;
  params: Record<string, unknown>;
  message?: string;
}

export interface Problem {
  path: string;
  message: string;
}

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  integer: 'a whole number',
  boolean: 'a boolean',
  object: 'an object',
  array: 'a list',
  null: 'null',
};

function list(values: unknown[]): string {
  return [...new Set(values.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))))].join(
    ', ',
  );
}

/** One error in the words the settings checks use (server/catalog/settings.ts). */
function describe(error: SchemaError): string {
  const p = error.params;
  switch (error.keyword) {
    case 'const':
      return `must be ${list([p.allowedValue])}`;
    case 'enum':
      return `must be one of: ${list(p.allowedValues as unknown[])}`;
    case 'maxLength':
      return `must be at most ${p.limit} characters long`;
    case 'minLength':
      return p.limit === 1 ? 'must not be empty' : `must be at least ${p.limit} characters long`;
    case 'maxItems':
      return `must have at most ${p.limit} items`;
    case 'minItems':
      return `must have at least ${p.limit} items`;
    case 'maximum':
      return `must be at most ${p.limit}`;
    case 'minimum':
      return `must be at least ${p.limit}`;
    case 'type':
      return `must be ${typeNames(String(p.type).split(','))}`;
    case 'required':
      return 'is required';
    case 'additionalProperties':
      return 'is not a known field';
    case 'pattern':
      return `must match the pattern ${p.pattern}`;
    default:
      return error.message ?? 'is invalid';
  }
}

function typeNames(types: string[]): string {
  const names = [...new Set(types.map((t) => TYPE_NAMES[t] ?? t))];
  return names.length <= 1
    ? (names[0] ?? 'valid')
    : `${names.slice(0, -1).join(', ')} or ${names.at(-1)}`;
}

/** The field an error is about: `required` and `additionalProperties` name a child. */
function fieldPath(prefix: string, error: SchemaError): string {
  const child =
    error.keyword === 'required'
      ? error.params.missingProperty
      : error.keyword === 'additionalProperties'
        ? error.params.additionalProperty
        : undefined;
  const path = `${prefix}${error.instancePath.replaceAll('/', '.')}`;
  return typeof child === 'string' ? `${path}.${child}` : path;
}

/**
 * What one failed `anyOf` means, from its branches' errors: a choice of
 * literals → "must be one of: …"; a value of the right type for one branch
 * → that branch's own problem (a string over its length names the limit,
 * once); otherwise the types that would do.
 */
function describeUnion(union: SchemaError, branches: SchemaError[][], prefix: string): Problem[] {
  const path = fieldPath(prefix, union);
  const literals = branches.map((b) =>
    b.find((e) => e.keyword === 'const' || e.keyword === 'enum'),
  );
  if (literals.every((e) => e !== undefined)) {
    const allowed = literals.flatMap((e) =>
      e!.keyword === 'const' ? [e!.params.allowedValue] : (e!.params.allowedValues as unknown[]),
    );
    return [{ path, message: `must be one of: ${list(allowed)}` }];
  }
  // A branch that failed on something other than its type is the one the value was meant for.
  const meant = branches.filter((b) => !b.some((e) => e.keyword === 'type'));
  if (meant.length === 1) return problemsOf(meant[0]!, prefix);
  const types = branches.flatMap((b) =>
    b.filter((e) => e.keyword === 'type').flatMap((e) => String(e.params.type).split(',')),
  );
  return [{ path, message: `must be ${typeNames(types)}` }];
}

/** ajv's errors of one validation as problems: one per field and failure, unions read whole. */
export function problemsOf(errors: SchemaError[], prefix = 'body'): Problem[] {
  const unions = errors.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf');
  const inUnion = (e: SchemaError) =>
    unions.some((u) => e !== u && e.schemaPath.startsWith(`${u.schemaPath}/`));
  const problems: Problem[] = [];
  for (const error of errors) {
    if (inUnion(error)) continue;
    if (error.keyword === 'anyOf' || error.keyword === 'oneOf') {
      const branches = new Map<string, SchemaError[]>();
      for (const e of errors) {
        const rest = e.schemaPath.slice(error.schemaPath.length + 1);
        if (!e.schemaPath.startsWith(`${error.schemaPath}/`)) continue;
        const index = rest.split('/')[0]!;
        branches.set(index, [...(branches.get(index) ?? []), e]);
      }
      if (branches.size === 0) {
        problems.push({ path: fieldPath(prefix, error), message: describe(error) });
      } else problems.push(...describeUnion(error, [...branches.values()], prefix));
      continue;
    }
    problems.push({ path: fieldPath(prefix, error), message: describe(error) });
  }
  // The same words for the same field once, however many branches said them.
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.path}\0${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
