// TLS from the node's configuration (Redis 7.0's tls-* parameters): the server side of the
// tls-port listener, and the client side of the links this node opens to other corral processes
// when tls-replication / tls-cluster is on. Files are read when a context is built: at startup,
// and again on CONFIG SET of any tls-* parameter, so certificates can be replaced without a
// restart (the new context serves new connections; open ones keep theirs, as Redis).

import fs from 'node:fs';
import path from 'node:path';
import type tls from 'node:tls';
import type { ConfigValue } from './config.js';
import type { LinkSecurity } from '../util/link-security.js';

type Get = (name: string) => ConfigValue;

/** The parameters whose change rebuilds the TLS contexts. */
export function isTlsContextParam(name: string): boolean {
  return name.startsWith('tls-') && name !== 'tls-port' && name !== 'tls-replication' && name !== 'tls-cluster';
}

/** Whether anything on this node uses TLS (Redis builds its context only then, too). */
export function tlsInUse(get: Get): boolean {
  return get('tls-port') !== 0 || get('tls-replication') === true || get('tls-cluster') === true;
}

function readFile(get: Get, name: string): Buffer {
  const file = get(name) as string;
  try {
    return fs.readFileSync(file);
  } catch (err) {
    throw new Error(`${name} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** The CAs to trust: tls-ca-cert-file and every file of tls-ca-cert-dir. */
function trustedCas(get: Get): Buffer[] | undefined {
  const cas: Buffer[] = [];
  if (get('tls-ca-cert-file') !== '') cas.push(readFile(get, 'tls-ca-cert-file'));
  const dir = get('tls-ca-cert-dir') as string;
  if (dir !== '') {
    for (const entry of fs.readdirSync(dir)) {
      const file = path.join(dir, entry);
      if (fs.statSync(file).isFile()) cas.push(fs.readFileSync(file));
    }
  }
  return cas.length === 0 ? undefined : cas;
}

/** tls-protocols ("TLSv1.2 TLSv1.3") as Node's version range. */
function protocolRange(get: Get): { minVersion?: tls.SecureVersion; maxVersion?: tls.SecureVersion } {
  const words = (get('tls-protocols') as string).split(/\s+/).filter((w) => w !== '');
  if (words.length === 0) return { minVersion: 'TLSv1.2' };
  const known: tls.SecureVersion[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];
  const picked = words.map((w) => {
    const v = known.find((k) => k.toLowerCase() === w.toLowerCase());
    if (v === undefined) throw new Error(`tls-protocols: unknown protocol ${w}`);
    return known.indexOf(v);
  });
  return { minVersion: known[Math.min(...picked)], maxVersion: known[Math.max(...picked)] };
}

function ciphers(get: Get): string | undefined {
  const list = [get('tls-ciphersuites') as string, get('tls-ciphers') as string].filter((c) => c !== '');
  return list.length === 0 ? undefined : list.join(':');
}

/** The tls-port listener's options; throws an Error naming the file or value at fault. */
export function serverTlsOptions(get: Get): tls.TlsOptions {
  if (get('tls-cert-file') === '' || get('tls-key-file') === '') throw new Error('tls-cert-file and tls-key-file are required for TLS');
  const auth = get('tls-auth-clients') as string;
  const opts: tls.TlsOptions = {
    cert: readFile(get, 'tls-cert-file'),
    key: readFile(get, 'tls-key-file'),
    passphrase: (get('tls-key-file-pass') as string) || undefined,
    ca: trustedCas(get),
    requestCert: auth !== 'no',
    // 'optional': a client may come without a certificate, but one it presents must verify
    // (checked on accept, since Node's rejectUnauthorized would refuse the certificate-less too).
    rejectUnauthorized: auth === 'yes',
    honorCipherOrder: get('tls-prefer-server-ciphers') === true,
    ciphers: ciphers(get),
    ...protocolRange(get),
    sessionTimeout: get('tls-session-caching') === true ? (get('tls-session-cache-timeout') as number) : 0,
  };
  if (get('tls-dh-params-file') !== '') opts.dhparam = readFile(get, 'tls-dh-params-file');
  if (auth !== 'no' && opts.ca === undefined) throw new Error('tls-auth-clients needs tls-ca-cert-file or tls-ca-cert-dir');
  return opts;
}

/**
 * The options of this node's outgoing TLS links: its client certificate (tls-client-cert-file,
 * else tls-cert-file, as Redis), the CAs to verify the peer with. Peers are verified against
 * the CA but not by host name, as Redis (nodes are often addressed by IP).
 */
/**
 * How a node's links to other corral processes authenticate and whether they are TLS
 * (util/link-security.ts): as masteruser with masterauth, else with requirepass as the default
 * user; TLS when tls-cluster (cluster links) or tls-replication (replication) is on.
 */
export function linkSecurityOf(get: Get, kind: 'replication' | 'cluster'): LinkSecurity {
  const sec: LinkSecurity = {};
  const user = get('masteruser') as string;
  const password = (get('masterauth') as string) || (get('requirepass') as string);
  if (password !== '') sec.password = password;
  if (user !== '' && password !== '') sec.user = user;
  if (get(kind === 'cluster' ? 'tls-cluster' : 'tls-replication') === true) sec.tls = clientTlsOptions(get);
  return sec;
}

export function clientTlsOptions(get: Get): tls.ConnectionOptions {
  const own = get('tls-client-cert-file') !== '' ? 'tls-client' : 'tls';
  const opts: tls.ConnectionOptions = {
    ca: trustedCas(get),
    rejectUnauthorized: true,
    checkServerIdentity: () => undefined,
    ciphers: ciphers(get),
    ...protocolRange(get),
  };
  if (get(`${own}-cert-file`) !== '' && get(`${own}-key-file`) !== '') {
    opts.cert = readFile(get, `${own}-cert-file`);
    opts.key = readFile(get, `${own}-key-file`);
    opts.passphrase = (get(`${own}-key-file-pass`) as string) || undefined;
  }
  return opts;
}
