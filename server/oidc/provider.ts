/**
 * oidc-provider's configuration for Foyer (issue 14; reference B4). The provider is loaded on
 * the first request under /oidc, so a box whose apps never use single sign-on never pays for it
 * (bench/oidc.bench.ts measures what it adds).
 *
 * - Storage: Foyer's store (./adapter.ts); keys made once (./keys.ts).
 * - Clients: one per install whose app.yaml declares `oidc` (./clients.ts), found at each use,
 *   so an install removed is a client gone.
 * - Every authorization request goes through Foyer's interaction (./routes.ts): the provider's
 *   own session never signs a member in on its own, so a disabled member, a member who lost
 *   access, or a member who signed out of Foyer is asked again. Consent is implicit: every
 *   client is an install on this box (first-party), so the grant is made on the spot.
 * - The ID token carries the scope's claims (`conformIdTokenClaims: false`): GoToSocial and most
 *   apps read `preferred_username`, `email` and `groups` from it.
 */
import type Database from 'better-sqlite3';
import type { Provider as ProviderType } from 'oidc-provider';
import type { OidcAccounts } from './accounts.js';
import { type Payload, sqliteAdapter } from './adapter.js';
import { mayUse, memberClaims, SCOPE_CLAIMS } from './claims.js';
import { ensureKeys } from './keys.js';
import { errorPage, PAGE_CSP } from './page.js';
import { pageLanguage, pageText } from './page-text.js';

export interface ProviderDeps {
  issuer: string;
  db: Database.Database;
  accounts: OidcAccounts;
  /** The client metadata of an install that declares `oidc`. */
  findClient(id: string): Payload | undefined;
}

/** Builds the provider for `issuer` (oidc-provider is imported here, at first use). */
export async function createProvider(deps: ProviderDeps): Promise<ProviderType> {
  const { default: Provider, interactionPolicy } = await import('oidc-provider');
  const { Check, base } = interactionPolicy;
  const keys = await ensureKeys(deps.db);
  const policy = base();
  // Foyer decides at every authorization request (module comment): the login prompt is always
  // due unless this very request comes back from Foyer's interaction.
  policy
    .get('login')!
    .checks.add(
      new Check('foyer_member', 'Foyer checks the member at every sign-in', (ctx) =>
        ctx.oidc.result?.login ? Check.NO_NEED_TO_PROMPT : Check.REQUEST_PROMPT,
      ),
      0,
    );

  const provider = new Provider(deps.issuer, {
    adapter: sqliteAdapter(deps.db, (id) => deps.findClient(id)),
    jwks: keys.jwks,
    cookies: {
      keys: keys.cookieKeys,
      long: { httpOnly: true, sameSite: 'lax', overwrite: true },
      short: { httpOnly: true, sameSite: 'lax', overwrite: true },
    },
    claims: Object.fromEntries(
      Object.entries(SCOPE_CLAIMS).map(([scope, claims]) => [scope, [...claims]]),
    ),
    scopes: Object.keys(SCOPE_CLAIMS),
    responseTypes: ['code'],
    subjectTypes: ['public'],
    conformIdTokenClaims: false,
    // Apps are servers: no browser calls the provider's endpoints from another origin.
    clientBasedCORS: () => false,
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: { enabled: true },
      revocation: { enabled: true },
    },
    interactions: {
      policy,
      url: (_ctx, interaction) => `/oidc/interaction/${interaction.uid}`,
    },
    // First-party clients: the grant a member would consent to is made on the spot.
    loadExistingGrant: async (ctx) => {
      const { client, session } = ctx.oidc;
      if (!client || !session?.accountId) return undefined;
      const known = session.grantIdFor(client.clientId);
      const found = known ? await ctx.oidc.provider.Grant.find(known) : undefined;
      if (found && found.accountId === session.accountId) return found;
      const grant = new ctx.oidc.provider.Grant({
        clientId: client.clientId,
        accountId: session.accountId,
      });
      grant.addOIDCScope(client.scope ?? 'openid');
      await grant.save();
      return grant;
    },
    // Asked for the ID token, userinfo and every token use: a member disabled since, or one who
    // lost access to the app, is no account at all.
    findAccount: async (ctx, sub) => {
      const member = deps.accounts.bySubject(sub);
      if (!member) return undefined;
      const install = ctx.oidc?.client?.clientId;
      if (install !== undefined) {
        if (!mayUse(member, install, deps.accounts.grantedGroups(install)).allowed) {
          return undefined;
        }
      } else if (member.state !== 'active') return undefined;
      const claims = memberClaims(member);
      return { accountId: sub, claims: async () => ({ ...claims }) };
    },
    renderError: async (ctx, out) => {
      ctx.type = 'html';
      ctx.set('content-security-policy', PAGE_CSP);
      const detail = String(out.error_description ?? out.error ?? 'unknown error');
      // The detail is oidc-provider's own (English); the title follows the browser.
      const language = pageLanguage(ctx.get('accept-language'));
      ctx.body = errorPage(pageText(language).cannotGoOn, detail, language);
    },
  });
  // Foyer's HTTP layer hands over X-Forwarded-* it has already decided to trust (./routes.ts).
  provider.proxy = true;
  return provider;
}
