/**
 * Backup targets as people name them (issue 15): a target name, and the restic repository it
 * points at — a local folder (`/srv/backup`), SFTP (`sftp:user@host:/path`,
 * `sftp://user@host:port/path`) or restic's REST protocol (`rest:http://…`, passed as given).
 * Names are checked here, before anything is stored or run: they become arguments of a
 * spawned restic and never reach a shell (one peer had a shell injection through backup names).
 */

/** A target's or install's name: what install ids allow, so nothing else is ever passed on. */
export const NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,39}$/;

export type Repository =
  | { kind: 'local'; url: string; path: string }
  | { kind: 'sftp'; url: string; user: string; host: string; port: number; path: string }
  | { kind: 'rest'; url: string };

/** Why a target name or repository is refused, for a path-qualified 400. */
export class TargetInputError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
  }
}

/** Throws TargetInputError unless `name` is a valid target or install name. */
export function checkName(name: string, path = 'name'): string {
  if (!NAME_PATTERN.test(name))
    throw new TargetInputError(
      path,
      'use 1 to 40 lowercase letters, digits and "-", starting with a letter or digit',
    );
  return name;
}

// User and host reach ssh as arguments; these sets keep them to what a login and a host can be.
const SSH_USER = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,31}$/;
const SSH_HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})|\[[0-9A-Fa-f:.]+\])$/;
// restic splits `sftp.command` on blanks and quotes; a path holding neither stays one word.
const SAFE_PATH = /^\/[^\s"'\\\0]*$/;

/** Reads a restic repository string into a target's repository; throws TargetInputError. */
export function parseRepository(input: string, path = 'repository'): Repository {
  if (input.length === 0 || input.length > 1024 || /[\0\n\r]/.test(input))
    throw new TargetInputError(path, 'must be one line of at most 1024 characters');
  if (input.startsWith('/')) {
    if (!SAFE_PATH.test(input))
      throw new TargetInputError(path, 'a folder without blanks or quotes, such as /srv/backup');
    return { kind: 'local', url: input, path: input.replace(/\/+$/, '') || '/' };
  }
  if (input.startsWith('rest:')) {
    let url: URL;
    try {
      url = new URL(input.slice('rest:'.length));
    } catch {
      throw new TargetInputError(path, 'rest: must be followed by an http:// or https:// URL');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new TargetInputError(path, 'rest: must be followed by an http:// or https:// URL');
    return { kind: 'rest', url: input };
  }
  if (input.startsWith('sftp://')) return sftpUrl(input, path);
  if (input.startsWith('sftp:')) {
    // sftp:user@host:/path, restic's scp-like form; port 22.
    const match = /^sftp:([^@]+)@([^:]+|\[[^\]]+\]):(\/.*)$/.exec(input);
    if (!match) throw new TargetInputError(path, 'write sftp:user@host:/path');
    return sftp(input, match[1]!, match[2]!, 22, match[3]!, path);
  }
  throw new TargetInputError(
    path,
    'must be a folder (/path), sftp:user@host:/path, sftp://user@host:port/path or rest:http(s)://…',
  );
}

function sftpUrl(input: string, path: string): Repository {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new TargetInputError(path, 'write sftp://user@host:port/path');
  }
  if (!url.username)
    throw new TargetInputError(path, 'an SFTP target needs a user: sftp://user@host…');
  const port = url.port ? Number(url.port) : 22;
  // restic reads sftp://host//abs as /abs and sftp://host/rel as relative to the login's home.
  const rest = decodeURIComponent(url.pathname);
  const folder = rest.startsWith('//') ? rest.slice(1) : rest;
  return sftp(input, decodeURIComponent(url.username), url.hostname, port, folder, path);
}

function sftp(
  url: string,
  user: string,
  host: string,
  port: number,
  folder: string,
  path: string,
): Repository {
  if (!SSH_USER.test(user)) throw new TargetInputError(path, `"${user}" is not a login name`);
  if (!SSH_HOST.test(host)) throw new TargetInputError(path, `"${host}" is not a host name`);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new TargetInputError(path, 'the port must be 1 to 65535');
  if (!SAFE_PATH.test(folder.startsWith('/') ? folder : `/${folder}`))
    throw new TargetInputError(path, 'the folder must have no blanks or quotes');
  return { kind: 'sftp', url, user, host: host.replace(/^\[|\]$/g, ''), port, path: folder };
}
