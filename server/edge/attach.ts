/**
 * Apps behind the edge (issue 13): with a domain set, an install's web service joins the
 * Foyer-managed network `foyer-edge` (the edge's own network) and its web port is no longer
 * published on the host; the edge reaches it by container name. Other services and other
 * ports (SMTP, IMAP, XMPP) are left as they are. Applied to the rendered project after the
 * permission gate: the app never asked for it, Foyer does it. Pure.
 */
import type { Project } from '../../compose/index.js';

/** The network the edge and every app's web service share. */
export const EDGE_NETWORK = 'foyer-edge';

/** The key the network gets in an app's project (never one a Compose file could declare). */
const KEY = 'x-foyer-edge';

/** An app's web entry as app.yaml declares it. */
export interface WebEntry {
  service: string;
  port: number;
  auth?: boolean | 'members-basic';
}

/** The web service on the edge network, its web port unpublished; a copy, the input untouched. */
export function attachToEdge(project: Project, web: WebEntry): Project {
  const service = project.services[web.service];
  if (!service) return project;
  return {
    ...project,
    networks: {
      ...project.networks,
      [KEY]: {
        name: EDGE_NETWORK,
        external: true,
        driver_opts: {},
        internal: false,
        attachable: false,
        labels: {},
      },
    },
    services: {
      ...project.services,
      [web.service]: {
        ...service,
        ports: service.ports.filter((p) => p.target !== web.port),
        networks: { ...service.networks, [KEY]: { aliases: [] } },
      },
    },
  };
}

/** The address the edge dials for an install's web entry: its container's name on the network. */
export function webUpstream(install: string, web: WebEntry): string {
  return `${install}-${web.service}-1:${web.port}`;
}
