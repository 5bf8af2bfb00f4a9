/**
 * The OpenAPI document at `/api/openapi.json`, generated from the routes'
 * TypeBox schemas: validation, types and documentation from one source.
 *
 * `@fastify/swagger` (with `yaml` and its schema resolver) is loaded at the
 * document's first request, not at start: ~0.6 MiB of an idle daemon's RSS
 * (issue 12 §5). Until then this plugin only records what the swagger plugin's own
 * hooks would have seen (each route's options, the shared schemas at ready);
 * at the first request they are handed to the swagger plugin's hooks in the
 * same order, so the document is the one it builds when registered at start.
 */
import type { FastifyInstance, RouteOptions } from 'fastify';
import fp from 'fastify-plugin';
import { MEMBER } from '../auth/roles.js';

const SWAGGER_OPTIONS = {
  openapi: {
    info: { title: 'Foyer', version: '0.1.0', description: 'The API of the Foyer daemon.' },
    components: {
      securitySchemes: {
        session: { type: 'apiKey', in: 'cookie', name: 'foyer_session' },
        token: { type: 'http', scheme: 'bearer' },
      },
    },
    security: [{ session: [] }, { token: [] }],
  },
};

type Hook = (...args: unknown[]) => unknown;
type SwaggerPlugin = (instance: object, options: object, done: (error?: Error) => void) => void;
type Document = () => unknown;

/**
 * Runs the swagger plugin on a stand-in instance that only takes hooks and the decorator, then
 * replays the recorded routes and the ready hook: the `app.swagger()` it would have decorated.
 */
async function buildDocument(
  routes: RouteOptions[],
  schemas: Record<string, unknown>,
): Promise<Document> {
  // The CommonJS exports object, which also holds the plugin unwrapped (no fastify-plugin
  // checks): `default` is the one name both Node and the esbuild bundle give it.
  const { fastifySwagger } = (
    (await import('@fastify/swagger')) as unknown as { default: { fastifySwagger: SwaggerPlugin } }
  ).default;
  const hooks: { name: string; hook: Hook }[] = [];
  let document: Document | undefined;
  const standIn = {
    addHook(name: string, hook: Hook) {
      hooks.push({ name, hook });
    },
    decorate(name: string, value: Document) {
      if (name === 'swagger') document = value;
    },
    getSchemas: () => schemas,
  };
  await new Promise<void>((resolve, reject) =>
    fastifySwagger(standIn, { ...SWAGGER_OPTIONS }, (error) => (error ? reject(error) : resolve())),
  );
  const known = new Set(['onRoute', 'onRegister', 'onReady']);
  const unknown = hooks.filter(({ name }) => !known.has(name)).map(({ name }) => name);
  if (unknown.length > 0 || !document) {
    throw new Error(
      `@fastify/swagger changed: hooks ${unknown.join(', ')}, decorator ${!!document}`,
    );
  }
  const named = (wanted: string) => hooks.filter(({ name }) => name === wanted);
  for (const route of routes) for (const { hook } of named('onRoute')) hook(route);
  for (const { hook } of named('onReady')) await new Promise<void>((resolve) => hook(resolve));
  return document;
}

export default fp(
  async (app: FastifyInstance) => {
    // What @fastify/swagger's own hooks collect (lib/util/add-hook.js): every route's options,
    // and at ready the schemas added to any context (none today; kept so the document agrees).
    const routes: RouteOptions[] = [];
    const contexts: FastifyInstance[] = [];
    const schemas: Record<string, unknown> = {};
    app.addHook('onRoute', (route) => {
      routes.push(route);
    });
    app.addHook('onRegister', (instance) => {
      contexts.push(instance);
    });
    app.addHook('onReady', async () => {
      for (const context of [...contexts, app]) Object.assign(schemas, context.getSchemas());
      contexts.length = 0;
    });
    let document: Promise<Document> | undefined;
    app.get('/api/openapi.json', { config: MEMBER, schema: { hide: true } }, async () => {
      // A failed build (a broken install) is tried again at the next request, not kept.
      document ??= buildDocument(routes, schemas).catch((error: unknown) => {
        document = undefined;
        throw error;
      });
      return (await document)();
    });
  },
  { name: 'openapi' },
);
