// How a corral process reaches another one: the credentials it authenticates with and whether
// the link is TLS. One LinkSecurity is built by the node from its configuration (masteruser,
// masterauth, tls-replication / tls-cluster: server/node.ts linkSecurity) and handed to every
// link it opens — replication, the control plane, migrations, the pub/sub bus — so a node that
// requires a password or TLS is reachable by its peers and by no one else.
//
// dialLink writes AUTH ahead of anything else on the socket, so the first reply on the link is
// AUTH's: a link that parses replies in order must consume that one (+OK) before its own; an
// error there (-WRONGPASS, -NOAUTH...) means the credentials were refused.

import net from 'node:net';
import tls from 'node:tls';

export interface LinkSecurity {
  /** AUTH as this user; undefined: as the default user. */
  user?: string;
  /** The password to AUTH with; undefined: no AUTH is sent. */
  password?: string;
  /** TLS options for the link; undefined: plain TCP. */
  tls?: tls.ConnectionOptions;
}

/** The RESP frame of AUTH for these credentials, or null when there are none. */
export function authFrame(sec: LinkSecurity | undefined): Buffer | null {
  if (sec?.password === undefined) return null;
  const words = sec.user !== undefined ? ['AUTH', sec.user, sec.password] : ['AUTH', sec.password];
  let out = `*${words.length}\r\n`;
  for (const w of words) out += `$${Buffer.byteLength(w)}\r\n${w}\r\n`;
  return Buffer.from(out);
}

/** Whether the link sends AUTH first (and so has one reply to consume before its own). */
export function sendsAuth(sec: LinkSecurity | undefined): boolean {
  return sec?.password !== undefined;
}

/**
 * Opens a link to host:port: TLS when sec.tls is set, plain TCP otherwise; AUTH is written
 * first when sec has a password. The socket emits LINK_READY once usable, for either kind (for
 * TLS after the handshake; a TLS socket's own 'connect' comes before it).
 */
/**
 * The read buffer of links that read with Node's onread option (replica links, slot imports):
 * one for all, since each read is consumed before the event loop reads the next.
 */
export const LINK_READ_BUFFER = Buffer.allocUnsafe(64 * 1024);

export function dialLink(host: string, port: number, sec: LinkSecurity | undefined, options: { noDelay?: boolean; keepAlive?: boolean; onread?: net.OnReadOpts } = {}): net.Socket {
  let socket: net.Socket;
  if (sec?.tls !== undefined) {
    const s = tls.connect({ ...sec.tls, host, port, servername: net.isIP(host) === 0 ? host : undefined });
    s.once('secureConnect', () => s.emit('linkReady'));
    // onread is a TCP handle's option: over TLS the callback gets each decrypted chunk instead.
    const onread = options.onread;
    if (onread !== undefined) s.on('data', (chunk: Buffer) => onread.callback(chunk.length, chunk));
    socket = s;
  } else {
    socket = net.connect(options.onread !== undefined ? { host, port, onread: options.onread } : { host, port });
    socket.once('connect', () => socket.emit('linkReady'));
  }
  if (options.noDelay !== false) socket.setNoDelay(true);
  if (options.keepAlive === true) socket.setKeepAlive(true);
  const auth = authFrame(sec);
  if (auth !== null) socket.write(auth);
  return socket;
}

/**
 * The message for credentials a peer refused (its error reply to AUTH): names the peer and the
 * user, never the password. A node's links add which parameters to check (AUTH_HINT).
 */
export function authRefusal(what: string, sec: LinkSecurity | undefined, error: string): string {
  return `${what} refused the credentials (AUTH as ${sec?.user ?? 'the default user'}: ${error})`;
}

/** What a node's operator checks when a peer refuses its link's credentials. */
export const AUTH_HINT = 'check masterauth / masteruser (or requirepass, which stands in for masterauth)';

/**
 * Whether AUTH's error reply only says the peer wants no password (AUTH <password> on a node
 * whose default user has none): the link works unauthenticated, so it goes on. A node whose
 * requirepass stands in for masterauth reaches a primary that has no password this way.
 */
export function authNotNeeded(error: string): boolean {
  return error.includes('without any password configured');
}

/** The event dialLink's socket emits once usable (TCP connected, and TLS handshake done). */
export const LINK_READY = 'linkReady';
