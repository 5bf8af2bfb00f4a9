/**
 * Members as the OpenID Connect provider finds them: by their OIDC subject (migration 12,
 * `oidc_subjects`: a random UUID made at a member's first sign-in through OIDC and never reused,
 * so an id or a name taken again by someone new never names the old person to an app), with
 * their groups, and the groups each install is granted to.
 */
import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { Role } from '../store/users.js';
import type { MemberFacts } from './claims.js';

interface Row {
  id: number;
  username: string;
  display_name: string;
  email: string | null;
  role: Role;
  state: 'active' | 'disabled';
  subject: string | null;
}

export interface OidcAccounts {
  /** The member with this account id, their subject made now if they had none. */
  byUserId(userId: number): MemberFacts | undefined;
  bySubject(subject: string): MemberFacts | undefined;
  /** The groups the install is granted to. */
  grantedGroups(install: string): string[];
}

export function oidcAccounts(db: Database.Database): OidcAccounts {
  const select = `SELECT u.id, u.username, u.display_name, u.email, u.role, u.state, s.subject
    FROM users u LEFT JOIN oidc_subjects s ON s.user_id = u.id`;
  const byId = db.prepare<[number], Row>(`${select} WHERE u.id = ?`);
  const bySubject = db.prepare<[string], Row>(`${select} WHERE s.subject = ?`);
  const insertSubject = db.prepare(
    'INSERT OR IGNORE INTO oidc_subjects (user_id, subject) VALUES (?, ?)',
  );
  const groupsOf = db.prepare<[number], { name: string }>(
    `SELECT g.name FROM group_members m JOIN member_groups g ON g.id = m.group_id
     WHERE m.user_id = ? ORDER BY g.name`,
  );
  const granted = db.prepare<[string], { name: string }>(
    `SELECT g.name FROM install_access a JOIN member_groups g ON g.id = a.group_id
     WHERE a.install_id = ? ORDER BY g.name`,
  );
  const facts = (row: Row, subject: string): MemberFacts => ({
    subject,
    name: row.username,
    displayName: row.display_name,
    email: row.email,
    role: row.role,
    state: row.state,
    groups: groupsOf.all(row.id).map((g) => g.name),
  });
  return {
    byUserId(userId) {
      let row = byId.get(userId);
      if (!row) return undefined;
      if (row.subject === null) {
        insertSubject.run(userId, randomUUID());
        row = byId.get(userId)!;
      }
      return facts(row, row.subject!);
    },
    bySubject(subject) {
      const row = bySubject.get(subject);
      return row ? facts(row, subject) : undefined;
    },
    grantedGroups: (install) => granted.all(install).map((g) => g.name),
  };
}
