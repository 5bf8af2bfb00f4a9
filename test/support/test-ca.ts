// A certificate authority for tests, made with openssl in a temp folder: its root, and leaf
// certificates for the names and addresses a test serves (Pebble's HTTPS, mail and chat).
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './exec.js';

export interface IssuedCertificate {
  /** The leaf alone. */
  certificatePem: string;
  /** The leaf, then the CA's certificate (what a server sends). */
  chainPem: string;
  keyPem: string;
  certificatePath: string;
  keyPath: string;
}

export interface TestCa {
  rootPem: string;
  rootPath: string;
  /** A leaf for DNS names and IP addresses (`127.0.0.1`), valid `days` days. */
  issue(subjects: string[], options?: { days?: number }): Promise<IssuedCertificate>;
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
let issued = 0;

/** Makes a CA (P-256, valid two days) in `dir`. */
export async function makeTestCa(dir: string, name: string): Promise<TestCa> {
  const rootPath = join(dir, 'ca.crt');
  const caKey = join(dir, 'ca.key');
  await run('openssl', [
    ...['req', '-x509', ...EC, '-days', '2', '-subj', `/CN=${name}`],
    ...['-keyout', caKey, '-out', rootPath],
    ...['-addext', 'basicConstraints=critical,CA:TRUE'],
    ...['-addext', 'keyUsage=critical,keyCertSign,cRLSign'],
  ]);
  return {
    rootPem: readFileSync(rootPath, 'utf8'),
    rootPath,
    async issue(subjects, options = {}) {
      issued += 1;
      const base = join(dir, `leaf-${issued}`);
      const alt = subjects.map((s) => (/^[\d.]+$/.test(s) ? `IP:${s}` : `DNS:${s}`)).join(',');
      writeFileSync(
        `${base}.ext`,
        [
          `subjectAltName=${alt}`,
          'basicConstraints=CA:FALSE',
          'keyUsage=critical,digitalSignature',
          'extendedKeyUsage=serverAuth',
          '',
        ].join('\n'),
      );
      await run('openssl', [
        ...['req', '-new', ...EC, '-subj', `/CN=${subjects[0]}`],
        ...['-keyout', `${base}.key`, '-out', `${base}.csr`],
      ]);
      await run('openssl', [
        ...['x509', '-req', '-in', `${base}.csr`, '-CA', rootPath, '-CAkey', caKey],
        ...['-set_serial', `0x${randomBytes(8).toString('hex')}`],
        ...['-days', String(options.days ?? 2), '-extfile', `${base}.ext`, '-out', `${base}.crt`],
      ]);
      const certificatePem = readFileSync(`${base}.crt`, 'utf8');
      return {
        certificatePem,
        chainPem: certificatePem + readFileSync(rootPath, 'utf8'),
        keyPem: readFileSync(`${base}.key`, 'utf8'),
        certificatePath: `${base}.crt`,
        keyPath: `${base}.key`,
      };
    },
  };
}
