/**
 * First-run setup, sign-in and the signed-in user's own account: password
 * and two-factor (TOTP). Failed guesses are counted *before* the slow argon2
 * check by the login guard (./login-guard.ts): per client address, per
 * account and address, and a capped slow-down of the account as a whole, so
 * nobody can guess fast and nobody can lock the owner out (issue 11 §3).
 * API tokens and user management live in ./manage-routes.ts, app passwords in
 * ./app-password-routes.ts; asking for the password again (a new password, two-step
 * verification off, a new token or app password) in ./reauth.ts, over the same guard.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type as T } from '@sinclair/typebox';
import { closeSessionsLater } from '../directory/member-sessions.js';
import { Errors } from '../errors.js';
import appPasswordRoutes from './app-password-routes.js';
import { LoginGuard, type LoginLimits } from './login-guard.js';
import manageRoutes from './manage-routes.js';
import {
  accountOf,
  actorOf,
  clientAddress,
  SESSION_COOKIE,
  sessionCookieOptions,
  startSession,
} from './plugin.js';
import { passwordConfirmation } from './reauth.js';
import { MEMBER } from './roles.js';
import * as S from './schemas.js';
import { checkSetupCode, ensureSetupCode, removeSetupCode, setupCodePath } from './setup-code.js';
import { generateSecret, matchTotp, otpauthUri } from './totp.js';

const PUBLIC = { public: true };

export interface AuthRoutesOptions {
  /** Sign-in limits other than the defaults (tests shorten the slow-down). */
  loginLimits?: Partial<LoginLimits>;
  /** A guard shared with the other doors that take a password (server/oidc/routes.ts). */
  guard?: LoginGuard;
}

const authRoutes: FastifyPluginAsyncTypebox<AuthRoutesOptions> = async (app, options) => {
  const { users, sessions } = app.auth;
  const { audit, dataDir } = app.foyer;
  const guard = options.guard ?? new LoginGuard({ audit, limits: options.loginLimits });
  const reauth = passwordConfirmation({ guard, users, audit });
  const { admit: countAttempt } = reauth;
  // The last step whose code each user spent, so a code seen over a shoulder or in a proxy log
  // cannot be replayed within its 90-second window (RFC 6238 §5.2).
  const spentTotpStep = new Map<number, number>();

  // A fresh daemon prints the code, so whoever installed it can claim it.
  ensureSetupCode(dataDir, users.count() > 0, app.log);

  const spendTotp = (userId: number, code: string): boolean => {
    const secret = users.totpSecret(userId);
    const step = secret === undefined ? undefined : matchTotp(secret, code, Date.now());
    if (step === undefined || step <= (spentTotpStep.get(userId) ?? -1)) return false;
    spentTotpStep.set(userId, step);
    return true;
  };

  app.get(
    '/api/setup',
    {
      config: PUBLIC,
      schema: {
        summary: 'Whether first-run setup is still needed, and where its code is',
        response: {
          200: T.Object({
            needed: T.Boolean(),
            /** The file holding the setup code, while setup is needed, for the setup screen. */
            codeFile: T.Optional(T.String()),
          }),
        },
      },
    },
    async () =>
      users.count() === 0 ? { needed: true, codeFile: setupCodePath(dataDir) } : { needed: false },
  );

  app.post(
    '/api/setup',
    {
      config: PUBLIC,
      schema: {
        summary: 'Create the first admin with the setup code',
        body: T.Object(
          { code: T.String({ maxLength: 64 }), username: S.Username, password: S.NewPassword },
          { additionalProperties: false },
        ),
        response: { 201: S.UserEnvelope },
      },
    },
    async (request, reply) => {
      const { code, username, password } = request.body;
      const address = clientAddress(request);
      if (users.count() > 0) throw new Errors.AlreadySetUp();
      const attempt = await countAttempt(request, reply);
      if (!checkSetupCode(dataDir, code)) {
        audit.record('anonymous', 'setup.failed', undefined, { address });
        throw new Errors.SetupCodeWrong();
      }
      attempt.forgive();
      // The count above is a fast answer; this transaction is the guarantee against a race.
      const user = await users.createFirstAdmin(username, password);
      if (!user) throw new Errors.AlreadySetUp();
      removeSetupCode(dataDir);
      audit.record(user.username, 'setup', user.username, { address });
      startSession(app, request, reply, user.id);
      return reply.code(201).send({ user });
    },
  );

  app.post(
    '/api/auth/login',
    {
      config: PUBLIC,
      schema: {
        summary: 'Sign in; sets the session cookie',
        body: T.Object(
          {
            username: T.String({ minLength: 1, maxLength: 64 }),
            password: S.GivenPassword,
            totp: T.Optional(T.String({ maxLength: 16 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: S.UserEnvelope },
      },
    },
    async (request, reply) => {
      const { username, password } = request.body;
      const totp = request.body.totp?.replace(/\s/g, '') || undefined;
      const address = clientAddress(request);
      const attempt = await countAttempt(request, reply, username);
      const failed = (reason: string) => {
        audit.record('anonymous', 'auth.login.failed', username, { address, reason });
        return new Errors.BadCredentials();
      };
      const user = await users.verifyPassword(username, password);
      if (!user) throw failed('password');
      if (user.totpEnabled) {
        if (totp === undefined) {
          // Not a failure: the password was right and the client now asks for the code.
          attempt.forgive();
          throw new Errors.SecondFactorRequired();
        }
        if (!spendTotp(user.id, totp)) throw failed('totp');
      }
      attempt.forgive();
      guard.succeeded(address, user.username);
      startSession(app, request, reply, user.id);
      audit.record(user.username, 'auth.login', user.username, { address });
      return { user };
    },
  );

  app.post(
    '/api/auth/logout',
    { config: MEMBER, schema: { summary: 'End this session', response: { 204: S.NoContent } } },
    async (request, reply) => {
      const rawId = request.cookies[SESSION_COOKIE];
      if (actorOf(request).kind === 'session' && rawId !== undefined) sessions.delete(rawId);
      // The same path and domain it was set with, or the browser keeps it (issue 13).
      const { path, domain } = sessionCookieOptions(request);
      reply.clearCookie(SESSION_COOKIE, { path, ...(domain ? { domain } : {}) });
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/api/auth/me',
    {
      config: MEMBER,
      schema: {
        summary: 'Who is signed in',
        response: {
          200: T.Object({ actor: S.ActorReply, user: T.Union([S.UserReply, T.Null()]) }),
        },
      },
    },
    async (request) => {
      const actor = actorOf(request);
      return { actor, user: actor.userId === null ? null : (users.get(actor.userId) ?? null) };
    },
  );

  app.post(
    '/api/auth/password',
    {
      config: MEMBER,
      schema: {
        summary: "Change one's password; ends one's other sessions",
        body: T.Object(
          { current: S.GivenPassword, next: S.NewPassword },
          { additionalProperties: false },
        ),
        response: { 204: S.NoContent },
      },
    },
    async (request, reply) => {
      const actor = await reauth.confirm(request, reply, request.body.current);
      await users.updatePassword(actor.userId, request.body.next);
      // The directory's copy of the hash follows (issue 14: one password everywhere).
      app.foyer.directory?.refresh();
      // Whoever else held a session may have known the old password; this session stays.
      const keep = actor.kind === 'session' ? request.cookies[SESSION_COOKIE] : undefined;
      sessions.deleteAllOf(actor.userId, keep);
      audit.record(actor.username, 'auth.password.changed', actor.username);
      // And out of mail and chat (member-sessions.ts): the thief of an old password too.
      closeSessionsLater(app.foyer, request.log, actor.username, actor.username, 'password');
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/api/auth/totp/setup',
    {
      config: MEMBER,
      schema: {
        summary: 'Start two-factor set-up: a new secret, not yet enabled',
        response: { 200: T.Object({ secret: T.String(), uri: T.String() }) },
      },
    },
    async (request) => {
      const actor = accountOf(request);
      if (users.get(actor.userId)?.totpEnabled) {
        throw new Errors.Conflict('two-factor sign-in is already on; turn it off first');
      }
      const secret = generateSecret();
      users.setTotpSecret(actor.userId, secret);
      audit.record(actor.username, 'auth.totp.setup', actor.username);
      return { secret, uri: otpauthUri(secret, actor.username) };
    },
  );

  app.post(
    '/api/auth/totp/enable',
    {
      config: MEMBER,
      schema: {
        summary: 'Turn two-factor sign-in on with a code from the new secret',
        body: T.Object({ code: S.TotpCode }, { additionalProperties: false }),
        response: { 200: S.UserEnvelope },
      },
    },
    async (request) => {
      const actor = accountOf(request);
      const user = users.get(actor.userId);
      if (user?.totpEnabled) throw new Errors.Conflict('two-factor sign-in is already on');
      if (users.totpSecret(actor.userId) === undefined) {
        throw new Errors.Conflict(
          'no two-factor set-up is pending; POST /api/auth/totp/setup first',
        );
      }
      if (!spendTotp(actor.userId, request.body.code)) throw new Errors.TotpCodeWrong();
      users.setTotpEnabled(actor.userId, true);
      // From now on the main password opens no door that cannot ask for a code: slapd drops it,
      // and programs signed in with it are signed out (they come back with app passwords).
      app.foyer.directory?.refresh();
      audit.record(actor.username, 'auth.totp.enabled', actor.username);
      closeSessionsLater(app.foyer, request.log, actor.username, actor.username, 'two-step-on');
      return { user: users.get(actor.userId)! };
    },
  );

  app.post(
    '/api/auth/totp/disable',
    {
      config: MEMBER,
      schema: {
        summary: 'Turn two-factor sign-in off; needs the password',
        body: T.Object({ password: S.GivenPassword }, { additionalProperties: false }),
        response: { 200: S.UserEnvelope },
      },
    },
    async (request, reply) => {
      const actor = await reauth.confirm(request, reply, request.body.password);
      users.setTotpSecret(actor.userId, null);
      spentTotpStep.delete(actor.userId);
      // The main password opens mail, chat and calendar again: slapd gets it back.
      app.foyer.directory?.refresh();
      audit.record(actor.username, 'auth.totp.disabled', actor.username);
      return { user: users.get(actor.userId)! };
    },
  );

  // Making an API token or an app password asks for the password again (./reauth.ts).
  await app.register(manageRoutes, { reauth });
  await app.register(appPasswordRoutes, { reauth });
};

export default authRoutes;
