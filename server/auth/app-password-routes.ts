/**
 * A member's own app passwords (server/store/app-passwords.ts), under their own session as the
 * rest of "My account": list, make one (its value is in this reply only, never again, nor in a
 * log or the audit, which names the label), revoke one. Each change reaches slapd through the
 * directory sync, as a password change does.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type as T } from '@sinclair/typebox';
import { Errors } from '../errors.js';
import { MAX_APP_PASSWORDS, MAX_LABEL } from '../store/app-passwords.js';
import { accountOf } from './plugin.js';
import { MEMBER } from './roles.js';
import { IdParams, NoContent } from './schemas.js';

const AppPasswordReply = T.Object({
  id: T.Integer(),
  label: T.String(),
  createdAt: T.String(),
  lastUsedAt: T.Union([T.String(), T.Null()]),
});

const Label = T.String({ minLength: 1, maxLength: MAX_LABEL });

const appPasswordRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { appPasswords } = app.auth;
  const { audit } = app.foyer;
  /** slapd follows: the member's userPassword values change (server/directory/entries.ts). */
  const refreshDirectory = () => app.foyer.directory?.refresh();

  app.get(
    '/api/account/app-passwords',
    {
      config: MEMBER,
      schema: {
        summary: "One's app passwords for mail, chat and calendar programs (never their values)",
        response: { 200: T.Object({ appPasswords: T.Array(AppPasswordReply) }) },
      },
    },
    async (request) => ({ appPasswords: appPasswords.list(accountOf(request).userId) }),
  );

  app.post(
    '/api/account/app-passwords',
    {
      config: MEMBER,
      schema: {
        summary: 'Make an app password; its value is in this reply only',
        body: T.Object({ label: Label }, { additionalProperties: false }),
        response: {
          201: T.Object({
            appPassword: T.Object({ ...AppPasswordReply.properties, password: T.String() }),
          }),
        },
      },
    },
    async (request, reply) => {
      const actor = accountOf(request);
      const label = request.body.label.trim();
      // Something other than spaces, so the list says which device each one is for.
      if (label === '') throw new Errors.BadRequest('body.label: must not be only spaces');
      if (appPasswords.count(actor.userId) >= MAX_APP_PASSWORDS) {
        throw new Errors.Conflict(
          `you have ${MAX_APP_PASSWORDS} app passwords already; revoke one you no longer use first`,
        );
      }
      const made = await appPasswords.create(actor.userId, label);
      audit.record(actor.username, 'auth.app-password.created', actor.username, { label });
      refreshDirectory();
      return reply.code(201).send({ appPassword: made });
    },
  );

  app.delete(
    '/api/account/app-passwords/:id',
    {
      config: MEMBER,
      schema: {
        summary: 'Revoke one of one’s app passwords: the programs using it are refused within 10 s',
        params: IdParams,
        response: { 204: NoContent },
      },
    },
    async (request, reply) => {
      const actor = accountOf(request);
      const revoked = appPasswords.revoke(actor.userId, request.params.id);
      if (!revoked) throw new Errors.NotFound(`you have no app password ${request.params.id}`);
      audit.record(actor.username, 'auth.app-password.revoked', actor.username, {
        label: revoked.label,
      });
      refreshDirectory();
      return reply.code(204).send(null);
    },
  );
};

export default appPasswordRoutes;
