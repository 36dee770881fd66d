// A node's Prometheus series (docs/operations.md#metrics): a prom-client Registry whose metrics
// read the node's existing plain counters when scraped. Nothing here runs per command: the
// request path keeps incrementing node.stats, store.stats and each command's calls/usec/failed
// fields, and every series below copies those numbers in its collect() callback at scrape time.
// The counters this file added for it are plain `++`s where their events happen: lease grants,
// waits and stale values (store/leases.ts, commands/leases.ts), promotions and primary changes
// (server/replication.ts, server/cluster-state.ts), moved keys and bytes (server/migration.ts),
// and the per-slot-range accesses the hot-key sampler counts (store/hotkeys.ts).
// Event-loop delay and GC pauses come from prom-client's default Node.js metrics
// (perf_hooks.monitorEventLoopDelay and a PerformanceObserver on 'gc'), prefixed corral_.

import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { Command } from '../commands/table.js';
import type { CorralNode } from '../server/node.js';
import { SLOTS_PER_RANGE } from '../store/hotkeys.js';
import { registerLatencyMetrics } from './latency-metrics.js';

/** Hot keys exported as series (a bounded label set: at most this many key labels per scrape). */
export const HOTKEYS_IN_METRICS = 5;
/** Longer keys are cut in the key label (a label is not the place for a large key). */
const HOTKEY_LABEL_MAX = 128;

/** prom-client default metrics promtool's lint refuses (non-counters ending in _total). */
const LINT_FAILING_DEFAULTS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

type Labels = Record<string, string | number>;
/** What a collect() callback yields: one value per label set. */
type Samples = Array<[Labels, number]>;

/**
 * A counter whose value is read from the node at scrape time. prom-client counters only go up
 * by inc(), so each scrape resets the series and adds the current value (which CONFIG RESETSTAT
 * may lower: Prometheus treats that as a counter reset).
 */
function counterFrom(registry: Registry, name: string, help: string, labelNames: string[], read: () => Samples | number): void {
  new Counter({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      const v = read();
      if (typeof v === 'number') this.inc(Math.max(0, v));
      else for (const [labels, n] of v) this.inc(labels, Math.max(0, n));
    },
  });
}

/** A gauge read from the node at scrape time (series without a sample this time disappear). */
function gaugeFrom(registry: Registry, name: string, help: string, labelNames: string[], read: () => Samples | number): void {
  new Gauge({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      const v = read();
      if (typeof v === 'number') this.set(v);
      else for (const [labels, n] of v) this.set(labels, n);
    },
  });
}

/** Every command and subcommand of the table that has run (or been refused) since the last reset. */
function usedCommands(node: CorralNode): Command[] {
  const out: Command[] = [];
  const visit = (cmd: Command): void => {
    if (cmd.calls > 0 || cmd.rejectedCalls > 0 || cmd.failedCalls > 0) out.push(cmd);
    if (cmd.subcommands !== null) for (const s of cmd.subcommands.values()) visit(s);
  };
  for (const cmd of node.table.all()) visit(cmd);
  return out;
}

function perCommand(node: CorralNode, value: (cmd: Command) => number): Samples {
  return usedCommands(node).map((cmd): [Labels, number] => [{ cmd: cmd.fullName }, value(cmd)]);
}

/** Slots the node's shard owns in its current topology (0 outside a cluster or a shard). */
function slotsOwned(node: CorralNode): number {
  const cluster = node.cluster;
  if (cluster === null || cluster.topology === null || cluster.myShard < 0) return 0;
  const owner = cluster.topology.slotShard;
  let n = 0;
  for (let i = 0; i < owner.length; i++) if (owner[i] === cluster.myShard) n++;
  return n;
}

function shardLabel(node: CorralNode): string {
  const cluster = node.cluster;
  if (cluster === null || cluster.topology === null || cluster.myShard < 0) return '';
  return cluster.topology.doc.shards[cluster.myShard]?.id ?? '';
}

function totalKeys(node: CorralNode): number {
  let n = 0;
  for (const db of node.store.dbs) n += db.size;
  return n;
}

function activeLeases(node: CorralNode): number {
  let n = 0;
  for (const db of node.store.dbs) n += db.leases.size;
  return n;
}

/** Estimated accesses per slot range (none outside cluster mode), label range="first-last". */
function slotRangeAccesses(node: CorralNode): Samples {
  const hot = node.store.hotKeys;
  const counts = hot.slotRangeSamples;
  if (counts === null) return [];
  const out: Samples = [];
  for (let i = 0; i < counts.length; i++) out.push([{ range: `${i * SLOTS_PER_RANGE}-${(i + 1) * SLOTS_PER_RANGE - 1}` }, counts[i] * hot.samplePeriod]);
  return out;
}

/** Keys or bytes moved by slot copies: the ended ones' totals plus the running ones'. */
function migrationTotals(node: CorralNode, what: 'keys' | 'bytes'): Samples {
  const m = node.migration;
  if (m === null) return [];
  let sent = what === 'keys' ? m.ended.exportedKeys : m.ended.exportedBytes;
  let received = what === 'keys' ? m.ended.importedKeys : m.ended.importedBytes;
  for (const e of m.exports.values()) sent += what === 'keys' ? e.keysCopied : e.bytesSent;
  for (const i of m.imports.values()) received += what === 'keys' ? i.keysCopied : i.bytesReceived;
  return [
    [{ direction: 'export' }, sent],
    [{ direction: 'import' }, received],
  ];
}

/** The registry of one node's series; `defaultMetrics` adds the process and Node.js runtime ones. */
export function createNodeRegistry(node: CorralNode, options: { defaultMetrics?: boolean } = {}): Registry {
  const r = new Registry();
  const s = node.stats;
  const st = node.store.stats;

  // ---- commands ----
  counterFrom(r, 'corral_commands_processed_total', 'Commands processed by the node (INFO total_commands_processed).', [], () => s.commandsProcessed);
  counterFrom(r, 'corral_command_calls_total', 'Calls per command (INFO commandstats calls).', ['cmd'], () => perCommand(node, (c) => c.calls));
  counterFrom(r, 'corral_command_duration_seconds_total', 'Time spent executing each command, in seconds (INFO commandstats usec); divide by calls for the mean.', ['cmd'], () =>
    perCommand(node, (c) => c.usec / 1e6),
  );
  counterFrom(r, 'corral_command_failed_calls_total', 'Calls per command that replied an error while running (INFO commandstats failed_calls).', ['cmd'], () =>
    perCommand(node, (c) => c.failedCalls),
  );
  counterFrom(r, 'corral_command_rejected_calls_total', 'Calls per command refused before running (arity, ACL, OOM, redirect...; INFO commandstats rejected_calls).', ['cmd'], () =>
    perCommand(node, (c) => c.rejectedCalls),
  );
  registerLatencyMetrics(r, node);
  counterFrom(r, 'corral_error_replies_total', 'Error replies by error code (INFO errorstats).', ['code'], () => [...s.errorCodes].map(([code, n]): [Labels, number] => [{ code }, n]));

  // ---- keyspace ----
  counterFrom(r, 'corral_keyspace_hits_total', 'Key lookups that found the key (INFO keyspace_hits).', [], () => st.hits);
  counterFrom(r, 'corral_keyspace_misses_total', 'Key lookups that did not find the key (INFO keyspace_misses).', [], () => st.misses);
  counterFrom(r, 'corral_expired_keys_total', 'Keys removed because their TTL passed (INFO expired_keys).', [], () => st.expiredKeys);
  counterFrom(r, 'corral_evicted_keys_total', 'Keys evicted under maxmemory (INFO evicted_keys).', [], () => st.evictedKeys);
  gaugeFrom(r, 'corral_db_keys', 'Keys per database (INFO keyspace keys).', ['db'], () => node.store.dbs.filter((d) => d.size > 0).map((d): [Labels, number] => [{ db: d.id }, d.size]));
  gaugeFrom(r, 'corral_db_expiring_keys', 'Keys with a TTL per database (INFO keyspace expires).', ['db'], () =>
    node.store.dbs.filter((d) => d.size > 0).map((d): [Labels, number] => [{ db: d.id }, d.volatileCount]),
  );
  gaugeFrom(r, 'corral_leases_active', 'Cache-aside leases held on this node (docs/leases.md).', [], () => activeLeases(node));
  counterFrom(r, 'corral_leases_granted_total', 'Cache-aside leases granted (CACHE.GET MISS_WON or STALE_WON, CACHE.LEASE).', [], () => st.leasesGranted);
  counterFrom(r, 'corral_lease_waits_total', 'CACHE.GET misses told to wait for another caller\'s lease (MISS_WAIT).', [], () => st.leaseWaits);
  counterFrom(r, 'corral_lease_stale_served_total', 'Stale values CACHE.GET served within their grace (STALE or STALE_WON).', [], () => st.leaseStaleServed);
  counterFrom(
    r,
    'corral_slot_range_accesses_total',
    `Key accesses per range of ${SLOTS_PER_RANGE} hash slots (cluster mode), estimated: the hot-key sampler's samples (1 access in ${node.store.hotKeys.samplePeriod} on average) times the sample period. Summed over a primary's ranges: its shard's load.`,
    ['range'],
    () => slotRangeAccesses(node),
  );
  gaugeFrom(r, 'corral_hotkey_ops_per_second', `The node's ${HOTKEYS_IN_METRICS} most accessed keys and their estimated access rate (CORRAL HOTKEYS); rank 0 is the hottest.`, ['rank', 'key'], () =>
    node.store.hotKeys.top(HOTKEYS_IN_METRICS).map((h, i): [Labels, number] => [{ rank: i, key: h.key.slice(0, HOTKEY_LABEL_MAX) }, h.opsPerSec]),
  );

  // ---- memory ----
  gaugeFrom(r, 'corral_memory_used_bytes', 'Memory the dataset accounts for (INFO used_memory).', [], () => node.store.usedMemory);
  gaugeFrom(r, 'corral_memory_dataset_bytes', 'Bytes of keys, values and leases alone (INFO used_memory_dataset).', [], () => node.store.dataBytes);
  gaugeFrom(r, 'corral_memory_rss_bytes', "The process's resident set size (INFO used_memory_rss).", [], () => process.memoryUsage.rss());
  gaugeFrom(r, 'corral_memory_max_bytes', 'The maxmemory limit (0: none).', [], () => node.store.maxmemory);
  gaugeFrom(r, 'corral_memory_slab_free_bytes', 'Free bytes inside the slab allocator (INFO corral_slab_free_bytes).', [], () => node.store.slabFreeBytes);
  gaugeFrom(r, 'corral_memory_fragmentation_ratio', 'RSS divided by used memory (INFO mem_fragmentation_ratio).', [], () => {
    const used = node.store.usedMemory;
    return used === 0 ? 0 : process.memoryUsage.rss() / used;
  });

  // ---- clients and network ----
  gaugeFrom(r, 'corral_connected_clients', 'Client connections open now.', [], () => node.clients.size);
  gaugeFrom(r, 'corral_blocked_clients', 'Clients blocked on keys, WAIT or a paused slot.', [], () => {
    let n = 0;
    for (const c of node.clients.values()) if (c.blocked) n++;
    return n;
  });
  counterFrom(r, 'corral_connections_received_total', 'Client connections accepted.', [], () => s.connectionsReceived);
  counterFrom(r, 'corral_rejected_connections_total', 'Connections refused (maxclients, protected mode).', [], () => s.rejectedConnections);
  counterFrom(r, 'corral_net_input_bytes_total', 'Bytes read from clients.', [], () => s.netInputBytes);
  counterFrom(r, 'corral_net_output_bytes_total', 'Bytes written to clients.', [], () => s.netOutputBytes);

  // ---- replication ----
  gaugeFrom(r, 'corral_replication_role', 'The node\'s role: 1 on the series of its current role ("primary" or "replica").', ['role'], () => [
    [{ role: 'primary' }, node.replication.role === 'master' ? 1 : 0],
    [{ role: 'replica' }, node.replication.role === 'slave' ? 1 : 0],
  ]);
  gaugeFrom(r, 'corral_replication_offset_bytes', 'The replication offset (INFO master_repl_offset).', [], () => node.replication.offset);
  gaugeFrom(r, 'corral_connected_replicas', 'Replicas attached to this primary (INFO connected_slaves).', [], () =>
    node.replication.role === 'master' ? (node.replication.source?.replicas.length ?? 0) : 0,
  );
  gaugeFrom(r, 'corral_replica_lag_bytes', "On a primary, per replica: bytes of the stream the replica has not acknowledged.", ['replica'], () => {
    const src = node.replication.source;
    if (node.replication.role !== 'master' || src === null) return [];
    return src.replicas.map((p): [Labels, number] => [{ replica: `${p.conn.ip}:${p.listeningPort}` }, Math.max(0, node.replication.offset - p.ackOffset)]);
  });
  gaugeFrom(r, 'corral_replica_lag_seconds', 'On a primary, per online replica: seconds since its last acknowledgement (INFO slaveN lag).', ['replica'], () => {
    const src = node.replication.source;
    if (node.replication.role !== 'master' || src === null) return [];
    const now = Date.now();
    return src.replicas.filter((p) => p.state === 'online').map((p): [Labels, number] => [{ replica: `${p.conn.ip}:${p.listeningPort}` }, (now - p.ackAt) / 1000]);
  });
  gaugeFrom(r, 'corral_replication_link_up', 'On a replica: 1 while its link to the primary is up (INFO master_link_status).', [], () => {
    const link = node.replication.link;
    return node.replication.role === 'slave' && link !== null && link.up ? 1 : 0;
  });
  gaugeFrom(r, 'corral_replication_last_io_seconds', 'On a replica: seconds since it last heard from its primary (-1: never or not a replica).', [], () => {
    const link = node.replication.link;
    if (node.replication.role !== 'slave' || link === null || link.lastIoAt === 0) return -1;
    return (Date.now() - link.lastIoAt) / 1000;
  });

  // ---- cluster ----
  counterFrom(r, 'corral_replication_promotions_total', 'Times this node went from replica to primary (a failover, or REPLICAOF NO ONE).', [], () => node.replication.promotions);
  counterFrom(r, 'corral_cluster_failovers_seen_total', 'Shards whose primary changed between two topologies this node applied (failovers, automatic or manual).', [], () =>
    node.cluster?.primaryChanges ?? 0,
  );
  gaugeFrom(r, 'corral_cluster_epoch', 'The epoch of the topology this node applies (0: none yet or not clustered).', [], () => node.cluster?.epoch ?? 0);
  gaugeFrom(r, 'corral_node_slots_owned', "Slots of this node's shard (a replica reports its shard's slots too; filter on corral_replication_role).", ['shard'], () => [
    [{ shard: shardLabel(node) }, slotsOwned(node)],
  ]);
  gaugeFrom(r, 'corral_node_keys', 'Keys on this node, all databases (per-shard imbalance: max / avg of this over primaries).', [], () => totalKeys(node));
  gaugeFrom(r, 'corral_migration_slots_left', 'Slots the cluster\'s resharding plan still has to move (0: no plan).', [], () => {
    const plan = node.cluster?.topology?.doc.plan;
    return plan === undefined ? 0 : plan.moves.reduce((n, [a, b]) => n + b - a + 1, 0);
  });
  gaugeFrom(r, 'corral_migration_exports_active', 'Slots this node is copying to another primary now.', [], () => node.migration?.exports.size ?? 0);
  gaugeFrom(r, 'corral_migration_imports_active', 'Slots this node is receiving now.', [], () => node.migration?.imports.size ?? 0);
  gaugeFrom(r, 'corral_migration_export_bytes', 'Bytes sent so far by the slot copies in progress on this node.', [], () => {
    let n = 0;
    if (node.migration !== null) for (const e of node.migration.exports.values()) n += e.bytesSent;
    return n;
  });

  counterFrom(r, 'corral_migration_keys_moved_total', 'Keys copied by slot moves, ended and running: sent (direction="export") and received (direction="import").', ['direction'], () =>
    migrationTotals(node, 'keys'),
  );
  counterFrom(r, 'corral_migration_bytes_moved_total', 'Bytes of slot moves, ended and running: sent (direction="export") and received (direction="import").', ['direction'], () =>
    migrationTotals(node, 'bytes'),
  );

  if (options.defaultMetrics !== false) {
    collectDefaultMetrics({ register: r, prefix: 'corral_' });
    // prom-client's gauges named *_total (sums of the per-type gauges beside them) fail
    // `promtool check metrics`'s lint: left out.
    for (const name of LINT_FAILING_DEFAULTS) r.removeSingleMetric(`corral_${name}`);
  }
  return r;
}
