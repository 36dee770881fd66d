// What a node is made from: its options (NodeOptions), and what its constructor derives from
// them and from its configuration: its logger, its store, the commands it answers and the
// context they run in, its latency monitor, the address it announces to other nodes and clients, its run id, and a static
// topology given by the cluster-nodes parameter. Also the node's logging at Redis's log levels.

import { parseClusterNodes, type ShardPlan } from '../cluster/plan.js';
import { keySlotOf } from '../cluster/slot.js';
import { CommandContext } from '../commands/context.js';
import { dataCommands } from '../commands/index.js';
import type { CommandDef, CommandTable } from '../commands/table.js';
import type { Dialer } from '../control/agent.js';
import type { ReplyWriter } from '../protocol/reply-writer.js';
import { Store } from '../store/store.js';
import { reachableHost } from '../util/address.js';
import type { CachedClock, Clock } from '../util/clock.js';
import { lineLogger, pinoLevel, silentLogger, type Logger } from '../util/log.js';
import { serverCommands } from './commands/index.js';
import { ConfigError, type Config } from './config.js';
import { LATENCY_PARAMS, LatencyMonitor } from './latency-monitor.js';
import type { LogLevel } from './server-core.js';

export interface NodeOptions {
  /** Parameters by Redis name, as text (from the command line or a config file). */
  config?: Record<string, string>;
  clock?: Clock;
  /** Extra commands (server-level ones are registered by the caller: see server/commands). */
  commands?: CommandDef[];
  /** Where the node's events go (docs/operations.md#logs); its level follows loglevel. */
  logger?: Logger;
  /** Without a logger: each record as a text line (`event message key=value ...`); else none. */
  log?: (line: string) => void;
  /**
   * Rewrites the addresses the node connects to, for the control plane and for replication
   * (tests route them through a fault-injecting proxy).
   */
  dial?: Dialer;
  /**
   * false: no Lua VM (EVAL, FCALL and FUNCTION answer that scripting is not available). For the
   * warm-up's scratch nodes (cli/warm-up.ts): a VM is ~17 MB of wasm memory, not all of which a
   * closed node gives back.
   */
  scripting?: boolean;
}

/** The node's logger: the given one, else text lines to options.log, else none; at loglevel's level. */
export function nodeLogger(options: NodeOptions, config: Config): Logger {
  const logger = options.logger ?? (options.log !== undefined ? lineLogger(options.log) : silentLogger());
  logger.level = pinoLevel(config.str('loglevel'));
  return logger;
}

/** A line at a Redis log level: debug and verbose lines only at loglevel verbose or debug (notice: always). */
export function logAtLevel(logger: Logger, level: LogLevel, line: string): void {
  if (level === 'warning') logger.warn(line);
  else if (level === 'notice') logger.info(line);
  else if (level === 'verbose') logger.verbose(line);
  else logger.debug(line);
}

/** The node's databases; in cluster mode each counts its keys per hash slot. */
export function nodeStore(config: Config, clock: CachedClock, clustered: boolean): Store {
  return new Store({ databases: config.int('databases'), clock, slotOf: clustered ? keySlotOf : undefined });
}

/** The commands a node answers: corral's data and server commands, then the options' own. */
export function registerCommands(table: CommandTable, extra: CommandDef[] | undefined): void {
  table.register(dataCommands);
  table.register(serverCommands);
  if (extra !== undefined) table.register(extra);
}

/** The context every command runs in: the node's store and reply writer, the node as its owner. */
export function commandContextFor(store: Store, writer: ReplyWriter, owner: unknown): CommandContext {
  const ctx = new CommandContext(store);
  ctx.w = writer;
  ctx.owner = owner;
  return ctx;
}

/** The latency monitor (its clock: the node's, in seconds), set as the latency-* parameters say. */
export function latencyMonitorFor(config: Config, clock: CachedClock): LatencyMonitor {
  const latency = new LatencyMonitor(() => Math.floor(clock.now() / 1000));
  for (const name of LATENCY_PARAMS) latency.configure(name, config.get(name));
  return latency;
}

/** A static topology from the cluster-nodes parameter (null: none), applied once listening. */
export function staticShardsOf(config: Config, clustered: boolean): ShardPlan[] | null {
  const clusterNodes = config.str('cluster-nodes');
  if (clusterNodes === '') return null;
  if (!clustered) throw new ConfigError('cluster-nodes needs cluster-enabled yes');
  try {
    return parseClusterNodes(clusterNodes);
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
}

/** The address other nodes and clients reach this node at: cluster-announce-ip, else the bind address. */
export function announceHost(config: Config): string {
  const announced = config.str('cluster-announce-ip');
  if (announced !== '') return announced;
  return reachableHost(config.str('bind').split(' ')[0]);
}

export function randomHex(n: number): string {
  let s = '';
  while (s.length < n) s += Math.random().toString(16).slice(2);
  return s.slice(0, n);
}
