// `corral up`: starts a local cluster through the local coordinator (shards, each with replicas),
// prints how to connect, restarts nodes that die (they rejoin as replicas), starts and stops
// nodes for `corral cluster add-shard --spawn` / `remove-shard` (through its coordinator), and on
// Ctrl-C or SIGTERM stops every node and exits.
//
// --requirepass <pw>: every node and the coordinator require it, and the nodes' links use it.
// --tls: every node serves TLS only, its links and the coordinator too, with a fresh dev CA and
// certificates (util/x509.ts) written to --tls-dir (default <tmpdir>/corral-up-<port>/tls); the
// printed lines say how redis-cli and `corral cluster` connect.

import { fileURLToPath } from 'node:url';
import os from 'node:os';
import path from 'node:path';
import { LocalCluster, type LocalClusterTls } from '../control/local-cluster.js';
import { generateDevCertificates } from '../util/x509.js';

const MAIN = path.join(path.dirname(fileURLToPath(import.meta.url)), 'main.js');

/** Runs until a signal; resolves with the exit code. */
export async function runUp(opts: Record<string, string | undefined>): Promise<number> {
  const shards = Number(opts.shards ?? 3);
  const replicas = Number(opts.replicas ?? 1);
  const port = Number(opts.port ?? 7000);
  const host = opts.bind ?? '127.0.0.1';
  const nodeFlags: string[] = [];
  if (opts.maxmemory !== undefined) nodeFlags.push('--maxmemory', opts.maxmemory);
  if (opts.maxmemoryPolicy !== undefined) nodeFlags.push('--maxmemory-policy', opts.maxmemoryPolicy);
  const requirepass = opts.requirepass;
  let tls: LocalClusterTls | undefined;
  let cluster: LocalCluster;
  try {
    if (requirepass === '') throw new Error('--requirepass needs a non-empty password');
    if (opts.tls !== undefined) {
      const authClients = opts.tlsAuthClients ?? 'yes';
      if (authClients !== 'yes' && authClients !== 'no' && authClients !== 'optional') throw new Error('--tls-auth-clients is yes, no or optional');
      const dir = opts.tlsDir ?? path.join(os.tmpdir(), `corral-up-${port}`, 'tls');
      const hosts = host === '0.0.0.0' || host === '::' ? [] : [host];
      tls = { ...generateDevCertificates(dir, { hosts }), authClients };
    }
    cluster = new LocalCluster({
      requirepass,
      tls,
      shards,
      replicas,
      port,
      host,
      restart: true,
      nodeCommand: { file: process.execPath, args: [MAIN, 'server'] },
      nodeFlags,
      vnodes: opts.vnodes === undefined ? undefined : Number(opts.vnodes),
      log: (line) => console.log(line),
    });
  } catch (err) {
    console.error(`corral: ${(err as Error).message}`);
    return 1;
  }
  let stopping = false;
  const stopped = new Promise<number>((resolve) => {
    const stop = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      console.log(`${signal} received: stopping ${cluster.nodes.length} nodes`);
      void cluster.stop().then(() => resolve(0));
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  cluster.onNodeExit = (node, code, signal) => {
    const how = signal !== null ? `was killed by ${signal}` : `exited with code ${code}`;
    const next = replicas > 0 ? 'a replica takes over its slots if it was a primary; ' : 'its slots are unavailable until it is back; ';
    console.error(`corral: node ${node.host}:${node.port} (pid ${node.child.pid}) ${how}: ${next}restarting it`);
  };
  cluster.onNodeRestart = (node) => console.log(`corral: node ${node.host}:${node.port} restarted (pid ${node.child.pid}); it rejoins as a replica if its shard failed over`);
  try {
    const doc = await cluster.start();
    const counts = doc.shards.map((s) => doc.slots.filter((r) => r[2] === s.id).reduce((n, r) => n + r[1] - r[0] + 1, 0));
    console.log(`corral cluster up: ${shards} shard${shards === 1 ? '' : 's'}, ${replicas} replica${replicas === 1 ? '' : 's'} each, topology epoch ${doc.epoch}, coordinator ${cluster.coordinatorAddress}`);
    const byPort = new Map(doc.nodes.map((n) => [n.port, n.id]));
    for (const n of cluster.nodes) {
      const id = byPort.get(n.port)!;
      const i = doc.shards.findIndex((s) => s.primary === id);
      const role = i >= 0 ? `primary of ${counts[i]} slots` : `replica of ${doc.nodes.find((x) => x.id === doc.shards.find((s) => s.replicas.includes(id))!.primary)!.port}`;
      console.log(`  ${n.host}:${n.port}  pid ${n.child.pid}  ${role}`);
    }
    const entry = `${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
    const { cli, corral } = connectFlags(requirepass, tls);
    console.log(`status: corral cluster status${corral} --cluster ${entry}`);
    console.log(`grow:   corral cluster add-shard --spawn${corral} --cluster ${entry}   (shrink: corral cluster remove-shard <primary>${corral} --cluster ${entry})`);
    console.log(`connect with: redis-cli${cli} -c -p ${port}   (Ctrl-C stops the cluster)`);
  } catch (err) {
    if (!stopping) {
      console.error(`corral: the cluster did not start: ${(err as Error).message}`);
      await cluster.stop();
      return 1;
    }
  }
  return stopped;
}

/** The flags redis-cli and `corral cluster` need to reach a secured cluster (leading spaces). */
export function connectFlags(requirepass: string | undefined, tls: LocalClusterTls | undefined): { cli: string; corral: string } {
  let cli = '';
  let corral = '';
  if (tls !== undefined) {
    const cert = tls.authClients === 'no' ? '' : ` --cert ${tls.clientCert} --key ${tls.clientKey}`;
    cli += ` --tls --cacert ${tls.caCert}${cert}`;
    corral += ` --tls --cacert ${tls.caCert}${cert}`;
  }
  if (requirepass !== undefined) {
    cli += ` -a ${shellWord(requirepass)} --no-auth-warning`;
    corral += ` --password ${shellWord(requirepass)}`;
  }
  return { cli, corral };
}

/** A word as a POSIX shell reads it back (quoted unless plain). */
function shellWord(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, "'\\''")}'`;
}
