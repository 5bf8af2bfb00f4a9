/**
 * The members screens' shapes (server/directory/routes.ts) and their pure
 * helpers: a refusal split by the field it concerns, the lines of a refused
 * import. Imported only by the lazily loaded Members and My account chunks.
 */
import { ApiError } from './api.ts';

/** The answer of removing a member: what of their data was deleted, and what could not be. */
export interface Removed {
  name: string;
  data: 'keep' | 'delete';
  deleted: { install: string; volume: string; path: string }[];
  failed: { install: string; volume: string; path: string; error: string }[];
}

/** A removed member's place still to delete (GET /api/members/pending-data). */
export interface PendingPlace {
  member: string;
  install: string;
  service: string;
  volume: string;
  path: string;
  attempts: number;
  lastError: string | null;
  createdAt: string;
  lastAttemptAt: string | null;
  nextAttemptAt: string | null;
}

export interface Member {
  name: string;
  displayName: string;
  email: string | null;
  role: 'admin' | 'member';
  state: 'active' | 'disabled';
  directoryPassword: boolean;
  groups: string[];
  createdAt: string;
  updatedAt: string;
}

export interface Group {
  name: string;
  members: string[];
  installs: string[];
}

export interface SetPasswordLink {
  name: string;
  link: string;
}

// One definition for the daemon and the UI: a type-only import, nothing of the server is bundled.
export type { MemberService, ServiceFieldKey } from '../../../server/directory/services.ts';

/** The fields of the member form; the server's `display_name` is `displayName` here. */
export type MemberField = 'name' | 'email' | 'displayName' | 'groups' | 'password';
const FIELDS: Record<string, MemberField> = {
  name: 'name',
  email: 'email',
  display_name: 'displayName',
  displayName: 'displayName',
  groups: 'groups',
  password: 'password',
};

/**
 * A refusal split by field: the validation's problems (`body.email`) and the directory's
 * `field: why` parts (`email: "x" is bob's already; groups: no group "y"`); what names no field
 * stays in `other`.
 */
export function fieldErrors(error: unknown): {
  fields: Partial<Record<MemberField, string>>;
  other?: string;
} {
  if (!(error instanceof ApiError)) {
    return { fields: {}, other: String((error as Error)?.message ?? error) };
  }
  const fields: Partial<Record<MemberField, string>> = {};
  const rest: string[] = [];
  const body = error.problemsUnder('body');
  const parts =
    Object.keys(body).length > 0
      ? Object.entries(body).map(([path, message]) => `${path.split('.')[0]}: ${message}`)
      : error.message.split('; ');
  for (const part of parts) {
    const match = /^([a-zA-Z_]+): (.*)$/s.exec(part);
    const field = match ? FIELDS[match[1]!] : undefined;
    if (field && match) fields[field] = fields[field] ? `${fields[field]}; ${match[2]}` : match[2];
    else rest.push(part);
  }
  return rest.length > 0 ? { fields, other: rest.join('; ') } : { fields };
}

/** The lines of a refused import (`members.csv:3: email: …`), one problem each. */
export function importProblems(error: unknown): string[] {
  if (!(error instanceof ApiError)) return [String((error as Error)?.message ?? error)];
  return error.message.split('\n').filter((line) => line.trim() !== '');
}
