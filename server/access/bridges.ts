/**
 * App containers never reach the daemon (issue 11 §4, DESIGN.md
 * "Security"). Listening on every address (the default) includes the
 * Docker bridges, so each connection is checked as it is accepted and
 * dropped, unanswered, when the client is on a Docker network (its address
 * is in the subnet of a bridge network of the engine, or of a `docker0` /
 * `br-…` interface) or when it dialled an address of such a bridge. The
 * trusted edge is let through; the unix socket is never checked. The
 * subnets are read from the engine's network list and the host's
 * interfaces at start, again as soon as the reconciler has created a
 * network (before the plan creates its containers), and periodically for
 * networks others create.
 */
import type { Server } from 'node:http';
import { type NetworkInterfaceInfo, networkInterfaces } from 'node:os';
import type { NetworkSummary } from '../docker/adapter.js';
import { canonicalAddress, SubnetSet } from './addresses.js';

/** Interface names Docker gives its bridges: the default one and user-defined networks'. */
const DOCKER_BRIDGE_NAME = /^(docker\d*|br-[0-9a-f]{12})$/;

export interface BridgeFacts {
  /** Subnets whose clients are refused. */
  subnets: string[];
  /** Host addresses on Docker bridges: a connection dialled to one is refused. */
  addresses: string[];
}

/**
 * What to refuse, from the engine's networks and the host's interfaces. Only bridge networks
 * count: a macvlan or ipvlan network's subnet is the LAN itself.
 */
export function bridgeFacts(
  networks: NetworkSummary[],
  interfaces: NodeJS.Dict<NetworkInterfaceInfo[]>,
): BridgeFacts {
  const bridges = networks.filter((n) => n.driver === 'bridge');
  const names = new Set(bridges.map((n) => n.bridge ?? `br-${n.id.slice(0, 12)}`));
  const subnets = bridges.flatMap((n) => n.subnets ?? []);
  const addresses: string[] = [];
  for (const [name, infos] of Object.entries(interfaces)) {
    if (!names.has(name) && !DOCKER_BRIDGE_NAME.test(name)) continue;
    for (const info of infos ?? []) {
      // Link-local addresses are on every interface, the LAN's too: never a Docker subnet.
      if (info.family === 'IPv6' && info.address.toLowerCase().startsWith('fe80:')) continue;
      addresses.push(info.address);
      if (info.cidr) subnets.push(info.cidr);
    }
  }
  return { subnets, addresses };
}

export interface BridgeGuardOptions {
  /** The engine's networks (all of them, not only Foyer's). */
  listNetworks(): Promise<NetworkSummary[]>;
  interfaces?: () => NodeJS.Dict<NetworkInterfaceInfo[]>;
  /** Peers let through wherever they are: the trusted edge. */
  exempt?: string[];
  log?: { warn(object: object, message: string): void };
}

/** Keeps the current Docker subnets and says whether a connection must be refused. */
export class BridgeGuard {
  private subnets = new SubnetSet();
  private addresses = new Set<string>();
  private engineNetworks: NetworkSummary[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** Counts refreshes begun, so a slow one never overwrites what a later one found. */
  private begun = 0;
  private readonly exempt: Set<string>;

  constructor(private readonly options: BridgeGuardOptions) {
    this.exempt = new Set((options.exempt ?? []).map((a) => canonicalAddress(a) ?? a));
  }

  /** Reads the engine's networks and the host's interfaces again; keeps the last list on failure. */
  async refresh(): Promise<void> {
    const mine = ++this.begun;
    try {
      const networks = await this.options.listNetworks();
      if (mine !== this.begun) return;
      this.engineNetworks = networks;
    } catch (error) {
      this.options.log?.warn({ err: error }, 'could not list Docker networks; keeping the last');
      if (mine !== this.begun) return;
    }
    const facts = bridgeFacts(
      this.engineNetworks,
      (this.options.interfaces ?? networkInterfaces)(),
    );
    this.subnets = new SubnetSet(facts.subnets);
    this.addresses = new Set(facts.addresses.map((a) => canonicalAddress(a) ?? a));
  }

  /** Refreshes every `intervalMs` until `stop`. */
  start(intervalMs: number): void {
    this.timer = setInterval(() => void this.refresh(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** The subnets refused now, for the log. */
  get refusedSubnets(): string[] {
    return this.subnets.cidrs;
  }

  /** True when a connection from `remote` to `local` must be dropped. */
  refuses(local: string | undefined, remote: string | undefined): boolean {
    if (this.exempt.has(canonicalAddress(remote) ?? '')) return false;
    return this.subnets.has(remote) || this.addresses.has(canonicalAddress(local) ?? '');
  }

  /** Drops, unanswered, every connection to `server` that `refuses`. */
  guard(server: Server): void {
    server.on('connection', (socket) => {
      if (this.refuses(socket.localAddress, socket.remoteAddress)) socket.destroy();
    });
  }
}
