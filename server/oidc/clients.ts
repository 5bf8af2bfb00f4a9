/**
 * One OpenID Connect client per install whose app.yaml declares `oidc` (issue 14): the client
 * id is the install id, the secret is generated once and kept with the install's secrets
 * (`FOYER_OIDC_CLIENT_SECRET`), and the redirect URIs are the declared paths on each of the
 * install's web addresses. Pure: ./provider.ts reads the store and the pinned app.yaml.
 *
 * The install's web addresses: with a domain, the edge's `https://<install>.<domain>`; without
 * one, `http://<name>:<published port>` for each name the box answers to (the address the UI
 * links to depends on how the page was opened); plus the origins app.yaml declares
 * (`oidc.origins`, interpolated like compose.yaml: an app that serves itself under a name of its
 * own, as GoToSocial does under its DOMAIN setting).
 */
import { interpolateString } from '../../compose/interpolate.js';
import { Diagnostics, joinPath, type Problem } from '../../compose/problems.js';
import type { AppManifest } from '../catalog/manifest.js';
import { OIDC_SCOPES } from './claims.js';

/** The install's secret key holding its client secret (also an interpolation variable). */
export const CLIENT_SECRET_KEY = 'FOYER_OIDC_CLIENT_SECRET';

export type OidcDeclaration = NonNullable<AppManifest['oidc']>;

/** Client metadata as oidc-provider reads it (RFC 7591 names). */
export interface ClientMetadata {
  client_id: string;
  client_secret: string;
  client_name: string;
  redirect_uris: string[];
  post_logout_redirect_uris: string[];
  grant_types: string[];
  response_types: string[];
  scope: string;
  token_endpoint_auth_method: string;
  id_token_signed_response_alg: string;
  [key: string]: unknown;
}

/** Where the install's web entry is reached (see the module's comment). */
export interface WebAddress {
  /** The box's domain, when one is set (the edge serves `<install>.<domain>`). */
  domain?: string;
  /** The edge's HTTPS port, when it is not 443. */
  httpsPort?: number;
  /** Without a domain: the host port the web entry is published on. */
  publishedPort?: number;
  /** Without a domain: the names and addresses the box answers to. */
  names: string[];
}

/** The origins of an install's web entry, without a trailing slash. */
export function webOrigins(install: string, at: WebAddress): string[] {
  if (at.domain) {
    const port = at.httpsPort && at.httpsPort !== 443 ? `:${at.httpsPort}` : '';
    return [`https://${install}.${at.domain}${port}`];
  }
  if (at.publishedPort === undefined) return [];
  const host = (name: string) => (name.includes(':') ? `[${name}]` : name);
  return [...new Set(at.names)].map((name) => `http://${host(name)}:${at.publishedPort}`);
}

/** app.yaml's `oidc.origins` for one install, interpolated; each must be an http(s) origin. */
export function declaredOrigins(
  declaration: OidcDeclaration,
  variables: Record<string, string>,
): { origins: string[]; problems: Problem[] } {
  const origins: string[] = [];
  const problems: Problem[] = [];
  (declaration.origins ?? []).forEach((template, i) => {
    const path = joinPath(joinPath('oidc', 'origins'), i);
    const diag = new Diagnostics();
    const value = interpolateString(template, (key) => variables[key], path, diag).trim();
    problems.push(...diag.problems);
    if (diag.problems.length > 0) return;
    const origin = originOf(value);
    if (origin === undefined) {
      problems.push({ path, message: `"${value}" is not an http(s) origin` });
    } else origins.push(origin);
  });
  return { origins, problems };
}

function originOf(value: string): string | undefined {
  try {
    const url = new URL(value);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
    if (url.pathname !== '/' || url.search || url.hash || url.username) return undefined;
    return url.origin;
  } catch {
    return undefined;
  }
}

/** The client of one install: every declared path on every origin. */
export function clientMetadata(input: {
  install: string;
  appName: string;
  declaration: OidcDeclaration;
  secret: string;
  origins: string[];
}): ClientMetadata {
  const origins = [...new Set(input.origins)];
  const paths = input.declaration.redirectPaths;
  const scopes = new Set(['openid', ...(input.declaration.scopes ?? OIDC_SCOPES)]);
  return {
    client_id: input.install,
    client_secret: input.secret,
    client_name: input.appName,
    redirect_uris: origins.flatMap((origin) => paths.map((path) => `${origin}${path}`)),
    post_logout_redirect_uris: origins.map((origin) => `${origin}/`),
    grant_types: ['authorization_code'],
    response_types: ['code'],
    scope: [...scopes].join(' '),
    // Basic first, as golang.org/x/oauth2 and most libraries try it; a client that sends the
    // secret in the body is told to use Basic.
    token_endpoint_auth_method: 'client_secret_basic',
    id_token_signed_response_alg: 'RS256',
  };
}
