/**
 * What an app learns about a member, and who may sign into which app (issue 14, "OIDC for web
 * apps"). Pure: the account lookup (./accounts.ts) hands the facts in.
 *
 * Access: a member signs into an install's client only while active and either an admin or in
 * a group the install is granted to (`foyer access grant <install> <group>`). Admins always
 * may: they manage the box and could grant themselves anyway, and a new app must be usable by
 * whoever sets it up before any group is granted. Disabled members never may, whatever their
 * role or groups.
 */
import type { Role } from '../store/users.js';

/** The scopes a client may ask for, and the claims each one releases (OIDC Core §5.4). */
export const SCOPE_CLAIMS = {
  openid: ['sub'],
  profile: ['name', 'preferred_username'],
  email: ['email', 'email_verified'],
  groups: ['groups'],
} as const;

export type OidcScope = keyof typeof SCOPE_CLAIMS;
export const OIDC_SCOPES = Object.keys(SCOPE_CLAIMS) as OidcScope[];

/** A member as the provider sees them. */
export interface MemberFacts {
  /** The member's OIDC subject: random, made once, never reused (migration 12). */
  subject: string;
  name: string;
  displayName: string;
  email: string | null;
  role: Role;
  state: 'active' | 'disabled';
  groups: string[];
}

export interface MemberClaims {
  sub: string;
  preferred_username: string;
  name: string;
  email?: string;
  email_verified?: boolean;
  groups: string[];
}

/**
 * Every claim Foyer knows of the member; the provider releases only those of the granted scopes.
 * `email_verified` is true: members cannot change their own address, an admin set it.
 */
export function memberClaims(member: MemberFacts): MemberClaims {
  return {
    sub: member.subject,
    preferred_username: member.name,
    name: member.displayName || member.name,
    ...(member.email ? { email: member.email, email_verified: true } : {}),
    groups: [...member.groups].sort(),
  };
}

export type AccessDecision = { allowed: true } | { allowed: false; reason: string };

/** Whether `member` may sign into the install whose granted groups are `granted`. */
export function mayUse(member: MemberFacts, install: string, granted: string[]): AccessDecision {
  if (member.state !== 'active') {
    return { allowed: false, reason: `${member.name} is disabled` };
  }
  if (member.role === 'admin') return { allowed: true };
  if (member.groups.some((group) => granted.includes(group))) return { allowed: true };
  return {
    allowed: false,
    reason: `${member.name} is in no group allowed to use ${install}`,
  };
}
