/**
 * What the API shows of an install: its settings without passwords, its web
 * entry and hidden settings read from its pinned definition (never from the
 * catalogue, which may have moved on), the version it runs and the one the
 * catalogue offers (issue 17), its status, and its last verified restore (issue 15).
 */
import type { FoyerServices } from '../app.js';
import { definitionStatus } from '../catalog/pins.js';
import type { Install } from '../store/index.js';
import { debianOffer } from '../updates/auto-updates.js';

/** A function turning installs into API replies (`InstallReply`). */
export function installView(
  services: Pick<FoyerServices, 'catalog' | 'pins' | 'reconciler' | 'updates' | 'offers'> & {
    edge?: FoyerServices['edge'];
  } & Partial<Pick<FoyerServices, 'backups'>>,
) {
  const { catalog, pins, reconciler, backups } = services;
  return (install: Install, options: { member?: boolean } = {}) => {
    // An install not pinned yet (its folder was unreadable at migration) falls back to the
    // catalogue's manifest for what it shows; it renders nothing until updated.
    const manifest = (pins.of(install) ?? catalog.get(install.appId))?.manifest;
    const hidden = new Set(
      (manifest?.settings ?? []).filter((s) => s.type === 'password').map((s) => s.key),
    );
    const definition = definitionStatus(install, catalog);
    const debian = options.member ? [] : debianOffer(services, services.offers, install.id);
    const url = manifest?.web ? services.edge?.url(install.id) : undefined;
    return {
      id: install.id,
      app: install.appId,
      version: definition.version,
      ...(definition.available === undefined ? {} : { available: definition.available }),
      ...(debian.length > 0 ? { debianUpdates: debian } : {}),
      catalog: definition.catalog,
      ...(definition.problems ? { catalogProblems: definition.problems } : {}),
      // A member sees no settings or permissions (issue 11 §2).
      settings: options.member
        ? {}
        : Object.fromEntries(Object.entries(install.settings).filter(([k]) => !hidden.has(k))),
      acceptedPermissions: options.member ? [] : install.acceptedPermissions,
      desired: install.desired,
      web: manifest?.web ?? null,
      ...(url ? { url } : {}),
      // Foyer's own services (the edge): the home screen leaves them out of the person's apps.
      ...(catalog.core(install.appId) ? { core: true } : {}),
      status: reconciler.status(install.id) ?? null,
      // The newest restore of one of its snapshots into a scratch install (issue 15).
      lastVerifiedRestore: backups?.lastVerified(install.id) ?? null,
      createdAt: install.createdAt,
      updatedAt: install.updatedAt,
    };
  };
}
