// Reads the host's apt sources to find the Debian mirror debootstrap should use: only the
// host's own mirror is known to be reachable (Docker Hub and GitHub may not be).
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface AptSource {
  types: string[];
  uris: string[];
  suites: string[];
  components: string[];
}

export interface DebianMirrors {
  debian: string;
  security: string;
}

const DEFAULT_MIRRORS: DebianMirrors = {
  debian: 'http://deb.debian.org/debian',
  security: 'http://deb.debian.org/debian-security',
};

// Suites of the Debian archive; other repositories (Ubuntu, vendors) are not usable for debootstrap.
const DEBIAN_SUITE =
  /^(buster|bullseye|bookworm|trixie|forky|duke|sid|oldoldstable|oldstable|stable|testing|unstable)(-updates|-backports|-security|\/updates)?$/;

/** Parses one-line-style apt sources (sources.list). */
export function parseSourcesList(text: string): AptSource[] {
  const sources: AptSource[] = [];
  for (const raw of text.split('\n')) {
    const line = raw
      .replace(/#.*/, '')
      .replace(/\[[^\]]*\]/, ' ')
      .trim();
    const [type, uri, suite, ...components] = line.split(/\s+/);
    if (!type || !uri || !suite) continue;
    sources.push({ types: [type], uris: [uri], suites: [suite], components });
  }
  return sources;
}

/** Parses deb822-style apt sources (*.sources), skipping stanzas marked `Enabled: no`. */
export function parseDeb822Sources(text: string): AptSource[] {
  const sources: AptSource[] = [];
  const lines = text.split('\n').filter((l) => !l.startsWith('#'));
  for (const stanza of lines.join('\n').split(/\n\s*\n/)) {
    const fields = new Map<string, string>();
    let last = '';
    for (const line of stanza.split('\n')) {
      if (/^\s/.test(line) && last) fields.set(last, `${fields.get(last)} ${line.trim()}`);
      const m = /^([A-Za-z-]+):\s*(.*)$/.exec(line);
      if (!m) continue;
      last = m[1]!.toLowerCase();
      fields.set(last, m[2]!);
    }
    if ((fields.get('enabled') ?? 'yes').trim().toLowerCase() === 'no') continue;
    const list = (key: string) => (fields.get(key) ?? '').split(/\s+/).filter(Boolean);
    if (list('uris').length === 0) continue;
    sources.push({
      types: list('types'),
      uris: list('uris'),
      suites: list('suites'),
      components: list('components'),
    });
  }
  return sources;
}

/** Picks the Debian and Debian-security mirrors from parsed sources, defaulting to deb.debian.org. */
export function pickMirrors(sources: AptSource[]): DebianMirrors {
  let debian: string | undefined;
  let security: string | undefined;
  for (const s of sources) {
    if (!s.types.includes('deb') || !s.components.includes('main')) continue;
    for (const uri of s.uris.filter((u) => /^https?:\/\//.test(u))) {
      for (const suite of s.suites.filter((x) => DEBIAN_SUITE.test(x))) {
        const isSecurity = /-security$|\/updates$/.test(suite);
        if (isSecurity) security ??= uri.replace(/\/+$/, '');
        else debian ??= uri.replace(/\/+$/, '');
      }
    }
  }
  return {
    debian: debian ?? DEFAULT_MIRRORS.debian,
    security: security ?? DEFAULT_MIRRORS.security,
  };
}

/** Reads /etc/apt (or aptRoot) and returns the mirrors to build Debian images from. */
export async function hostDebianMirrors(aptRoot = '/etc/apt'): Promise<DebianMirrors> {
  const override = process.env.FOYER_TEST_DEBIAN_MIRROR;
  const sources: AptSource[] = [];
  const read = (path: string) => readFile(path, 'utf8').catch(() => '');
  sources.push(...parseSourcesList(await read(join(aptRoot, 'sources.list'))));
  const dir = join(aptRoot, 'sources.list.d');
  const names = (await readdir(dir).catch(() => [] as string[])).sort();
  for (const name of names) {
    if (name.endsWith('.list')) sources.push(...parseSourcesList(await read(join(dir, name))));
    if (name.endsWith('.sources')) sources.push(...parseDeb822Sources(await read(join(dir, name))));
  }
  const mirrors = pickMirrors(sources);
  return override ? { ...mirrors, debian: override } : mirrors;
}
