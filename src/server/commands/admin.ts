// Server administration commands: INFO, CONFIG, TIME, MEMORY, SLOWLOG, SHUTDOWN, LASTSAVE,
// SAVE and BGSAVE, with Redis 7.0's replies and errors.

import type { CommandContext } from '../../commands/context.js';
import { CMD_ADMIN, CMD_FAST, CMD_LOADING, CMD_NO_MULTI, CMD_NOSCRIPT, CMD_READONLY, CMD_STALE, CMD_WRITE, type CommandDef } from '../../commands/table.js';
import { ERR_NOT_INTEGER, ERR_SYNTAX } from '../../commands/errors.js';
import { ConfigError, PARAM_BY_NAME, PARAMS, formatParam, type ConfigValue, type ParamDef } from '../config.js';
import { bytesToHuman, infoText, resetStats, selectSections } from '../info.js';
import { globMatch } from '../../util/glob.js';
import { writeHelp } from './connection.js';
import { clientOf, serverOf } from './util.js';

const A_NS_LS = CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE;
const LS = CMD_LOADING | CMD_STALE;

// ---- INFO ---------------------------------------------------------------------------------------

function infoCommand(c: CommandContext): void {
  const args: string[] = [];
  for (let i = 1; i < c.argc; i++) args.push(c.str(i));
  c.w.verbatim(infoText(serverOf(c), selectSections(args)));
}

// ---- CONFIG -------------------------------------------------------------------------------------

/**
 * CONFIG GET: a name without glob characters is looked up directly and echoed as the caller
 * spelled it (Redis does the same); a pattern matches names case-insensitively. Each parameter
 * is reported once. A map in RESP3.
 */
function configGetCommand(c: CommandContext): void {
  const node = serverOf(c);
  const seen = new Set<ParamDef>();
  const out: Array<[string, string]> = [];
  for (let i = 2; i < c.argc; i++) {
    const arg = c.str(i);
    if (!/[[*?]/.test(arg)) {
      const def = PARAM_BY_NAME.get(arg.toLowerCase());
      if (def !== undefined && !seen.has(def)) {
        seen.add(def);
        out.push([arg, formatParam(def, node.config.get(def.name))]);
      }
      continue;
    }
    for (const def of PARAMS) {
      if (seen.has(def)) continue;
      // A pattern may match a parameter by its name or its alias (Redis lists both keys).
      const names = def.alias === undefined ? [def.name] : [def.name, def.alias];
      const matched = names.filter((n) => globMatch(arg, n, true));
      if (matched.length === 0) continue;
      seen.add(def);
      for (const n of matched) out.push([n, formatParam(def, node.config.get(def.name))]);
    }
  }
  c.w.map(out.length);
  for (const [k, v] of out) {
    c.w.bulk(k);
    c.w.bulk(v);
  }
}

/**
 * CONFIG SET name value [name value ...]: all or nothing, as Redis 7.0. Every value is checked
 * before any is set; the error names the first offending argument in Redis's words.
 */
function configSetCommand(c: CommandContext): void {
  if ((c.argc & 1) === 1) {
    c.w.error(ERR_SYNTAX);
    return;
  }
  const defs: ParamDef[] = [];
  let unknown: string | null = null;
  let failedArg: string | null = null;
  let reason = '';
  for (let i = 2; i < c.argc; i += 2) {
    const name = c.str(i);
    const def = PARAM_BY_NAME.get(name.toLowerCase());
    if (def === undefined) {
      if (unknown === null && failedArg === null) unknown = name;
      continue;
    }
    if (unknown !== null || failedArg !== null) continue;
    if (def.immutable) {
      failedArg = name;
      reason = "can't set immutable config";
    } else if (defs.includes(def)) {
      failedArg = name;
      reason = 'duplicate parameter';
    }
    defs.push(def);
  }
  if (unknown !== null) {
    c.w.error(`ERR Unknown option or number of arguments for CONFIG SET - '${unknown}'`);
    return;
  }
  if (failedArg === null) {
    for (let k = 0; k < defs.length; k++) {
      try {
        serverOf(c).config.parse(defs[k], c.str(3 + 2 * k));
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        failedArg = defs[k].name;
        reason = err.message;
        break;
      }
    }
  }
  if (failedArg !== null) {
    c.w.error(`ERR CONFIG SET failed (possibly related to argument '${failedArg}') - ${reason}`);
    return;
  }
  const config = serverOf(c).config;
  const proposed = new Map<string, ConfigValue>();
  for (let k = 0; k < defs.length; k++) proposed.set(defs[k].name, config.parse(defs[k], c.str(3 + 2 * k)));
  const tlsError = serverOf(c).tlsChangeError(proposed);
  if (tlsError !== null) {
    serverOf(c).logAt('warning', `Failed to update TLS configuration: ${tlsError}`);
    const name = defs.find((d) => d.name.startsWith('tls-'))!.name;
    c.w.error(`ERR CONFIG SET failed (possibly related to argument '${name}') - Unable to update TLS configuration. Check server logs.`);
    return;
  }
  for (let k = 0; k < defs.length; k++) config.setFromText(defs[k].name, c.str(3 + 2 * k));
  c.w.ok();
}

function configResetstatCommand(c: CommandContext): void {
  resetStats(serverOf(c));
  c.w.ok();
}

/** The node does not know the file it was configured from (if any), so there is nothing to rewrite. */
function configRewriteCommand(c: CommandContext): void {
  c.w.error('ERR The server is running without a config file');
}

const CONFIG_HELP = [
  'CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'GET <pattern>',
  '    Return parameters matching the glob-like <pattern> and their values.',
  'SET <directive> <value>',
  '    Set the configuration <directive> to <value>.',
  'RESETSTAT',
  '    Reset statistics reported by the INFO command.',
  'REWRITE',
  '    Rewrite the configuration file.',
  'HELP',
  '    Prints this help.',
];

// ---- TIME, LASTSAVE, SAVE, BGSAVE, SHUTDOWN ------------------------------------------------------

function timeCommand(c: CommandContext): void {
  const ms = c.store.clock.now();
  c.w.array(2);
  c.w.bulk(String(Math.floor(ms / 1000)));
  c.w.bulk(String((ms % 1000) * 1000));
}

/** corral never saves: the last "save" is the node's start, as Redis reports before its first save. */
function lastsaveCommand(c: CommandContext): void {
  c.w.integer(Math.floor(serverOf(c).stats.startedAt / 1000));
}

/**
 * SAVE and BGSAVE: corral is a cache and keeps nothing on disk. Replying OK would tell the
 * caller its data is safe when it is not, so both are refused (after Redis's syntax checks).
 */
const ERR_NO_PERSISTENCE = 'ERR corral keeps no data on disk: SAVE and BGSAVE are not supported';

function saveCommand(c: CommandContext): void {
  c.w.error(ERR_NO_PERSISTENCE);
}

function bgsaveCommand(c: CommandContext): void {
  if (c.argc > 2 || (c.argc === 2 && !c.is(1, 'schedule'))) {
    c.w.error(ERR_SYNTAX);
    return;
  }
  c.w.error(ERR_NO_PERSISTENCE);
}

/**
 * SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] | ABORT. Closes the node without a reply to the caller
 * (as Redis, whose process exits). SAVE cannot be honoured without persistence: refused unless
 * FORCE. The close runs after this turn's replies are flushed.
 */
function shutdownCommand(c: CommandContext): void {
  let save = false;
  let nosave = false;
  let force = false;
  let abort = false;
  let other = false;
  for (let i = 1; i < c.argc; i++) {
    if (c.is(i, 'nosave')) nosave = true;
    else if (c.is(i, 'save')) save = true;
    else if (c.is(i, 'now')) other = true;
    else if (c.is(i, 'force')) force = true;
    else if (c.is(i, 'abort')) abort = true;
    else {
      c.w.error(ERR_SYNTAX);
      return;
    }
  }
  if ((abort && (save || nosave || force || other)) || (save && nosave)) {
    c.w.error(ERR_SYNTAX);
    return;
  }
  if (abort) {
    c.w.error('ERR No shutdown in progress.');
    return;
  }
  if (save && !force) {
    c.w.error('ERR Errors trying to SHUTDOWN. Check logs.');
    return;
  }
  const node = serverOf(c);
  clientOf(c).closeAfterReply = true;
  setImmediate(() => void node.close());
}

// ---- MEMORY -------------------------------------------------------------------------------------

function memoryUsageCommand(c: CommandContext): void {
  for (let j = 3; j < c.argc; j++) {
    if (c.is(j, 'samples') && j + 1 < c.argc) {
      const n = c.int(j + 1);
      if (n === undefined) {
        c.w.error(ERR_NOT_INTEGER);
        return;
      }
      if (n < 0) {
        c.w.error(ERR_SYNTAX);
        return;
      }
      j++;
    } else {
      c.w.error(ERR_SYNTAX);
      return;
    }
  }
  const e = c.db.peek(c.str(2));
  if (e === undefined) c.w.nil();
  else c.w.integer(e.bytes);
}

function memoryStatsCommand(c: CommandContext): void {
  const node = serverOf(c);
  const used = node.store.usedMemory;
  const rss = process.memoryUsage.rss();
  const keys = node.store.keyCount;
  const w = c.w;
  const dbs = node.store.dbs.filter((db) => db.size > 0);
  w.map(13 + dbs.length);
  w.bulk('peak.allocated');
  w.integer(used);
  w.bulk('total.allocated');
  w.integer(used);
  w.bulk('startup.allocated');
  w.integer(0);
  w.bulk('replication.backlog');
  w.integer(0);
  w.bulk('clients.slaves');
  w.integer(0);
  w.bulk('clients.normal');
  w.integer(0);
  w.bulk('aof.buffer');
  w.integer(0);
  w.bulk('overhead.total');
  w.integer(0);
  for (const db of dbs) {
    w.bulk(`db.${db.id}`);
    w.map(2);
    w.bulk('overhead.hashtable.main');
    w.integer(0);
    w.bulk('overhead.hashtable.expires');
    w.integer(0);
  }
  w.bulk('keys.count');
  w.integer(keys);
  w.bulk('keys.bytes-per-key');
  w.integer(keys === 0 ? 0 : Math.floor(used / keys));
  w.bulk('dataset.bytes');
  w.integer(used);
  w.bulk('dataset.percentage');
  w.double(used === 0 ? '0' : '100');
  w.bulk('fragmentation');
  w.double(String(used === 0 ? 0 : rss / used));
}

function memoryDoctorCommand(c: CommandContext): void {
  const text =
    serverOf(c).store.usedMemory < 5 * 1024 * 1024
      ? "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.\n"
      : `Hi Sam, I can't find any memory issue in your instance (${bytesToHuman(serverOf(c).store.usedMemory)} of data). I can only account for what occurs on this base.\n`;
  c.w.verbatim(text);
}

function memoryMallocStatsCommand(c: CommandContext): void {
  c.w.bulk('Stats not supported for the current allocator');
}

const MEMORY_HELP = [
  'MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'DOCTOR',
  '    Return memory problems reports.',
  'MALLOC-STATS',
  '    Return internal statistics report from the memory allocator.',
  'PURGE',
  '    Attempt to purge dirty pages for reclamation by the allocator.',
  'STATS',
  '    Return information about the memory usage of the server.',
  'USAGE <key> [SAMPLES <count>]',
  '    Return memory in bytes used by <key> and its value. Nested values are',
  '    sampled up to <count> times (default: 5, 0 means sample all).',
  'HELP',
  '    Prints this help.',
];

// ---- SLOWLOG ------------------------------------------------------------------------------------

function slowlogGetCommand(c: CommandContext): void {
  if (c.argc > 3) {
    c.w.error(`ERR unknown subcommand or wrong number of arguments for '${c.str(1)}'. Try SLOWLOG HELP.`);
    return;
  }
  const entries = serverOf(c).slowlog.entries;
  let count = 10;
  if (c.argc === 3) {
    const n = c.int(2);
    if (n === undefined || n < -1) {
      c.w.error('ERR count should be greater than or equal to -1');
      return;
    }
    count = n === -1 ? entries.length : n;
  }
  const n = Math.min(count, entries.length);
  const w = c.w;
  w.array(n);
  for (let i = 0; i < n; i++) {
    const e = entries[i];
    w.array(6);
    w.integer(e.id);
    w.integer(e.time);
    w.integer(e.micros);
    w.array(e.args.length);
    for (const a of e.args) w.bulk(a);
    w.bulk(e.peer);
    w.bulk(e.clientName);
  }
}

const SLOWLOG_HELP = [
  'SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'GET [<count>]',
  '    Return top <count> entries from the slowlog (default: 10, -1 mean all).',
  '    Entries are made of:',
  '    id, timestamp, time in microseconds, arguments array, client IP and port,',
  '    client name',
  'LEN',
  '    Return the length of the slowlog.',
  'RESET',
  '    Reset the slowlog.',
  'HELP',
  '    Prints this help.',
];

const KEY2 = { firstKey: 2, lastKey: 2, keyStep: 1 };

/**
 * SWAPDB a b: the two databases exchange their contents; clients stay on their numbers. As
 * Redis's: watchers of keys that change see their EXEC fail, and clients blocked on keys that
 * now hold data are served after the command.
 */
function swapdbCommand(c: CommandContext): void {
  const node = serverOf(c);
  if (node.cluster !== null) {
    c.w.error('ERR SWAPDB is not allowed in cluster mode');
    return;
  }
  const a = c.int(1);
  if (a === undefined || a < -2147483648 || a > 2147483647) {
    c.w.error('ERR invalid first DB index');
    return;
  }
  const b = c.int(2);
  if (b === undefined || b < -2147483648 || b > 2147483647) {
    c.w.error('ERR invalid second DB index');
    return;
  }
  const n = node.store.dbs.length;
  if (a < 0 || a >= n || b < 0 || b >= n) {
    c.w.error('ERR DB index is out of range');
    return;
  }
  if (a !== b) {
    node.watches.swapTouched(a, b);
    node.watches.swapTouched(b, a);
    node.store.swapDatabases(a, b);
    node.blocking.databasesSwapped(a, b);
  } else node.store.stats.dirty++;
  c.w.ok();
}

export const adminCommands: CommandDef[] = [
  { name: 'info', arity: -1, flags: LS, handler: infoCommand },
  { name: 'swapdb', arity: 3, flags: CMD_WRITE | CMD_FAST, handler: swapdbCommand },
  {
    name: 'config',
    arity: -2,
    flags: 0,
    subcommands: [
      { name: 'get', arity: -3, flags: A_NS_LS, handler: configGetCommand },
      { name: 'set', arity: -4, flags: A_NS_LS, handler: configSetCommand },
      { name: 'resetstat', arity: 2, flags: A_NS_LS, handler: configResetstatCommand },
      { name: 'rewrite', arity: 2, flags: A_NS_LS, handler: configRewriteCommand },
      { name: 'help', arity: 2, flags: LS, handler: (c) => writeHelp(c, CONFIG_HELP) },
    ],
  },
  { name: 'time', arity: 1, flags: LS | CMD_FAST, handler: timeCommand },
  { name: 'lastsave', arity: 1, flags: LS | CMD_FAST, handler: lastsaveCommand },
  { name: 'save', arity: 1, flags: CMD_ADMIN | CMD_NOSCRIPT | CMD_NO_MULTI, handler: saveCommand },
  { name: 'bgsave', arity: -1, flags: CMD_ADMIN | CMD_NOSCRIPT, handler: bgsaveCommand },
  { name: 'shutdown', arity: -1, flags: A_NS_LS | CMD_NO_MULTI, handler: shutdownCommand },
  {
    name: 'memory',
    arity: -2,
    flags: 0,
    subcommands: [
      { name: 'usage', arity: -3, flags: CMD_READONLY, ...KEY2, handler: memoryUsageCommand },
      { name: 'stats', arity: 2, flags: 0, handler: memoryStatsCommand },
      { name: 'doctor', arity: 2, flags: 0, handler: memoryDoctorCommand },
      { name: 'malloc-stats', arity: 2, flags: 0, handler: memoryMallocStatsCommand },
      { name: 'purge', arity: 2, flags: 0, handler: (c) => c.w.ok() },
      { name: 'help', arity: 2, flags: LS, handler: (c) => writeHelp(c, MEMORY_HELP) },
    ],
  },
  {
    name: 'slowlog',
    arity: -2,
    flags: 0,
    subcommands: [
      { name: 'get', arity: -2, flags: CMD_ADMIN | LS, handler: slowlogGetCommand },
      { name: 'len', arity: 2, flags: CMD_ADMIN | LS, handler: (c) => c.w.integer(serverOf(c).slowlog.entries.length) },
      {
        name: 'reset',
        arity: 2,
        flags: CMD_ADMIN | LS,
        handler: (c) => {
          serverOf(c).slowlog.reset();
          c.w.ok();
        },
      },
      { name: 'help', arity: 2, flags: LS, handler: (c) => writeHelp(c, SLOWLOG_HELP) },
    ],
  },
];
