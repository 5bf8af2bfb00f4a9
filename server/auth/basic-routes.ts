/**
 * `GET /api/auth/basic/:install`, the edge's HTTP Basic check (issue 14): for an app whose
 * app.yaml says `web: { auth: members-basic }` (Radicale), Caddy's forward_auth asks here with
 * the client's `Authorization` before anything reaches the app. The answer: 200 and
 * `Remote-User` for a member allowed to use the install; 401 with a `WWW-Authenticate`
 * challenge (so DAV clients ask their person) for no or wrong credentials or a disabled
 * member; 403 for a right password without access; 429 with `Retry-After` once the client's
 * address is over the sign-in limits, which it shares with Foyer's sign-in and OIDC's. The
 * address is the one Caddy saw (X-Forwarded-For read from the edge's socket only).
 * No password is logged or audited: Fastify logs no request headers, the cache keeps HMACs.
 * Which passwords open it is ./door-password.ts's rule: a member with two-step verification on
 * gets in only with an app password.
 */
import { Type as T } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { membersRepository } from '../directory/members.js';
import { Errors } from '../errors.js';
import { BasicCheckCache, basicAccess, basicChallenge, parseBasic } from './basic-check.js';
import { doorHashes, verifyDoorPassword } from './door-password.js';
import type { LoginGuard } from './login-guard.js';
import { clientAddress } from './plugin.js';

export interface BasicRoutesOptions {
  /** Foyer's sign-in guard, shared with every door that takes a password. */
  guard: LoginGuard;
}

const basicRoutes: FastifyPluginAsync<BasicRoutesOptions> = async (app, options) => {
  const { store, pins, audit } = app.foyer;
  const accounts = app.auth;
  const members = app.foyer.directory?.members ?? membersRepository(store.db);
  const { guard } = options;
  const cache = new BasicCheckCache();

  app.get<{ Params: { install: string } }>(
    '/api/auth/basic/:install',
    {
      config: { public: true },
      schema: {
        summary:
          "The edge's Basic check: 200 and Remote-User for a member allowed to use the install",
        params: T.Object({ install: T.String({ maxLength: 64 }) }),
      },
    },
    async (request, reply) => {
      const { install } = request.params;
      const record = store.installs.get(install);
      if (!record || pins.of(record)?.manifest.web?.auth !== 'members-basic') {
        throw new Errors.NotFound(`no install "${install}" takes members' Basic credentials`);
      }
      const allowed = (name: string) => {
        reply.header('remote-user', name).code(200).send();
        return reply;
      };
      const challenge = () => reply.header('www-authenticate', basicChallenge(install));
      const credentials = parseBasic(request.headers.authorization);
      // No credentials is how a DAV client's first request looks: not a guess, not counted.
      if (!credentials) {
        challenge();
        throw new Errors.Unauthenticated();
      }
      const { name, password } = credentials;
      const granted = () => basicAccess(members.get(name), members.access(install));
      const stored = doorHashes(accounts, name);
      // Right within the last seconds, and still active, granted and with the same passwords.
      if (stored !== undefined && cache.has(install, credentials, stored) && granted()) {
        return allowed(name);
      }

      const address = clientAddress(request);
      const admission = await guard.admit(address, name);
      if ('retryAfter' in admission) {
        reply.header('retry-after', String(admission.retryAfter));
        throw new Errors.TooManyRequests(
          `too many failed attempts; try again in ${admission.retryAfter} seconds`,
        );
      }
      const user = await verifyDoorPassword(accounts, name, password);
      if (!user) {
        audit.record('anonymous', 'auth.login.failed', name, {
          address,
          reason: 'password',
          via: 'basic',
          install,
        });
        challenge();
        throw new Errors.BadCredentials();
      }
      admission.forgive();
      guard.succeeded(address, user.username);
      if (!granted()) {
        throw new Errors.Forbidden(`${user.username} may not use ${install}`);
      }
      // Remembered against the hashes read before the check: had they changed during it, the
      // next request misses the cache and is checked afresh.
      if (stored !== undefined) cache.remember(install, credentials, stored);
      return allowed(user.username);
    },
  );
};

export default basicRoutes;
