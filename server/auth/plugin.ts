/**
 * Who is asking (DESIGN.md "Interfaces", "Security"): one global `onRequest`
 * hook names the actor of every request — the local admin through the unix
 * socket, else a Bearer API token, else the session cookie — and refuses
 * every route not marked `config.public` without one, including routes that
 * plugins register later and the event stream. Admins manage the box;
 * members use it: a route is for admins unless its config says
 * `role: 'member'` (issue 11 §2), so a forgotten route is closed, not open.
 * Requests that a browser
 * sends with its ambient cookie must also come from Foyer's own origin.
 */
import cookie, { type CookieSerializeOptions } from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { hostOf } from '../access/hosts.js';
import { Errors } from '../errors.js';
import { isLocalRequest } from '../local-socket.js';
import { type AppPasswordRepository, appPasswordsRepository } from '../store/app-passwords.js';
import { SESSION_TTL_MS, type SessionRepository, sessionsRepository } from '../store/sessions.js';
import { type TokenRepository, tokensRepository } from '../store/tokens.js';
import { type Role, type UserRepository, usersRepository } from '../store/users.js';
import { routeRole } from './roles.js';

/** The name of the session cookie. */
export const SESSION_COOKIE = 'foyer_session';

/** Who a request acts as; `local` is whoever can open the 0600 unix socket. */
export interface Actor {
  kind: 'session' | 'token' | 'local';
  /** Null for the local admin, who has no account. */
  userId: number | null;
  username: string;
  role: Role;
}

/** The account repositories, for the auth routes. */
export interface AuthRepositories {
  users: UserRepository;
  sessions: SessionRepository;
  tokens: TokenRepository;
  /** Members' app passwords for the doors that cannot ask for a code (./door-password.ts). */
  appPasswords: AppPasswordRepository;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the auth plugin; absent only on public routes reached without credentials. */
    actor?: Actor;
  }
  interface FastifyInstance {
    auth: AuthRepositories;
  }
}

const LOCAL_ADMIN: Actor = { kind: 'local', userId: null, username: 'local', role: 'admin' };
const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * The client's address: the socket's peer, or what the trusted edge says in X-Forwarded-For
 * when the peer is the edge; anyone else's X-Forwarded-For is their word, not a fact.
 */
export function clientAddress(request: FastifyRequest): string {
  return request.ip ?? request.socket.remoteAddress ?? 'unknown';
}

/** Options of the session cookie: not readable by scripts, never sent cross-site. */
export function sessionCookieOptions(request: FastifyRequest): CookieSerializeOptions {
  return {
    httpOnly: true,
    sameSite: 'strict',
    path: '/',
    secure: request.protocol === 'https',
    maxAge: SESSION_TTL_MS / 1000,
    ...edgeCookieDomain(request),
  };
}

/**
 * Signed in at `https://<domain>/`, the session also reaches `<install>.<domain>`, where the
 * edge's auth gate asks for it (issue 13): the cookie names the domain when the request came by it.
 */
function edgeCookieDomain(request: FastifyRequest): { domain?: string } {
  const domain = request.server.foyer?.edge?.domains.get()?.domain;
  if (!domain || request.protocol !== 'https') return {};
  const host = hostOf(request.host);
  return host === domain || host.endsWith(`.${domain}`) ? { domain } : {};
}

/** Starts a session for `userId` and hands its id to the browser in the cookie. */
export function startSession(
  app: FastifyInstance,
  request: FastifyRequest,
  reply: FastifyReply,
  userId: number,
): void {
  const rawId = app.auth.sessions.create(userId);
  reply.setCookie(SESSION_COOKIE, rawId, sessionCookieOptions(request));
}

/** The request's actor; throws 401 if there is none (a public route reached without credentials). */
export function actorOf(request: FastifyRequest): Actor {
  if (!request.actor) throw new Errors.Unauthenticated();
  return request.actor;
}

/** The request's actor when it is a user with an account; the local admin has none (403). */
export function accountOf(request: FastifyRequest): Actor & { userId: number } {
  const actor = actorOf(request);
  if (actor.userId === null) {
    throw new Errors.Forbidden('the local admin has no account; sign in as a user for this');
  }
  return { ...actor, userId: actor.userId };
}

/**
 * True when the browser says the request comes from the page's own origin. Behind the HTTPS edge
 * the page's scheme and host are the edge's (X-Forwarded-Proto/-Host), which Fastify reads only
 * from the trusted edge (server/access/proxy.ts); from anyone else, the socket's and Host.
 */
function isSameOrigin(request: FastifyRequest): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) return request.headers['sec-fetch-site'] === 'same-origin';
  const own = `${request.protocol}://${request.host}`;
  return origin.toLowerCase() === own.toLowerCase();
}

function identify(
  request: FastifyRequest,
  reply: FastifyReply,
  auth: AuthRepositories,
): Actor | undefined {
  if (isLocalRequest(request.raw)) return LOCAL_ADMIN;
  const authorization = request.headers.authorization;
  // An explicit credential decides alone: a bad token does not fall back to the cookie.
  if (authorization !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    const token = match?.[1] === undefined ? undefined : auth.tokens.lookup(match[1]);
    const user = token && auth.users.get(token.userId);
    // A disabled member's tokens stop working with every other door (issue 14).
    if (user?.state === 'disabled') return undefined;
    return user && { kind: 'token', userId: user.id, username: user.username, role: user.role };
  }
  const rawId = request.cookies[SESSION_COOKIE];
  if (rawId === undefined) return undefined;
  const session = auth.sessions.lookup(rawId);
  const user = session && auth.users.get(session.userId);
  if (!session || !user || user.state === 'disabled') return undefined;
  // The server slid the expiry; the browser's copy of the cookie follows.
  if (session.renewed) reply.setCookie(SESSION_COOKIE, rawId, sessionCookieOptions(request));
  return { kind: 'session', userId: user.id, username: user.username, role: user.role };
}

export default fp(
  async (app: FastifyInstance) => {
    await app.register(cookie);
    const { db } = app.foyer.store;
    const auth: AuthRepositories = {
      users: usersRepository(db),
      sessions: sessionsRepository(db),
      tokens: tokensRepository(db),
      appPasswords: appPasswordsRepository(db),
    };
    app.decorate('auth', auth);
    app.decorateRequest('actor', undefined);

    app.addHook('onRequest', async (request, reply) => {
      const actor = identify(request, reply, auth);
      request.actor = actor;
      const config = request.routeOptions.config;
      if (!actor && config?.public !== true) throw new Errors.Unauthenticated();
      if (actor && config?.public !== true && routeRole(config) === 'admin') {
        if (actor.role !== 'admin') throw new Errors.Forbidden('only an admin may do this');
      }
      if (!STATE_CHANGING.has(request.method)) return;
      // A cookie rides along on any request the browser makes, so a cookie-authenticated write
      // must prove it comes from Foyer's own pages (OWASP CSRF cheat sheet, "Verifying Origin").
      // Bearer tokens and the local socket carry no ambient credential and are exempt.
      if (actor?.kind === 'session' && !isSameOrigin(request)) throw new Errors.CrossOrigin();
      // Public writes (sign-in, setup) from another site's page are refused too, so no page can
      // sign a visitor's browser into an account of its choosing; clients without Origin pass.
      if (!actor && request.headers.origin !== undefined && !isSameOrigin(request)) {
        throw new Errors.CrossOrigin();
      }
    });
  },
  { name: 'auth', dependencies: ['error-handler'] },
);
