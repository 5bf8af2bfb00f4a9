/**
 * What a member or group name may be (issue 14): the same name is a Postfix
 * local part (alice@example.org), an XMPP node part (alice@example.org), an
 * LDAP `uid` and a Unix-ish login, so only what all of them carry unquoted:
 * lowercase letters, digits and `.`, `_`, `-`, starting and ending with a
 * letter or digit, no `..`, at most 64 characters (RFC 5321's local part).
 * Names mail and systems keep for themselves are refused. Pure.
 */

/** Names that belong to the box's mail and system roles (RFC 2142 and common system accounts). */
export const RESERVED_NAMES: ReadonlySet<string> = new Set([
  'abuse',
  'daemon',
  'hostmaster',
  'mailer-daemon',
  'no-reply',
  'nobody',
  'noreply',
  'postmaster',
  'root',
  'security',
  'webmaster',
  'www-data',
]);

const NAME = /^[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?$/;

/** Why `name` cannot be a member or group name, or undefined when it can. */
export function nameProblem(name: string): string | undefined {
  if (name.length === 0) return 'is empty';
  if (name.length > 64) return `is ${name.length} characters long; at most 64`;
  if (/[A-Z]/.test(name)) return `"${name}" has capital letters; use "${name.toLowerCase()}"`;
  if (!NAME.test(name)) {
    return `"${name}" may hold only lowercase letters, digits, ".", "_" and "-", and must start and end with a letter or digit`;
  }
  if (name.includes('..')) return `"${name}" has ".." (mail addresses cannot carry it)`;
  if (RESERVED_NAMES.has(name))
    return `"${name}" is reserved for the box's mail and system accounts`;
  return undefined;
}

/** Whether `name` is a valid member or group name. */
export function isValidName(name: string): boolean {
  return nameProblem(name) === undefined;
}

/** Why `email` is not a plain mail address (local@domain), or undefined when it is. */
export function emailProblem(email: string): string | undefined {
  if (email.length > 254) return 'is longer than 254 characters';
  if (
    !/^[^\s@"<>(),;:\\[\]]+@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$/i.test(
      email,
    )
  ) {
    return `"${email}" is not a mail address like name@example.org`;
  }
  return undefined;
}

/** Why `displayName` cannot be shown, or undefined: one line, at most 200 characters. */
export function displayNameProblem(displayName: string): string | undefined {
  if (displayName.length > 200) return 'is longer than 200 characters';
  if (/[\u0000-\u001f\u007f]/.test(displayName)) return 'holds a control character or a line break';
  return undefined;
}
