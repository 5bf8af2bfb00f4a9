/**
 * Who may call a route (issue 11 §2, DESIGN.md "Security": admins manage the
 * box, members use the services they are given). A route declares it in its
 * config — `config: { role: 'member' }` — and is for admins when it says
 * nothing, so a route someone forgets to mark is closed to members.
 */

/** `member`: any signed-in user; `admin`: admins only (the default). */
export type RouteRole = 'admin' | 'member';

/** The route config for what any signed-in user may call. */
export const MEMBER = { role: 'member' } as const;

/** A registered route and who may call it: `public` needs no credentials at all. */
export interface RouteEntry {
  method: string;
  url: string;
  public: boolean;
  role: RouteRole;
}

/** The role a route needs: what its config says, else admin. */
export function routeRole(config: { role?: RouteRole } | undefined): RouteRole {
  return config?.role ?? 'admin';
}
