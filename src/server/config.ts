// Node configuration: every parameter's name, default, parser and formatter, in Redis's
// spelling, shared by the command line (`--maxmemory 100mb`), config files (`maxmemory 100mb`
// lines) and CONFIG GET/SET. Appliers that need a running node are attached by the server.

import { globMatch } from '../util/glob.js';
import { EVICTION_POLICIES } from '../store/store.js';
import { ERR_EVENT_CLASS, keyspaceEventsFlagsToString, keyspaceEventsStringToFlags } from '../commands/keyspace-events.js';
import { parsePercentiles } from './latency-monitor.js';
import { trimmedDouble } from './latency-histogram.js';

export type ConfigValue = string | number | boolean;

export interface ParamDef {
  name: string;
  kind: 'int' | 'memory' | 'string' | 'bool' | 'enum';
  default: ConfigValue;
  values?: readonly string[];
  min?: number;
  max?: number;
  /** The maximum as Redis prints it in range errors, when a JS number cannot (int64 max). */
  maxLabel?: string;
  /** Out-of-range values are clamped into [min, max] instead of refused (Redis's hz). */
  clamp?: boolean;
  /** Cannot be changed by CONFIG SET. */
  immutable?: boolean;
  /** Secret: CONFIG GET shows it (as Redis does), but logs must not. */
  sensitive?: boolean;
  /** Redis's other name for it (CONFIG GET/SET and config files take both; 7.0's ziplist names). */
  alias?: string;
  /** The new value from the current one and the text set (a parameter set in parts); throws ConfigError. */
  merge?: (current: string, raw: string) => string;
  /** How CONFIG GET shows the value, when not as it is held. */
  format?: (value: string) => string;
}

const GB = 1024 * 1024 * 1024;
const INT_MAX = 2147483647;
const LLONG_MAX = { max: Number.MAX_SAFE_INTEGER, maxLabel: '9223372036854775807' };

export const PARAMS: ParamDef[] = [
  { name: 'bind', kind: 'string', default: '127.0.0.1', immutable: true },
  { name: 'port', kind: 'int', default: 6379, min: 0, max: 65535, immutable: true },
  // Prometheus text format at http://<first bind address>:<metrics-port>/metrics, served by
  // `corral server` beside the node (src/metrics/; docs/operations.md#metrics); 0: no endpoint.
  { name: 'metrics-port', kind: 'int', default: 0, min: 0, max: 65535, immutable: true },
  { name: 'databases', kind: 'int', default: 16, min: 1, max: 1 << 20, immutable: true },
  { name: 'maxmemory', kind: 'memory', default: 0 },
  // Listed in Redis's order, which its error message shows.
  { name: 'maxmemory-policy', kind: 'enum', default: 'allkeys-tinylfu', values: EVICTION_POLICIES },
  { name: 'maxmemory-samples', kind: 'int', default: 5, min: 1, max: INT_MAX },
  { name: 'lfu-log-factor', kind: 'int', default: 10, min: 0, max: INT_MAX },
  { name: 'lfu-decay-time', kind: 'int', default: 1, min: 0, max: INT_MAX },
  { name: 'requirepass', kind: 'string', default: '', sensitive: true },
  // Links to other corral processes (replication, control plane, migrations, the pub/sub bus)
  // authenticate as masteruser with masterauth (Redis's replication credentials); with no
  // masterauth, with requirepass as the default user (docs/security.md).
  { name: 'masteruser', kind: 'string', default: '' },
  { name: 'masterauth', kind: 'string', default: '', sensitive: true },
  // TLS (server/tls-config.ts), with Redis 7.0's names and defaults. tls-port is set at startup.
  { name: 'tls-port', kind: 'int', default: 0, min: 0, max: 65535, immutable: true },
  { name: 'tls-cert-file', kind: 'string', default: '' },
  { name: 'tls-key-file', kind: 'string', default: '' },
  { name: 'tls-key-file-pass', kind: 'string', default: '', sensitive: true },
  { name: 'tls-client-cert-file', kind: 'string', default: '' },
  { name: 'tls-client-key-file', kind: 'string', default: '' },
  { name: 'tls-client-key-file-pass', kind: 'string', default: '', sensitive: true },
  { name: 'tls-dh-params-file', kind: 'string', default: '' },
  { name: 'tls-ca-cert-file', kind: 'string', default: '' },
  { name: 'tls-ca-cert-dir', kind: 'string', default: '' },
  { name: 'tls-auth-clients', kind: 'enum', default: 'yes', values: ['no', 'yes', 'optional'] },
  { name: 'tls-replication', kind: 'bool', default: false },
  { name: 'tls-cluster', kind: 'bool', default: false },
  { name: 'tls-protocols', kind: 'string', default: '' },
  { name: 'tls-ciphers', kind: 'string', default: '' },
  { name: 'tls-ciphersuites', kind: 'string', default: '' },
  { name: 'tls-prefer-server-ciphers', kind: 'bool', default: false },
  { name: 'tls-session-caching', kind: 'bool', default: true },
  { name: 'tls-session-cache-size', kind: 'int', default: 20480, min: 0, max: INT_MAX },
  { name: 'tls-session-cache-timeout', kind: 'int', default: 300, min: 0, max: INT_MAX },
  // ACL (server/acl): the users file of ACL LOAD / ACL SAVE, and how many ACL LOG entries are kept.
  { name: 'aclfile', kind: 'string', default: '', immutable: true },
  { name: 'acllog-max-len', kind: 'int', default: 128, min: 0, ...LLONG_MAX },
  { name: 'acl-pubsub-default', kind: 'enum', default: 'resetchannels', values: ['allchannels', 'resetchannels'] },
  { name: 'proto-max-bulk-len', kind: 'memory', default: 512 * 1024 * 1024, min: 1024 * 1024, ...LLONG_MAX },
  { name: 'client-query-buffer-limit', kind: 'memory', default: GB, min: 1024 * 1024, ...LLONG_MAX },
  { name: 'maxclients', kind: 'int', default: 10000, min: 1, max: 4294967295 },
  { name: 'timeout', kind: 'int', default: 0, min: 0, max: INT_MAX },
  { name: 'hz', kind: 'int', default: 10, min: 1, max: 500, clamp: true },
  { name: 'slowlog-log-slower-than', kind: 'int', default: 10000, min: -1, ...LLONG_MAX },
  { name: 'slowlog-max-len', kind: 'int', default: 128, min: 0, ...LLONG_MAX },
  { name: 'hll-sparse-max-bytes', kind: 'memory', default: 3000, ...LLONG_MAX },
  // corral's only departure from Redis's defaults: a normal client's pending replies are capped
  // (Redis leaves them unlimited), so a client that never reads cannot exhaust the node's memory.
  { name: 'client-output-buffer-limit', kind: 'string', default: 'normal 268435456 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60', merge: mergeOutputLimits },
  { name: 'save', kind: 'string', default: '' },
  // Accepted and reported (tools and Redis's suite set them), but corral writes no AOF.
  { name: 'appendonly', kind: 'bool', default: false },
  { name: 'aof-use-rdb-preamble', kind: 'bool', default: true },
  { name: 'appendfsync', kind: 'enum', default: 'everysec', values: ['always', 'everysec', 'no'] },
  { name: 'daemonize', kind: 'bool', default: false, immutable: true },
  { name: 'protected-mode', kind: 'bool', default: true },
  { name: 'tcp-keepalive', kind: 'int', default: 300, min: 0, max: INT_MAX },
  { name: 'loglevel', kind: 'enum', default: 'notice', values: ['debug', 'verbose', 'notice', 'warning'] },
  { name: 'logfile', kind: 'string', default: '', immutable: true },
  { name: 'dir', kind: 'string', default: '', immutable: true },
  { name: 'dbfilename', kind: 'string', default: 'dump.rdb' },
  { name: 'cluster-enabled', kind: 'bool', default: false, immutable: true },
  // The address this node gives in MOVED, CLUSTER SLOTS and its node id (default: bind address).
  { name: 'cluster-announce-ip', kind: 'string', default: '', immutable: true },
  // A static topology for nodes started one by one: "host:port[*weight] ...", one shard each.
  { name: 'cluster-nodes', kind: 'string', default: '', immutable: true },
  // Replication (docs/replication.md), with Redis's names and defaults.
  { name: 'replicaof', kind: 'string', default: '' },
  { name: 'repl-backlog-size', kind: 'memory', default: 1024 * 1024, min: 1, ...LLONG_MAX },
  { name: 'repl-timeout', kind: 'int', default: 60, min: 1, max: INT_MAX },
  { name: 'repl-ping-replica-period', kind: 'int', default: 10, min: 1, max: INT_MAX },
  { name: 'replica-read-only', kind: 'bool', default: true },
  { name: 'replica-serve-stale-data', kind: 'bool', default: true },
  // Writes are refused (NOREPLICAS) while fewer than min-replicas-to-write replicas are online
  // with an acknowledgement at most min-replicas-max-lag seconds old; 0 in either: no check.
  { name: 'min-replicas-to-write', alias: 'min-slaves-to-write', kind: 'int', default: 0, min: 0, max: 2147483647 },
  { name: 'min-replicas-max-lag', alias: 'min-slaves-max-lag', kind: 'int', default: 10, min: 0, max: 2147483647 },
  // The control plane (docs/replication.md): `local:host:port` (corral up's coordinator) or an
  // etcd URL list, and the cluster's name there; empty for a node without one.
  { name: 'coordinator', kind: 'string', default: '', immutable: true },
  { name: 'cluster-name', kind: 'string', default: 'corral', immutable: true },
  // How many primaries the control plane waits for before it writes the first topology.
  { name: 'cluster-shards', kind: 'int', default: 3, min: 1, max: 16384, immutable: true },
  // The write lease a primary holds from the controller (ms), and the controller's own lease
  // from the coordinator (ms; etcd rounds it up to whole seconds).
  { name: 'cluster-lease-ms', kind: 'int', default: 2000, min: 100, max: 60000, immutable: true },
  // Slot moves (docs/resharding.md): bytes per second this node sends when it copies slots to
  // another primary (0: no limit). The resharding controller sets it from the plan's rate.
  { name: 'migration-rate', kind: 'memory', default: 0, min: 0, ...LLONG_MAX },
  { name: 'controller-lease-ms', kind: 'int', default: 5000, min: 1000, max: 600000, immutable: true },
  // Encoding thresholds and limits Redis's own test suite sets (with Redis's names, aliases,
  // defaults and ranges). Accepted and reported; corral's structures keep their own thresholds
  // (docs/compatibility.md), so OBJECT ENCODING does not follow a changed value.
  { name: 'hash-max-listpack-entries', alias: 'hash-max-ziplist-entries', kind: 'int', default: 512, min: 0, ...LLONG_MAX },
  { name: 'hash-max-listpack-value', alias: 'hash-max-ziplist-value', kind: 'memory', default: 64, ...LLONG_MAX },
  { name: 'list-max-listpack-size', alias: 'list-max-ziplist-size', kind: 'int', default: -2, min: -2147483648, max: INT_MAX },
  { name: 'list-compress-depth', kind: 'int', default: 0, min: 0, max: INT_MAX },
  { name: 'set-max-intset-entries', kind: 'int', default: 512, min: 0, ...LLONG_MAX },
  { name: 'zset-max-listpack-entries', alias: 'zset-max-ziplist-entries', kind: 'int', default: 128, min: 0, ...LLONG_MAX },
  { name: 'zset-max-listpack-value', alias: 'zset-max-ziplist-value', kind: 'memory', default: 64, ...LLONG_MAX },
  { name: 'stream-node-max-bytes', kind: 'memory', default: 4096, min: 0, ...LLONG_MAX },
  { name: 'stream-node-max-entries', kind: 'int', default: 100, min: 0, ...LLONG_MAX },
  { name: 'busy-reply-threshold', alias: 'lua-time-limit', kind: 'int', default: 5000, min: 0, ...LLONG_MAX },
  // corral's: the most memory the Lua VM may hold (scripts, their data); a script past it fails
  // with "not enough memory" and the node is unaffected. 0: no limit.
  { name: 'lua-memory-limit', kind: 'memory', default: 128 * 1024 * 1024, min: 0, ...LLONG_MAX },
  { name: 'latency-monitor-threshold', kind: 'int', default: 0, min: 0, ...LLONG_MAX },
  // Per-command latency histograms (INFO latencystats, LATENCY HISTOGRAM: server/latency-histogram.ts)
  // and the percentiles INFO shows, held as given and shown as Redis prints them ("50 99 99.9").
  { name: 'latency-tracking', kind: 'bool', default: true },
  { name: 'latency-tracking-info-percentiles', kind: 'string', default: '50 99 99.9', merge: checkPercentiles, format: (v) => parsePercentiles(v).map(trimmedDouble).join(' ') },
  // CLIENT TRACKING's table of remembered keys: past this many, keys are dropped (and their
  // trackers told, as if the keys changed) until it fits again. 0: no limit.
  { name: 'tracking-table-max-keys', kind: 'int', default: 1000000, min: 0, ...LLONG_MAX },
  // Whether DEBUG runs (server/commands/debug.ts): never, always, or from a local connection only
  // (127.0.0.1 or ::1). Set at startup only, as Redis's (its test suite starts servers with yes).
  { name: 'enable-debug-command', kind: 'enum', default: 'no', values: ['no', 'yes', 'local'], immutable: true },
  // Keyspace notifications (server/keyspace-notify.ts): held as set (validated), shown in Redis's
  // canonical form, which can lose a class ("An" reads back as "A", as in Redis).
  { name: 'notify-keyspace-events', kind: 'string', default: '', merge: checkKeyspaceEvents, format: (v) => keyspaceEventsFlagsToString(keyspaceEventsStringToFlags(v)) },
];

export const PARAM_BY_NAME = new Map(PARAMS.flatMap((p): Array<[string, ParamDef]> => (p.alias === undefined ? [[p.name, p]] : [[p.name, p], [p.alias, p]])));

export class ConfigError extends Error {}

const OUTPUT_CLASSES = ['normal', 'slave', 'pubsub'] as const;

/**
 * client-output-buffer-limit, as Redis 7.0 sets it: `<class> <hard> <soft> <soft-seconds>`
 * groups (class normal, replica or slave, pubsub; sizes with units) replace those classes'
 * limits and leave the others; the value reads back as all three classes, in bytes.
 */
function mergeOutputLimits(current: string, raw: string): string {
  const words = raw.trim() === '' ? [] : raw.trim().split(/\s+/);
  if (words.length % 4 !== 0) throw new ConfigError('Wrong number of arguments in buffer limit configuration.');
  const limits = new Map<string, number[]>();
  const now = current.split(' ');
  for (let i = 0; i + 3 < now.length; i += 4) limits.set(now[i], [Number(now[i + 1]), Number(now[i + 2]), Number(now[i + 3])]);
  const updates: Array<[string, number[]]> = [];
  for (let i = 0; i < words.length; i += 4) {
    const name = words[i].toLowerCase();
    const cls = name === 'replica' ? 'slave' : name;
    if (!(OUTPUT_CLASSES as readonly string[]).includes(cls)) throw new ConfigError('Invalid client class specified in buffer limit configuration.');
    const nums = words.slice(i + 1, i + 4).map((w) => parseMemory(w));
    if (nums.some((n) => n === undefined || n < 0)) throw new ConfigError('Error in hard, soft or soft_seconds setting in buffer limit configuration.');
    updates.push([cls, nums as number[]]);
  }
  for (const [cls, nums] of updates) limits.set(cls, nums);
  return OUTPUT_CLASSES.map((cls) => `${cls} ${(limits.get(cls) ?? [0, 0, 0]).join(' ')}`).join(' ');
}

/** notify-keyspace-events: Redis's class characters (kept as given: see its ParamDef). */
function checkKeyspaceEvents(_current: string, raw: string): string {
  if (keyspaceEventsStringToFlags(raw) < 0) throw new ConfigError(ERR_EVENT_CLASS);
  return raw;
}

/** latency-tracking-info-percentiles: numbers in [0, 100] (Redis's configerr texts otherwise). */
function checkPercentiles(_current: string, raw: string): string {
  try {
    parsePercentiles(raw);
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
  return raw;
}

/** Redis memtoull: "100mb" = 100 * 1024^2, "100m" = 100 * 1000^2; plain numbers are bytes. */
export function parseMemory(text: string): number | undefined {
  const m = /^(-?\d+)(b|k|kb|m|mb|g|gb)?$/i.exec(text.trim());
  if (m === null) return undefined;
  const n = Number(m[1]);
  const unit = (m[2] ?? 'b').toLowerCase();
  const mul: Record<string, number> = { b: 1, k: 1000, kb: 1024, m: 1e6, mb: 1024 ** 2, g: 1e9, gb: GB };
  const v = n * mul[unit];
  return Number.isSafeInteger(v) ? v : undefined;
}

export function parseParam(def: ParamDef, raw: string): ConfigValue {
  switch (def.kind) {
    case 'int': {
      if (!/^-?\d+$/.test(raw)) throw new ConfigError(`argument couldn't be parsed into an integer`);
      return checkRange(def, Number(raw));
    }
    case 'memory': {
      const n = parseMemory(raw);
      if (n === undefined || n < 0) throw new ConfigError(`argument must be a memory value`);
      return checkRange(def, n);
    }
    case 'bool': {
      const v = raw.toLowerCase();
      if (v === 'yes') return true;
      if (v === 'no') return false;
      throw new ConfigError(`argument must be 'yes' or 'no'`);
    }
    case 'enum': {
      const v = raw.toLowerCase();
      if (!def.values!.includes(v)) throw new ConfigError(`argument(s) must be one of the following: ${def.values!.join(', ')}`);
      return v;
    }
    default:
      return raw;
  }
}

function checkRange(def: ParamDef, n: number): number {
  const min = def.min ?? 0;
  const max = def.max ?? Number.MAX_SAFE_INTEGER;
  if (n >= min && n <= max) return n;
  if (def.clamp) return n < min ? min : max;
  throw new ConfigError(`argument must be between ${min} and ${def.maxLabel ?? max} inclusive`);
}

export function formatParam(def: ParamDef, v: ConfigValue): string {
  if (def.kind === 'bool') return v ? 'yes' : 'no';
  if (def.format !== undefined) return def.format(v as string);
  return String(v);
}

/** The live configuration of one node. */
export class Config {
  private readonly values = new Map<string, ConfigValue>();
  /** Called after a parameter changes (CONFIG SET), to apply it to the running node. */
  onChange: ((name: string, value: ConfigValue) => void) | null = null;
  /** A config file's `user` lines (ACL users declared in place of an aclfile), rules only. */
  readonly userLines: string[] = [];

  constructor(overrides: Record<string, string> = {}) {
    for (const p of PARAMS) this.values.set(p.name, p.default);
    for (const [k, v] of Object.entries(overrides)) {
      if (k === USER_DIRECTIVE) this.userLines.push(...v.split('\n'));
      else this.setFromText(k, v, true);
    }
  }

  get(name: string): ConfigValue {
    const v = this.values.get(name);
    if (v === undefined) throw new Error(`unknown config ${name}`);
    return v;
  }

  int(name: string): number {
    return this.get(name) as number;
  }

  str(name: string): string {
    return this.get(name) as string;
  }

  /** The value `raw` would give a parameter (validation before CONFIG SET applies anything); throws ConfigError. */
  parse(def: ParamDef, raw: string): ConfigValue {
    return def.merge !== undefined ? def.merge(this.values.get(def.name) as string, raw) : parseParam(def, raw);
  }

  /** Sets a parameter from text; `startup` allows immutable parameters. */
  setFromText(name: string, raw: string, startup = false): void {
    const def = PARAM_BY_NAME.get(name.toLowerCase());
    if (def === undefined) throw new ConfigError(`Unknown option or number of arguments for CONFIG SET - '${name}'`);
    if (def.immutable && !startup) throw new ConfigError(`can't set immutable config`);
    const value = this.parse(def, raw);
    this.values.set(def.name, value);
    if (!startup && this.onChange !== null) this.onChange(def.name, value);
  }

  /** CONFIG GET: [name, value] pairs for every parameter matching any pattern. */
  match(patterns: string[]): Array<[string, string]> {
    const out: Array<[string, string]> = [];
    for (const p of PARAMS) {
      for (const name of p.alias === undefined ? [p.name] : [p.name, p.alias]) {
        if (patterns.some((pat) => globMatch(pat.toLowerCase(), name))) out.push([name, formatParam(p, this.values.get(p.name)!)]);
      }
    }
    return out;
  }
}

/** A config file's ACL user declaration (`user <name> <rules>...`), which may repeat. */
export const USER_DIRECTIVE = 'user';

/**
 * Parses a Redis-style config file: `name value...` lines, `#` comments, quoted values.
 * Returns name -> raw value (last one wins), and `user` -> every `user` line (newline-separated,
 * for Config.userLines). Throws ConfigError with the line number on a bad line.
 */
export function parseConfigFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '' || line.startsWith('#')) continue;
    const words = splitConfigLine(line);
    if (words === null) throw new ConfigError(`line ${i + 1}: unbalanced quotes`);
    const name = words[0].toLowerCase();
    if (name === USER_DIRECTIVE && words.length >= 2) {
      const decl = words.slice(1).join(' ');
      out[USER_DIRECTIVE] = out[USER_DIRECTIVE] === undefined ? decl : `${out[USER_DIRECTIVE]}\n${decl}`;
      continue;
    }
    if (!PARAM_BY_NAME.has(name)) throw new ConfigError(`line ${i + 1}: Bad directive or wrong number of arguments: ${words[0]}`);
    out[name] = words.slice(1).join(' ');
  }
  return out;
}

function splitConfigLine(line: string): string[] | null {
  const words: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|(\S+)/g;
  let m: RegExpExecArray | null;
  let consumed = 0;
  while ((m = re.exec(line)) !== null) {
    if (line.slice(consumed, m.index).trim() !== '') return null;
    words.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2] !== undefined ? m[2] : m[3]);
    consumed = m.index + m[0].length;
  }
  if (/["']/.test(line.slice(consumed))) return null;
  return words;
}
