// `corral up`: starts a local cluster through the local coordinator (shards, each with replicas),
// prints how to connect, restarts nodes that die (they rejoin as replicas), starts and stops
// nodes for `corral cluster add-shard --spawn` / `remove-shard` (through its coordinator), and on
// Ctrl-C or SIGTERM stops every node and exits.
//
// --requirepass <pw>: every node and the coordinator require it, and the nodes' links use it.
// --tls: every node serves TLS only, its links and the coordinator too, with a fresh dev CA and
// certificates (util/x509.ts) written to --tls-dir (default <tmpdir>/corral-up-<port>/tls); the
// printed lines say how redis-cli and `corral cluster` connect.
//
// Metrics (docs/operations.md#metrics): every node serves /metrics on its port + --metrics-offset
// (default 1000: 8000-8005 for the default cluster), and this process serves all of them merged
// (each sample labelled node="host:port") on --metrics-port (default 9187); --metrics-port 0
// turns both off.
//
// Dashboard (docs/operations.md#dashboard): this process serves the web dashboard for the cluster
// on --dashboard-port (default 7080, on the --bind address; 0: none), as `corral dashboard` does.

import { fileURLToPath } from 'node:url';
import os from 'node:os';
import path from 'node:path';
import { LocalCluster, type LocalClusterTls } from '../control/local-cluster.js';
import { generateDevCertificates } from '../util/x509.js';
import { serveMetrics, type MetricsServer } from '../metrics/endpoint.js';
import { mergeScrapes, scrapeNode } from '../metrics/aggregate.js';
import { createLogger, nodeLineRelay } from '../util/log.js';
import { startDashboard, type Dashboard } from '../dashboard/server.js';
import { DEFAULT_DASHBOARD_PORT } from './dashboard.js';
import { linkSecurityFromFlags } from './node-call.js';
import { NODE_V8_FLAGS, nodeProcessEnv } from '../util/node-flags.js';

const MAIN = path.join(path.dirname(fileURLToPath(import.meta.url)), 'main.js');

/** corral up's aggregated metrics endpoint, and where each node's own is (its port + the offset). */
export const DEFAULT_METRICS_PORT = 9187;
export const DEFAULT_METRICS_OFFSET = 1000;

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
  const metricsPort = Number(opts.metricsPort ?? DEFAULT_METRICS_PORT);
  const metricsOffset = Number(opts.metricsOffset ?? DEFAULT_METRICS_OFFSET);
  const dashboardPort = Number(opts.dashboardPort ?? DEFAULT_DASHBOARD_PORT);
  let metrics: MetricsServer | null = null;
  let dashboard: Dashboard | null = null;
  let tls: LocalClusterTls | undefined;
  let cluster: LocalCluster;
  // What this process prints and its nodes' records (docs/operations.md#logs): readable lines on
  // a TTY (a node's after `[port] `), else one JSON record a line (a node's with "node").
  const logger = createLogger();
  const relay = nodeLineRelay();
  try {
    if (requirepass === '') throw new Error('--requirepass needs a non-empty password');
    if (!Number.isInteger(metricsPort) || metricsPort < 0 || metricsPort > 65535) throw new Error('--metrics-port is a port number (0: no metrics)');
    if (!Number.isInteger(metricsOffset) || metricsOffset <= 0) throw new Error('--metrics-offset is a positive integer');
    if (!Number.isInteger(dashboardPort) || dashboardPort < 0 || dashboardPort > 65535) throw new Error('--dashboard-port is a port number (0: no dashboard)');
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
      nodeCommand: { file: process.execPath, args: [...NODE_V8_FLAGS, MAIN, 'server'], env: nodeProcessEnv() },
      nodeFlags,
      vnodes: opts.vnodes === undefined ? undefined : Number(opts.vnodes),
      metricsPortOffset: metricsPort === 0 ? undefined : metricsOffset,
      log: (line) => logger.info(line),
      nodeOutput: (node, line, stream) => relay(`${node.host}:${node.port}`, String(node.port), line, stream),
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
      logger.info({ event: 'cluster.stopping', signal }, `${signal} received: stopping ${cluster.nodes.length} nodes`);
      void Promise.all([cluster.stop(), metrics?.close(), dashboard?.close()]).then(() => resolve(0));
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  cluster.onNodeExit = (node, code, signal) => {
    const how = signal !== null ? `was killed by ${signal}` : `exited with code ${code}`;
    const next = replicas > 0 ? 'a replica takes over its slots if it was a primary; ' : 'its slots are unavailable until it is back; ';
    logger.warn({ event: 'node.exited', node: `${node.host}:${node.port}`, processId: node.child.pid, code, signal }, `corral: node ${node.host}:${node.port} (pid ${node.child.pid}) ${how}: ${next}restarting it`);
  };
  cluster.onNodeRestart = (node) =>
    logger.info({ event: 'node.restarted', node: `${node.host}:${node.port}`, processId: node.child.pid }, `corral: node ${node.host}:${node.port} restarted (pid ${node.child.pid}); it rejoins as a replica if its shard failed over`);
  try {
    const doc = await cluster.start();
    const counts = doc.shards.map((s) => doc.slots.filter((r) => r[2] === s.id).reduce((n, r) => n + r[1] - r[0] + 1, 0));
    logger.info({ event: 'cluster.up', shards, replicas, epoch: doc.epoch, coordinator: cluster.coordinatorAddress }, `corral cluster up: ${shards} shard${shards === 1 ? '' : 's'}, ${replicas} replica${replicas === 1 ? '' : 's'} each, topology epoch ${doc.epoch}, coordinator ${cluster.coordinatorAddress}`);
    const byPort = new Map(doc.nodes.map((n) => [n.port, n.id]));
    for (const n of cluster.nodes) {
      const id = byPort.get(n.port)!;
      const i = doc.shards.findIndex((s) => s.primary === id);
      const role = i >= 0 ? `primary of ${counts[i]} slots` : `replica of ${doc.nodes.find((x) => x.id === doc.shards.find((s) => s.replicas.includes(id))!.primary)!.port}`;
      logger.info(`  ${n.host}:${n.port}  pid ${n.child.pid}  ${role}`);
    }
    if (metricsPort !== 0) {
      // Every node's scrape, fetched in parallel at each scrape of this endpoint (removed nodes left out).
      const render = async (): Promise<string> => {
        const live = cluster.nodes.filter((n) => n.removed !== true);
        const texts = await Promise.all(live.map((n) => scrapeNode(n.host, n.port + metricsOffset)));
        return mergeScrapes(live.map((n, i): [string, string | null] => [`${n.host}:${n.port}`, texts[i]]));
      };
      const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
      try {
        metrics = await serveMetrics(host, metricsPort, render);
        logger.info(`metrics: http://${shown}:${metrics.port}/metrics (all nodes, label node); each node's own on its port + ${metricsOffset}`);
      } catch (err) {
        // Optional, as each node's: the cluster serves without it.
        logger.warn(`corral: no aggregated metrics endpoint on port ${metricsPort} (${(err as Error).message}); each node's own is on its port + ${metricsOffset}`);
      }
    }
    const entry = `${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
    if (dashboardPort !== 0 && !stopping) {
      try {
        const security = linkSecurityFromFlags({ password: requirepass, tls: tls !== undefined, cacert: tls?.caCert, cert: tls?.clientCert, key: tls?.clientKey }, {});
        dashboard = await startDashboard({ entry, port: dashboardPort, host, security });
        if (stopping) await dashboard.close();
        else logger.info(`dashboard: ${dashboard.url}`);
      } catch (err) {
        // Optional, as the metrics endpoint: the cluster serves without it.
        logger.warn(`corral: no dashboard on port ${dashboardPort} (${(err as Error).message}); corral dashboard --cluster ${entry} --port <port> serves one`);
      }
    }
    const { cli, corral } = connectFlags(requirepass, tls);
    logger.info(`status: corral cluster status${corral} --cluster ${entry}`);
    logger.info(`grow:   corral cluster add-shard --spawn${corral} --cluster ${entry}   (shrink: corral cluster remove-shard <primary>${corral} --cluster ${entry})`);
    logger.info(`connect with: redis-cli${cli} -c -p ${port}   (Ctrl-C stops the cluster)`);
  } catch (err) {
    if (!stopping) {
      logger.error(`corral: the cluster did not start: ${(err as Error).message}`);
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
