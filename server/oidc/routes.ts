/**
 * The provider under /oidc (issue 14). Everything but the interaction goes to oidc-provider's
 * Koa app as the raw request, before Fastify reads the body (oidc-provider parses its own), with
 * X-Forwarded-* replaced by what Fastify trusts (only the configured edge may set them, see
 * server/access/proxy.ts), so the provider's `proxy` mode never believes a client.
 *
 * The interaction is Foyer's member sign-in: a member already signed into Foyer (the session
 * cookie) goes straight back to the app with a code; otherwise the sign-in page, counted by the
 * same login guard as Foyer's own sign-in (per address, per account and address, the account's
 * slow-down) and asking for the TOTP code when two-step verification is on. A member who may not
 * use the app (./claims.ts `mayUse`) is sent back to it with `access_denied`.
 */
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Provider } from 'oidc-provider';
import type { LoginGuard } from '../auth/login-guard.js';
import { clientAddress, startSession } from '../auth/plugin.js';
import { matchTotp } from '../auth/totp.js';
import { mayUse } from './claims.js';
import { OIDC_PATH } from './issuer.js';
import { errorPage, PAGE_CSP, reloadPage, signInPage } from './page.js';
import { fill, pageLanguage, pageText } from './page-text.js';
import type { OidcService } from './service.js';

const PUBLIC = { public: true };
const HIDDEN = { hide: true };

export interface OidcRoutesOptions {
  /** Foyer's sign-in guard, shared with /api/auth/login so every door counts together. */
  guard: LoginGuard;
}

function html(reply: FastifyReply, status: number, body: string) {
  return reply
    .code(status)
    .header('content-security-policy', PAGE_CSP)
    .header('cache-control', 'no-store')
    .type('text/html; charset=utf-8')
    .send(body);
}

/** The raw request as oidc-provider must see it: its own paths, Foyer's view of the client. */
function handOver(request: FastifyRequest): FastifyRequest['raw'] {
  const raw = request.raw as FastifyRequest['raw'] & { originalUrl?: string };
  for (const name of Object.keys(raw.headers)) {
    if (name.startsWith('x-forwarded-')) delete raw.headers[name];
  }
  raw.headers['x-forwarded-proto'] = request.protocol;
  raw.headers['x-forwarded-host'] = request.host;
  raw.headers['x-forwarded-for'] = clientAddress(request);
  raw.originalUrl = raw.url;
  raw.url = raw.url!.slice(OIDC_PATH.length) || '/';
  return raw;
}

/** oidc-provider's endpoints: discovery, JWKS, authorization, token, userinfo, end session. */
const providerRoutes =
  (oidc: OidcService): FastifyPluginAsync =>
  async (app) => {
    // The body stays unread: oidc-provider parses it.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', (_request, _payload, done) => done(null));
    // Koa composes its middleware at each callback(): once per provider.
    const handlers = new WeakMap<object, ReturnType<Provider['callback']>>();
    const forward = async (request: FastifyRequest, reply: FastifyReply) => {
      const provider = await oidc.provider();
      let handler = handlers.get(provider);
      if (!handler) {
        handler = provider.callback();
        handlers.set(provider, handler);
      }
      reply.hijack();
      handler(handOver(request), reply.raw);
    };
    app.all(OIDC_PATH, { config: PUBLIC, schema: HIDDEN }, forward);
    app.all(`${OIDC_PATH}/*`, { config: PUBLIC, schema: HIDDEN }, forward);
  };

interface LoginBody {
  username?: string;
  password?: string;
  totp?: string;
}

/** Foyer's interaction: the member's session, else the sign-in form. */
const interactionRoutes =
  (oidc: OidcService, guard: LoginGuard): FastifyPluginAsync =>
  async (app) => {
    app.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string', bodyLimit: 16 * 1024 },
      (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(String(body)))),
    );
    const { audit } = app.foyer;
    const { users } = app.auth;
    // The last TOTP step each member spent here, so a code cannot be replayed (RFC 6238 §5.2).
    const spentTotpStep = new Map<number, number>();

    const details = async (request: FastifyRequest, reply: FastifyReply) => {
      const provider = await oidc.provider();
      try {
        return { provider, interaction: await provider.interactionDetails(request.raw, reply.raw) };
      } catch {
        return undefined;
      }
    };
    const languageOf = (request: FastifyRequest) =>
      pageLanguage(request.headers['accept-language']);
    const expired = (request: FastifyRequest, reply: FastifyReply) => {
      const language = languageOf(request);
      const text = pageText(language);
      return html(reply, 400, errorPage(text.expiredTitle, text.expiredDetail, language));
    };

    /** Ends the interaction for account `userId`: back to the app with a code, or refused. */
    const finish = async (
      request: FastifyRequest,
      reply: FastifyReply,
      found: NonNullable<Awaited<ReturnType<typeof details>>>,
      userId: number,
    ) => {
      const install = String(found.interaction.params.client_id);
      const member = oidc.accounts.byUserId(userId);
      const decision = member
        ? mayUse(member, install, oidc.accounts.grantedGroups(install))
        : { allowed: false as const, reason: 'no such member' };
      const address = clientAddress(request);
      let result: Record<string, unknown>;
      if (decision.allowed && member) {
        audit.record(member.name, 'oidc.login', install, { address });
        result = { login: { accountId: member.subject } };
      } else {
        audit.record(member?.name ?? 'anonymous', 'oidc.login.refused', install, {
          address,
          reason: decision.allowed ? 'unknown' : decision.reason,
        });
        result = {
          error: 'access_denied',
          error_description: 'this member may not use this app; an admin can grant access',
        };
      }
      const returnTo = await found.provider.interactionResult(request.raw, reply.raw, result, {
        mergeWithLastSubmission: false,
      });
      return reply.redirect(returnTo, 303);
    };

    const appName = (found: NonNullable<Awaited<ReturnType<typeof details>>>) => {
      const id = String(found.interaction.params.client_id);
      return oidc.findClient(id)?.client_name ?? id;
    };

    app.get<{ Params: { uid: string } }>(
      `${OIDC_PATH}/interaction/:uid`,
      { config: PUBLIC, schema: HIDDEN },
      async (request, reply) => {
        const found = await details(request, reply);
        if (!found || found.interaction.uid !== request.params.uid) return expired(request, reply);
        const actor = request.actor;
        if (actor?.kind === 'session' && actor.userId !== null) {
          return finish(request, reply, found, actor.userId);
        }
        const here = `${OIDC_PATH}/interaction/${found.interaction.uid}`;
        // A redirect chain that began on the app's site withheld Foyer's SameSite=Strict session
        // cookie; one same-origin hop brings it, and comes back here as same-origin.
        if (request.headers['sec-fetch-site'] === 'cross-site') {
          return html(reply, 200, reloadPage(here, languageOf(request)));
        }
        return html(
          reply,
          200,
          signInPage({
            action: `${here}/login`,
            appName: appName(found),
            language: languageOf(request),
          }),
        );
      },
    );

    app.post<{ Params: { uid: string }; Body: LoginBody }>(
      `${OIDC_PATH}/interaction/:uid/login`,
      { config: PUBLIC, schema: HIDDEN },
      async (request, reply) => {
        const found = await details(request, reply);
        if (!found || found.interaction.uid !== request.params.uid) return expired(request, reply);
        const body = request.body ?? {};
        const username = String(body.username ?? '').slice(0, 64);
        const password = String(body.password ?? '').slice(0, 1024);
        const totp = String(body.totp ?? '').replace(/\s/g, '') || undefined;
        const action = `${OIDC_PATH}/interaction/${found.interaction.uid}/login`;
        const language = languageOf(request);
        const text = pageText(language);
        const again = (status: number, error: string, askTotp = false) =>
          html(
            reply,
            status,
            signInPage({ action, appName: appName(found), username, error, askTotp, language }),
          );
        const address = clientAddress(request);
        const admission = await guard.admit(address, username || undefined);
        if ('retryAfter' in admission) {
          reply.header('retry-after', String(admission.retryAfter));
          return again(429, fill(text.tooMany, { seconds: admission.retryAfter }));
        }
        const failed = (reason: 'password' | 'totp') => {
          audit.record('anonymous', 'auth.login.failed', username, {
            address,
            reason,
            via: 'oidc',
          });
          // A wrong code keeps the code field: the password was right.
          return again(401, text.wrong, reason === 'totp');
        };
        const user =
          username && password ? await users.verifyPassword(username, password) : undefined;
        if (!user) return failed('password');
        if (user.totpEnabled) {
          if (totp === undefined) {
            // The password was right; the member is asked for the code (not a failure).
            admission.forgive();
            return again(200, text.askTotp, true);
          }
          const secret = users.totpSecret(user.id);
          const step = secret === undefined ? undefined : matchTotp(secret, totp, Date.now());
          if (step === undefined || step <= (spentTotpStep.get(user.id) ?? -1)) {
            return failed('totp');
          }
          spentTotpStep.set(user.id, step);
        }
        admission.forgive();
        guard.succeeded(address, user.username);
        // Signed into Foyer too: the next app's sign-in needs nothing more.
        startSession(app as FastifyInstance, request, reply, user.id);
        audit.record(user.username, 'auth.login', user.username, { address, via: 'oidc' });
        return finish(request, reply, found, user.id);
      },
    );
  };

/** Mounts the provider and Foyer's interaction when the daemon has an OIDC service. */
const oidcRoutes: FastifyPluginAsync<OidcRoutesOptions> = async (app, options) => {
  const oidc = app.foyer.oidc;
  if (!oidc) return;
  await app.register(providerRoutes(oidc));
  await app.register(interactionRoutes(oidc, options.guard));
};

export default oidcRoutes;
