/**
 * API tokens (each user's own, so members too; the value is shown once, when
 * made, and making one asks for the password again: ./reauth.ts) and user
 * management (admins only, the default role). Registered by ./routes.ts.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type as T } from '@sinclair/typebox';
import Database from 'better-sqlite3';
import { closeSessionsLater } from '../directory/member-sessions.js';
import { Errors } from '../errors.js';
import { accountOf, actorOf } from './plugin.js';
import type { PasswordConfirmation } from './reauth.js';
import { MEMBER } from './roles.js';
import * as S from './schemas.js';
import { removeSetupCode } from './setup-code.js';

export interface ManageRoutesOptions {
  /** The sign-in's password check, asked again before a token is made. */
  reauth: PasswordConfirmation;
}

const manageRoutes: FastifyPluginAsyncTypebox<ManageRoutesOptions> = async (app, { reauth }) => {
  const { users, tokens } = app.auth;
  const { audit, dataDir } = app.foyer;

  app.get(
    '/api/tokens',
    {
      config: MEMBER,
      schema: {
        summary: "One's API tokens, without their values",
        response: { 200: T.Object({ tokens: T.Array(S.TokenReply) }) },
      },
    },
    async (request) => {
      const { userId } = actorOf(request);
      return { tokens: userId === null ? [] : tokens.list(userId) };
    },
  );

  app.post(
    '/api/tokens',
    {
      config: MEMBER,
      schema: {
        summary: 'Make an API token with your current password; its value is in this answer only',
        body: T.Object(
          { name: T.String({ minLength: 1, maxLength: 100 }), password: S.ConfirmingPassword },
          { additionalProperties: false },
        ),
        response: { 201: T.Object({ id: T.Integer(), name: T.String(), token: T.String() }) },
      },
    },
    async (request, reply) => {
      const { name, password } = request.body;
      // A session or a token: either may be borrowed, and a new token outlives both.
      const actor = await reauth.confirm(request, reply, password, {
        action: 'token.refused',
        detail: { name },
        purpose: 'make an API token',
      });
      const made = tokens.create(actor.userId, name);
      audit.record(actor.username, 'token.created', String(made.id), { name: made.name });
      return reply.code(201).send({ id: made.id, name: made.name, token: made.token });
    },
  );

  app.delete(
    '/api/tokens/:id',
    {
      config: MEMBER,
      schema: {
        summary: 'Revoke one of your API tokens',
        params: S.IdParams,
        response: { 204: S.NoContent },
      },
    },
    async (request, reply) => {
      const actor = accountOf(request);
      // Someone else's token answers as a missing one: its existence is not the caller's business.
      if (!tokens.delete(actor.userId, request.params.id)) {
        throw new Errors.NotFound(`no token ${request.params.id}`);
      }
      audit.record(actor.username, 'token.deleted', String(request.params.id));
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/api/users',
    {
      schema: {
        summary: 'Every user (admins only)',
        response: { 200: T.Object({ users: T.Array(S.UserReply) }) },
      },
    },
    async () => ({ users: users.list() }),
  );

  app.post(
    '/api/users',
    {
      schema: {
        summary: 'Add a user (admins only)',
        body: T.Object(
          { username: S.Username, password: S.NewPassword, role: S.Role },
          { additionalProperties: false },
        ),
        response: { 201: S.UserEnvelope },
      },
    },
    async (request, reply) => {
      const actor = actorOf(request);
      const { username, role } = request.body;
      const taken = () => new Errors.Conflict(`body.username: "${username}" is taken`);
      if (users.getByUsername(username)) throw taken();
      let user: Awaited<ReturnType<typeof users.create>>;
      try {
        user = await users.create(request.body);
      } catch (error) {
        // Another request may have taken the name while the password was being hashed.
        if (error instanceof Database.SqliteError && error.code === 'SQLITE_CONSTRAINT_UNIQUE') {
          throw taken();
        }
        throw error;
      }
      // A user made through the local socket before setup ends setup as well.
      removeSetupCode(dataDir);
      audit.record(actor.username, 'user.created', user.username, { role });
      app.foyer.directory?.refresh();
      return reply.code(201).send({ user });
    },
  );

  app.delete(
    '/api/users/:id',
    {
      schema: {
        summary: 'Remove a user with their sessions and tokens (admins only)',
        params: S.IdParams,
        response: { 204: S.NoContent },
      },
    },
    async (request, reply) => {
      const actor = actorOf(request);
      const { id } = request.params;
      if (actor.userId === id) throw new Errors.Conflict('you cannot remove your own account');
      const user = users.get(id);
      if (!user) throw new Errors.NotFound(`no user ${id}`);
      // Without an admin only the local socket could manage the box again.
      const admins = users.list().filter((u) => u.role === 'admin');
      if (user.role === 'admin' && admins.length === 1) {
        throw new Errors.Conflict('you cannot remove the last admin');
      }
      users.delete(id);
      app.foyer.directory?.refresh();
      audit.record(actor.username, 'user.deleted', user.username);
      closeSessionsLater(app.foyer, request.log, actor.username, user.username, 'removed');
      return reply.code(204).send(null);
    },
  );
};

export default manageRoutes;
