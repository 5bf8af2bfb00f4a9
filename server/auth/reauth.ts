/**
 * Asking a signed-in user for their password again before what a borrowed session must not do
 * alone: change the password, turn two-step verification off, make a credential that outlives
 * the session (an API token, an app password), as Google and Nextcloud ask. The check is the
 * sign-in's (argon2id, `users.verifyPassword`) and counts against the same guard
 * (./login-guard.ts): per address, per account and address, and the account's slow-down, so a
 * borrowed session guesses no faster than a sign-in form. A refusal is audited with its
 * action and what would have been made, never the password.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Errors } from '../errors.js';
import type { AuditLog } from '../store/audit.js';
import type { UserRepository } from '../store/users.js';
import type { Attempt, LoginGuard } from './login-guard.js';
import { type Actor, accountOf, clientAddress } from './plugin.js';

/** What the audit says when a confirmation is refused. */
export interface Refusal {
  /** The audit action, e.g. `auth.app-password.refused`. */
  action: string;
  /** What the refused change would have made (a label, a name): never a secret. */
  detail?: Record<string, unknown>;
  /** For a missing password's message: what the password was needed for ("make an API token"). */
  purpose?: string;
}

export interface PasswordConfirmation {
  /**
   * Counts an attempt from the client's address (on `account` when named) before a slow check;
   * throws 429 with Retry-After while it is over a limit.
   */
  admit(
    request: FastifyRequest,
    reply: FastifyReply,
    account?: string,
    actor?: string,
  ): Promise<Attempt>;
  /**
   * The signed-in user when `password` is theirs. Missing: 400 (not counted: not a guess);
   * wrong: 403 and counted as a failed sign-in; over the limits: 429. The first two are audited.
   */
  confirm(
    request: FastifyRequest,
    reply: FastifyReply,
    password: string | undefined,
    refusal?: Refusal,
  ): Promise<Actor & { userId: number }>;
}

const CONFIRM_FAILED: Refusal = { action: 'auth.password.confirm-failed' };

/** The confirmation of one daemon, over its sign-in guard. */
export function passwordConfirmation(deps: {
  guard: LoginGuard;
  users: UserRepository;
  audit: AuditLog;
}): PasswordConfirmation {
  const { guard, users, audit } = deps;

  const admit: PasswordConfirmation['admit'] = async (request, reply, account, actor) => {
    const admission = await guard.admit(clientAddress(request), account, actor);
    if ('retryAfter' in admission) {
      const wait = admission.retryAfter;
      reply.header('retry-after', String(wait));
      throw new Errors.TooManyRequests(`too many failed attempts; try again in ${wait} seconds`);
    }
    return admission;
  };

  return {
    admit,
    async confirm(request, reply, password, refusal = CONFIRM_FAILED) {
      const actor = accountOf(request);
      const refused = (reason: string) =>
        audit.record(actor.username, refusal.action, actor.username, {
          ...refusal.detail,
          reason,
        });
      if (password === undefined || password === '') {
        refused('no password');
        throw new Errors.BadRequest(
          `body.password: type your current password to ${refusal.purpose ?? 'do this'}`,
        );
      }
      const attempt = await admit(request, reply, actor.username, actor.username);
      if (!(await users.verifyPassword(actor.username, password))) {
        refused('wrong password');
        throw new Errors.WrongPassword();
      }
      attempt.forgive();
      return actor;
    },
  };
}
