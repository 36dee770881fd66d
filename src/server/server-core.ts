// What every part of the server shares of its node, as the ServerCore interface: the data and
// the command table, configuration and clock, running a command as a client, holding and
// closing clients, where writes are propagated, the counters and the log. The node's rooms
// (replication.ts, migration.ts, watch.ts) take this, or an extension of it, instead of the node
// class; command handlers see it through ServerApi (server-api.ts). CorralNode implements it.
//
// This file imports no room of the server that takes the node: the rooms import it, and
// server-api.ts imports them.

import type { Command, CommandTable } from '../commands/table.js';
import type { ReplicationSource } from '../cluster/replication/source.js';
import type { CommandArgs } from '../protocol/request-parser.js';
import type { ReplyWriter } from '../protocol/reply-writer.js';
import type { Store } from '../store/store.js';
import type { CachedClock } from '../util/clock.js';
import type { Client } from './client.js';
import type { ClusterState } from './cluster-state.js';
import type { Config } from './config.js';
import type { NodeStats } from './stats.js';
import type { Logger } from '../util/log.js';

/** Redis's log levels (loglevel): debug and verbose lines are logged only when asked for. */
export type LogLevel = 'warning' | 'notice' | 'verbose' | 'debug';

export interface ServerCore {
  // ---- data ----
  readonly store: Store;
  readonly table: CommandTable;
  readonly config: Config;
  /** The clock everything in the node reads: refreshed once per batch of commands. */
  readonly clock: CachedClock;
  /** This node's view of the cluster, or null when cluster-enabled is no. */
  readonly cluster: ClusterState | null;

  // ---- running commands ----
  /** The shared reply writer every command (and every deferred reply) writes into. */
  readonly writer: ReplyWriter;
  /** performance.now() at the end of the previous command in this batch (see dispatch.call). */
  lastTick: number;
  /** Runs a command as `client`, with dispatch.call's accounting and propagation (EXEC, a replication stream). */
  call(client: Client, cmd: Command, args: CommandArgs): void;

  // ---- clients ----
  readonly clients: ReadonlyMap<number, Client>;
  /** Stops running a client's commands (its reply comes later: see unblockClient). */
  blockClient(client: Client): void;
  /** Writes a blocked client's deferred reply, then runs what it sent meanwhile. */
  unblockClient(client: Client, reply: (client: Client) => void): void;
  closeClient(client: Client): void;
  /** Sends a client's replies so far at once (before raw bytes follow them). */
  writeNow(client: Client): void;
  /** Writes bytes of the node's own to a client; returns whether the kernel took all of them at once. */
  writeRaw(client: Client, buf: Buffer): boolean;

  // ---- propagation and key hooks ----
  /** Where writes are propagated: the replication source while this node is a primary with one. */
  replStream: ReplicationSource | null;
  /** Re-installs the store's key-removed hook (replicas, exported slots) after either changes. */
  rewireKeyRemoved(): void;
  /** Re-installs the store's key-modified hook after WATCH, tracking or blocking turn on or off. */
  refreshKeyHook(): void;

  // ---- counters and log ----
  readonly stats: NodeStats;
  /** Structured events (util/log.ts; docs/operations.md#logs): rare paths only. */
  readonly logger: Logger;
  logLine(line: string): void;
  logAt(level: LogLevel, line: string): void;
  logVerbose(line: string): void;
}
