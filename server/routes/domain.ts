/**
 * Names and HTTPS (issue 13), admins only: `GET /api/domain` (mode, domain, each name with its
 * issuer, certificate expiry and last error), `PUT /api/domain` (set the domain; every check
 * runs before anything is stored, so a refusal leaves the edge serving what it served), `GET
 * /api/domain/ca` (the home CA's root, PEM). And `GET /api/auth/verify`, the edge's auth gate:
 * 200 with `Remote-User` for a signed-in admin, else 401 (or a 302 to sign-in for a browser).
 */
import { Type as T } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { clientAddress } from '../auth/plugin.js';
import { EDGE_INSTALL } from '../edge/paths.js';
import type { EdgeService } from '../edge/service.js';
import {
  acmeDirectoryProblem,
  checkDomainInput,
  type DomainInput,
  portProblem,
} from '../edge/validate.js';
import { Errors } from '../errors.js';
import { withProblems } from './install-checks.js';

const Nullable = <S extends ReturnType<typeof T.String>>(s: S) => T.Union([s, T.Null()]);

const NameStatus = T.Object({
  name: T.String(),
  target: T.String(),
  issuer: T.String(),
  expires: Nullable(T.String()),
  error: Nullable(T.String()),
});

const DomainStatusReply = T.Object({
  mode: T.Union([T.Literal('public'), T.Literal('internal'), T.Null()]),
  domain: Nullable(T.String()),
  email: Nullable(T.String()),
  acme: Nullable(T.String()),
  ports: T.Object({ http: T.Integer(), https: T.Integer() }),
  edge: T.Object({
    state: T.String(),
    error: T.Optional(T.String()),
    lastPushAt: T.Optional(T.String()),
    lastPushMs: T.Optional(T.Number()),
    install: Nullable(T.String()),
  }),
  names: T.Array(NameStatus),
  // Names with no route that apps want as files (mail's), target `certificate`.
  certificates: T.Array(NameStatus),
});

const DomainBody = T.Object(
  {
    domain: T.String({ minLength: 1, maxLength: 253 }),
    mode: T.Optional(T.Union([T.Literal('public'), T.Literal('internal')])),
    email: T.Optional(T.String({ maxLength: 254 })),
    acme: T.Optional(T.String({ maxLength: 2048 })),
    acmeRoot: T.Optional(T.String({ maxLength: 65_536 })),
  },
  { additionalProperties: false },
);

function edgeOf(app: FastifyInstance): EdgeService {
  const edge = app.foyer.edge;
  if (!edge) throw new Errors.NotFound('this daemon runs without the edge');
  return edge;
}

function invalid(problems: { path: string; message: string }[]) {
  return withProblems(
    new Errors.BadRequest(problems.map((p) => `${p.path}: ${p.message}`).join('; ')),
    problems,
  );
}

export default async function domainRoutes(app: FastifyInstance) {
  const who = (request: FastifyRequest) =>
    request.actor?.kind === 'local' ? 'local socket' : clientAddress(request);

  app.get(
    '/api/domain',
    {
      schema: {
        summary: 'Names and HTTPS: mode, domain, each name',
        response: { 200: DomainStatusReply },
      },
    },
    async () => edgeOf(app).status(),
  );

  app.put(
    '/api/domain',
    {
      schema: {
        summary: 'Set the domain: public (ACME) or internal (the home CA)',
        body: DomainBody,
        response: { 200: DomainStatusReply },
      },
    },
    async (request) => {
      const edge = edgeOf(app);
      const body = request.body as Omit<DomainInput, 'mode'> & { mode?: DomainInput['mode'] };
      const input: DomainInput = { ...body, mode: body.mode ?? 'public' };
      const { settings, problems } = checkDomainInput(input);
      if (!settings) throw invalid(problems);
      if (settings.acme) {
        const problem = await acmeDirectoryProblem(settings.acme, settings.acmeRoot);
        if (problem) throw invalid([problem]);
      }
      // The ports are checked while the edge does not hold them yet (its first start, or it
      // failed); an edge that runs or is starting (its health check not passed yet) holds them.
      const status = app.foyer.reconciler.status(EDGE_INSTALL);
      if (!status || !['running', 'starting', 'degraded'].includes(status.state)) {
        const { http, https, address } = edge.ports;
        const taken = (
          await Promise.all([
            portProblem('httpPort', 'FOYER_HTTP_PORT', http, address),
            portProblem('httpsPort', 'FOYER_HTTPS_PORT', https, address),
          ])
        ).filter((p) => p !== undefined);
        if (taken.length > 0) {
          throw withProblems(
            new Errors.Conflict(taken.map((p) => `${p.path}: ${p.message}`).join('; ')),
            taken,
          );
        }
      }
      edge.apply(settings);
      app.foyer.audit.record(request.actor?.username ?? 'unknown', 'domain.set', settings.domain, {
        mode: settings.mode,
        ...(settings.acme ? { acme: settings.acme } : {}),
        ...(settings.email ? { email: settings.email } : {}),
        acmeRoot: settings.acmeRoot !== undefined,
        address: who(request),
      });
      return await edge.status();
    },
  );

  app.get(
    '/api/domain/ca',
    {
      schema: {
        summary: "The home CA's root certificate (PEM), for devices to trust",
        produces: ['application/x-pem-file'],
        response: { 200: T.String() },
      },
    },
    async (_request, reply) => {
      const root = await edgeOf(app).caRoot();
      if (!root)
        throw new Errors.NotFound(
          'the home CA has no root yet: set a domain with --internal first',
        );
      return reply.type('application/x-pem-file').send(root);
    },
  );

  app.get(
    '/api/auth/verify',
    {
      config: { public: true },
      schema: { summary: "The edge's auth gate: 200 and Remote-User for a signed-in admin" },
    },
    async (request, reply) => {
      const actor = request.actor;
      if (actor?.role === 'admin') {
        return reply.header('remote-user', actor.username).code(200).send();
      }
      if (actor) throw new Errors.Forbidden('only an admin may open this app');
      const domain = app.foyer.edge?.domains.get()?.domain;
      const browser = (request.headers.accept ?? '').includes('text/html');
      if (domain && browser) {
        return reply.redirect(`https://${domain}/`, 302);
      }
      throw new Errors.Unauthenticated();
    },
  );
}
