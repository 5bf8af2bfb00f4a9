// Host networking of a private engine. Each engine gets a "slot": its own bridge (dockerd only
// creates `docker0` itself, which a host engine may own) and its own 10.x.0.0/16 for that bridge
// and its user-defined networks, so it never overlaps the host engine or another test run.
// dockerd runs with --iptables=false (at start-up it would delete the DOCKER chains a host engine
// relies on), so the slot adds the only rules it needs, tagged with a comment so they can be found.
import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from './exec.js';

export interface Slot {
  index: number;
  /** Bridge for the engine's default network. */
  bridge: string;
  /** The /16 holding the bridge (first /24) and every network the engine creates. */
  subnet: string;
  /** First two octets of subnet plus a dot, to recognise addresses in it. */
  prefix: string;
  /** Comment on the slot's iptables rules. */
  comment: string;
  lockPath: string;
}

export interface SlotLock {
  pid: number;
  dir: string;
  index: number;
}

const SLOT_COUNT = 32;
const FIRST_OCTET = 200;

/** Directory holding one lock file per slot in use. */
export const LOCK_DIR = join(tmpdir(), 'foyer-test-engines');

/** The names and addresses belonging to slot index. */
export function slotFor(index: number): Slot {
  const prefix = `10.${FIRST_OCTET + index}.`;
  return {
    index,
    bridge: `foyer-t${index}`,
    subnet: `${prefix}0.0/16`,
    prefix,
    comment: `foyer-test-${index}`,
    lockPath: join(LOCK_DIR, `slot-${index}.json`),
  };
}

/** Claims a free slot for the engine in dir: writes its lock file and creates its bridge. */
export async function claimSlot(dir: string): Promise<Slot> {
  mkdirSync(LOCK_DIR, { recursive: true });
  const used = await hostSubnets();
  for (let index = 0; index < SLOT_COUNT; index++) {
    const slot = slotFor(index);
    if (used.some((cidr) => overlaps(cidr, slot.subnet))) continue;
    const lock: SlotLock = { pid: process.pid, dir, index };
    try {
      writeFileSync(slot.lockPath, JSON.stringify(lock), { flag: 'wx' });
    } catch {
      continue;
    }
    // Creating the link is atomic, so it also guards against a run using another TMPDIR.
    const made = await run('ip', ['link', 'add', 'name', slot.bridge, 'type', 'bridge'], {
      allowFailure: true,
    });
    if (made.code === 0) return slot;
    unlinkSync(slot.lockPath);
  }
  throw new Error(`no free test-engine slot: all ${SLOT_COUNT} are in use (see ${LOCK_DIR})`);
}

/** Reads the lock file of a slot; undefined when absent or unreadable. */
export function readSlotLock(path: string): SlotLock | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as SlotLock;
  } catch {
    return undefined;
  }
}

/** Addresses the bridge and adds forwarding and masquerading rules so containers reach the mirror. */
export async function setUpNetwork(slot: Slot, mtu: number): Promise<void> {
  await run('ip', ['addr', 'add', `${slot.prefix}0.1/24`, 'dev', slot.bridge]);
  await run('ip', ['link', 'set', slot.bridge, 'mtu', String(mtu), 'up']);
  const tag = ['-m', 'comment', '--comment', slot.comment];
  // Inserted first in FORWARD because a host engine sets its policy to DROP.
  await iptables(['-I', 'FORWARD', '-s', slot.subnet, ...tag, '-j', 'ACCEPT']);
  await iptables([
    ...['-I', 'FORWARD', '-d', slot.subnet, '-m', 'conntrack'],
    ...['--ctstate', 'RELATED,ESTABLISHED', ...tag, '-j', 'ACCEPT'],
  ]);
  await iptables([
    ...['-t', 'nat', '-A', 'POSTROUTING', '-s', slot.subnet, '!', '-d', slot.subnet],
    ...[...tag, '-j', 'MASQUERADE'],
  ]);
}

/** Removes the slot's iptables rules and every link addressed in its subnet, bridge included. */
export async function tearDownNetwork(slot: Slot): Promise<void> {
  for (const table of ['filter', 'nat']) {
    const saved = await run('iptables-save', ['-t', table], { allowFailure: true });
    for (const line of saved.stdout.split('\n')) {
      if (!line.startsWith('-A ') || !line.includes(`--comment ${slot.comment} `)) continue;
      await iptables(['-t', table, '-D', ...line.slice(3).trim().split(/\s+/)], true);
    }
  }
  const addrs = await run('ip', ['-o', '-4', 'addr', 'show'], { allowFailure: true });
  const links = new Set([slot.bridge]);
  for (const line of addrs.stdout.split('\n')) {
    const m = /^\d+:\s+(\S+)\s+inet\s+(\S+)/.exec(line);
    if (m?.[2]?.startsWith(slot.prefix)) links.add(m[1]!.replace(/@.*/, ''));
  }
  for (const link of links) await run('ip', ['link', 'del', link], { allowFailure: true });
}

/** MTU for container links: the host's default-route MTU, so large packets are not dropped. */
export async function hostMtu(): Promise<number> {
  const route = await run('ip', ['-4', '-o', 'route', 'show', 'default'], { allowFailure: true });
  const dev = /\bdev\s+(\S+)/.exec(route.stdout)?.[1];
  try {
    const mtu = Number(readFileSync(`/sys/class/net/${dev}/mtu`, 'utf8').trim());
    return mtu > 0 && mtu < 1500 ? mtu : 1500;
  } catch {
    return 1500;
  }
}

function iptables(args: string[], allowFailure = false) {
  // -w waits for the xtables lock, which a host engine may hold.
  return run('iptables', ['-w', ...args], { allowFailure });
}

// Subnets routed on the host (bar the default route): a slot must not overlap the host's
// networks, nor the leftovers of an engine we cannot see.
async function hostSubnets(): Promise<string[]> {
  const routes = await run('ip', ['-4', '-o', 'route', 'show', 'table', 'all'], {
    allowFailure: true,
  });
  const subnets: string[] = [];
  for (const line of routes.stdout.split('\n')) {
    const dest = line.split(/\s+/).find((w) => /^\d+\.\d+\.\d+\.\d+(\/\d+)?$/.test(w));
    if (!dest || line.startsWith('default')) continue;
    subnets.push(dest.includes('/') ? dest : `${dest}/32`);
  }
  return subnets;
}

function overlaps(a: string, b: string): boolean {
  const [na, la] = range(a);
  const [nb, lb] = range(b);
  const bits = Math.min(la, lb);
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return (na & mask) >>> 0 === (nb & mask) >>> 0;
}

function range(cidr: string): [number, number] {
  const [ip, len] = cidr.split('/');
  const n = ip!.split('.').reduce((acc, o) => ((acc << 8) >>> 0) + Number(o), 0);
  return [n >>> 0, len === undefined ? 32 : Number(len)];
}
