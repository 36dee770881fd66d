// Links between corral processes authenticate (issue 15), and can be TLS: in-process nodes under
// the local coordinator, where
//   - every node requires a password and replicates, renews leases, publishes and fails over as
//     an ACL user (masteruser / masterauth) whose password is not the default user's; the
//     coordinator accepts only that user;
//   - a client without the password can neither PSYNC / REPLCONF nor push a topology document
//     (CORRAL SETTOPOLOGY), lease renewal or slot export to a node: NOAUTH;
//   - a replica whose masterauth is wrong (or missing) does not sync, and its log says why;
//   - the local coordinator refuses every COORD command before AUTH;
//   - a cluster whose nodes serve TLS only (tls-port, tls-cluster, tls-replication; certificates
//     from util/x509.ts), with the coordinator on TLS too, replicates.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CorralNode } from '../../src/server/node.js';
import { LocalCoordinatorServer, type LocalCoordinatorServerOptions } from '../../src/control/local-coordinator-server.js';
import { LocalCoordinator } from '../../src/control/local-coordinator.js';
import { callNode } from '../../src/control/node-link.js';
import { planTopology } from '../../src/cluster/plan.js';
import type { TopologyDoc } from '../../src/cluster/topology.js';
import type { LinkSecurity } from '../../src/util/link-security.js';
import { generateDevCertificates } from '../../src/util/x509.js';
import { keySlot } from '../../src/cluster/slot.js';
import { RawConnection } from '../support/servers.js';
import { freeRun, sleep, until } from '../support/corral-up.js';

interface SecureCluster {
  nodes: CorralNode[];
  ports: number[];
  doc: TopologyDoc;
  coordinator: LocalCoordinatorServer;
  coordinatorAddress: string;
  log: string[];
  /** Nodes closed by the test (the cluster's close skips them). */
  closed: Set<CorralNode>;
  close(): Promise<void>;
}

/**
 * The coordinator (with `coordinatorOptions`), a topology of `shards` primaries with one replica
 * each written to it over `security`, and the nodes, each with `config` and `port` or `tls-port`.
 */
async function startSecureCluster(o: {
  shards: number;
  config: Record<string, string>;
  coordinatorOptions: LocalCoordinatorServerOptions;
  security: LinkSecurity;
  tlsOnly?: boolean;
}): Promise<SecureCluster> {
  const coordinator = new LocalCoordinatorServer(o.coordinatorOptions);
  const coordinatorAddress = `127.0.0.1:${await coordinator.start('127.0.0.1', 0)}`;
  const count = o.shards * 2;
  const base = await freeRun(count);
  const ports = Array.from({ length: count }, (_, i) => base + i);
  const doc = planTopology(
    Array.from({ length: o.shards }, (_, i) => ({ nodes: [{ host: '127.0.0.1', port: base + i }, { host: '127.0.0.1', port: base + o.shards + i }] })),
    { epoch: 1 },
  );
  const writer = new LocalCoordinator(coordinatorAddress, { security: o.security });
  assert.equal(await writer.casTopology(0, doc), true);
  await writer.close();
  const log: string[] = [];
  const nodes: CorralNode[] = [];
  for (const port of ports) {
    const node = new CorralNode({
      config: {
        ...(o.tlsOnly === true ? { port: '0', 'tls-port': String(port) } : { port: String(port) }),
        'cluster-enabled': 'yes',
        coordinator: `local:${coordinatorAddress}`,
        'cluster-shards': String(o.shards),
        ...o.config,
      },
      log: (line) => log.push(`[${port}] ${line}`),
    });
    await node.listen();
    nodes.push(node);
  }
  const closed = new Set<CorralNode>();
  return {
    nodes,
    ports,
    doc,
    coordinator,
    coordinatorAddress,
    log,
    closed,
    async close() {
      await Promise.all(nodes.filter((n) => !closed.has(n)).map((n) => n.close()));
      await coordinator.close();
    },
  };
}

async function whole(c: SecureCluster, shards: number): Promise<void> {
  await until('the cluster to be whole with a controller', () => {
    const live = c.nodes.filter((n) => !c.closed.has(n));
    const primaries = live.filter((n) => n.replication.role === 'master' && n.cluster?.myShard !== -1);
    const replicasUp = live.filter((n) => n.replication.role === 'slave').every((n) => n.replication.link?.up === true);
    return primaries.length === shards && replicasUp && live.some((n) => n.agent?.controller != null) && primaries.every((p) => p.writeFence > performance.now());
  }, 30_000);
}

/** A key whose slot the node serves. */
function keyOn(node: CorralNode, prefix: string): string {
  const t = node.cluster!.topology!;
  for (let i = 0; ; i++) {
    const k = `${prefix}{${i}}`;
    if (t.slotShard[keySlot(Buffer.from(k))] === node.cluster!.myShard) return k;
  }
}

const isError = (r: unknown, prefix: string): boolean => typeof r === 'object' && r !== null && 'error' in r && String((r as { error: string }).error).startsWith(prefix);

describe('links between nodes authenticate as an ACL user', () => {
  // The default user's password is not the links' one: the links must use masteruser.
  const config = {
    requirepass: 'client-secret',
    user: 'corral-link on >link-secret ~* &* +@all\ndefault on >client-secret ~* &* +@all',
    masteruser: 'corral-link',
    masterauth: 'link-secret',
    'repl-timeout': '2',
  };
  const asLink: LinkSecurity = { user: 'corral-link', password: 'link-secret' };
  let c: SecureCluster;

  before(async () => {
    c = await startSecureCluster({ shards: 2, config, coordinatorOptions: { user: 'corral-link', password: 'link-secret' }, security: asLink });
    await whole(c, 2);
  });
  after(async () => {
    await c?.close();
  });

  test('without the password a client can neither replicate nor push a topology or a lease', async () => {
    const raw = await RawConnection.connect(c.ports[0]);
    try {
      const newer = JSON.stringify({ ...c.doc, epoch: c.doc.epoch + 100 });
      for (const args of [
        ['PSYNC', '?', '-1'],
        ['SYNC'],
        ['REPLCONF', 'listening-port', '1234'],
        ['CORRAL', 'SETTOPOLOGY', newer],
        ['CORRAL', 'LEASE', 'x', 'y', '1', 'primary', 'r', '0', '1', '0'],
        ['CORRAL', 'EXPORT', '0'],
        ['CORRAL', 'PAUSEWRITES', '1000'],
      ]) {
        const r = await raw.call(...args);
        assert.ok(isError(r, 'NOAUTH'), `${args.slice(0, 2).join(' ')} answered ${JSON.stringify(r)}`);
      }
      assert.ok(isError(await raw.call('AUTH', 'corral-link', 'wrong'), 'WRONGPASS'));
    } finally {
      raw.close();
    }
    assert.equal(c.nodes[0].cluster!.epoch < c.doc.epoch + 100, true, 'the document was not applied');
    // The coordinator too.
    const coord = await RawConnection.connect(Number(c.coordinatorAddress.split(':')[1]));
    try {
      assert.ok(isError(await coord.call('COORD', 'TOPOLOGY', 'CAS', '1', JSON.stringify({ ...c.doc, epoch: 99 })), 'NOAUTH'));
      assert.ok(isError(await coord.call('AUTH', 'client-secret'), 'WRONGPASS'), 'the default user\'s node password is not the coordinator\'s');
    } finally {
      coord.close();
    }
  });

  test('writes replicate, PUBLISH crosses nodes, and a killed primary fails over', { timeout: 60_000 }, async () => {
    const primaries = c.nodes.filter((n) => n.replication.role === 'master');
    const controller = c.nodes.find((n) => n.agent?.controller != null)!;
    const victim = primaries.find((p) => p !== controller) ?? primaries[0];
    const replica = c.nodes.find((n) => n.replication.role === 'slave' && n.replication.masterPort === victim.port)!;
    const key = keyOn(victim, 'k');
    const conn = await RawConnection.connect(victim.port);
    assert.deepEqual(await conn.call('AUTH', 'client-secret'), { simple: 'OK' });
    assert.deepEqual(await conn.call('SET', key, 'v1'), { simple: 'OK' });
    assert.equal(await conn.call('WAIT', 1, 5000), 1);
    // The pub/sub bus authenticates too: a message published on the victim reaches a subscriber elsewhere.
    const other = c.nodes.find((n) => n !== victim && n.replication.role === 'master')!;
    const sub = await RawConnection.connect(other.port);
    await sub.call('AUTH', 'client-secret');
    await sub.call('SUBSCRIBE', 'news');
    assert.equal(await conn.call('PUBLISH', 'news', 'hello'), 0);
    const message = await sub.readReplies(1, 5000);
    assert.match(message.toString(), /hello/);
    sub.close();
    conn.close();
    // (A replica synced just before its primary took its first grant may follow an older replid
    // for a moment: decisions-failover.ts's known gap. Killed then, the shard would stay blocked.)
    await until('the replica to follow the primary\'s history', () => replica.replication.replid === victim.replication.replid, 10_000);
    await sleep(300);
    c.closed.add(victim);
    await victim.close();
    try {
      await until('the replica to be promoted', () => replica.replication.role === 'master' && replica.writeFence > performance.now(), 20_000);
    } catch (err) {
      console.log(c.log.join('\n'));
      throw err;
    }
    const after = await RawConnection.connect(replica.port);
    await after.call('AUTH', 'client-secret');
    assert.equal(await after.call('GET', key), 'v1');
    assert.deepEqual(await after.call('SET', key, 'v2'), { simple: 'OK' });
    after.close();
    assert.equal(c.log.some((l) => /refused the credentials|requires authentication/.test(l)), false, c.log.filter((l) => /refused|NOAUTH/.test(l)).join('\n'));
  });
});

describe('a replica with wrong credentials', () => {
  test('does not sync, and logs that the primary refused its credentials', { timeout: 30_000 }, async () => {
    const [pport, wrong, none] = [await freeRun(3)].map((b) => [b, b + 1, b + 2])[0];
    const primary = new CorralNode({ config: { port: String(pport), requirepass: 'right' }, log: () => {} });
    const logs: Record<string, string[]> = { wrong: [], none: [] };
    const badReplica = new CorralNode({ config: { port: String(wrong), masterauth: 'wrong', replicaof: `127.0.0.1 ${pport}` }, log: (l) => logs.wrong.push(l) });
    const noAuthReplica = new CorralNode({ config: { port: String(none), replicaof: `127.0.0.1 ${pport}` }, log: (l) => logs.none.push(l) });
    await primary.listen();
    await badReplica.listen();
    await noAuthReplica.listen();
    try {
      await until('the refusals to be logged', () => logs.wrong.some((l) => /refused the credentials.*WRONGPASS/.test(l)) && logs.none.some((l) => /requires authentication.*NOAUTH/.test(l)), 10_000);
      await sleep(1500);
      assert.equal(badReplica.replication.link?.up, false);
      assert.equal(noAuthReplica.replication.link?.up, false);
      assert.equal(badReplica.replication.link?.fullSyncs, 0);
      // Retried about once a second, not in a tight loop.
      const attempts = logs.wrong.filter((l) => /refused the credentials/.test(l)).length;
      assert.ok(attempts <= 5, `${attempts} attempts logged`);
      // The right password: it syncs.
      const fixed = new CorralNode({ config: { port: '0', masterauth: 'right', replicaof: `127.0.0.1 ${pport}` }, log: () => {} });
      await fixed.listen();
      await until('a replica with the right password to sync', () => fixed.replication.link?.up === true, 10_000);
      await fixed.close();
    } finally {
      await Promise.all([primary.close(), badReplica.close(), noAuthReplica.close()]);
    }
  });
});

describe('the local coordinator', () => {
  test('refuses every command but AUTH and PING before AUTH', async () => {
    const server = new LocalCoordinatorServer({ password: 's3cret' });
    const port = await server.start('127.0.0.1', 0);
    try {
      const raw = await RawConnection.connect(port);
      assert.deepEqual(await raw.call('PING'), { simple: 'PONG' });
      for (const args of [['COORD', 'TOPOLOGY', 'GET'], ['COORD', 'LEASE', 'GRANT', '1000'], ['COORD', 'WATCH', 'TOPOLOGY'], ['COORD', 'INFO'], ['COORD', 'SPAWN', 'REPLICA', '7000'], ['COORD', 'STOPNODE', '7000']]) {
        assert.deepEqual(await raw.call(...args), { error: 'NOAUTH Authentication required.' }, args.join(' '));
      }
      assert.deepEqual(await raw.call('AUTH', 'nope'), { error: 'WRONGPASS invalid username-password pair or user is disabled.' });
      assert.deepEqual(await raw.call('AUTH', 'someone', 's3cret'), { error: 'WRONGPASS invalid username-password pair or user is disabled.' });
      assert.deepEqual(await raw.call('COORD', 'TOPOLOGY', 'GET'), { error: 'NOAUTH Authentication required.' });
      assert.deepEqual(await raw.call('AUTH', 's3cret'), { simple: 'OK' });
      assert.equal(await raw.call('COORD', 'TOPOLOGY', 'GET'), null);
      raw.close();
      // Its client: refused credentials fail the call and say so; the right ones work.
      const wrong = new LocalCoordinator(`127.0.0.1:${port}`, { security: { password: 'nope' } });
      await assert.rejects(wrong.readTopology(), /refused the credentials.*WRONGPASS/);
      await wrong.close();
      const right = new LocalCoordinator(`127.0.0.1:${port}`, { security: { password: 's3cret' } });
      assert.equal(await right.readTopology(), null);
      const lease = await right.grantLease(1000);
      assert.equal(typeof lease.id, 'string');
      assert.equal(await right.probe(500), 'up');
      await right.close();
    } finally {
      await server.close();
    }
  });
});

describe('TLS links', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'corral-link-tls-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('a cluster serving TLS only (tls-cluster, tls-replication) replicates', { timeout: 60_000 }, async () => {
    const certs = generateDevCertificates(dir);
    const tlsConfig = {
      'tls-cert-file': certs.serverCert,
      'tls-key-file': certs.serverKey,
      'tls-ca-cert-file': certs.caCert,
      'tls-cluster': 'yes',
      'tls-replication': 'yes',
      requirepass: 'tls-secret',
      masterauth: 'tls-secret',
    };
    const security: LinkSecurity = {
      password: 'tls-secret',
      tls: { ca: readFileSync(certs.caCert), cert: readFileSync(certs.clientCert), key: readFileSync(certs.clientKey), checkServerIdentity: () => undefined },
    };
    const serverTls = { cert: readFileSync(certs.serverCert), key: readFileSync(certs.serverKey), ca: readFileSync(certs.caCert), requestCert: true, rejectUnauthorized: true };
    const c = await startSecureCluster({ shards: 1, config: tlsConfig, coordinatorOptions: { password: 'tls-secret', tls: serverTls }, security, tlsOnly: true });
    try {
      await whole(c, 1);
      const [primary, replica] = c.nodes;
      assert.equal(primary.plainPort, 0);
      assert.deepEqual(await callNode('127.0.0.1', primary.port, ['SET', 'tls-key', 'over-tls'], 2000, security), { simple: 'OK' });
      // (DBSIZE: a replica in cluster mode redirects GET without READONLY, and callNode is one command a connection.)
      await until('the replica to hold the key', async () => (await callNode('127.0.0.1', replica.port, ['DBSIZE'], 2000, security)) === 1, 10_000);
      assert.ok(replica.replication.link?.up);
      // A plain TCP client (or a TLS one without a certificate) gets nowhere.
      await assert.rejects(callNode('127.0.0.1', primary.port, ['PING'], 1000, { password: 'tls-secret' }));
      await assert.rejects(callNode('127.0.0.1', primary.port, ['PING'], 1000, { password: 'tls-secret', tls: { ca: readFileSync(certs.caCert), checkServerIdentity: () => undefined } }));
    } catch (err) {
      console.log(c.log.join('\n'));
      throw err;
    } finally {
      await c.close();
    }
  });
});
