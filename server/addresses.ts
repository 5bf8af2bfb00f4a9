/**
 * The addresses people on the network reach this box by, for the start-up
 * banner (issue 11 §5: a newcomer needs the LAN URL, not only `localhost`).
 * Addresses of physical interfaces come first; Docker's bridges, veth pairs
 * and other virtual interfaces are left out, as no other machine reaches the
 * box through them. Plain data in, plain data out, so it is unit-tested.
 */
import { readlinkSync } from 'node:fs';
import { type NetworkInterfaceInfo, networkInterfaces } from 'node:os';

/** Names of virtual interfaces that never carry the LAN (Docker, libvirt, CNI, VPN tunnels). */
const VIRTUAL_NAMES = /^(docker\d*|br-[0-9a-f]{12}|veth|virbr|cni|flannel|cali|vxlan|tun|tap)/;

/**
 * True when Linux says `name` is hardware (its /sys/class/net link does not lead into
 * /devices/virtual/); undefined where /sys is not there to ask.
 */
export function isPhysical(name: string): boolean | undefined {
  try {
    return !readlinkSync(`/sys/class/net/${name}`).includes('/devices/virtual/');
  } catch {
    return undefined;
  }
}

/**
 * The box's LAN addresses: IPv4 of physical interfaces (or, where there is none, as in a
 * container, of interfaces not named like Docker's or libvirt's); IPv6 only when there is no
 * IPv4 at all, link-local never.
 */
export function lanAddresses(
  interfaces: NodeJS.Dict<NetworkInterfaceInfo[]> = networkInterfaces(),
  physical: (name: string) => boolean | undefined = isPhysical,
): string[] {
  const usable = Object.entries(interfaces).flatMap(([name, infos]) =>
    (infos ?? [])
      .filter((i) => !i.internal && !i.address.startsWith('169.254.'))
      .filter((i) => !(i.family === 'IPv6' && /^fe[89ab]/i.test(i.address)))
      .map((i) => ({ name, family: i.family, address: i.address })),
  );
  const hardware = usable.filter((i) => physical(i.name) === true);
  const chosen =
    hardware.length > 0
      ? hardware
      : usable.filter((i) => physical(i.name) !== true && !VIRTUAL_NAMES.test(i.name));
  const v4 = chosen.filter((i) => i.family === 'IPv4').map((i) => i.address);
  const v6 = chosen.filter((i) => i.family === 'IPv6').map((i) => i.address);
  return [...new Set(v4.length > 0 ? v4 : v6)];
}

/** `http://<address>:<port>/`, with IPv6 in brackets. */
export function httpUrl(address: string, port: number): string {
  return `http://${address.includes(':') ? `[${address}]` : address}:${port}/`;
}

/**
 * Where the daemon can be opened: on this machine, and from the network when it listens on
 * every address. `host` is what it listens on (FOYER_HOST).
 */
export function reachableUrls(
  host: string,
  port: number,
  lan: string[] = lanAddresses(),
): { local: string; network: string[] } {
  const everywhere = host === '0.0.0.0' || host === '::' || host === '';
  // Bound to one address: that address is the only way in, from here or elsewhere.
  if (!everywhere) return { local: httpUrl(host, port), network: [] };
  return { local: httpUrl('localhost', port), network: lan.map((a) => httpUrl(a, port)) };
}
