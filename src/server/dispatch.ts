// Runs one parsed command for a client, with Redis 7's checks in Redis's order: QUIT, command
// lookup (unknown command, unknown subcommand, arity), authentication, commands refused inside
// MULTI, the ACL (server/acl: skipped for an unrestricted user), the memory limit, then either
// queueing (inside MULTI) or the call itself, timed for INFO commandstats, the slowlog and the
// latency histograms and monitor.

import type { CommandArgs } from '../protocol/request-parser.js';
import {
  CMD_DENYOOM,
  CMD_FAST,
  CMD_LOADING,
  CMD_READONLY,
  CMD_WRITE,
  CMD_MAY_REPLICATE,
  CMD_SKIP_SLOWLOG,
  CMD_NO_AUTH,
  CMD_NO_MULTI,
  CMD_TX_CONTROL,
  CMD_PUBSUB,
  CMD_STALE,
  CommandTable,
  type Command,
} from '../commands/table.js';
import { ERR_MASTERDOWN, ERR_NOAUTH, ERR_OOM, errWrongArity } from '../commands/errors.js';
import { performance } from 'node:perf_hooks';
import { latin1 } from '../util/bytes.js';
import { REPLY_ON, type Client } from './client.js';
import type { CommandContext } from '../commands/context.js';
import type { ServerApi } from './server-api.js';
import type { Tracking } from './tracking.js';
import type { AclLogContext } from './acl/acl-log.js';
import { deniedError } from './acl/check.js';
import { checkAndLog } from './acl/enforce.js';
import { aclFor } from './acl/registry.js';
import { redactedArgs } from './acl/redact.js';
import { clientInfoLine } from './info.js';
import { recordLatency } from './latency-histogram.js';

/** What the dispatcher needs of its node beyond ServerApi (CorralNode implements it). */
export interface DispatchHost extends ServerApi {
  /** The one context every command runs in. */
  readonly ctx: CommandContext;
  readonly slowlogThreshold: number;
  /** min-replicas-to-write (0: no check of the replicas before a write). */
  readonly minReplicasToWrite: number;
  /** Replicates a write given as a command's words. */
  propagateWords(db: number, words: string[]): void;
}

/** What a RESP2 client with subscriptions may run (Redis 7.0's processCommand). */
const SUBSCRIBER_COMMANDS = new Set(['ping', 'subscribe', 'ssubscribe', 'unsubscribe', 'sunsubscribe', 'psubscribe', 'punsubscribe', 'quit', 'reset']);

/** Redis 7.0's allow_busy commands: what runs while a script is busy. */
const ALLOW_BUSY = new Set(['reset', 'replconf', 'hello', 'script|kill', 'function|kill', 'function|stats', 'quit', 'watch', 'auth', 'unwatch', 'discard', 'shutdown', 'multi']);

export function dispatch(node: DispatchHost, client: Client, args: CommandArgs): void {
  if (isQuit(args)) {
    node.writer.ok();
    client.closeAfterReply = true;
    return;
  }
  const top = node.table.lookupTop(args);
  if (top === undefined) {
    reject(node, client, unknownCommand(args));
    return;
  }
  const cmd = CommandTable.resolve(top, args);
  if (cmd === null) {
    reject(node, client, `ERR unknown subcommand '${excerpt(latin1(args.buf, args.start[1], args.end[1]))}'. Try ${top.name.toUpperCase()} HELP.`);
    return;
  }
  const argc = args.argc;
  if ((cmd.arity > 0 && cmd.arity !== argc) || argc < -cmd.arity) {
    reject(node, client, errWrongArity(cmd.fullName), cmd);
    return;
  }
  if (!client.authenticated && (cmd.flags & CMD_NO_AUTH) === 0) {
    reject(node, client, ERR_NOAUTH, cmd);
    return;
  }
  if (client.multi !== null && (cmd.flags & CMD_NO_MULTI) !== 0) {
    reject(node, client, 'ERR Command not allowed inside a transaction', cmd);
    return;
  }
  // ACL (server/acl): skipped with one test for a user allowed every command, key and channel.
  if (!client.user.unrestricted) {
    const denial = aclDenial(node, node.ctx, client, cmd, args, client.multi !== null ? 'multi' : 'toplevel');
    if (denial !== 0) {
      reject(node, client, deniedError(denial, cmd.fullName), cmd);
      return;
    }
  }
  if (node.cluster !== null && !routedHere(node, client, cmd, args)) return;
  const isWrite = (cmd.flags & CMD_WRITE) !== 0 || (cmd.name === 'exec' && client.multi !== null && (client.multiFlags & CMD_WRITE) !== 0);
  // A primary whose write lease lapsed (or that a manual failover paused) takes no writes: it
  // may no longer be the primary (docs/replication.md). Clients refresh and retry.
  if (isWrite && node.writeFence !== 0 && node.lastTick >= node.writeFence && node.replication.role === 'master') {
    reject(node, client, 'CLUSTERDOWN The cluster is down', cmd);
    return;
  }
  if (isWrite && node.minReplicasToWrite !== 0) {
    const refusal = node.replication.writeQuorumRefusal();
    if (refusal !== null) {
      reject(node, client, refusal, cmd);
      return;
    }
  }
  const store = node.store;
  if (store.maxmemory !== 0) {
    const fits = node.latency.thresholdMicros === 0 ? store.evictIfNeeded() : evictTimed(node);
    const addsMemory =
      (cmd.flags & CMD_DENYOOM) !== 0 || (cmd.name === 'exec' && client.multi !== null && (client.multiFlags & CMD_DENYOOM) !== 0);
    if (!fits && addsMemory) {
      reject(node, client, ERR_OOM, cmd);
      return;
    }
  }
  const replica = node.replication.role === 'slave';
  if (replica && isWrite && node.config.get('replica-read-only') === true) {
    reject(node, client, "READONLY You can't write against a read only replica.", cmd);
    return;
  }
  if (client.subs !== null && client.inSubscriberContext && (cmd.parent !== null || !SUBSCRIBER_COMMANDS.has(cmd.name))) {
    reject(node, client, `ERR Can't execute '${cmd.fullName}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`, cmd);
    return;
  }
  if (replica) {
    // A replica whose link is down serves only commands flagged stale (INFO, REPLICAOF...) when
    // replica-serve-stale-data is no; an EXEC, only if every queued command is one of them.
    if (
      node.replication.stale &&
      node.config.get('replica-serve-stale-data') === false &&
      ((cmd.flags & CMD_STALE) === 0 || (cmd.name === 'exec' && client.multi !== null && (client.multiInvFlags & CMD_STALE) !== 0))
    ) {
      reject(node, client, ERR_MASTERDOWN, cmd);
      return;
    }
    if (node.replication.loading && (cmd.flags & CMD_LOADING) === 0) {
      reject(node, client, 'LOADING Redis is loading the dataset in memory', cmd);
      return;
    }
  }
  // A script past busy-reply-threshold yields to the event loop; until it ends, only these run.
  const scripting = node.scripting;
  if (scripting !== null && scripting.busy && !ALLOW_BUSY.has(cmd.fullName)) {
    reject(node, client, scripting.busyError, cmd);
    return;
  }
  if (client.multi !== null && (cmd.flags & CMD_TX_CONTROL) === 0) {
    queueInTransaction(node, client, cmd, args);
    return;
  }
  call(node, client, cmd, args);
}

/**
 * evictIfNeeded with the latency monitor on: a pass that evicted keys is an "eviction-cycle"
 * event (Redis times performEvictions the same way) when it took the threshold or longer.
 */
function evictTimed(node: DispatchHost): boolean {
  const store = node.store;
  const evictedBefore = store.stats.evictedKeys;
  const started = performance.now();
  const fits = store.evictIfNeeded();
  if (store.stats.evictedKeys !== evictedBefore) node.latency.addSampleIfNeeded('eviction-cycle', Math.floor(performance.now() - started));
  return fits;
}

const ERR_MULTI_TOO_BIG = 'ERR Transaction discarded: its queued commands passed client-query-buffer-limit';

/**
 * Redis's queueMultiCommand. As Redis 7.0, a transaction already bound to fail (a refused
 * command, a touched WATCHed key) queues nothing more: a client pipelining without reading its
 * replies would only pile up memory. Unlike Redis, the queue is bounded: its memory (arguments,
 * offsets and a record per command, client.ts QueuedArgs) counts against
 * client-query-buffer-limit, as a request still arriving does; a command that would pass it
 * discards the queue and is refused, and the transaction fails with EXECABORT at EXEC.
 */
function queueInTransaction(node: DispatchHost, client: Client, cmd: Command, args: CommandArgs): void {
  if (client.multiDirty || client.watchDirty) {
    node.writer.simple('QUEUED');
    return;
  }
  if (!client.queueCommand(cmd, args)) {
    client.multi = [];
    client.multiArgs = null;
    reject(node, client, ERR_MULTI_TOO_BIG, cmd);
    return;
  }
  client.multiFlags |= cmd.flags;
  client.multiInvFlags |= ~cmd.flags;
  node.writer.simple('QUEUED');
}

/**
 * Runs a command (also used by EXEC for each queued command). Its duration, for commandstats, the
 * slowlog and the latency histograms and monitor, is measured from the previous clock reading in
 * this batch (`node.lastTick` when the call starts), so each command costs one clock read, not
 * two; the few microseconds of parsing before it count as its time, as Redis's own timing
 * includes some overhead. Commands a call runs itself (EXEC's, a script's) move lastTick on, but
 * the call's own duration still counts from its start, so it includes theirs, as in Redis.
 */
export function call(node: DispatchHost, client: Client, cmd: Command, args: CommandArgs): void {
  const startTick = node.lastTick;
  const ctx = node.ctx;
  ctx.args = args;
  ctx.client = client;
  ctx.db = node.store.dbs[client.db];
  ctx.name = cmd.fullName;
  const w = node.writer;
  const replyAt = w.pendingBytes;
  const stream = node.replStream;
  // A primary that never had a replica has no stream, but a slot it exports still needs its
  // writes (the importer would miss every write made during the copy).
  const migration = node.migration !== null && node.migration.exporting ? node.migration : null;
  const dirtyBefore = stream !== null || migration !== null ? node.store.dirty : 0;
  const tracking = node.tracking.active ? node.tracking : null;
  if (tracking !== null) beforeTracked(tracking, client, cmd, args);
  cmd.handler(ctx);
  if (tracking !== null) afterTracked(tracking, client, cmd, args);
  // A handler may ask for its call to be replicated as other words (ctx.replicateAs): a blocking
  // pop as the plain pop, EXPIRE as PEXPIREAT with the absolute time.
  const instead = ctx.replicateAs;
  if (instead !== null) ctx.replicateAs = null;
  const asState = ctx.replicateState;
  if (asState) ctx.replicateState = false;
  if ((stream !== null || migration !== null) && (cmd.flags & (CMD_WRITE | CMD_MAY_REPLICATE)) !== 0 && (node.store.dirty !== dirtyBefore || node.forcePropagation)) {
    node.forcePropagation = false;
    if (stream !== null && instead !== null) {
      const also = ctx.replicateAlso;
      if (also.length === 0) node.propagateWords(client.db, instead);
      else {
        stream.beginTransaction();
        node.propagateWords(client.db, instead);
        for (const words of also) node.propagateWords(client.db, words);
        stream.endTransaction();
      }
    } else if (stream !== null) {
      stream.propagate(cmd, args, client.db, asState || (cmd.stateFromArgc !== 0 && args.argc >= cmd.stateFromArgc));
    }
    // A slot being exported forwards the state of the keys the command touched, however it replicates.
    if (migration !== null) migration.written(cmd, args);
  }
  if (instead !== null && ctx.replicateAlso.length !== 0) ctx.replicateAlso.length = 0;
  if (w.pendingBytes > replyAt && w.byteAt(replyAt) === 45 /* '-' */) {
    cmd.failedCalls++;
    if (node.stats.errorCounted) node.stats.errorCounted = false;
    else node.stats.countError(w.slabView, w.slabIndex(replyAt), w.slabIndex(w.pendingBytes));
  }
  const now = performance.now();
  const micros = (now - startTick) * 1000;
  node.lastTick = now;
  cmd.calls++;
  cmd.usec += micros;
  // INFO latencystats / LATENCY HISTOGRAM, and the latency monitor's command events (Redis's
  // "fast-command" for commands flagged fast), from the same clock reading.
  const latency = node.latency;
  if (latency.tracking) recordLatency(cmd, micros);
  if (latency.thresholdMicros !== 0 && micros >= latency.thresholdMicros) {
    latency.addSample((cmd.flags & CMD_FAST) !== 0 ? 'fast-command' : 'command', Math.floor(micros / 1000));
  }
  node.stats.commandsProcessed++;
  client.lastCommand = cmd.fullName;
  const threshold = node.slowlogThreshold;
  if (threshold >= 0 && micros >= threshold && (cmd.flags & CMD_SKIP_SLOWLOG) === 0) node.slowlog.add(redactedArgs(cmd.fullName, args), micros, client);
  // Between two commands nothing holds an offset into the replies, except a script reading its
  // redis.call's reply and a CLIENT REPLY OFF/SKIP client's dispatch keeping only its pushes:
  // elsewhere large output is set aside (reply-writer.ts spill) rather than grown in one piece.
  if (!client.inScript && client.replyMode === REPLY_ON) w.spill();
}

/**
 * Checks a restricted client's call against its user's ACL and logs a denial (with `client`'s
 * CLIENT LIST line, the denied command as its current one). Returns 0 (ACL_OK) or the denial.
 */
export function aclDenial(node: ServerApi, ctx: CommandContext, client: Client, cmd: Command, args: CommandArgs, context: AclLogContext): number {
  const info = (): string => {
    ctx.args = args;
    ctx.client = client;
    ctx.name = cmd.fullName;
    return clientInfoLine(node, client, client, ctx).slice(0, -1);
  };
  const verdict = checkAndLog(aclFor(node), client.user, cmd, args, context, info, Date.now());
  return verdict === null ? 0 : verdict.result;
}

/** Commands that run a script: what they read is what the script's commands read (see afterTracked). */
const SCRIPT_COMMANDS = new Set(['eval', 'evalsha', 'eval_ro', 'evalsha_ro', 'fcall', 'fcall_ro']);

/** A command runs while some client tracks keys (server/tracking.ts); a flush is not a key change. */
function beforeTracked(tracking: Tracking, client: Client, cmd: Command, args: CommandArgs): void {
  tracking.beforeCommand(client);
  if (cmd.name === 'flushdb' || cmd.name === 'flushall') tracking.flushing = true;
  // A script's reads are remembered as its declared keys (below): kept until its commands run.
  if (client.tracking !== null && !client.tracking.bcast && SCRIPT_COMMANDS.has(cmd.name)) tracking.scriptKeys = keysOf(cmd, args);
}

const trackedKeyPos: number[] = [];

function keysOf(cmd: Command, args: CommandArgs): string[] {
  const n = cmd.keyPositions(args.argc, trackedKeyPos, args);
  const keys: string[] = [];
  for (let i = 0; i < n; i++) keys.push(latin1(args.buf, args.start[trackedKeyPos[i]], args.end[trackedKeyPos[i]]));
  return keys;
}

/**
 * After a command, for tracking: a read by a tracking client remembers its keys. As Redis 7.0's
 * call(): a script command itself remembers nothing, but each read-only command the script runs
 * remembers, for the client that called the script, the keys that script declared (not the
 * keys the command names).
 */
function afterTracked(tracking: Tracking, client: Client, cmd: Command, args: CommandArgs): void {
  if (tracking.flushing) {
    tracking.flushing = false;
    tracking.flushed();
  }
  const readOnly = (cmd.flags & CMD_READONLY) !== 0 && (cmd.flags & CMD_PUBSUB) === 0 && !SCRIPT_COMMANDS.has(cmd.name);
  if (client.inScript) {
    const caller = tracking.current;
    if (readOnly && caller !== null && tracking.scriptKeys !== null) tracking.remember(caller, tracking.scriptKeys);
  }
  const st = client.tracking;
  const keys = st !== null && readOnly && !st.bcast ? keysOf(cmd, args) : null;
  tracking.afterCommand(client, readOnly, cmd.parent !== null && cmd.parent.name === 'client', keys);
  if (tracking.current === null) tracking.scriptKeys = null;
}

/**
 * Cluster mode: whether this node serves the command; if not, replies the redirect or error as
 * Redis does (a refused EXEC discards its transaction; any other command inside MULTI dooms it).
 */
function routedHere(node: DispatchHost, client: Client, cmd: Command, args: CommandArgs): boolean {
  const cluster = node.cluster!;
  const inExec = cmd.name === 'exec' && cmd.parent === null;
  // READONLY: a replica serves reads of its shard's slots (for EXEC, if every queued command reads).
  // Shard channel commands (SSUBSCRIBE, SPUBLISH) are served by the shard's replicas as well, as Redis.
  const readOk = inExec
    ? client.readonlyMode && (client.multiFlags & CMD_WRITE) === 0
    : (client.readonlyMode && (cmd.flags & CMD_READONLY) !== 0) || (cmd.flags & CMD_PUBSUB) !== 0;
  const error = inExec ? (client.multi === null ? null : cluster.routeTransaction(client.multi, readOk)) : cluster.route(cmd, args, readOk);
  if (error === null) return true;
  const paused = cluster.pausedHit;
  if (paused >= 0) {
    cluster.pausedHit = -1;
    // A write to a slot in its switch: the command goes back to the client's parser and runs
    // again when the pause ends (clients other than ioredis do not retry TRYAGAIN).
    if (args === client.parser && node.migration !== null) {
      client.parser.unread();
      node.migration.hold(client, paused);
      return false;
    }
  }
  node.stats.rejectedCalls++;
  cmd.rejectedCalls++;
  countRejection(node, error);
  if (inExec) {
    client.resetTransaction();
    node.watches.unwatchAll(client);
  } else if (client.multi !== null) {
    client.multiDirty = true;
  }
  node.writer.error(error);
  return false;
}

/**
 * Refuses a command before it runs. Inside MULTI this dooms the transaction; a refused EXEC
 * (even outside MULTI, as Redis does) discards it and says why in an EXECABORT error.
 */
function reject(node: DispatchHost, client: Client, message: string, cmd?: Command): void {
  node.stats.rejectedCalls++;
  countRejection(node, cmd !== undefined && cmd.name === 'exec' && cmd.parent === null ? 'EXECABORT Transaction discarded' : message);
  if (cmd !== undefined) cmd.rejectedCalls++;
  if (cmd !== undefined && cmd.name === 'exec' && cmd.parent === null) {
    client.resetTransaction();
    node.watches.unwatchAll(client);
    const reason = message.startsWith('ERR ') ? message.slice(4) : message;
    node.writer.error(`EXECABORT Transaction discarded because of: ${reason}`);
    return;
  }
  node.writer.error(message);
  if (client.multi !== null) client.multiDirty = true;
}

/** A refusal's error reply, counted in INFO errorstats (EXECABORT's own code, as Redis, is not). */
function countRejection(node: DispatchHost, message: string): void {
  const b = Buffer.from(`-${message}`, 'latin1');
  node.stats.countError(b, 0, b.length);
}

function isQuit(args: CommandArgs): boolean {
  const s = args.start[0];
  if (args.end[0] - s !== 4) return false;
  const b = args.buf;
  return (b[s] | 32) === 113 && (b[s + 1] | 32) === 117 && (b[s + 2] | 32) === 105 && (b[s + 3] | 32) === 116;
}

/** Redis prints these with %s: a C string, cut at the first NUL byte. */
function cString(s: string): string {
  const nul = s.indexOf('\0');
  return nul >= 0 ? s.slice(0, nul) : s;
}

function excerpt(s: string): string {
  s = cString(s);
  return s.length > 128 ? s.slice(0, 128) : s;
}

/** Redis's "unknown command" message, with the argument excerpt capped at about 128 bytes. */
function unknownCommand(args: CommandArgs): string {
  let list = '';
  for (let i = 1; i < args.argc && list.length < 128; i++) {
    const arg = cString(latin1(args.buf, args.start[i], args.end[i]));
    list += `'${arg.slice(0, 128 - list.length)}' `;
  }
  const name = excerpt(latin1(args.buf, args.start[0], args.end[0]));
  return `ERR unknown command '${name}', with args beginning with: ${list}`;
}
