/** Where the edge (Caddy) keeps its storage on the host: certificates, ACME accounts, its CA. */
import { join } from 'node:path';

/** The host folder bind-mounted as Caddy's storage (`file_system` root), under Foyer's data dir. */
export function edgeStorageDir(dataDir: string): string {
  return join(dataDir, 'edge', 'data');
}
