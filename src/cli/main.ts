#!/usr/bin/env -S GLIBC_TUNABLES=glibc.malloc.hugetlb=1:${GLIBC_TUNABLES} node --initial-old-space-size=128 --single-threaded-gc
// The `corral` command: `corral server` runs one node (options as flags or a Redis-style config
// file), `corral up` a whole local cluster (one node process per shard), `corral ring` shows how
// the consistent-hash ring places slots, `corral cluster ...` inspects and operates a running
// cluster (status, failover, hotkeys, add-shard, remove-shard, rebalance, migrations),
// `corral import` copies a running Redis's keys into a cluster or node, `corral dashboard` serves
// the web dashboard for a running cluster, `corral demo flash-sale` runs the stampede demo.

import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { CorralNode } from '../server/node.js';
import { serveNodeMetrics } from '../metrics/endpoint.js';
import { CORRAL_VERSION } from '../server/info.js';
import { createLogger } from '../util/log.js';
import { ConfigError, PARAMS, parseConfigFile } from '../server/config.js';
import { runUp } from './up.js';
import { linkSecurityFromFlags, useLinkSecurity } from './node-call.js';
import { generateDevCertificates } from '../util/x509.js';
import { clusterFailover, clusterStatus } from './cluster-ops.js';
import { clusterHotKeys, type HotKeysCliOptions } from './hotkeys.js';
import { addShard, collectWeight, migrations, rebalance, removeShard } from './reshard-ops.js';
import { DEFAULT_DRAIN_S } from './retire.js';
import { runImport, type ImportCliOptions } from './import.js';
import { DEFAULT_DASHBOARD_PORT, runDashboard, type DashboardCliOptions } from './dashboard.js';
import { ringReport } from '../cluster/ring-report.js';
import { FLASH_SALE_FLAGS, runFlashSaleDemo } from '../demo/index.js';
import { NODE_GLIBC_TUNABLE, NODE_V8_FLAGS, hasNodeV8Flags, setsHugetlb } from '../util/node-flags.js';
import { warmUp } from './warm-up.js';
import { keepHelperThreadsNice } from '../util/helper-threads.js';

const program = new Command();
program.name('corral').description('A distributed in-memory cache that speaks the Redis protocol').version('0.1.0');

const server = program
  .command('server')
  .description('run one cache node')
  .argument('[config-file]', "a config file of Redis-style 'name value' lines")
  .allowExcessArguments(false);
for (const p of PARAMS) {
  server.option(`--${p.name} <value>`, `${p.name} (default: ${p.kind === 'bool' ? (p.default ? 'yes' : 'no') : JSON.stringify(p.default)})`);
}
server.option('--etcd <urls>', 'join a cluster whose control plane is etcd (comma-separated endpoints); implies --cluster-enabled yes');
server.option('--cluster <name>', 'the cluster\'s name in etcd (with --etcd)');
server.option('--warm-up <yes|no>', 'with cluster-enabled: rehearse a slot move on scratch nodes before listening, so that the first real move runs warm code', 'yes');
server.option('--helper-threads-nice <0-19>', "the nice value of the node's helper threads (V8's compiler and workers, libuv's pool; Linux): they yield the CPU to the request path; 0 leaves them alone", '19');
server.action(async (configFile: string | undefined, opts: Record<string, string>) => {
  const config: Record<string, string> = { port: '7379' };
  try {
    if (configFile !== undefined) Object.assign(config, parseConfigFile(readFileSync(configFile, 'utf8')));
    for (const p of PARAMS) {
      const v = opts[camel(p.name)];
      if (v !== undefined) config[p.name] = v;
    }
    if (opts.etcd !== undefined) {
      config.coordinator = opts.etcd;
      config['cluster-enabled'] = 'yes';
    }
    if (opts.cluster !== undefined) config['cluster-name'] = opts.cluster;
    // Events as JSON lines, or readable lines on a TTY; to the logfile (JSON, appended) when set (docs/operations.md#logs).
    const logger = createLogger({ level: config.loglevel, destination: config.logfile || 'stdout' });
    if (opts.warmUp !== 'yes' && opts.warmUp !== 'no') throw new ConfigError(`--warm-up: expected yes or no, got '${opts.warmUp}'`);
    const helperNice = Number(opts.helperThreadsNice);
    if (!/^\d+$/.test(opts.helperThreadsNice) || helperNice > 19) throw new ConfigError(`--helper-threads-nice: expected 0 to 19, got '${opts.helperThreadsNice}'`);
    keepHelperThreadsNice(helperNice);
    const node = new CorralNode({ config, logger });
    if (node.cluster !== null && opts.warmUp === 'yes') await warmUp(logger);
    const port = await node.listen();
    logger.info(
      { event: 'node.started', bind: node.config.str('bind'), port: node.plainPort, tlsPort: node.config.int('tls-port'), version: CORRAL_VERSION, configFile, cluster: node.cluster !== null },
      `corral node listening on ${node.config.str('bind')}:${port} (pid ${process.pid}); connect with: ${connectHint(node)}`,
    );
    if (!hasNodeV8Flags()) {
      logger.info(
        { event: 'node.v8flags', missing: NODE_V8_FLAGS },
        `node runs without ${NODE_V8_FLAGS.join(' ')} (the corral command passes it): under load, V8 may run a full garbage collection every half second (docs/operations.md#the-node-process)`,
      );
    }
    if (process.platform === 'linux' && !setsHugetlb()) {
      logger.info(
        { event: 'node.hugepages', missing: NODE_GLIBC_TUNABLE },
        `node runs without GLIBC_TUNABLES=${NODE_GLIBC_TUNABLE} (the corral command sets it): its keys and values are in 4 KB pages, not transparent huge pages (docs/operations.md#the-node-process)`,
      );
    }
    // The metrics endpoint is optional: a node whose metrics port is taken serves its clients all the same.
    const metrics = await serveNodeMetrics(node).catch((err: Error) => {
      logger.warn({ event: 'metrics.unavailable', port: node.config.int('metrics-port'), error: err.message }, `corral: no metrics endpoint on port ${node.config.int('metrics-port')}: ${err.message}`);
      return null;
    });
    if (metrics !== null) logger.info({ event: 'metrics.listening', port: metrics.port }, `metrics: http://${node.config.str('bind').split(' ')[0]}:${metrics.port}/metrics`);
    let stopping = false;
    const stop = (signal: string) => {
      stopping = true;
      logger.info({ event: 'node.stopping', signal }, `${signal} received: shutting down`);
      void Promise.all([node.close(), metrics?.close()]).then(() => process.exit(0));
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
    await node.stopped;
    if (!stopping) logger.info({ event: 'node.stopping', reason: 'SHUTDOWN' }, 'SHUTDOWN: stopped');
    process.exit(0);
  } catch (err) {
    const message = err instanceof ConfigError || (err as NodeJS.ErrnoException).code !== undefined ? (err as Error).message : String(err);
    console.error(`corral: ${message}`);
    process.exit(1);
  }
});

program
  .command('gen-certs')
  .description('write a development CA and certificates for TLS: ca.crt, server.crt/.key (also usable as a client certificate), client.crt/.key')
  .argument('[dir]', 'the directory to write them to', 'corral-certs')
  .option('--host <name...>', 'more host names or IP addresses for the server certificate (localhost, 127.0.0.1 and ::1 are always in it)')
  .action((dir: string, opts: { host?: string[] }) => {
    const paths = generateDevCertificates(dir, { hosts: opts.host ?? [] });
    console.log(`wrote ${Object.values(paths).join(', ')}`);
    console.log(`start a node:  corral server --port 0 --tls-port 7380 --tls-cert-file ${paths.serverCert} --tls-key-file ${paths.serverKey} --tls-ca-cert-file ${paths.caCert}`);
    console.log(`connect:       redis-cli --tls --cacert ${paths.caCert} --cert ${paths.clientCert} --key ${paths.clientKey} -p 7380`);
  });

program
  .command('up')
  .description('run a local cluster: one node process per shard on consecutive ports')
  .option('--shards <n>', 'number of shards', '3')
  .option('--replicas <n>', 'replicas per shard (one node process each)', '1')
  .option('--port <port>', 'port of the first node', '7000')
  .option('--bind <address>', 'address every node listens on', '127.0.0.1')
  .option('--maxmemory <bytes>', 'memory limit of each node (e.g. 100mb)')
  .option('--maxmemory-policy <policy>', 'eviction policy of each node')
  .option('--vnodes <k>', 'virtual nodes per shard on the ring')
  .option('--metrics-port <port>', 'serve every node\'s Prometheus metrics merged here (0: no metrics at all)', '9187')
  .option('--metrics-offset <n>', 'each node serves its own /metrics on its port plus this', '1000')
  .option('--dashboard-port <port>', 'serve the web dashboard on this port (0: no dashboard)', String(DEFAULT_DASHBOARD_PORT))
  .option('--requirepass <password>', 'every node and the coordinator require this password; the nodes\' links to each other use it')
  .option('--tls', 'TLS on every port and link (nodes serve TLS only), with fresh development certificates')
  .option('--tls-dir <dir>', 'with --tls: where the certificates are written (default <tmpdir>/corral-up-<port>/tls)')
  .option('--tls-auth-clients <mode>', 'with --tls: yes (clients need a certificate of the cluster\'s CA), no or optional', 'yes')
  .allowExcessArguments(false)
  .action(async (opts: Record<string, string | undefined>) => {
    process.exitCode = await runUp(opts);
  });

program
  .command('ring')
  .description('show slot balance and how many slots and keys move when a shard is added, beside hash % N')
  .option('--shards <n>', 'number of shards', '3')
  .option('--vnodes <k>', 'virtual nodes per shard (default: the ring default)')
  .option('--keys <n>', 'sample keys for the movement figures', '100000')
  .allowExcessArguments(false)
  .action((opts: { shards: string; vnodes?: string; keys: string }) => {
    const shards = positiveInt(opts.shards, '--shards');
    const vnodes = opts.vnodes === undefined ? undefined : positiveInt(opts.vnodes, '--vnodes');
    console.log(ringReport({ shards, vnodes, sampleKeys: positiveInt(opts.keys, '--keys') }));
  });

const clusterCmd = program
  .command('cluster')
  .description('inspect and operate a running cluster')
  .option('--user <name>', 'AUTH as this user (with --password)')
  .option('--password <password>', 'AUTH with this password (default: $CORRAL_PASSWORD), as a node requiring one needs')
  .option('--tls', 'connect over TLS')
  .option('--cacert <file>', 'with --tls: the CA to verify the nodes with')
  .option('--cert <file>', 'with --tls: the client certificate to present')
  .option('--key <file>', 'with --tls: the client certificate\'s key');
// The options above apply to every `corral cluster` subcommand's connections, written before or
// after the subcommand.
clusterCmd.hook('preAction', (cmd) => useLinkSecurity(linkSecurityFromFlags(cmd.opts())));
clusterCmd
  .command('status')
  .description('shards (slots, keys, memory, ops/s), roles, replication offsets and lag, topology epoch, controller, leases and resharding')
  .requiredOption('--cluster <host:port>', 'any node of the cluster')
  .option('--json', 'print JSON')
  .allowExcessArguments(false)
  .action(async (opts: { cluster: string; json?: boolean }) => {
    process.exitCode = await clusterStatus(opts.cluster, opts.json === true);
  });
clusterCmd
  .command('failover')
  .description('hand a shard to one of its replicas without losing writes (as Redis CLUSTER FAILOVER)')
  .argument('<replica>', 'host:port of the replica to promote')
  .option('--timeout <ms>', 'how long to wait for the switch', '10000')
  .allowExcessArguments(false)
  .action(async (replica: string, opts: { timeout: string }) => {
    process.exitCode = await clusterFailover(replica, Number(opts.timeout));
  });
clusterCmd
  .command('hotkeys')
  .description('the keys with the highest access rate on every node (CORRAL HOTKEYS), merged in a table refreshed until Ctrl-C')
  .requiredOption('--cluster <host:port>', 'any node of the cluster (or a standalone node)')
  .option('--count <n>', 'rows to show (and keys asked of each node)', '10')
  .option('--interval <s>', 'seconds between refreshes', '2')
  .option('--once', 'print the table once and exit')
  .allowExcessArguments(false)
  .action(async (opts: HotKeysCliOptions) => {
    process.exitCode = await clusterHotKeys(opts);
  });

const RATE_HELP = 'bytes per second each source node sends at most: 50mb, 512kb, 1gb, bytes, 0 or unlimited';
clusterCmd
  .command('add-shard')
  .description('add a shard whose primary is a new node, and move its share of the slots to it online')
  .argument('[new-node]', 'host:port of the new node (with --spawn: default the port after the highest in use)')
  .requiredOption('--cluster <host:port>', 'any node of the cluster')
  .option('--weight <w>', 'the new shard\'s weight (default 1)')
  .option('--rate <rate>', RATE_HELP)
  .option('--spawn', 'have corral up start the new node and its replicas')
  .option('--detach', 'return once the plan is started, instead of following it')
  .allowExcessArguments(false)
  .action(async (target: string | undefined, opts: { cluster: string; weight?: string; rate?: string; spawn?: boolean; detach?: boolean }) => {
    process.exitCode = await addShard(target, opts);
  });
clusterCmd
  .command('remove-shard')
  .description('move every slot off a shard online, then take the shard and its nodes out of the cluster')
  .argument('<primary>', 'host:port of the shard\'s primary')
  .requiredOption('--cluster <host:port>', 'any node of the cluster')
  .option('--rate <rate>', RATE_HELP)
  .option('--detach', 'return once the plan is started, instead of following it')
  .option('--drain <seconds>', `with corral up: wait up to this long for clients still sending to the retired nodes before stopping them (default ${DEFAULT_DRAIN_S})`, Number)
  .allowExcessArguments(false)
  .action(async (target: string, opts: { cluster: string; rate?: string; detach?: boolean; drain?: number }) => {
    process.exitCode = await removeShard(target, opts);
  });
clusterCmd
  .command('rebalance')
  .description('move slots online so that each shard holds its weight\'s share')
  .requiredOption('--cluster <host:port>', 'any node of the cluster')
  .option('--weight <host:port=w>', 'a shard\'s new weight, by its primary (repeatable)', collectWeight)
  .option('--rate <rate>', RATE_HELP)
  .option('--detach', 'return once the plan is started, instead of following it')
  .allowExcessArguments(false)
  .action(async (opts: { cluster: string; weight?: string[]; rate?: string; detach?: boolean }) => {
    process.exitCode = await rebalance(opts);
  });
clusterCmd
  .command('migrations')
  .description('the resharding plan in progress: pause, resume, cancel, status, or rate <rate>')
  .argument('<action>', 'pause | resume | cancel | status | rate')
  .argument('[rate]', `with rate: ${RATE_HELP}`)
  .requiredOption('--cluster <host:port>', 'any node of the cluster')
  .option('--json', 'status as JSON')
  .allowExcessArguments(false)
  .action(async (action: string, value: string | undefined, opts: { cluster: string; json?: boolean }) => {
    process.exitCode = await migrations(action, value, opts);
  });

program
  .command('import')
  .description("copy a running Redis's keys (SCAN, DUMP, PTTL, RESTORE, pipelined) into a corral cluster or node")
  .argument('<source>', 'redis://[user:pass@]host:port[/db] (db 0 unless given; a cluster node: every primary)')
  .option('--cluster <host:port>', 'any node of the target cluster (corral or Redis Cluster): keys go to their slot\'s primary')
  .option('--to <host:port>', 'a standalone target node (database 0)')
  .option('--user <name>', 'the target\'s user (AUTH user password)')
  .option('--password <password>', 'the target\'s password')
  .option('--replace', 'overwrite keys that exist on the target (RESTORE ... REPLACE); without it they are skipped')
  .option('--match <pattern>', 'only keys matching this glob pattern (SCAN MATCH)')
  .option('--count <n>', 'SCAN COUNT', '1000')
  .option('--batch <n>', 'keys per pipelined round trip at most (fewer for large values: about 8 MB a batch)', '1000')
  .option('--rate <rate>', 'bytes read per second at most (keys and DUMP payloads): 50mb, 512kb, 1gb, bytes, 0 or unlimited')
  .allowExcessArguments(false)
  .action(async (source: string, opts: ImportCliOptions) => {
    process.exitCode = await runImport(source, opts);
  });

program
  .command('dashboard')
  .description('serve the web dashboard (live charts, topology, hot keys, migrations, failover timeline) for a running cluster')
  .requiredOption('--cluster <host:port>', 'any node of the cluster')
  .option('--port <port>', 'the dashboard\'s HTTP port', String(DEFAULT_DASHBOARD_PORT))
  .option('--bind <address>', 'the address it listens on', '127.0.0.1')
  .option('--user <name>', 'AUTH as this user (with --password)')
  .option('--password <password>', 'AUTH with this password (default: $CORRAL_PASSWORD)')
  .option('--tls', 'connect to the nodes over TLS')
  .option('--cacert <file>', 'with --tls: the CA to verify the nodes with')
  .option('--cert <file>', 'with --tls: the client certificate to present')
  .option('--key <file>', 'with --tls: the client certificate\'s key')
  .allowExcessArguments(false)
  .action(async (opts: DashboardCliOptions) => {
    process.exitCode = await runDashboard(opts);
  });

const demo = program.command('demo').description('demos that run against a local cluster');
const flashSale = demo
  .command('flash-sale')
  .description('a hot product expiring under load: naive cache-aside vs the SDK, against a real SQL database (PGlite, or PostgreSQL with DATABASE_URL)')
  .allowExcessArguments(false);
for (const f of FLASH_SALE_FLAGS) flashSale.option(f.flags, f.description);
flashSale.action(async (opts: Record<string, string | boolean | undefined>) => {
  process.exitCode = await runFlashSaleDemo(opts);
});

function positiveInt(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`corral: ${flag} must be a positive integer`);
    process.exit(1);
  }
  return n;
}

/** The redis-cli line that reaches this node (TLS when it has no plain port). */
function connectHint(node: CorralNode): string {
  const cluster = node.cluster !== null ? ' -c' : '';
  if (node.plainPort !== 0) return `redis-cli${cluster} -p ${node.plainPort}`;
  const ca = node.config.str('tls-ca-cert-file');
  const auth = node.config.str('tls-auth-clients') === 'yes' ? ' --cert <client.crt> --key <client.key>' : '';
  return `redis-cli --tls${ca !== '' ? ` --cacert ${ca}` : ''}${auth}${cluster} -p ${node.port}`;
}

function camel(name: string): string {
  return name.replace(/-([a-z])/g, (_, ch: string) => ch.toUpperCase());
}

await program.parseAsync(process.argv);
