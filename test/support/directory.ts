// The directory's slapd as tests and benchmarks reach it: over its ldapi socket in the data
// folder (as the daemon does), binding as a member or as an install's read-only account.
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Entry } from 'ldapts';
import { bindDn, PEOPLE_DN } from '../../server/directory/entries.js';
import { socketDir } from '../../server/directory/service.js';
import { socketClient } from '../../server/directory/sync.js';

/** The ldapi socket of the directory of the daemon on `dataDir`. */
export const directorySocket = (dataDir: string) => join(socketDir(dataDir), 'ldapi');

/** Whether `dn` binds with `password` (a fresh connection each time); false on bad credentials. */
export async function ldapBinds(dataDir: string, dn: string, password: string): Promise<boolean> {
  const client = await socketClient(directorySocket(dataDir));
  try {
    await client.bind(dn, password);
    return true;
  } catch (error) {
    if ((error as { code?: number }).code === 49) return false; // invalid credentials
    throw error;
  } finally {
    await client.unbind().catch(() => {});
  }
}

/** Searches the members as `install`'s read-only bind account (its password read from the store). */
export async function searchMembers(
  dataDir: string,
  install: string,
  filter: string,
  attributes: string[] = ['uid', 'memberOf'],
): Promise<Entry[]> {
  const store = new Database(join(dataDir, 'foyer.db'), { readonly: true });
  const row = store
    .prepare('SELECT password FROM directory_binds WHERE install_id = ?')
    .get(install) as { password: string } | undefined;
  store.close();
  if (!row) throw new Error(`no bind account for ${install}`);
  const client = await socketClient(directorySocket(dataDir));
  try {
    await client.bind(bindDn(install), row.password);
    const { searchEntries } = await client.search(PEOPLE_DN, {
      scope: 'sub',
      filter,
      attributes,
      paged: { pageSize: 500 },
    });
    return searchEntries;
  } finally {
    await client.unbind().catch(() => {});
  }
}
