// TLS against a real redis-server 7.0.15 (Debian's is built with TLS), both started with the same
// generated certificates (util/x509.ts) on a tls-port beside their plain port: redis-cli --tls,
// raw RESP over TLS byte for byte, ioredis, node-redis and corral's client; tls-auth-clients
// yes / optional / no; certificates replaced by CONFIG SET without a restart (new connections get
// the new certificate, open ones keep working), and a bad file refused as Redis refuses it; a
// node with `port 0` and a tls-port serves TLS only.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, copyFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { createClient as createNodeRedis } from 'redis';
import { generateDevCertificates, type DevCertificatePaths } from '../../src/util/x509.js';
import { createClient } from '../../src/client/index.js';
import { RawConnection, freePort, startCorral, startRedis, type Started } from '../support/servers.js';

const run = promisify(execFile);

interface Server {
  name: string;
  plain: Started;
  tlsPort: number;
}

let dir: string;
let certs: DevCertificatePaths;
let other: DevCertificatePaths;
const servers: Server[] = [];

function tlsArgs(c: DevCertificatePaths, port: number): Record<string, string> {
  return { 'tls-port': String(port), 'tls-cert-file': c.serverCert, 'tls-key-file': c.serverKey, 'tls-ca-cert-file': c.caCert };
}

/** A TLS connection speaking raw RESP (with the client certificate unless told otherwise). */
function tlsConnect(port: number, c: DevCertificatePaths, withCert = true): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({
      host: '127.0.0.1',
      port,
      ca: readFileSync(c.caCert),
      ...(withCert ? { cert: readFileSync(c.clientCert), key: readFileSync(c.clientKey) } : {}),
      checkServerIdentity: () => undefined,
    });
    s.once('secureConnect', () => resolve(s));
    s.once('error', reject);
  });
}

/** Sends `bytes` and collects what arrives until `expect` replies' worth of CRLF-ended data settles; null if closed. */
function exchange(s: tls.TLSSocket, bytes: string, settleMs = 150): Promise<string | null> {
  return new Promise((resolve) => {
    let got = '';
    let timer: NodeJS.Timeout | null = null;
    const done = (v: string | null): void => {
      if (timer !== null) clearTimeout(timer);
      s.off('data', onData);
      s.off('close', onClose);
      resolve(v);
    };
    const onData = (d: Buffer): void => {
      got += d.toString('latin1');
      if (timer !== null) clearTimeout(timer);
      timer = setTimeout(() => done(got), settleMs);
    };
    const onClose = (): void => done(got === '' ? null : got);
    s.on('data', onData);
    s.once('close', onClose);
    s.on('error', () => {});
    s.write(bytes);
    timer = setTimeout(() => done(got), 3000);
  });
}

/** Whether a handshake (and a PING after it) succeeds. */
async function canPing(port: number, c: DevCertificatePaths, withCert: boolean): Promise<boolean> {
  let s: tls.TLSSocket;
  try {
    s = await tlsConnect(port, c, withCert);
  } catch {
    return false;
  }
  const reply = await exchange(s, '*1\r\n$4\r\nPING\r\n');
  s.destroy();
  return reply === '+PONG\r\n';
}

async function cli(port: number, c: DevCertificatePaths, ...args: string[]): Promise<string> {
  const { stdout } = await run('redis-cli', ['--tls', '--cacert', c.caCert, '--cert', c.clientCert, '--key', c.clientKey, '-p', String(port), ...args]);
  return stdout;
}

async function config(s: Server, ...args: string[]): Promise<string> {
  const c = await RawConnection.connect(s.plain.port);
  const reply = (await c.callRaw('CONFIG', 'SET', ...args)).toString('latin1');
  c.close();
  return reply;
}

describe('TLS, corral beside redis-server', () => {
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'corral-tls-'));
    certs = generateDevCertificates(join(dir, 'a'));
    other = generateDevCertificates(join(dir, 'b'));
    // Each server reads its own copies, so replacing one's files does not touch the other's.
    for (const name of ['corral', 'redis']) {
      const own = generateDevCertificates(join(dir, `own-${name}`));
      for (const k of Object.keys(own) as Array<keyof DevCertificatePaths>) copyFileSync(certs[k], own[k]);
      const tlsPort = await freePort();
      const args = tlsArgs(own, tlsPort);
      // A tls-port makes `port 0` mean "no plain port" (as Redis): corral gets an explicit one.
      const plain = name === 'corral' ? await startCorral({ ...args, port: String(await freePort()) }) : await startRedis(Object.entries(args).flatMap(([k, v]) => [`--${k}`, v]));
      servers.push({ name, plain, tlsPort });
    }
  });
  after(async () => {
    for (const s of servers) await s.plain.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('redis-cli --tls: the same output from both', async () => {
    const out = [];
    for (const s of servers) {
      await cli(s.tlsPort, certs, 'DEL', 'k');
      out.push([await cli(s.tlsPort, certs, 'SET', 'k', 'v'), await cli(s.tlsPort, certs, 'GET', 'k'), await cli(s.tlsPort, certs, 'INCR', 'k')]);
    }
    assert.deepEqual(out[0].slice(0, 2), ['OK\n', 'v\n']);
    assert.match(out[0][2], /^ERR value is not an integer or out of range\n/);
    assert.deepEqual(out[0], out[1]);
  });

  test('raw RESP over TLS: byte for byte, pipelined, RESP3 included', async () => {
    const script =
      '*3\r\n$3\r\nSET\r\n$2\r\nrk\r\n$5\r\nhello\r\n*2\r\n$3\r\nGET\r\n$2\r\nrk\r\n*1\r\n$5\r\nNOSUCH\r\n' +
      '*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n*2\r\n$6\r\nEXISTS\r\n$2\r\nrk\r\n';
    const got = [];
    for (const s of servers) {
      const sock = await tlsConnect(s.tlsPort, certs);
      got.push(await exchange(sock, script, 300));
      sock.destroy();
    }
    assert.ok(got[0]?.startsWith('+OK\r\n$5\r\nhello\r\n-ERR unknown command'), got[0] ?? 'closed');
    // HELLO's map names each server and version: compare what follows it, and what precedes.
    const [a, b] = got.map((g) => g!.replace(/%7\r\n[\s\S]*?\$7\r\nmodules\r\n\*0\r\n/, 'HELLO'));
    assert.equal(a, b);
  });

  test('ioredis, node-redis and corral\'s client connect with their TLS options', async () => {
    const ca = readFileSync(certs.caCert);
    const cert = readFileSync(certs.clientCert);
    const key = readFileSync(certs.clientKey);
    for (const s of servers) {
      const io = new Redis({ host: '127.0.0.1', port: s.tlsPort, tls: { ca, cert, key, checkServerIdentity: () => undefined }, lazyConnect: true });
      await io.connect();
      assert.equal(await io.set('io', 'x'), 'OK');
      assert.equal(await io.get('io'), 'x');
      io.disconnect();
      const nr = createNodeRedis({ socket: { host: 'localhost', port: s.tlsPort, tls: true, ca, cert, key } });
      nr.on('error', () => {});
      await nr.connect();
      assert.equal(await nr.get('io'), 'x');
      await nr.quit();
      const own = createClient({ nodes: [`localhost:${s.tlsPort}`], tls: { ca, cert, key } });
      assert.equal(await own.get('io'), 'x');
      assert.equal(await own.set('own', 'y'), 'OK');
      own.close();
    }
  });

  test('tls-auth-clients: yes refuses a client without a certificate, optional and no let it in; a foreign CA is refused', async () => {
    for (const s of servers) {
      assert.equal(await canPing(s.tlsPort, certs, true), true, s.name);
      assert.equal(await canPing(s.tlsPort, certs, false), false, s.name);
      assert.equal(await canPing(s.tlsPort, other, true), false, `${s.name}: a client that trusts another CA`);
      assert.equal(await config(s, 'tls-auth-clients', 'optional'), '+OK\r\n');
      assert.equal(await canPing(s.tlsPort, certs, false), true, `${s.name} optional`);
      assert.equal(await config(s, 'tls-auth-clients', 'no'), '+OK\r\n');
      assert.equal(await canPing(s.tlsPort, certs, false), true, `${s.name} no`);
      assert.equal(await config(s, 'tls-auth-clients', 'yes'), '+OK\r\n');
      assert.equal(await canPing(s.tlsPort, certs, false), false, `${s.name} yes again`);
    }
  });

  test('certificates are replaced by CONFIG SET: new connections get the new one, open ones keep working; a bad file is refused as Redis refuses it', async () => {
    const replies: string[] = [];
    for (const s of servers) {
      const before = await tlsConnect(s.tlsPort, certs);
      const oldFingerprint = before.getPeerCertificate().fingerprint256;
      replies.push(await config(s, 'tls-cert-file', join(dir, 'missing.crt')));
      assert.equal(await canPing(s.tlsPort, certs, true), true, `${s.name}: the old certificate still serves`);
      const reply = await config(s, 'tls-cert-file', other.serverCert, 'tls-key-file', other.serverKey, 'tls-ca-cert-file', other.caCert);
      assert.equal(reply, '+OK\r\n');
      const after = await tlsConnect(s.tlsPort, other);
      assert.notEqual(after.getPeerCertificate().fingerprint256, oldFingerprint, s.name);
      assert.equal(await exchange(after, '*1\r\n$4\r\nPING\r\n'), '+PONG\r\n');
      after.destroy();
      assert.equal(await canPing(s.tlsPort, certs, true), false, `${s.name}: the old CA no longer verifies`);
      assert.equal(await exchange(before, '*1\r\n$4\r\nPING\r\n'), '+PONG\r\n', `${s.name}: an open connection keeps its session`);
      before.destroy();
    }
    assert.equal(replies[0], replies[1]);
    assert.match(replies[0], /Unable to update TLS configuration/);
  });

  test('port 0 with a tls-port: TLS only, and the plain port is not listened on', async () => {
    const tlsPort = await freePort();
    const node = await startCorral({ ...tlsArgs(certs, tlsPort), port: '0' });
    try {
      assert.equal(node.node.plainPort, 0);
      assert.equal(node.port, tlsPort);
      assert.equal(await canPing(tlsPort, certs, true), true);
      // A plain-text client on the TLS port gets no RESP reply (the handshake fails).
      const plain = net.connect(tlsPort, '127.0.0.1');
      plain.on('error', () => {});
      const got = await new Promise<string>((resolve) => {
        let data = '';
        plain.on('data', (d: Buffer) => (data += d.toString('latin1')));
        plain.on('close', () => resolve(data));
        plain.write('*1\r\n$4\r\nPING\r\n');
        setTimeout(() => plain.destroy(), 2000);
      });
      assert.ok(!got.includes('PONG'));
    } finally {
      await node.close();
    }
  });
});
