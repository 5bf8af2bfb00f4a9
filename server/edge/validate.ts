/**
 * Checks on what an admin asks of names and HTTPS (issue 13), each a path-qualified problem,
 * all before anything is stored: a refused request leaves the edge serving what it served.
 */
import { X509Certificate } from 'node:crypto';
import { get } from 'node:https';
import { createServer, isIP } from 'node:net';
import type { Problem } from '../../compose/index.js';
import type { DomainSettings } from './config.js';

export interface DomainInput {
  domain: string;
  mode: 'public' | 'internal';
  email?: string;
  acme?: string;
  acmeRoot?: string;
}

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** What is wrong with a domain name, or undefined. */
export function domainProblem(domain: string): string | undefined {
  if (domain !== domain.toLowerCase()) return 'use lower case letters';
  if (isIP(domain)) return 'an IP address has no names under it; use a domain name';
  const labels = domain.split('.');
  if (labels.length < 2) return `"${domain}" needs at least two labels, such as home.example`;
  // Each install gets `<install>.<domain>`: room for the longest install id is kept.
  if (domain.length > 253 - 41) return 'too long: at most 212 characters';
  const bad = labels.find((l) => !LABEL.test(l));
  if (bad !== undefined) {
    return `"${bad || '(empty)'}" is not a valid label: 1 to 63 letters, digits and "-", not starting or ending with "-"`;
  }
  if (/^\d+$/.test(labels.at(-1)!)) return 'the last label cannot be all digits';
  return undefined;
}

/** The settings from an admin's input, or the problems with it (no network involved). */
export function checkDomainInput(input: DomainInput): {
  settings?: DomainSettings;
  problems: Problem[];
} {
  const problems: Problem[] = [];
  const domain = input.domain.trim().replace(/\.$/, '');
  const bad = domainProblem(domain);
  if (bad) problems.push({ path: 'domain', message: bad });
  if (input.mode === 'internal') {
    for (const key of ['email', 'acme', 'acmeRoot'] as const) {
      if (input[key] !== undefined)
        problems.push({ path: key, message: 'only for public mode (ACME), not with --internal' });
    }
  }
  if (input.email !== undefined && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(input.email)) {
    problems.push({ path: 'email', message: `"${input.email}" is not an email address` });
  }
  if (input.acme !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(input.acme);
    } catch {
      problems.push({ path: 'acme', message: `"${input.acme}" is not a URL` });
    }
    if (url && url.protocol !== 'https:')
      problems.push({ path: 'acme', message: 'an ACME directory URL starts with https://' });
  }
  if (input.acmeRoot !== undefined) {
    const problem = certificateProblem(input.acmeRoot);
    if (problem) problems.push({ path: 'acmeRoot', message: problem });
  }
  if (problems.length > 0) return { problems };
  return {
    problems,
    settings: {
      mode: input.mode,
      domain,
      ...(input.email ? { email: input.email } : {}),
      ...(input.acme ? { acme: input.acme } : {}),
      ...(input.acmeRoot ? { acmeRoot: input.acmeRoot } : {}),
    },
  };
}

/** Why a text is not a PEM certificate, or undefined. */
export function certificateProblem(pem: string): string | undefined {
  if (!pem.includes('-----BEGIN CERTIFICATE-----'))
    return 'not a PEM certificate (no "-----BEGIN CERTIFICATE-----")';
  try {
    new X509Certificate(pem);
    return undefined;
  } catch (error) {
    return `not a certificate: ${(error as Error).message}`;
  }
}

/** Asks the ACME directory for itself; a problem at `acme` when it does not answer as one. */
export function acmeDirectoryProblem(
  url: string,
  root?: string,
  timeoutMs = 10_000,
): Promise<Problem | undefined> {
  return new Promise((resolve) => {
    const problem = (message: string) => resolve({ path: 'acme', message: `${url}: ${message}` });
    const req = get(url, { timeout: timeoutMs, ...(root ? { ca: root } : {}) }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        if (text.length < 65_536) text += chunk;
      });
      res.on('end', () => {
        if (res.statusCode !== 200)
          return problem(`answered ${res.statusCode}, not an ACME directory`);
        try {
          const directory = JSON.parse(text) as Record<string, unknown>;
          if (typeof directory.newAccount === 'string' && typeof directory.newOrder === 'string')
            return resolve(undefined);
        } catch {
          // Falls through: not JSON.
        }
        problem('is not an ACME directory (no newAccount and newOrder)');
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer in ${timeoutMs / 1000} s`)));
    req.on('error', (error) => problem(`did not answer: ${error.message}`));
  });
}

/** A problem when `port` cannot be listened on at `address` (someone else holds it). */
export function portProblem(
  path: string,
  variable: string,
  port: number,
  address: string,
): Promise<Problem | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => {
      const why =
        error.code === 'EADDRINUSE'
          ? 'is already in use by another program'
          : `cannot be used (${error.code ?? error.message})`;
      resolve({ path, message: `port ${port} on ${address} ${why}; free it or set ${variable}` });
    });
    server.listen({ port, host: address, exclusive: true }, () =>
      server.close(() => resolve(undefined)),
    );
  });
}
