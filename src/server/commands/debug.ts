// DEBUG, as Redis 7.0.15's debug.c replies to it, for the subcommands Redis's own test suite and
// clients' tests use: PROTOCOL, SLEEP, SET-ACTIVE-EXPIRE, PAUSE-CRON, OBJECT, DIGEST,
// DIGEST-VALUE, RELOAD, LOADAOF, POPULATE, ERROR, LOG, HELP and the switches corral accepts and
// ignores (QUICKLIST-PACKED-THRESHOLD, REPLYBUFFER, ...). The dataset work (digests, DEBUG
// OBJECT's line, the reload round trip) is in debug-data.ts.
//
// Refused, with Redis's error, unless enable-debug-command is yes (or local, from 127.0.0.1 or
// ::1). Redis checks that before authentication and MULTI's queueing; here the handler checks
// it, so a refused DEBUG inside MULTI fails in EXEC's reply instead of aborting the transaction.
// A script's DEBUG is not checked (Redis checks only commands clients send).
//
// Not here: the crash subcommands (SEGFAULT, PANIC, ASSERT, OOM, RESTART, CRASH-AND-RECOVER),
// the allocator's (MALLCTL, MALLCTL-STR, SDSLEN), hash table statistics (HTSTATS, HTSTATS-KEY),
// CONFIG-REWRITE-FORCE-ALL, CLIENT-EVICTION and CLUSTERLINK: they get the unknown subcommand
// error. LOADAOF reloads as RELOAD does: corral keeps no append-only file.

import type { CommandContext } from '../../commands/context.js';
import { CMD_ADMIN, CMD_LOADING, CMD_NOSCRIPT, CMD_STALE, type CommandDef } from '../../commands/table.js';
import { ERR_NOT_INTEGER, ERR_NO_SUCH_KEY } from '../../commands/errors.js';
import { newReplicationId } from '../../cluster/replication/source.js';
import { encodingOf } from './introspection.js';
import { datasetDigest, loadDataset, objectLine, rawId, saveDataset, valueDigest } from './debug-data.js';
import { clientOf, serverOf } from './util.js';

const ERR_NOT_ALLOWED =
  'ERR DEBUG command not allowed. If the enable-debug-command option is set to "local", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.';

const HELP = [
  'DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'AOF-FLUSH-SLEEP <microsec>',
  '    Server will sleep before flushing the AOF, this is used for testing.',
  'ASSERT',
  '    Crash by assertion failed.',
  'CHANGE-REPL-ID',
  '    Change the replication IDs of the instance.',
  '    Dangerous: should be used only for testing the replication subsystem.',
  'CONFIG-REWRITE-FORCE-ALL',
  '    Like CONFIG REWRITE but writes all configuration options, including',
  '    keywords not listed in original configuration file or default values.',
  'CRASH-AND-RECOVER [<milliseconds>]',
  '    Hard crash and restart after a <milliseconds> delay (default 0).',
  'DIGEST',
  '    Output a hex signature representing the current DB content.',
  'DIGEST-VALUE <key> [<key> ...]',
  '    Output a hex signature of the values of all the specified keys.',
  'ERROR <string>',
  '    Return a Redis protocol error with <string> as message. Useful for clients',
  '    unit tests to simulate Redis errors.',
  'LEAK <string>',
  '    Create a memory leak of the input string.',
  'LOG <message>',
  '    Write <message> to the server log.',
  'HTSTATS <dbid>',
  '    Return hash table statistics of the specified Redis database.',
  'HTSTATS-KEY <key>',
  '    Like HTSTATS but for the hash table stored at <key>\'s value.',
  'LOADAOF',
  '    Flush the AOF buffers on disk and reload the AOF in memory.',
  'REPLICATE <string>',
  '    Replicates the provided string to replicas, allowing data divergence.',
  'MALLCTL <key> [<val>]',
  '    Get or set a malloc tuning integer.',
  'MALLCTL-STR <key> [<val>]',
  '    Get or set a malloc tuning string.',
  'OBJECT <key>',
  '    Show low level info about `key` and associated value.',
  'DROP-CLUSTER-PACKET-FILTER <packet-type>',
  '    Drop all packets that match the filtered type. Set to -1 allow all packets.',
  'OOM',
  '    Crash the server simulating an out-of-memory error.',
  'PANIC',
  '    Crash the server simulating a panic.',
  'POPULATE <count> [<prefix>] [<size>]',
  '    Create <count> string keys named key:<num>. If <prefix> is specified then',
  '    it is used instead of the \'key\' prefix. These are not propagated to',
  '    replicas. Cluster slots are not respected so keys not belonging to the',
  '    current node can be created in cluster mode.',
  'PROTOCOL <type>',
  '    Reply with a test value of the specified type. <type> can be: string,',
  '    integer, double, bignum, null, array, set, map, attrib, push, verbatim,',
  '    true, false.',
  'RELOAD [option ...]',
  '    Save the RDB on disk and reload it back to memory. Valid <option> values:',
  '    * MERGE: conflicting keys will be loaded from RDB.',
  '    * NOFLUSH: the existing database will not be removed before load, but',
  '      conflicting keys will generate an exception and kill the server.',
  '    * NOSAVE: the database will be loaded from an existing RDB file.',
  '    Examples:',
  '    * DEBUG RELOAD: verify that the server is able to persist, flush and reload',
  '      the database.',
  '    * DEBUG RELOAD NOSAVE: replace the current database with the contents of an',
  '      existing RDB file.',
  '    * DEBUG RELOAD NOSAVE NOFLUSH MERGE: add the contents of an existing RDB',
  '      file to the database.',
  'RESTART [<milliseconds>]',
  '    Graceful restart: save config, db, restart after a <milliseconds> delay (default 0).',
  'SDSLEN <key>',
  '    Show low level SDS string info representing `key` and value.',
  'SEGFAULT',
  '    Crash the server with sigsegv.',
  'SET-ACTIVE-EXPIRE <0|1>',
  '    Setting it to 0 disables expiring keys in background when they are not',
  '    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the',
  '    default.',
  'QUICKLIST-PACKED-THRESHOLD <size>',
  '    Sets the threshold for elements to be inserted as plain vs packed nodes',
  '    Default value is 1GB, allows values up to 4GB. Setting to 0 restores to default.',
  'SET-SKIP-CHECKSUM-VALIDATION <0|1>',
  '    Enables or disables checksum checks for RDB files and RESTORE\'s payload.',
  'SLEEP <seconds>',
  '    Stop the server for <seconds>. Decimals allowed.',
  'STRINGMATCH-TEST',
  '    Run a fuzz tester against the stringmatchlen() function.',
  'STRUCTSIZE',
  '    Return the size of different Redis core C structures.',
  'LISTPACK <key>',
  '    Show low level info about the listpack encoding of <key>.',
  'QUICKLIST <key> [<0|1>]',
  '    Show low level info about the quicklist encoding of <key>.',
  '    The optional argument (0 by default) sets the level of detail',
  'CLIENT-EVICTION',
  '    Show low level client eviction pools info (maxmemory-clients).',
  'PAUSE-CRON <0|1>',
  '    Stop periodic cron job processing.',
  'REPLYBUFFER PEAK-RESET-TIME <NEVER||RESET|time>',
  '    Sets the time (in milliseconds) to wait between client reply buffer peak resets.',
  '    In case NEVER is provided the last observed peak will never be reset',
  '    In case RESET is provided the peak reset time will be restored to the default value',
  'REPLYBUFFER RESIZING <0|1>',
  '    Enable or disable the reply buffer resize cron job',
  'CLUSTERLINK KILL <to|from|all> <node-id>',
  '    Kills the link based on the direction to/from (both) with the provided node.',
  'HELP',
  '    Prints this help.',
];

/** enable-debug-command (Redis's allowProtectedAction): yes, or local and a loopback peer. */
function allowed(c: CommandContext): boolean {
  if (c.client.inScript === true) return true;
  const setting = serverOf(c).config.str('enable-debug-command');
  if (setting === 'yes') return true;
  if (setting !== 'local') return false;
  const peer = clientOf(c).socket?.remoteAddress ?? '';
  return peer === '127.0.0.1' || peer === '::1' || peer === '::ffff:127.0.0.1';
}

/** C's atoi: the leading integer of the text, 0 without one. */
function atoi(s: string): number {
  const n = parseInt(s, 10);
  return Number.isNaN(n) ? 0 : n;
}

/** C's strtod over a whole argument as DEBUG SLEEP reads it: the leading number, 0 without one. */
function strtod(s: string): number {
  const m = /^\s*[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?/i.exec(s);
  return m === null ? 0 : Number(m[0]);
}

/** Redis's memtoull: digits then an optional unit (b, k, kb, m, mb, g, gb); undefined if invalid. */
function memtoull(s: string): number | undefined {
  const m = /^(\d*)(b|k|kb|m|mb|g|gb)?$/i.exec(s);
  if (m === null) return undefined;
  const mul: Record<string, number> = { b: 1, k: 1000, kb: 1024, m: 1e6, mb: 1024 ** 2, g: 1e9, gb: 1024 ** 3 };
  return Number(m[1] === '' ? 0 : m[1]) * mul[(m[2] ?? 'b').toLowerCase()];
}

const SLEEPER = new Int32Array(new SharedArrayBuffer(4));

/**
 * DEBUG SLEEP: blocks the whole node, event loop included, as Redis's nanosleep does: nothing
 * else runs meanwhile (timers, other clients), and the command's own time (slowlog,
 * commandstats) includes the sleep. Atomics.wait on a word nobody notifies is a plain sleep.
 */
function sleep(c: CommandContext): void {
  const micros = Math.trunc(strtod(c.str(2)) * 1e6);
  if (Number.isFinite(micros) && micros > 0) Atomics.wait(SLEEPER, 0, 0, micros / 1000);
  c.w.ok();
}

const ATTRIB_HEADER = Buffer.from('|1\r\n');

function protocol(c: CommandContext): void {
  const w = c.w;
  const name = c.lower(2);
  switch (name) {
    case 'string':
      w.bulk('Hello World');
      return;
    case 'integer':
      w.integer(12345);
      return;
    case 'double':
      w.double('3.141');
      return;
    case 'bignum':
      w.bigNumber('1234567999999999999999999999999999999');
      return;
    case 'null':
      w.nil();
      return;
    case 'array':
    case 'set':
      if (name === 'array') w.array(3);
      else w.set(3);
      for (let j = 0; j < 3; j++) w.integer(j);
      return;
    case 'map':
      w.map(3);
      for (let j = 0; j < 3; j++) {
        w.integer(j);
        w.bool(j === 1);
      }
      return;
    case 'attrib':
      if (w.resp === 3) {
        w.raw(ATTRIB_HEADER);
        w.bulk('key-popularity');
        w.array(2);
        w.bulk('key:123');
        w.integer(90);
      }
      // An attribute is not a reply: a well formed one is followed by a normal reply.
      w.bulk('Some real reply following the attribute');
      return;
    case 'push':
      if (w.resp !== 3) {
        w.error('ERR RESP2 is not supported by this command');
        return;
      }
      w.push(2);
      w.bulk('server-cpu-usage');
      w.integer(42);
      // A push is not the reply either: one follows, for clients that drop pushes.
      w.bulk('Some real reply following the push reply');
      return;
    case 'true':
    case 'false':
      w.bool(name === 'true');
      return;
    case 'verbatim':
      w.verbatim('This is a verbatim\nstring');
      return;
    default:
      w.error('ERR Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false');
  }
}

/** RELOAD [MERGE|NOFLUSH|NOSAVE ...] and LOADAOF (which takes no options: it flushes, saves and loads). */
function reload(c: CommandContext, aof: boolean): void {
  let flush = true;
  let save = true;
  let merge = false;
  for (let j = 2; !aof && j < c.argc; j++) {
    if (c.is(j, 'merge')) merge = true;
    else if (c.is(j, 'noflush')) flush = false;
    else if (c.is(j, 'nosave')) save = false;
    else {
      c.w.error('ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.');
      return;
    }
  }
  const node = serverOf(c);
  if (save) saveDataset(node);
  // Emptying the dataset is a flush for clients that track keys (one invalidation for all):
  // dispatch.call sends it after the command, as for FLUSHALL.
  if (flush && node.tracking.active) node.tracking.flushing = true;
  if (!loadDataset(node, flush, merge)) {
    c.w.error('ERR Error trying to load the RDB dump');
    return;
  }
  node.logAt('warning', aof ? 'Append Only File loaded by DEBUG LOADAOF' : 'DB reloaded by DEBUG RELOAD');
  c.w.ok();
}

function object(c: CommandContext): void {
  const key = c.str(2);
  const id = rawId(c.db, key);
  if (id < 0) c.w.error(ERR_NO_SUCH_KEY);
  else c.w.simple(objectLine(serverOf(c), c.client.db, c.db, key, id));
}

/** LISTPACK and QUICKLIST: Redis prints the structure on its stdout; corral has none to print. */
function structure(c: CommandContext, encoding: 'listpack' | 'quicklist'): void {
  const e = c.db.peek(c.str(2));
  if (e === undefined) c.w.error(ERR_NO_SUCH_KEY);
  else if (encodingOf(e, c.db) !== encoding) c.w.error(`ERR Not a ${encoding} encoded object.`);
  else c.w.simple(encoding === 'listpack' ? 'Listpack structure printed on stdout' : 'Quicklist structure printed on stdout');
}

/** POPULATE count [prefix] [size]: string keys prefix:N holding value:N (padded with zero bytes to size). */
function populate(c: CommandContext): void {
  const count = c.int(2);
  const size = c.argc === 5 ? c.int(4) : 0;
  // getPositiveLongFromObjectOrReply: one message for a negative number and for no number.
  for (const n of [count, size]) if (n === undefined || n < 0) return c.w.error('ERR value is out of range, must be positive');
  const prefix = c.argc >= 4 ? c.str(3) : 'key';
  const db = c.db;
  for (let j = 0; j < count!; j++) {
    const key = `${prefix}:${j}`.slice(0, 127);
    if (db.lookupWrite(key) !== undefined) continue;
    const text = `value:${j}`;
    db.setString(key, size === 0 ? text : text.slice(0, size!).padEnd(size!, '\0'), 0);
  }
  c.w.ok();
}

function replyBuffer(c: CommandContext): void {
  if (c.is(2, 'peak-reset-time')) {
    if (!c.is(3, 'never') && !c.is(3, 'reset') && c.int(3) === undefined) return c.w.error(ERR_NOT_INTEGER);
  } else if (!c.is(2, 'resizing')) {
    return syntaxError(c);
  }
  c.w.ok();
}

function changeReplId(c: CommandContext): void {
  const node = serverOf(c);
  node.logAt('warning', 'Changing replication IDs after receiving DEBUG change-repl-id');
  const source = node.replication.source;
  if (source !== null) {
    source.replid = newReplicationId();
    source.replid2 = '0000000000000000000000000000000000000000';
    source.secondReplOffset = -1;
  }
  c.w.ok();
}

function syntaxError(c: CommandContext): void {
  c.w.error(`ERR unknown subcommand or wrong number of arguments for '${c.str(1).slice(0, 128)}'. Try DEBUG HELP.`);
}

function debugCommand(c: CommandContext): void {
  if (!allowed(c)) {
    c.w.error(ERR_NOT_ALLOWED);
    return;
  }
  const w = c.w;
  const node = serverOf(c);
  const argc = c.argc;
  const sub = c.lower(1);
  switch (argc === 2 ? `${sub}/2` : argc === 3 ? `${sub}/3` : sub) {
    case 'help/2':
      w.array(HELP.length);
      for (const line of HELP) w.simple(line);
      return;
    case 'log/3':
      node.logAt('warning', `DEBUG LOG: ${c.str(2)}`);
      return w.ok();
    case 'leak/3':
    case 'set-skip-checksum-validation/3':
    case 'aof-flush-sleep/3':
      return w.ok();
    case 'drop-cluster-packet-filter/3':
      if (c.int(2) === undefined) return w.error(ERR_NOT_INTEGER);
      return w.ok();
    case 'object/3':
      return object(c);
    case 'listpack/3':
      return structure(c, 'listpack');
    case 'digest/2':
      return w.simple(datasetDigest(node.store.dbs));
    case 'protocol/3':
      return protocol(c);
    case 'sleep/3':
      return sleep(c);
    case 'set-active-expire/3':
      node.activeExpireEnabled = atoi(c.str(2)) !== 0;
      return w.ok();
    case 'pause-cron/3':
      node.cronPaused = atoi(c.str(2)) !== 0;
      return w.ok();
    case 'set-disable-deny-scripts/3':
      node.scriptDenyDisabled = atoi(c.str(2)) !== 0;
      return w.ok();
    case 'quicklist-packed-threshold/3': {
      // corral's lists keep no plain nodes: the threshold is checked and not used.
      const sz = memtoull(c.str(2));
      if (sz === undefined || sz > 2 ** 32 - 2 ** 20) return w.error('ERR argument must be a memory value bigger than 1 and smaller than 4gb');
      return w.ok();
    }
    case 'error/3':
      return w.error(c.str(2));
    case 'structsize/2':
      return w.bulk('bits:64 robj:16 dictentry:24 sdshdr5:1 sdshdr8:3 sdshdr16:5 sdshdr32:9 sdshdr64:17 ');
    case 'change-repl-id/2':
      return changeReplId(c);
    case 'stringmatch-test/2':
      return w.simple('Apparently Redis did not crash: test passed');
  }
  if (sub === 'reload' || sub === 'loadaof') return reload(c, sub === 'loadaof');
  if (sub === 'digest-value') {
    w.array(argc - 2);
    for (let j = 2; j < argc; j++) w.simple(valueDigest(c.db, c.str(j)));
    return;
  }
  if (sub === 'quicklist' && (argc === 3 || argc === 4)) return structure(c, 'quicklist');
  if (sub === 'populate' && argc >= 3 && argc <= 5) return populate(c);
  if (sub === 'replicate' && argc >= 3) return w.ok();
  if (sub === 'replybuffer' && argc === 4) return replyBuffer(c);
  syntaxError(c);
}

export const debugCommands: CommandDef[] = [{ name: 'debug', arity: -2, flags: CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE, handler: debugCommand }];
