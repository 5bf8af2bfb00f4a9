/**
 * TypeBox schemas of the auth routes. Reply schemas list every field sent:
 * Fastify's serialiser drops the rest, a second guard (after the
 * repositories) against a hash or secret reaching a client.
 */
import { Type as T } from '@sinclair/typebox';

export const Role = T.Union([T.Literal('admin'), T.Literal('member')]);

// Letters, digits and . _ -: safe in an otpauth label, a log line and a URL.
export const Username = T.String({
  minLength: 1,
  maxLength: 64,
  pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$',
});

/** A password being set; long beats complex (NIST SP 800-63B §3.1.1.2), capped to bound argon2's input. */
export const NewPassword = T.String({ minLength: 10, maxLength: 1024 });

/** A password being checked: no minimum, so an old short password still reaches the check. */
export const GivenPassword = T.String({ minLength: 1, maxLength: 1024 });

/**
 * The current password asked again before making a credential (./reauth.ts): optional in the
 * schema so that a missing one is refused, and audited, by the route with its own words.
 */
export const ConfirmingPassword = T.Optional(T.String({ maxLength: 1024 }));

export const TotpCode = T.String({ pattern: '^[0-9]{6}$' });

export const UserReply = T.Object({
  id: T.Integer(),
  username: T.String(),
  role: Role,
  totpEnabled: T.Boolean(),
  createdAt: T.String(),
  updatedAt: T.String(),
});

export const UserEnvelope = T.Object({ user: UserReply });

export const ActorReply = T.Object({
  kind: T.Union([T.Literal('session'), T.Literal('token'), T.Literal('local')]),
  userId: T.Union([T.Integer(), T.Null()]),
  username: T.String(),
  role: Role,
});

export const TokenReply = T.Object({
  id: T.Integer(),
  name: T.String(),
  createdAt: T.String(),
  lastUsedAt: T.Union([T.String(), T.Null()]),
});

export const IdParams = T.Object({ id: T.Integer({ minimum: 1 }) });

/** Answers with no body. */
export const NoContent = T.Null();
