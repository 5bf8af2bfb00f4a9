/**
 * Where a person opens an install's web entry: its HTTPS address at the edge
 * (`install.url`, `https://<id>.<domain>/`, once a domain is set: issue 13),
 * else the host port that Docker published for the app's `web` service and
 * port (install.web + the status's published ports), on the host name the
 * page itself was reached by — the server's name or address on the LAN.
 */
import type { Install } from './types.ts';

export type WebEntry = { url: string } | { localOnly: true };

const LOOPBACK = /^(127\.|::1$|localhost$|\[::1\]$)/;

/** The web entry of an install, or undefined when it has none or it is not published (yet). */
export function webEntry(install: Install, page: Location = location): WebEntry | undefined {
  const web = install.web;
  if (!web) return undefined;
  if (install.url) return { url: install.url };
  const service = install.status?.services.find((s) => s.name === web.service);
  const ports = (service?.ports ?? []).filter(
    (p) => p.container === web.port && p.protocol === 'tcp',
  );
  // One port is often listed twice (0.0.0.0 and ::); any address beats loopback.
  const port = ports.find((p) => !LOOPBACK.test(p.ip)) ?? ports[0];
  if (!port) return undefined;
  const pageIsLocal = LOOPBACK.test(page.hostname);
  let host: string;
  if (LOOPBACK.test(port.ip)) {
    if (!pageIsLocal) return { localOnly: true };
    host = page.hostname;
  } else if (port.ip === '0.0.0.0' || port.ip === '::' || port.ip === '') {
    host = page.hostname;
  } else {
    host = port.ip.includes(':') ? `[${port.ip}]` : port.ip;
  }
  return { url: `http://${host}:${port.host}/` };
}
