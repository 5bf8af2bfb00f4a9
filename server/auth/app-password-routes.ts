/**
 * A member's own app passwords (server/store/app-passwords.ts), under their own session as the
 * rest of "My account": list, make one (its value is in this reply only, never again, nor in a
 * log or the audit, which names the label), revoke one. Each change reaches slapd through the
 * directory sync, as a password change does. Making one asks for the member's password
 * again (./reauth.ts): a session left open in a browser must not mint a password that opens
 * mail for months and skips two-step verification.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type as T } from '@sinclair/typebox';
import { closeSessionsLater } from '../directory/member-sessions.js';
import { Errors } from '../errors.js';
import { MAX_APP_PASSWORDS, MAX_LABEL } from '../store/app-passwords.js';
import { accountOf } from './plugin.js';
import type { PasswordConfirmation } from './reauth.js';
import { MEMBER } from './roles.js';
import { ConfirmingPassword, IdParams, NoContent } from './schemas.js';

const AppPasswordReply = T.Object({
  id: T.Integer(),
  label: T.String(),
  createdAt: T.String(),
  lastUsedAt: T.Union([T.String(), T.Null()]),
});

const Label = T.String({ minLength: 1, maxLength: MAX_LABEL });

export interface AppPasswordRoutesOptions {
  /** The sign-in's password check, asked again before an app password is made. */
  reauth: PasswordConfirmation;
}

const appPasswordRoutes: FastifyPluginAsyncTypebox<AppPasswordRoutesOptions> = async (
  app,
  { reauth },
) => {
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
        summary: 'Make an app password with your current password; its value is in this reply only',
        body: T.Object(
          { label: Label, password: ConfirmingPassword },
          { additionalProperties: false },
        ),
        response: {
          201: T.Object({
            appPassword: T.Object({ ...AppPasswordReply.properties, password: T.String() }),
          }),
        },
      },
    },
    async (request, reply) => {
      const label = request.body.label.trim();
      // Something other than spaces, so the list says which device each one is for.
      if (label === '') throw new Errors.BadRequest('body.label: must not be only spaces');
      if (appPasswords.count(accountOf(request).userId) >= MAX_APP_PASSWORDS) {
        throw new Errors.Conflict(
          `you have ${MAX_APP_PASSWORDS} app passwords already; revoke one you no longer use first`,
        );
      }
      const actor = await reauth.confirm(request, reply, request.body.password, {
        action: 'auth.app-password.refused',
        detail: { label },
        purpose: 'make an app password',
      });
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
      // A program signed in with it (a lost laptop's mail client in IDLE) is signed out: the
      // member's other programs reconnect with their own credentials.
      closeSessionsLater(
        app.foyer,
        request.log,
        actor.username,
        actor.username,
        'app-password-revoked',
      );
      return reply.code(204).send(null);
    },
  );
};

export default appPasswordRoutes;
