// Real TLS clients for the servers that are not HTTP (issue 13): SMTP and XMPP STARTTLS dialogues
// and what a server presents, for the tests of the certificates mail and chat get from the edge.
import assert from 'node:assert/strict';
import type { X509Certificate } from 'node:crypto';
import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';

/** Reads one reply of a line protocol until `done` matches what came so far. */
export function readUntil(socket: Socket, done: RegExp, what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (chunk: Buffer) => {
      text += chunk.toString('utf8');
      if (!done.test(text)) return;
      cleanup();
      resolve(text);
    };
    const onEnd = () => {
      cleanup();
      reject(new Error(`${what}: closed after ${JSON.stringify(text)}`));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`${what}: no reply matching ${done}; got ${JSON.stringify(text)}`));
    }, 10_000);
    const cleanup = () => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', onEnd);
    };
    socket.on('data', onData);
    socket.on('end', onEnd);
  });
}

/** What a TLS server presented, and whether it verifies against the `ca` given (chain and name). */
export interface Presented {
  leaf: X509Certificate | undefined;
  fingerprint: string;
  authorized: boolean;
  authorizationError?: string;
}

/**
 * The certificate a server presents on 127.0.0.1:`port` for `servername`, after `dialogue` has
 * asked for TLS in plain text (STARTTLS), or from the first byte without one. Never refused:
 * `authorized` says whether it verifies against `ca` (when given) and names `servername`.
 */
export async function presentedOn(
  port: number,
  servername: string,
  dialogue?: (socket: Socket) => Promise<void>,
  ca?: string,
): Promise<Presented> {
  const plain = connectTcp(port, '127.0.0.1');
  plain.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    plain.once('connect', resolve);
    plain.once('error', reject);
  });
  try {
    if (dialogue) await dialogue(plain);
    const options = { servername, rejectUnauthorized: false, ...(ca ? { ca } : {}) };
    const secure = dialogue
      ? connectTls({ socket: plain, ...options })
      : connectTls({ host: '127.0.0.1', port, ...options });
    if (!dialogue) plain.destroy();
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', resolve);
      secure.once('error', reject);
    });
    const leaf = secure.getPeerX509Certificate();
    const result: Presented = {
      leaf,
      fingerprint: leaf?.fingerprint256 ?? '',
      authorized: secure.authorized,
      ...(secure.authorizationError
        ? { authorizationError: String(secure.authorizationError) }
        : {}),
    };
    secure.destroy();
    return result;
  } finally {
    plain.destroy();
  }
}

/**
 * The fingerprint (SHA-256) of the certificate a server presents (see `presentedOn`). The chain
 * is not checked: a self-signed fallback must be readable too.
 */
export async function presented(
  port: number,
  servername: string,
  dialogue?: (socket: Socket) => Promise<void>,
): Promise<string> {
  return (await presentedOn(port, servername, dialogue)).fingerprint;
}

/** SMTP up to STARTTLS (port 25 or submission): banner, EHLO offering STARTTLS, STARTTLS. */
export const smtpStartTls = async (socket: Socket): Promise<void> => {
  await readUntil(socket, /^220 .*\r\n/m, 'SMTP banner');
  socket.write('EHLO client.test\r\n');
  const ehlo = await readUntil(socket, /^250 .*\r\n/m, 'EHLO');
  assert.match(ehlo, /STARTTLS/);
  socket.write('STARTTLS\r\n');
  await readUntil(socket, /^220 .*\r\n/m, 'STARTTLS');
};

/** An XMPP client stream to `domain` up to `<proceed/>` after `<starttls/>`. */
export function xmppStartTls(domain: string): (socket: Socket) => Promise<void> {
  return async (socket) => {
    socket.write(
      `<?xml version='1.0'?><stream:stream to='${domain}' version='1.0' xmlns='jabber:client'` +
        ` xmlns:stream='http://etherx.jabber.org/streams'>`,
    );
    const features = await readUntil(socket, /<\/stream:features>/, 'XMPP features');
    assert.match(features, /urn:ietf:params:xml:ns:xmpp-tls/);
    socket.write("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
    await readUntil(socket, /<proceed/, 'XMPP STARTTLS');
  };
}
