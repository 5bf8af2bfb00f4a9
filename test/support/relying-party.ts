// A real OpenID Connect relying party for tests (issue 14): a tiny web app on loopback that
// signs people in through Foyer's provider with `openid-client` (authorization code + PKCE,
// the client secret by HTTP Basic), verifies each ID token's RS256 signature against the
// provider's JWKS itself, and keeps what it received for the test to read.
import { createPublicKey, randomBytes, verify } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import * as client from 'openid-client';

export interface SignIn {
  /** The ID token's verified claims. */
  claims?: Record<string, unknown>;
  /** The key id the ID token was signed with. */
  kid?: string;
  /** The error the provider sent back instead of a code (`access_denied`). */
  error?: string;
}

export interface RelyingParty {
  /** `http://localhost:<port>`: its home page links to `/login`, which sends to the provider. */
  readonly origin: string;
  /** Every sign-in that came back, oldest first. */
  readonly results: SignIn[];
  close(): Promise<void>;
}

/** Verifies a compact JWS signed with RS256 against the provider's JWKS; returns its claims. */
export async function verifyIdToken(
  jwksUri: string,
  token: string,
): Promise<{ claims: Record<string, unknown>; kid: string }> {
  const [head, body, signature] = token.split('.') as [string, string, string];
  const header = JSON.parse(Buffer.from(head, 'base64url').toString()) as {
    alg: string;
    kid: string;
  };
  if (header.alg !== 'RS256') throw new Error(`unexpected alg ${header.alg}`);
  const jwks = (await (await fetch(jwksUri)).json()) as { keys: { kid: string }[] };
  const jwk = jwks.keys.find((k) => k.kid === header.kid);
  if (!jwk) throw new Error(`no key ${header.kid} in the JWKS`);
  const key = createPublicKey({ key: jwk as never, format: 'jwk' });
  const ok = verify(
    'RSA-SHA256',
    Buffer.from(`${head}.${body}`),
    key,
    Buffer.from(signature, 'base64url'),
  );
  if (!ok) throw new Error('the ID token signature does not verify against the JWKS');
  return {
    claims: JSON.parse(Buffer.from(body, 'base64url').toString()) as Record<string, unknown>,
    kid: header.kid,
  };
}

/** Starts the relying party on 127.0.0.1:`port`, named `localhost` (another site than Foyer's). */
export async function startRelyingParty(options: {
  port: number;
  issuer: string;
  clientId: string;
  clientSecret: string;
}): Promise<RelyingParty> {
  const origin = `http://localhost:${options.port}`;
  const redirectUri = `${origin}/auth/callback`;
  const config = await client.discovery(
    new URL(options.issuer),
    options.clientId,
    undefined,
    client.ClientSecretBasic(options.clientSecret),
    { execute: [client.allowInsecureRequests] },
  );
  const jwksUri = config.serverMetadata().jwks_uri!;
  const pending = new Map<string, string>();
  const results: SignIn[] = [];

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', origin);
    const answer = (status: number, text: string, location?: string) => {
      res.writeHead(status, {
        'content-type': 'text/html; charset=utf-8',
        ...(location ? { location } : {}),
      });
      res.end(`<!doctype html><title>RP</title><p id="result">${text}</p>`);
    };
    void (async () => {
      // A link, so the way in is a navigation the RP's page starts (cross-site for Foyer).
      if (url.pathname === '/') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        return res.end('<!doctype html><title>RP</title><a href="/login">Sign in with Foyer</a>');
      }
      if (url.pathname === '/login') {
        const state = randomBytes(16).toString('base64url');
        const verifier = client.randomPKCECodeVerifier();
        pending.set(state, verifier);
        const target = client.buildAuthorizationUrl(config, {
          redirect_uri: redirectUri,
          scope: 'openid profile email groups',
          state,
          code_challenge: await client.calculatePKCECodeChallenge(verifier),
          code_challenge_method: 'S256',
        });
        return answer(302, 'to the provider', target.href);
      }
      if (url.pathname === '/auth/callback') {
        const error = url.searchParams.get('error');
        if (error) {
          results.push({ error });
          return answer(403, `refused: ${error}`);
        }
        const state = url.searchParams.get('state') ?? '';
        const verifier = pending.get(state);
        if (!verifier) return answer(400, 'unknown state');
        pending.delete(state);
        const tokens = await client.authorizationCodeGrant(config, url, {
          pkceCodeVerifier: verifier,
          expectedState: state,
        });
        const { claims, kid } = await verifyIdToken(jwksUri, tokens.id_token!);
        results.push({ claims, kid });
        return answer(200, `signed in as ${String(claims.preferred_username)}`);
      }
      answer(404, 'not found');
    })().catch((e: unknown) => {
      results.push({ error: `relying party: ${(e as Error).message}` });
      answer(500, `failed: ${(e as Error).message}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port, '127.0.0.1', resolve));
  return {
    origin,
    results,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
