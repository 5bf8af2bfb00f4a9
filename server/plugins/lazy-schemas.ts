/**
 * Fastify's own schema compilers (ajv for requests, fast-json-stringify for
 * replies), compiled on a route's first request rather than at start-up.
 * Compiled at start, the daemon's ~60 routes cost about 3 MiB of generated
 * source and code that an idle box never runs (issue 12 §5: RSS at idle).
 * The compiled functions are the same; only when they are made changes, so a
 * schema mistake shows at the route's first request, and the route tests
 * (and the OpenAPI document, built from the same schemas) are what find it.
 */
import ajvCompiler from '@fastify/ajv-compiler';
import serializerCompiler from '@fastify/fast-json-stringify-compiler';
import type { FastifyServerOptions } from 'fastify';

type Factories = NonNullable<
  NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']
>;
type ValidatorFactory = NonNullable<Factories['buildValidator']>;
type SerializerFactory = NonNullable<Factories['buildSerializer']>;

/** A validator that compiles its schema when it first validates; `errors` mirrors the real one's. */
function lazyValidator<T>(compile: () => (data: T) => unknown) {
  let validate: ((data: T) => unknown) & { errors?: unknown };
  const lazy = (data: T) => {
    validate ??= compile();
    const result = validate(data);
    lazy.errors = validate.errors;
    return result;
  };
  lazy.errors = null as unknown;
  return lazy;
}

// Fastify's defaults, shared by every encapsulated context (each keeps a pool of ajv instances).
const selectValidator = ajvCompiler();
const selectSerializer = serializerCompiler();

const buildValidator: ValidatorFactory = (externalSchemas, options) => {
  // The ajv instance itself (with its formats) is made at the first compile too.
  let compiler: ReturnType<ValidatorFactory> | undefined;
  return (route) =>
    // Fastify only calls the function and reads its `errors`, which the lazy one mirrors.
    lazyValidator(() => {
      compiler ??= selectValidator(externalSchemas as never, options as never) as never;
      return compiler!(route) as (data: unknown) => unknown;
    }) as never;
};

const buildSerializer: SerializerFactory = (externalSchemas, options) => {
  let compiler: ReturnType<SerializerFactory> | undefined;
  return (route) => {
    let serialize: ((doc: unknown) => string) | undefined;
    return (doc: unknown) => {
      compiler ??= selectSerializer(externalSchemas, options as never) as never;
      serialize ??= compiler!(route) as (doc: unknown) => string;
      return serialize(doc);
    };
  };
};

/** The `schemaController` option that makes Fastify compile schemas on first use. */
export const lazySchemas = { compilersFactory: { buildValidator, buildSerializer } };
