/** The domain resource of the API (issue 13): its status, setting it, the home CA's root. */
import { api, apiUrl } from './api.ts';
import type { DomainSettings, DomainStatus } from './domain.ts';

/** `GET /api/domain`. */
export function getDomain(): Promise<DomainStatus> {
  return api.get<DomainStatus>('/domain');
}

/** `PUT /api/domain`: a 400 carries path-qualified problems (`domain`, `acme`, `acmeRoot`, `email`). */
export function setDomain(settings: DomainSettings): Promise<unknown> {
  return api.put<unknown>('/domain', settings);
}

/** Where the home CA's root certificate is downloaded from (`GET /api/domain/ca`). */
export const CA_URL = apiUrl('/domain/ca');

/** The file name the root certificate is saved as: `.crt`, which every system opens as a certificate. */
export const CA_FILE = 'foyer-home-ca.crt';
