/**
 * The catalogue's app list (`GET /api/apps`), read once per page load and
 * shared: the catalogue screen lists it, the home screen names installs by
 * it. The catalogue changes only when the daemon restarts.
 */
import { api } from './api.ts';
import type { AppSummary } from './types.ts';

export const catalogue = $state({
  apps: [] as AppSummary[],
  loaded: false,
  failed: false,
});

let loading: Promise<void> | undefined;

/** Reads the list unless it is already here (or on its way). */
export function loadCatalogue(): Promise<void> {
  loading ??= api
    .get<AppSummary[]>('/apps')
    .then((apps) => {
      catalogue.apps = apps;
      catalogue.loaded = true;
      catalogue.failed = false;
    })
    .catch((error: unknown) => {
      catalogue.failed = true;
      loading = undefined;
      throw error;
    });
  return loading;
}

/** The catalogue entry of an app id, once loaded. */
export function appOf(id: string): AppSummary | undefined {
  return catalogue.apps.find((app) => app.id === id);
}
