// Tests for the hand-built X.509 certificates: Node's own X509Certificate parses them (subject,
// SANs, CA flag, issuer and signature checks, validity, UTCTime/GeneralizedTime), a real mutual
// TLS handshake accepts them and refuses the uncertified and the untrusting, and openssl verify
// agrees when the binary is present.

import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { generateCa, generateDevCertificates, issueCertificate, type KeyAndCert } from './x509.js';

const DAY_MS = 24 * 3600_000;
const ca = generateCa({ commonName: 'test CA' });
const caCert = new X509Certificate(ca.cert);
const server = issueCertificate(ca, {
  commonName: 'test server',
  dnsNames: ['localhost', 'cache.example.com'],
  ipAddresses: ['127.0.0.1', '::1', '2001:db8::42', '::ffff:10.0.0.1'],
  usage: 'server',
});
const client = issueCertificate(ca, { commonName: 'test client', usage: 'client' });
const serverCert = new X509Certificate(server.cert);
const clientCert = new X509Certificate(client.cert);

describe('certificate contents', () => {
  test('the CA is self-signed, a CA, P-256 ECDSA, 3650 days', () => {
    assert.equal(caCert.subject, 'O=corral\nCN=test CA');
    assert.equal(caCert.issuer, caCert.subject);
    assert.equal(caCert.ca, true);
    assert.equal(caCert.checkIssued(caCert), true);
    assert.equal(caCert.verify(caCert.publicKey), true);
    assert.equal(caCert.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
    assert.equal(caCert.checkPrivateKey(createPrivateKey(ca.key)), true);
    assert.match(ca.key, /^-----BEGIN PRIVATE KEY-----\n/); // PKCS#8
    const lifetime = Date.parse(caCert.validTo) - Date.parse(caCert.validFrom);
    assert.equal(lifetime, 3650 * DAY_MS + 3600_000);
  });

  test('leaves: subject, issuer, not a CA, signed by the CA, 825 days from an hour ago', () => {
    for (const [cert, cn] of [[serverCert, 'test server'], [clientCert, 'test client']] as const) {
      assert.equal(cert.subject, `O=corral\nCN=${cn}`);
      assert.equal(cert.issuer, caCert.subject);
      assert.equal(cert.ca, false);
      assert.equal(cert.checkIssued(caCert), true);
      assert.equal(cert.verify(caCert.publicKey), true);
      assert.equal(cert.verify(cert.publicKey), false);
      const from = Date.parse(cert.validFrom);
      assert.ok(Math.abs(Date.now() - 3600_000 - from) < 5000, cert.validFrom);
      assert.equal(Date.parse(cert.validTo) - from, 825 * DAY_MS + 3600_000);
    }
    assert.equal(serverCert.checkIssued(new X509Certificate(generateCa({ commonName: 'test CA' }).cert)), false);
  });

  test('serial numbers are 16 random positive bytes', () => {
    const serials = new Set([serverCert, clientCert, caCert].map((c) => c.serialNumber));
    assert.equal(serials.size, 3);
    for (const serial of serials) assert.match(serial, /^[4-7][0-9A-F]{31}$/);
  });

  test('subjectAltName: DNS names and IPv4/IPv6 addresses; host and IP checks', () => {
    assert.equal(
      serverCert.subjectAltName,
      'DNS:localhost, DNS:cache.example.com, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, ' +
        'IP Address:2001:DB8:0:0:0:0:0:42, IP Address:0:0:0:0:0:FFFF:A00:1',
    );
    assert.equal(serverCert.checkHost('localhost'), 'localhost');
    assert.equal(serverCert.checkHost('cache.example.com'), 'cache.example.com');
    assert.equal(serverCert.checkHost('other.example.com'), undefined);
    assert.equal(serverCert.checkIP('127.0.0.1'), '127.0.0.1');
    assert.equal(serverCert.checkIP('::1'), '::1');
    assert.equal(serverCert.checkIP('2001:db8::42'), '2001:db8::42');
    assert.equal(serverCert.checkIP('10.0.0.2'), undefined);
    assert.equal(clientCert.subjectAltName, undefined);
  });

  test('extended key usage follows usage', () => {
    const serverAuth = '1.3.6.1.5.5.7.3.1';
    const clientAuth = '1.3.6.1.5.5.7.3.2';
    assert.deepEqual(serverCert.keyUsage, [serverAuth]);
    assert.deepEqual(clientCert.keyUsage, [clientAuth]);
    const both = new X509Certificate(issueCertificate(ca, { commonName: 'node', usage: 'both' }).cert);
    assert.deepEqual(both.keyUsage, [serverAuth, clientAuth]);
  });

  test('validity past 2049 is written as GeneralizedTime and still parses', () => {
    const long = new X509Certificate(issueCertificate(ca, { commonName: 'long', usage: 'server', days: 40 * 365 }).cert);
    const years = Number(/(\d{4}) GMT$/.exec(long.validTo)?.[1]);
    assert.ok(years >= 2050, long.validTo);
    assert.equal(Date.parse(long.validTo) - Date.parse(long.validFrom), 40 * 365 * DAY_MS + 3600_000);
    assert.equal(long.verify(caCert.publicKey), true);
  });

  test('bad input is refused', () => {
    assert.throws(() => issueCertificate(ca, { commonName: 'x', ipAddresses: ['localhost'], usage: 'server' }), /not an IP address/);
    assert.throws(() => issueCertificate(ca, { commonName: 'x', dnsNames: ['bücher.example'], usage: 'server' }), /ASCII/);
    assert.throws(() => issueCertificate(ca, { commonName: 'x', usage: 'server', days: 0 }), /days/);
    const otherCa = generateCa();
    assert.throws(() => issueCertificate({ key: otherCa.key, cert: ca.cert }, { commonName: 'x', usage: 'server' }), /does not belong/);
  });
});

interface Outcome {
  authorized: boolean;
  error?: Error;
  data: string;
}

const errorCode = (outcome: Outcome): string => (outcome.error as NodeJS.ErrnoException | undefined)?.code ?? 'no error';

/** Connects, and settles when the connection closes: did the client verify, what did it read. */
function connect(port: number, options: tls.ConnectionOptions): Promise<Outcome> {
  return new Promise((resolve) => {
    const outcome: Outcome = { authorized: false, data: '' };
    const socket = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ...options }, () => {
      outcome.authorized = socket.authorized;
    });
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (outcome.data += chunk));
    socket.on('error', (err) => (outcome.error = err));
    socket.on('close', () => resolve(outcome));
  });
}

describe('mutual TLS handshake', () => {
  const accepted: boolean[] = [];
  const tlsServer = tls.createServer({ key: server.key, cert: server.cert, ca: ca.cert, requestCert: true, rejectUnauthorized: true }, (socket) => {
    accepted.push(socket.authorized);
    socket.end('hello');
  });
  tlsServer.on('tlsClientError', () => {});
  const listening = new Promise<number>((resolve) => tlsServer.listen(0, '127.0.0.1', () => resolve((tlsServer.address() as AddressInfo).port)));
  after(() => tlsServer.close());

  test('a client with a certificate from the CA, trusting the CA: authorized on both sides', async () => {
    const outcome = await connect(await listening, { ca: ca.cert, cert: client.cert, key: client.key });
    assert.equal(outcome.error, undefined);
    assert.equal(outcome.authorized, true);
    assert.equal(outcome.data, 'hello');
    assert.deepEqual(accepted, [true]);
  });

  test('a client without a certificate is refused', async () => {
    const outcome = await connect(await listening, { ca: ca.cert });
    // TLS 1.3: the server's alert arrives after the client's side of the handshake (1.2: a handshake failure).
    assert.match(errorCode(outcome), /CERTIFICATE_REQUIRED|HANDSHAKE_FAILURE|ECONNRESET/);
    assert.equal(outcome.data, '');
    assert.deepEqual(accepted, [true]);
  });

  test('a client that does not trust the CA fails verification', async () => {
    const stranger: KeyAndCert = generateCa({ commonName: 'test CA' });
    const outcome = await connect(await listening, { ca: stranger.cert, cert: client.cert, key: client.key });
    // Same CA name, other key: the chain the server sends ends in a root this client does not trust.
    assert.match(errorCode(outcome), /SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT|CERT_SIGNATURE_FAILURE/);
    assert.equal(outcome.authorized, false);
    assert.equal(outcome.data, '');
  });
});

describe('generateDevCertificates', () => {
  const dir = mkdtempSync(join(tmpdir(), 'corral-x509-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const paths = generateDevCertificates(join(dir, 'certs'), { hosts: ['node1.internal', '10.1.2.3', 'localhost'] });
  const read = (path: string): string => readFileSync(path, 'utf8');

  test('writes the six files, keys readable by the owner only', () => {
    assert.deepEqual(paths, {
      caCert: join(dir, 'certs', 'ca.crt'),
      serverCert: join(dir, 'certs', 'server.crt'),
      serverKey: join(dir, 'certs', 'server.key'),
      clientCert: join(dir, 'certs', 'client.crt'),
      clientKey: join(dir, 'certs', 'client.key'),
    });
    for (const key of [paths.serverKey, paths.clientKey, join(dir, 'certs', 'ca.key')]) assert.equal(statSync(key).mode & 0o777, 0o600, key);
    assert.equal(statSync(paths.serverCert).mode & 0o077, 0o044);
  });

  test('server certificate names localhost, loopback and the hosts given; both certificates chain to the CA', () => {
    const devCa = new X509Certificate(read(paths.caCert));
    const devServer = new X509Certificate(read(paths.serverCert));
    assert.equal(devServer.subjectAltName, 'DNS:localhost, DNS:node1.internal, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, IP Address:10.1.2.3');
    assert.equal(devServer.checkIssued(devCa), true);
    assert.equal(devServer.checkPrivateKey(createPrivateKey(read(paths.serverKey))), true);
    const devClient = new X509Certificate(read(paths.clientCert));
    assert.equal(devClient.checkIssued(devCa), true);
    assert.equal(devClient.checkPrivateKey(createPrivateKey(read(paths.clientKey))), true);
  });

  const hasOpenssl = spawnSync('openssl', ['version']).status === 0;
  test('openssl verify accepts the server and client certificates', { skip: hasOpenssl ? false : 'openssl not on PATH' }, () => {
    const result = spawnSync('openssl', ['verify', '-CAfile', paths.caCert, paths.serverCert, paths.clientCert], { encoding: 'utf8' });
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout, `${paths.serverCert}: OK\n${paths.clientCert}: OK\n`);
  });
});
