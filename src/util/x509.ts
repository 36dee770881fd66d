// X.509 certificates for corral's TLS without the openssl binary or an npm dependency: node:crypto
// makes the ECDSA P-256 keys and the signatures, and this file encodes the certificates' DER
// (ASN.1) by hand. Owns generateCa / issueCertificate and the dev certificate set that
// generateDevCertificates writes (CA, server, client) for tls-* configuration and tests.

import { createHash, createPrivateKey, generateKeyPairSync, randomBytes, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';

/** A private key (PKCS#8 PEM) and its certificate (PEM). */
export interface KeyAndCert { key: string; cert: string }

export type CertificateUsage = 'server' | 'client' | 'both';

export interface CertificateOptions {
  commonName: string;
  dnsNames?: string[];
  ipAddresses?: string[];
  /** Validity from now; 825 by default (the longest that clients such as Apple's accept). */
  days?: number;
  usage: CertificateUsage;
}

export interface DevCertificatePaths { caCert: string; serverCert: string; serverKey: string; clientCert: string; clientKey: string }

const OID = {
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
};

/** KeyUsage bit numbers (RFC 5280 4.2.1.3). */
const DIGITAL_SIGNATURE = 0;
const KEY_CERT_SIGN = 5;
const CRL_SIGN = 6;

const HOUR_MS = 3600_000;
const DAY_MS = 24 * HOUR_MS;

// ---- DER encoding (X.690): every value is a tag byte, a length, then the contents.

function der(tag: number, ...contents: Buffer[]): Buffer {
  const body = Buffer.concat(contents);
  return Buffer.concat([Buffer.from([tag]), derLength(body.length), body]);
}

/** Short form below 128; long form: 0x80 | number of length bytes, then the length big-endian. */
function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

const seq = (...items: Buffer[]): Buffer => der(0x30, ...items);
const set = (...items: Buffer[]): Buffer => der(0x31, ...items);
const octets = (bytes: Buffer): Buffer => der(0x04, bytes);
const utf8 = (text: string): Buffer => der(0x0c, Buffer.from(text, 'utf8'));
const bool = (value: boolean): Buffer => der(0x01, Buffer.from([value ? 0xff : 0x00]));
/** BIT STRING: the first content byte counts the unused low bits of the last byte. */
const bitString = (bytes: Buffer, unusedBits = 0): Buffer => der(0x03, Buffer.from([unusedBits]), bytes);
/** [n] EXPLICIT (constructed context tag wrapping a whole TLV). */
const explicit = (n: number, inner: Buffer): Buffer => der(0xa0 + n, inner);
/** [n] IMPLICIT of a primitive type: the context tag replaces the type's own tag. */
const implicit = (n: number, contents: Buffer): Buffer => der(0x80 + n, contents);

/** INTEGER from unsigned big-endian bytes: minimal (no leading zeros), and a 0x00 in front when
 *  the top bit is set, since DER integers are two's complement. */
function unsignedInteger(bytes: Buffer): Buffer {
  let first = 0;
  while (first < bytes.length - 1 && bytes[first] === 0) first++;
  const trimmed = bytes.subarray(first);
  return der(0x02, trimmed[0] & 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed);
}

/** OBJECT IDENTIFIER: the first two arcs packed as 40*a+b, then every arc in base 128, big-endian,
 *  with the high bit of each byte but the last meaning "more follows". */
function oid(dotted: string): Buffer {
  const [first, second, ...rest] = dotted.split('.').map(Number);
  const out: number[] = [];
  for (const arc of [40 * first + second, ...rest]) {
    const groups = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) groups.unshift((v & 0x7f) | 0x80);
    out.push(...groups);
  }
  return der(0x06, Buffer.from(out));
}

/** RFC 5280 4.1.2.5: UTCTime (YYMMDDHHMMSSZ) through 2049, GeneralizedTime (YYYYMMDDHHMMSSZ) from 2050. */
function time(ms: number): Buffer {
  const date = new Date(Math.floor(ms / 1000) * 1000);
  const digits = date.toISOString().slice(0, 19).replace(/[-T:]/g, '');
  return date.getUTCFullYear() < 2050 ? der(0x17, Buffer.from(`${digits.slice(2)}Z`)) : der(0x18, Buffer.from(`${digits}Z`));
}

/** A named-bit BIT STRING (KeyUsage): bit 0 is the top bit of the first byte, and DER drops the
 *  trailing zero bits, so the last byte's unused bits are those after the highest bit set. */
function namedBits(bitNumbers: number[]): Buffer {
  const highest = Math.max(...bitNumbers);
  const bytes = Buffer.alloc((highest >> 3) + 1);
  for (const bit of bitNumbers) bytes[bit >> 3] |= 0x80 >> (bit & 7);
  return bitString(bytes, 7 - (highest & 7));
}

// ---- DER reading: just enough to take the subject out of a CA certificate and the key out of an SPKI.

/** A DER value: its tag byte at `at`, its contents at [start, end). */
interface Tlv { at: number; start: number; end: number }

function readTlv(buf: Buffer, at: number): Tlv {
  let length = buf[at + 1];
  let start = at + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + buf[start + i];
    start += count;
  }
  if (start + length > buf.length) throw new Error('x509: truncated DER');
  return { at, start, end: start + length };
}

function children(buf: Buffer, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let at = parent.start; at < parent.end; at = out[out.length - 1].end) out.push(readTlv(buf, at));
  return out;
}

/** The subject Name of a DER certificate, byte for byte (a child's issuer must match it exactly). */
function subjectOf(certDer: Buffer): Buffer {
  const tbs = children(certDer, readTlv(certDer, 0))[0];
  const fields = children(certDer, tbs);
  const hasVersion = certDer[fields[0].at] === 0xa0; // [0] version is absent in v1 certificates
  const subject = fields[hasVersion ? 5 : 4];
  return certDer.subarray(subject.at, subject.end);
}

/** Key identifier by RFC 5280 4.2.1.2 method (1): SHA-1 of the subjectPublicKey BIT STRING's
 *  value (the bytes after its unused-bits count), as openssl computes it too. */
function keyIdentifier(spki: Buffer): Buffer {
  const publicKeyBits = children(spki, readTlv(spki, 0))[1];
  return createHash('sha1').update(spki.subarray(publicKeyBits.start + 1, publicKeyBits.end)).digest();
}

// ---- Certificates.

function pem(label: string, body: Buffer): string {
  const lines = body.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

function name(commonName: string): Buffer {
  const attribute = (type: string, value: string): Buffer => set(seq(oid(type), utf8(value)));
  return seq(attribute(OID.organization, 'corral'), attribute(OID.commonName, commonName));
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return critical ? seq(oid(id), bool(true), octets(value)) : seq(oid(id), octets(value));
}

function newKeyPair(): { privateKey: KeyObject; publicKey: KeyObject } {
  return generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
}

const exportKey = (key: KeyObject): string => key.export({ type: 'pkcs8', format: 'pem' }) as string;
const exportSpki = (key: KeyObject): Buffer => key.export({ type: 'spki', format: 'der' });

function checkDays(days: number): number {
  if (!Number.isFinite(days) || days <= 0) throw new RangeError(`x509: days must be a positive number, got ${days}`);
  return days;
}

/** Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue } (RFC 5280 4.1). */
function buildCertificate(f: { issuer: Buffer; subject: Buffer; spki: Buffer; days: number; extensions: Buffer[]; signingKey: KeyObject }): string {
  const serial = randomBytes(16);
  serial[0] = (serial[0] & 0x7f) | 0x40; // positive (top bit clear) and exactly 16 bytes long: 126 random bits
  const now = Date.now();
  const signatureAlgorithm = seq(oid(OID.ecdsaWithSha256)); // no parameters (RFC 5758 3.2)
  const tbs = seq(
    explicit(0, unsignedInteger(Buffer.from([2]))), // version: v3
    unsignedInteger(serial),
    signatureAlgorithm,
    f.issuer,
    seq(time(now - HOUR_MS), time(now + checkDays(f.days) * DAY_MS)), // an hour back for clock skew
    f.subject,
    f.spki,
    explicit(3, seq(...f.extensions)),
  );
  // For an EC key, crypto.sign gives the DER ECDSA-Sig-Value that X.509 carries in the BIT STRING.
  return pem('CERTIFICATE', seq(tbs, signatureAlgorithm, bitString(sign('sha256', tbs, f.signingKey))));
}

/** A self-signed CA (CA:TRUE, keyCertSign + cRLSign); 10 years unless told otherwise. */
export function generateCa(opts: { commonName?: string; days?: number } = {}): KeyAndCert {
  const { privateKey, publicKey } = newKeyPair();
  const subject = name(opts.commonName ?? 'corral dev CA');
  const spki = exportSpki(publicKey);
  const cert = buildCertificate({
    issuer: subject,
    subject,
    spki,
    days: opts.days ?? 3650,
    signingKey: privateKey,
    extensions: [
      extension(OID.basicConstraints, true, seq(bool(true))),
      extension(OID.keyUsage, true, namedBits([KEY_CERT_SIGN, CRL_SIGN])),
      extension(OID.subjectKeyIdentifier, false, octets(keyIdentifier(spki))),
    ],
  });
  return { key: exportKey(privateKey), cert };
}

/** iPAddress SAN bytes: 4 for IPv4, 16 for IPv6 ("::" expanded, a trailing dotted quad allowed). */
function ipAddressBytes(ip: string): Buffer {
  const address = ip.split('%')[0]; // a zone id (fe80::1%eth0) is not part of the address
  const family = isIP(address);
  if (family === 4) return Buffer.from(address.split('.').map(Number));
  if (family !== 6) throw new Error(`x509: not an IP address: ${ip}`);
  const words = (part: string): number[] =>
    part === ''
      ? []
      : part.split(':').flatMap((group) => {
          if (!group.includes('.')) return [parseInt(group, 16)];
          const quad = ipAddressBytes(group);
          return [quad.readUInt16BE(0), quad.readUInt16BE(2)];
        });
  const [head, tail] = address.split('::');
  const left = words(head);
  const right = tail === undefined ? [] : words(tail);
  const all = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  const out = Buffer.alloc(16);
  all.forEach((word, i) => out.writeUInt16BE(word, 2 * i));
  return out;
}

function dnsNameBytes(dnsName: string): Buffer {
  // dNSName is an IA5String: ASCII only (an internationalised name must come in punycode).
  if (!/^[\x21-\x7e]+$/.test(dnsName)) throw new Error(`x509: not an ASCII DNS name: ${JSON.stringify(dnsName)}`);
  return Buffer.from(dnsName, 'ascii');
}

/** A leaf certificate signed by `ca` (an EC key, such as generateCa's), with a fresh P-256 key. */
export function issueCertificate(ca: KeyAndCert, opts: CertificateOptions): KeyAndCert {
  const caKey = createPrivateKey(ca.key);
  const caCert = new X509Certificate(ca.cert);
  if (caKey.asymmetricKeyType !== 'ec') throw new Error('x509: the CA key must be an EC key (signatures are ecdsa-with-SHA256)');
  if (!caCert.checkPrivateKey(caKey)) throw new Error('x509: the CA key does not belong to the CA certificate');
  const { privateKey, publicKey } = newKeyPair();
  const spki = exportSpki(publicKey);
  const purposes = { server: [OID.serverAuth], client: [OID.clientAuth], both: [OID.serverAuth, OID.clientAuth] }[opts.usage];
  const altNames = [
    ...(opts.dnsNames ?? []).map((dns) => implicit(2, dnsNameBytes(dns))), // [2] dNSName
    ...(opts.ipAddresses ?? []).map((ip) => implicit(7, ipAddressBytes(ip))), // [7] iPAddress
  ];
  const cert = buildCertificate({
    issuer: subjectOf(caCert.raw),
    subject: name(opts.commonName),
    spki,
    days: opts.days ?? 825,
    signingKey: caKey,
    extensions: [
      extension(OID.basicConstraints, true, seq()), // CA:FALSE (the default, so an empty SEQUENCE)
      extension(OID.keyUsage, true, namedBits([DIGITAL_SIGNATURE])),
      extension(OID.extKeyUsage, false, seq(...purposes.map(oid))),
      ...(altNames.length > 0 ? [extension(OID.subjectAltName, false, seq(...altNames))] : []),
      extension(OID.authorityKeyIdentifier, false, seq(implicit(0, keyIdentifier(exportSpki(caCert.publicKey))))),
      extension(OID.subjectKeyIdentifier, false, octets(keyIdentifier(spki))),
    ],
  });
  return { key: exportKey(privateKey), cert };
}

/**
 * A fresh dev CA with a server and a client certificate, written into `dir` as ca.crt, ca.key,
 * server.crt, server.key, client.crt and client.key (keys mode 0600). The server certificate
 * names localhost, 127.0.0.1, ::1 and opts.hosts, and is good for clientAuth too: a node presents
 * it on the links it opens to other nodes when no tls-client-cert-file is set (as Redis does).
 */
export function generateDevCertificates(dir: string, opts: { hosts?: string[] } = {}): DevCertificatePaths {
  const hosts = [...new Set(['localhost', '127.0.0.1', '::1', ...(opts.hosts ?? [])])];
  const ca = generateCa();
  const server = issueCertificate(ca, {
    commonName: 'corral server',
    dnsNames: hosts.filter((host) => isIP(host) === 0),
    ipAddresses: hosts.filter((host) => isIP(host) !== 0),
    usage: 'both',
  });
  const client = issueCertificate(ca, { commonName: 'corral client', usage: 'client' });
  mkdirSync(dir, { recursive: true });
  const write = (file: string, text: string, mode: number): string => {
    const path = join(dir, file);
    writeFileSync(path, text, { mode });
    chmodSync(path, mode); // the mode option applies only when the file is created
    return path;
  };
  write('ca.key', ca.key, 0o600);
  return {
    caCert: write('ca.crt', ca.cert, 0o644),
    serverCert: write('server.crt', server.cert, 0o644),
    serverKey: write('server.key', server.key, 0o600),
    clientCert: write('client.crt', client.cert, 0o644),
    clientKey: write('client.key', client.key, 0o600),
  };
}
