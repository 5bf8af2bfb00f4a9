/**
 * The directory's projection into LDAP (DESIGN.md "Core services"): the
 * store's members, groups and access → the entries slapd should hold, and
 * the difference between those and what it holds. Pure, like the
 * reconciler's plan: ./sync.ts observes, diffs and applies.
 *
 * The tree, under `dc=foyer` (no domain in it, so setting or changing the
 * box's domain never renames a member):
 * - `uid=<name>,ou=people,dc=foyer`: inetOrgPerson with `cn`, `sn`,
 *   `displayName`, `mail`, and `userPassword: {CRYPT}$6$…` while active;
 *   a disabled member keeps the entry (mail still routes) but has no
 *   password and is in no group, so no bind and no filter lets them in.
 *   `userPassword` is multi-valued and a bind succeeds on any value: it holds
 *   the member's app passwords (server/store/app-passwords.ts), and their
 *   main password only while two-step verification is off, so a stolen main
 *   password opens no mail, chat or calendar of a member who turned it on.
 * - `cn=<group>,ou=groups,dc=foyer`: groupOfNames of its active members.
 * - `cn=<install>,ou=access,dc=foyer`: groupOfNames of the active members
 *   of every group allowed to use the install; slapd's memberOf overlay puts
 *   `memberOf: cn=<install>,ou=access,dc=foyer` on each of them, the single
 *   attribute an app filters on (YunoHost's permission pattern).
 * - `cn=<install>,ou=apps,dc=foyer`: the install's read-only bind account.
 */
import type { DirectorySnapshot } from './members.js';

export const BASE_DN = 'dc=foyer';
export const ADMIN_DN = `cn=admin,${BASE_DN}`;
export const PEOPLE_DN = `ou=people,${BASE_DN}`;
export const GROUPS_DN = `ou=groups,${BASE_DN}`;
export const ACCESS_DN = `ou=access,${BASE_DN}`;
export const APPS_DN = `ou=apps,${BASE_DN}`;
/** groupOfNames needs one member: an empty group holds this DN, which is no entry. */
export const NOBODY_DN = `cn=nobody,${BASE_DN}`;

/** The attributes Foyer manages; anything else an entry holds is left alone. */
export const MANAGED_ATTRIBUTES = [
  'objectClass',
  'dc',
  'o',
  'ou',
  'uid',
  'cn',
  'sn',
  'displayName',
  'mail',
  'userPassword',
  'member',
] as const;

/** An entry: its DN and attributes (names as in MANAGED_ATTRIBUTES), each a list of values. */
export interface Entry {
  dn: string;
  attributes: Record<string, string[]>;
}

export type Change =
  | { kind: 'add'; entry: Entry }
  | { kind: 'modify'; dn: string; replace: Record<string, string[]> }
  | { kind: 'delete'; dn: string };

export const memberDn = (name: string) => `uid=${name},${PEOPLE_DN}`;
export const groupDn = (name: string) => `cn=${name},${GROUPS_DN}`;
export const accessDn = (install: string) => `cn=${install},${ACCESS_DN}`;
export const bindDn = (install: string) => `cn=${install},${APPS_DN}`;

const ou = (name: string, dn: string): Entry => ({
  dn,
  attributes: { objectClass: ['organizationalUnit'], ou: [name] },
});

const members = (dns: string[]) => (dns.length > 0 ? [...dns].sort() : [NOBODY_DN]);

/** The entries slapd should hold for this directory. */
export function desiredEntries(snapshot: DirectorySnapshot): Entry[] {
  const entries: Entry[] = [
    {
      dn: BASE_DN,
      attributes: { objectClass: ['dcObject', 'organization'], dc: ['foyer'], o: ['Foyer'] },
    },
    ou('people', PEOPLE_DN),
    ou('groups', GROUPS_DN),
    ou('access', ACCESS_DN),
    ou('apps', APPS_DN),
  ];
  const active = new Set<string>();
  for (const m of snapshot.members) {
    const attributes: Record<string, string[]> = {
      objectClass: ['inetOrgPerson'],
      uid: [m.name],
      cn: [m.displayName || m.name],
      sn: [m.name],
    };
    if (m.displayName) attributes.displayName = [m.displayName];
    if (m.email) attributes.mail = [m.email];
    if (m.state === 'active') {
      active.add(m.name);
      const hashes = [...(m.cryptHash && !m.totpEnabled ? [m.cryptHash] : []), ...m.appCryptHashes];
      if (hashes.length > 0) attributes.userPassword = hashes.map((h) => `{CRYPT}${h}`);
    }
    entries.push({ dn: memberDn(m.name), attributes });
  }
  const inGroup = new Map<string, string[]>();
  for (const g of snapshot.groups) {
    const names = g.members.filter((n) => active.has(n));
    inGroup.set(g.name, names);
    entries.push({
      dn: groupDn(g.name),
      attributes: {
        objectClass: ['groupOfNames'],
        cn: [g.name],
        member: members(names.map(memberDn)),
      },
    });
  }
  for (const a of snapshot.access) {
    const names = new Set(a.groups.flatMap((g) => inGroup.get(g) ?? []));
    entries.push({
      dn: accessDn(a.install),
      attributes: {
        objectClass: ['groupOfNames'],
        cn: [a.install],
        member: members([...names].map(memberDn)),
      },
    });
  }
  for (const b of snapshot.binds) {
    entries.push({
      dn: bindDn(b.install),
      attributes: {
        objectClass: ['applicationProcess', 'simpleSecurityObject'],
        cn: [b.install],
        userPassword: [`{CRYPT}${b.cryptHash}`],
      },
    });
  }
  return entries;
}

const key = (dn: string) => dn.toLowerCase().replace(/\s*,\s*/g, ',');
const depth = (dn: string) => dn.split(',').length;
// DN-valued attributes compare without case; the others exactly.
const norm = (name: string, values: string[]) =>
  (name.toLowerCase() === 'member' ? values.map(key) : values).slice().sort();

function sameValues(name: string, a: string[], b: string[]): boolean {
  const x = norm(name, a);
  const y = norm(name, b);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/** Looks an attribute up without case (servers answer `objectclass` or `objectClass`). */
function valuesOf(entry: Entry, name: string): string[] {
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(entry.attributes)) if (k.toLowerCase() === lower) return v;
  return [];
}

/**
 * The changes that turn `observed` into `desired`: adds parents first, then
 * modifies (whole attributes replaced), then deletes children first. An
 * entry whose structural class changed is deleted and added again.
 */
export function diff(desired: Entry[], observed: Entry[]): Change[] {
  const seen = new Map(observed.map((e) => [key(e.dn), e]));
  const wanted = new Set(desired.map((e) => key(e.dn)));
  const adds: Change[] = [];
  const modifies: Change[] = [];
  const deletes: Change[] = [];
  for (const entry of desired) {
    const current = seen.get(key(entry.dn));
    if (!current) {
      adds.push({ kind: 'add', entry });
      continue;
    }
    if (
      !sameValues(
        'objectClass',
        valuesOf(current, 'objectClass'),
        entry.attributes.objectClass ?? [],
      )
    ) {
      deletes.push({ kind: 'delete', dn: current.dn });
      adds.push({ kind: 'add', entry });
      continue;
    }
    const replace: Record<string, string[]> = {};
    for (const name of MANAGED_ATTRIBUTES) {
      if (name === 'objectClass') continue;
      const want = entry.attributes[name] ?? [];
      if (!sameValues(name, valuesOf(current, name), want)) replace[name] = want;
    }
    if (Object.keys(replace).length > 0) modifies.push({ kind: 'modify', dn: entry.dn, replace });
  }
  for (const entry of observed) {
    if (!wanted.has(key(entry.dn))) deletes.push({ kind: 'delete', dn: entry.dn });
  }
  const byDepth = (c: Change) => depth(c.kind === 'add' ? c.entry.dn : c.dn);
  adds.sort((a, b) => byDepth(a) - byDepth(b));
  deletes.sort((a, b) => byDepth(b) - byDepth(a));
  // A re-added entry (class change) is deleted first.
  return [
    ...deletes.filter((d) =>
      adds.some((a) => a.kind === 'add' && key(a.entry.dn) === key((d as { dn: string }).dn)),
    ),
    ...adds,
    ...modifies,
    ...deletes.filter(
      (d) =>
        !adds.some((a) => a.kind === 'add' && key(a.entry.dn) === key((d as { dn: string }).dn)),
    ),
  ];
}
