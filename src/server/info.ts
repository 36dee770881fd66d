// The node's text reports: INFO (Redis 7.0's sections "# Server" ... "# Keyspace", field names
// and format: `name:value` lines ending in \r\n, sections separated by a blank line) and the
// CLIENT LIST / CLIENT INFO lines. Filled with what a corral node knows, and Redis's idle values
// for what it does not have (persistence, replication).

import os from 'node:os';
import type { CommandContext } from '../commands/context.js';
import type { Command } from '../commands/table.js';
import type { Client } from './client.js';
import type { ServerApi } from './server-api.js';
import { percentilesField } from './latency-histogram.js';

/**
 * HELLO and INFO report Redis's name and version, not corral's: client libraries gate features
 * on `version` (RESP3, CLIENT SETINFO, ...), so corral announces the Redis release whose
 * behaviour it reproduces. corral's own version is INFO's corral_version.
 */
export const REDIS_VERSION = '7.0.15';
export const CORRAL_VERSION = '0.1.0';

const ALL_SECTIONS = [
  'server',
  'clients',
  'memory',
  'persistence',
  'stats',
  'replication',
  'cpu',
  'modules',
  'commandstats',
  'errorstats',
  'latencystats',
  'cluster',
  'keyspace',
] as const;
type Section = (typeof ALL_SECTIONS)[number];

const DEFAULT_SECTIONS: readonly Section[] = ALL_SECTIONS.filter((s) => s !== 'commandstats' && s !== 'latencystats');

/**
 * corral's own sections, printed (after Redis's) only when asked for by name: default, all and
 * everything list exactly Redis's sections, so tools and tests that compare them with Redis's
 * see no difference. `INFO hotkeys`: the top HOTKEYS_IN_INFO keys by access rate.
 */
const CORRAL_SECTIONS = ['hotkeys'] as const;
type CorralSection = (typeof CORRAL_SECTIONS)[number];
export const HOTKEYS_IN_INFO = 3;

/** used_memory_peak: the highest used_memory INFO has seen, per node. */
const peaks = new WeakMap<ServerApi, number>();

/**
 * Which sections an INFO call asks for, in Redis's genInfoSectionDict rules: none means
 * "default"; "all" and "everything" mean every section; "default" may be mixed with names;
 * names are case-insensitive and unknown ones select nothing.
 */
export function selectSections(args: string[]): Set<string> {
  const out = new Set<string>();
  if (args.length === 0) args = ['default'];
  for (const raw of args) {
    const a = raw.toLowerCase();
    if (a === 'all' || a === 'everything') for (const s of ALL_SECTIONS) out.add(s);
    else if (a === 'default') for (const s of DEFAULT_SECTIONS) out.add(s);
    else if (a === 'module_list') out.add('modules');
    else out.add(a);
  }
  return out;
}

/** The INFO text for the selected sections. */
export function infoText(node: ServerApi, selected: Set<string>): string {
  let out = '';
  for (const s of ALL_SECTIONS) {
    if (!selected.has(s)) continue;
    if (out !== '') out += '\r\n';
    out += SECTION_WRITERS[s](node);
  }
  for (const s of CORRAL_SECTIONS) {
    if (!selected.has(s)) continue;
    if (out !== '') out += '\r\n';
    out += CORRAL_SECTION_WRITERS[s](node);
  }
  return out;
}

/** Redis's bytesToHuman: 1023B, 1.00K, 1.50M, ... with printf's %.2f rounding (ties to even). */
export function bytesToHuman(n: number): string {
  const units = ['K', 'M', 'G', 'T', 'P'];
  if (n < 1024) return `${n}B`;
  let d = n / 1024;
  for (const u of units) {
    if (d < 1024 || u === 'P') return `${fixed2(d)}${u}`;
    d /= 1024;
  }
  return `${n}B`;
}

/** printf("%.2f"): toFixed rounds exact ties away from zero, printf to even. */
export function fixed2(d: number): string {
  const scaled = d * 100;
  const floor = Math.floor(scaled);
  if (scaled - floor === 0.5) return ((floor % 2 === 0 ? floor : floor + 1) / 100).toFixed(2);
  return d.toFixed(2);
}

function lines(title: string, fields: Array<[string, string | number]>): string {
  let s = `# ${title}\r\n`;
  for (const [k, v] of fields) s += `${k}:${v}\r\n`;
  return s;
}

function server(node: ServerApi): string {
  const now = node.clock.now();
  const uptime = Math.max(0, Math.floor((now - node.stats.startedAt) / 1000));
  const hz = node.config.int('hz');
  return lines('Server', [
    ['redis_version', REDIS_VERSION],
    ['corral_version', CORRAL_VERSION],
    ['redis_git_sha1', '00000000'],
    ['redis_git_dirty', 0],
    ['redis_build_id', '0'],
    ['redis_mode', node.config.get('cluster-enabled') === true ? 'cluster' : 'standalone'],
    ['os', `${os.type()} ${os.release()} ${os.machine()}`],
    ['arch_bits', process.arch.endsWith('64') ? 64 : 32],
    ['monotonic_clock', 'POSIX clock_gettime'],
    ['multiplexing_api', process.platform === 'linux' ? 'epoll' : process.platform === 'win32' ? 'iocp' : 'kqueue'],
    ['nodejs_version', process.versions.node],
    ['process_id', process.pid],
    ['process_supervised', 'no'],
    ['run_id', node.runId],
    ['tcp_port', node.plainPort],
    ['server_time_usec', now * 1000],
    ['uptime_in_seconds', uptime],
    ['uptime_in_days', Math.floor(uptime / 86400)],
    ['hz', hz],
    ['configured_hz', hz],
    ['lru_clock', Math.floor(now / 1000) & 0xffffff],
    ['executable', process.argv[1] ?? ''],
    ['config_file', ''],
    ['io_threads_active', 0],
  ]);
}

function clients(node: ServerApi): string {
  let maxIn = 0;
  let maxOut = 0;
  for (const c of node.clients.values()) {
    maxIn = Math.max(maxIn, c.parser.pendingBytes);
    maxOut = Math.max(maxOut, c.socket.writableLength);
  }
  return lines('Clients', [
    ['connected_clients', node.clients.size],
    ['cluster_connections', 0],
    ['maxclients', node.config.int('maxclients')],
    ['client_recent_max_input_buffer', maxIn],
    ['client_recent_max_output_buffer', maxOut],
    ['blocked_clients', blockedClients(node)],
    ['tracking_clients', node.tracking.clientCount],
    ['clients_in_timeout_table', 0],
  ]);
}

function memory(node: ServerApi): string {
  const used = node.store.usedMemory;
  const peak = Math.max(peaks.get(node) ?? 0, used);
  peaks.set(node, peak);
  const rss = process.memoryUsage.rss();
  const heap = process.memoryUsage();
  const maxmemory = node.store.maxmemory;
  const total = os.totalmem();
  const pct = (a: number, b: number): string => `${fixed2(b === 0 ? 0 : (a * 100) / b)}%`;
  return lines('Memory', [
    ['used_memory', used],
    ['used_memory_human', bytesToHuman(used)],
    ['used_memory_rss', rss],
    ['used_memory_rss_human', bytesToHuman(rss)],
    ['used_memory_peak', peak],
    ['used_memory_peak_human', bytesToHuman(peak)],
    ['used_memory_peak_perc', pct(used, peak)],
    ['used_memory_overhead', used - node.store.dataBytes],
    ['used_memory_startup', 0],
    ['used_memory_dataset', node.store.dataBytes],
    ['used_memory_dataset_perc', pct(node.store.dataBytes, used)],
    ...scriptingMemory(node),
    ['total_system_memory', total],
    ['total_system_memory_human', bytesToHuman(total)],
    ['corral_slab_free_bytes', node.store.slabFreeBytes],
    ['node_heap_used', heap.heapUsed],
    ['node_heap_total', heap.heapTotal],
    ['maxmemory', maxmemory],
    ['maxmemory_human', bytesToHuman(maxmemory)],
    ['maxmemory_policy', node.store.evictionPolicy],
    ['mem_fragmentation_ratio', fixed2(used === 0 ? 0 : rss / used)],
    // Replication and client buffers are not in used_memory at all (corral counts the dataset),
    // so none of used_memory is left out of the eviction decision.
    ['mem_not_counted_for_evict', 0],
    ['mem_allocator', 'v8'],
    ['lazyfree_pending_objects', 0],
  ]);
}

/**
 * The Lua VM's figures, under Redis's names: corral runs EVAL scripts and FUNCTION libraries in
 * one VM, so its memory is reported as the eval VM's and the total alike.
 */
function scriptingMemory(node: ServerApi): Array<[string, string | number]> {
  const vm = node.scripting?.memoryUsed ?? 0;
  const scripts = node.scripting?.scripts;
  let scriptBytes = 0;
  if (scripts !== undefined) for (const s of scripts.values()) scriptBytes += s.body.length + 40;
  const functions = node.functions;
  let functionBytes = 0;
  if (functions !== null) for (const lib of functions.libraries.values()) functionBytes += lib.code.length;
  return [
    ['used_memory_lua', vm],
    ['used_memory_vm_eval', vm],
    ['used_memory_lua_human', bytesToHuman(vm)],
    ['used_memory_scripts_eval', scriptBytes],
    ['number_of_cached_scripts', scripts?.size ?? 0],
    ['number_of_functions', functions?.functions.size ?? 0],
    ['number_of_libraries', functions?.libraries.size ?? 0],
    ['used_memory_vm_functions', 0],
    ['used_memory_vm_total', vm],
    ['used_memory_vm_total_human', bytesToHuman(vm)],
    ['used_memory_functions', functionBytes],
    ['used_memory_scripts', scriptBytes + functionBytes],
    ['used_memory_scripts_human', bytesToHuman(scriptBytes + functionBytes)],
  ];
}

/** corral keeps no data on disk: Redis's values for an instance that never saved (every change since start is unsaved). */
function persistence(node: ServerApi): string {
  return lines('Persistence', [
    ['loading', 0],
    ['async_loading', 0],
    ['rdb_changes_since_last_save', node.store.dirty],
    ['rdb_bgsave_in_progress', 0],
    ['rdb_last_save_time', Math.floor(node.stats.startedAt / 1000)],
    ['rdb_last_bgsave_status', 'ok'],
    ['rdb_last_bgsave_time_sec', -1],
    ['rdb_current_bgsave_time_sec', -1],
    ['rdb_saves', 0],
    ['aof_enabled', 0],
    ['aof_rewrite_in_progress', 0],
    ['aof_rewrite_scheduled', 0],
    ['aof_last_rewrite_time_sec', -1],
    ['aof_current_rewrite_time_sec', -1],
    ['aof_last_bgrewrite_status', 'ok'],
    ['aof_rewrites', 0],
    ['aof_last_write_status', 'ok'],
  ]);
}

function stats(node: ServerApi): string {
  const s = node.stats;
  const st = node.store.stats;
  return lines('Stats', [
    ['total_connections_received', s.connectionsReceived],
    ['total_commands_processed', s.commandsProcessed],
    ['instantaneous_ops_per_sec', node.opsPerSecond],
    ['total_net_input_bytes', s.netInputBytes],
    ['total_net_output_bytes', s.netOutputBytes],
    ['instantaneous_input_kbps', '0.00'],
    ['instantaneous_output_kbps', '0.00'],
    ['rejected_connections', s.rejectedConnections],
    ['expired_keys', st.expiredKeys],
    ['expired_stale_perc', '0.00'],
    ['evicted_keys', st.evictedKeys],
    ['evicted_clients', 0],
    ['keyspace_hits', st.hits],
    ['keyspace_misses', st.misses],
    ['pubsub_channels', node.pubsub.channels.size],
    ['pubsub_patterns', node.pubsub.patterns.size],
    ['pubsubshard_channels', node.pubsub.shardChannels.size],
    // corral never forks and keeps no MIGRATE connections: Redis's values for the same.
    ['latest_fork_usec', 0],
    ['total_forks', 0],
    ['migrate_cached_sockets', 0],
    ['tracking_total_keys', node.tracking.table.size],
    ['tracking_total_items', node.tracking.items],
    ['tracking_total_prefixes', node.tracking.prefixTable.size],
    ['unexpected_error_replies', 0],
    ['total_error_replies', s.totalErrorReplies],
  ]);
}

function replication(node: ServerApi): string {
  return `# Replication\r\n${node.replication.info()}`;
}

function cpu(): string {
  const u = process.cpuUsage();
  const sec = (micros: number): string => (micros / 1e6).toFixed(6);
  return lines('CPU', [
    ['used_cpu_sys', sec(u.system)],
    ['used_cpu_user', sec(u.user)],
    ['used_cpu_sys_children', '0.000000'],
    ['used_cpu_user_children', '0.000000'],
    ['used_cpu_sys_main_thread', sec(u.system)],
    ['used_cpu_user_main_thread', sec(u.user)],
  ]);
}

function commandstats(node: ServerApi): string {
  const fields: Array<[string, string]> = [];
  const visit = (cmd: Command): void => {
    if (cmd.calls > 0 || cmd.rejectedCalls > 0 || cmd.failedCalls > 0) {
      const usec = Math.floor(cmd.usec);
      const perCall = cmd.calls === 0 ? 0 : usec / cmd.calls;
      fields.push([
        `cmdstat_${cmd.fullName}`,
        `calls=${cmd.calls},usec=${usec},usec_per_call=${fixed2(perCall)},rejected_calls=${cmd.rejectedCalls},failed_calls=${cmd.failedCalls}`,
      ]);
    }
    if (cmd.subcommands !== null) for (const s of cmd.subcommands.values()) visit(s);
  };
  for (const cmd of node.table.all()) visit(cmd);
  return lines('Commandstats', fields);
}

/**
 * `# Latencystats`: latency_percentiles_usec_<cmd>:p50=..,p99=..,p99.9=.. (the configured
 * percentiles) for each command with a histogram; empty while latency-tracking is no.
 */
function latencystats(node: ServerApi): string {
  const fields: Array<[string, string]> = [];
  const monitor = node.latency;
  if (!monitor.tracking) return lines('Latencystats', fields);
  const visit = (cmd: Command): void => {
    if (cmd.latencyCounts !== null) fields.push([`latency_percentiles_usec_${cmd.fullName}`, percentilesField(cmd.latencyCounts, monitor.percentiles)]);
    if (cmd.subcommands !== null) for (const s of cmd.subcommands.values()) visit(s);
  };
  for (const cmd of node.table.all()) visit(cmd);
  return lines('Latencystats', fields);
}

function keyspace(node: ServerApi): string {
  const fields: Array<[string, string]> = [];
  for (const db of node.store.dbs) {
    if (db.size > 0) fields.push([`db${db.id}`, `keys=${db.size},expires=${db.volatileCount},avg_ttl=0`]);
  }
  return lines('Keyspace', fields);
}

const SECTION_WRITERS: Record<Section, (node: ServerApi) => string> = {
  server,
  clients,
  memory,
  persistence,
  stats,
  replication,
  cpu,
  modules: () => lines('Modules', []),
  commandstats,
  errorstats: (node) =>
    lines(
      'Errorstats',
      [...node.stats.errorCodes].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([code, n]): [string, string] => [`errorstat_${code}`, `count=${n}`]),
    ),
  latencystats,
  cluster: (node) => lines('Cluster', [['cluster_enabled', node.config.get('cluster-enabled') === true ? 1 : 0]]),
  keyspace,
};

/**
 * `# Hotkeys`: hotkey_<i>:key=<key>,ops_per_sec=<n>, highest rate first (src/store/hotkeys.ts).
 * A key's bytes outside printable ASCII, and ',' '=' and backslash, are written as \xHH, so a
 * line stays one parseable line whatever the key.
 */
function hotkeys(node: ServerApi): string {
  const fields: Array<[string, string]> = node.store.hotKeys
    .top(HOTKEYS_IN_INFO)
    .map((h, i): [string, string] => [`hotkey_${i}`, `key=${escapeInfoValue(h.key)},ops_per_sec=${Math.round(h.opsPerSec)}`]);
  return lines('Hotkeys', fields);
}

export function escapeInfoValue(key: string): string {
  let out = '';
  for (let i = 0; i < key.length; i++) {
    const code = key.charCodeAt(i);
    if (code < 0x21 || code > 0x7e || code === 0x2c || code === 0x3d || code === 0x5c) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += key[i];
  }
  return out;
}

const CORRAL_SECTION_WRITERS: Record<CorralSection, (node: ServerApi) => string> = { hotkeys };

/** Resets what CONFIG RESETSTAT resets: the node's and store's counters and per-command stats. */
export function resetStats(node: ServerApi): void {
  const s = node.stats;
  s.commandsProcessed = 0;
  s.connectionsReceived = 0;
  s.rejectedConnections = 0;
  s.rejectedCalls = 0;
  s.netInputBytes = 0;
  s.netOutputBytes = 0;
  s.samples.length = 0;
  s.errorCodes.clear();
  s.totalErrorReplies = 0;
  node.store.stats.resetCounters();
  peaks.set(node, node.store.usedMemory);
  const visit = (cmd: Command): void => {
    cmd.calls = 0;
    cmd.usec = 0;
    cmd.rejectedCalls = 0;
    cmd.failedCalls = 0;
    cmd.latencyCounts = null;
    if (cmd.subcommands !== null) for (const sub of cmd.subcommands.values()) visit(sub);
  };
  for (const cmd of node.table.all()) visit(cmd);
}

// ---- CLIENT LIST / CLIENT INFO lines ---------------------------------------------------------

/** Clients that asked for CLIENT NO-EVICT ON (corral never evicts clients: only the flag shows). */
const noEvict = new WeakSet<Client>();

export function setNoEvict(client: Client, on: boolean): void {
  if (on) noEvict.add(client);
  else noEvict.delete(client);
}

/** Redis's per-connection figures corral has no equivalent for are reported as small constants. */
const CLIENT_BASE_MEM = 2048;

function fdOf(client: Client): number {
  const handle = (client.socket as unknown as { _handle?: { fd?: number } })._handle;
  return typeof handle?.fd === 'number' ? handle.fd : -1;
}

/** Clients waiting on keys, for WAIT, or for a paused slot (Redis counts every blocking kind). */
function blockedClients(node: ServerApi): number {
  let n = 0;
  for (const c of node.clients.values()) if (c.blocked) n++;
  return n;
}

function clientFlags(client: Client): string {
  let f = '';
  if (client.subs !== null && client.subs.total !== 0) f += 'P';
  if (client.multi !== null) f += 'x';
  if (client.blocked) f += 'b';
  const t = client.tracking;
  if (t !== null) f += 't';
  if (t !== null && t.brokenRedirect) f += 'R';
  if (t !== null && t.bcast) f += 'B';
  if (client.watchDirty) f += 'd';
  if (client.closeAfterReply) f += 'c';
  if (noEvict.has(client)) f += 'e';
  return f === '' ? 'N' : f;
}

/** One CLIENT LIST line, in Redis 7.0's field order. `self` is the client running the command. */
export function clientInfoLine(node: ServerApi, client: Client, self: Client, c: CommandContext): string {
  const now = node.clock.now();
  let argvMem = 0;
  if (client === self) for (let i = 0; i < c.argc; i++) argvMem += c.argLength(i);
  let multiMem = 0;
  if (client.multi !== null) for (const q of client.multi) multiMem += q.args.buf.length + q.args.argc * 16;
  const qbuf = client.parser.pendingBytes;
  const omem = client.socket.writableLength;
  const totMem = CLIENT_BASE_MEM + qbuf + argvMem + multiMem + omem;
  return (
    `id=${client.id} addr=${client.addr} laddr=${client.laddr} fd=${fdOf(client)} name=${client.name}` +
    ` age=${Math.max(0, Math.floor((now - client.createdAt) / 1000))}` +
    ` idle=${Math.max(0, Math.floor((now - client.lastInteraction) / 1000))}` +
    ` flags=${clientFlags(client)} db=${client.db} sub=${client.subs?.channels.size ?? 0} psub=${client.subs?.patterns.size ?? 0} ssub=${client.subs?.shard.size ?? 0}` +
    ` multi=${client.multi === null ? -1 : client.multi.length} qbuf=${qbuf} qbuf-free=0` +
    ` argv-mem=${argvMem} multi-mem=${multiMem} rbs=1024 rbp=0 obl=0 oll=0 omem=${omem} tot-mem=${totMem}` +
    ` events=${omem > 0 ? 'rw' : 'r'} cmd=${client === self ? c.name : client.lastCommand}` +
    ` user=${client.user.name} redir=${client.tracking === null ? -1 : client.tracking.redirect} resp=${client.resp}\n`
  );
}

