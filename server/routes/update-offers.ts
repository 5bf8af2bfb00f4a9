/**
 * Offers besides the catalogue, and updates by themselves (issue 15):
 * `POST /api/installs/:id/update/check` checks the install's built images
 * against Debian's archive now (the daemon also does it daily) and answers
 * what is offered; `GET`/`PUT /api/installs/:id/auto-update` read and set
 * the install's automatic updates (off by default) and their daily window.
 */
import { Type as T } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Errors } from '../errors.js';
import type { Install } from '../store/index.js';
import { autoUpdateProblems } from '../updates/auto-policy.js';
import { debianOffer } from '../updates/auto-updates.js';
import { withProblems } from './install-checks.js';
import { AutoUpdateReply, DebianOfferReply, IdParams } from './schemas.js';

const AutoUpdateBody = T.Object(
  {
    enabled: T.Boolean(),
    /** `HH:MM-HH:MM`, the box's local time; kept as it was when left out. */
    window: T.Optional(T.String({ maxLength: 11 })),
  },
  { additionalProperties: false },
);

export interface UpdateOfferRouteContext {
  find(id: string): Install;
  actorOf(request: FastifyRequest): string;
  addressOf(request: FastifyRequest): string;
}

/** What the install's checks offer now (the view and the update preview share it). */
export function debianOfferReply(app: FastifyInstance, installId: string) {
  const { offers, debianChecks } = app.foyer;
  const checks = offers.checks(installId);
  const newest =
    checks
      .map((c) => c.checkedAt)
      .sort()
      .at(-1) ?? null;
  return {
    checkedAt: newest,
    packages: debianOffer(app.foyer, offers, installId),
    problems: checks
      .filter((c) => c.error !== null)
      .map((c) => ({ service: c.service, error: c.error as string })),
    checking: debianChecks.isChecking(installId),
  };
}

export function updateOfferRoutes(app: FastifyInstance, ctx: UpdateOfferRouteContext) {
  const { offers, debianChecks, audit } = app.foyer;

  app.post(
    '/api/installs/:id/update/check',
    {
      schema: {
        summary:
          'Start checking the install’s images built from Debian for newer packages (a throwaway container runs apt; it changes nothing). `GET …/update` says when it is done',
        params: IdParams,
        response: { 202: DebianOfferReply },
      },
    },
    async (request, reply) => {
      const install = ctx.find((request.params as { id: string }).id);
      // Minutes on a slow mirror: the answer does not wait; `checking` says it is under way.
      debianChecks.check(install.id).catch((error) => request.log.warn({ err: error }, 'check'));
      return reply.status(202).send(debianOfferReply(app, install.id));
    },
  );

  app.get(
    '/api/installs/:id/auto-update',
    {
      schema: {
        summary: 'Whether the install updates itself, in which daily window',
        params: IdParams,
        response: { 200: AutoUpdateReply },
      },
    },
    async (request) => offers.autoUpdate(ctx.find((request.params as { id: string }).id).id),
  );

  app.put(
    '/api/installs/:id/auto-update',
    {
      schema: {
        summary:
          'Turn the install’s automatic updates on or off, in a daily window (HH:MM-HH:MM, local time)',
        params: IdParams,
        body: AutoUpdateBody,
        response: { 200: AutoUpdateReply },
      },
    },
    async (request) => {
      const install = ctx.find((request.params as { id: string }).id);
      const body = request.body as { enabled: boolean; window?: string };
      const setting = {
        enabled: body.enabled,
        window: body.window ?? offers.autoUpdate(install.id).window,
      };
      const problems = autoUpdateProblems(setting);
      if (problems.length > 0)
        throw withProblems(
          new Errors.BadRequest(problems.map((p) => `${p.path}: ${p.message}`).join('; ')),
          problems,
        );
      app.foyer.store.db.transaction(() => {
        offers.setAutoUpdate(install.id, setting);
        audit.record(ctx.actorOf(request), 'install.auto-update', install.id, {
          ...setting,
          address: ctx.addressOf(request),
        });
      })();
      return offers.autoUpdate(install.id);
    },
  );
}
