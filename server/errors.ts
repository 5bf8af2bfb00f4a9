/**
 * One catalogue of the errors the API answers with: a stable code, an HTTP
 * status and a message (fastify lib/errors.js style, via @fastify/error).
 * Clients and tests rely on the codes, never on the wording.
 */
import createError from '@fastify/error';

export const Errors = {
  BadRequest: createError<[string]>('FOYER_BAD_REQUEST', '%s', 400),
  InvalidSettings: createError<[string]>('FOYER_INVALID_SETTINGS', '%s', 400),
  InvalidId: createError<[string]>('FOYER_INVALID_ID', '%s', 400),
  InvalidDefinition: createError<[string]>('FOYER_INVALID_DEFINITION', '%s', 400),
  PermissionsNotAccepted: createError<[string]>('FOYER_PERMISSIONS_NOT_ACCEPTED', '%s', 400),
  Unauthenticated: createError('FOYER_UNAUTHENTICATED', 'sign in first', 401),
  BadCredentials: createError('FOYER_BAD_CREDENTIALS', 'wrong username, password or code', 401),
  SecondFactorRequired: createError('FOYER_TOTP_REQUIRED', 'a two-factor code is required', 401),
  TotpCodeWrong: createError('FOYER_TOTP_CODE', 'the two-factor code is wrong', 400),
  Forbidden: createError<[string]>('FOYER_FORBIDDEN', '%s', 403),
  // 403, not 401: the caller is signed in, and a 401 would read as "your session ended".
  WrongPassword: createError('FOYER_WRONG_PASSWORD', 'the password is wrong', 403),
  CrossOrigin: createError('FOYER_CROSS_ORIGIN', 'cross-origin request refused', 403),
  SetupCodeWrong: createError('FOYER_SETUP_CODE', 'the setup code is wrong', 403),
  NotFound: createError<[string]>('FOYER_NOT_FOUND', '%s', 404),
  AppNotFound: createError<[string]>('FOYER_APP_NOT_FOUND', 'no app "%s" in the catalogue', 404),
  InstallNotFound: createError<[string]>('FOYER_INSTALL_NOT_FOUND', 'no install "%s"', 404),
  JobNotFound: createError<[string]>('FOYER_JOB_NOT_FOUND', 'no job "%s"', 404),
  Conflict: createError<[string]>('FOYER_CONFLICT', '%s', 409),
  // The request is sound but the host lacks the room now; it may pass later or with the override.
  InsufficientResources: createError<[string]>('FOYER_INSUFFICIENT_RESOURCES', '%s', 409),
  AlreadySetUp: createError('FOYER_ALREADY_SET_UP', 'Foyer is already set up', 409),
  // 421 Misdirected Request (RFC 9110 §15.5.20): a name this box does not answer to.
  UnknownHost: createError<[string]>('FOYER_UNKNOWN_HOST', '%s', 421),
  TooManyRequests: createError<[string]>('FOYER_TOO_MANY_REQUESTS', '%s', 429),
  EngineUnreachable: createError<[string]>('FOYER_ENGINE_UNREACHABLE', '%s', 503),
};
