// Introspection commands: COMMAND, which serves Redis 7.0's own COMMAND INFO and COMMAND DOCS
// metadata (src/commands/redis-meta.ts) for the commands in this node's table, and OBJECT.
// (CLIENT lives with the connection commands, as in Redis's command groups.)

import type { CommandContext } from '../../commands/context.js';
import { REDIS_COMMAND_META } from '../../commands/redis-meta.js';
import { keySpecsOf, keysBySpecs, listOf, mapGet } from '../../commands/key-specs.js';
import { CMD_LOADING, CMD_READONLY, CMD_STALE, flagNames, type Command, type CommandDef } from '../../commands/table.js';
import { ERR_SYNTAX } from '../../commands/errors.js';
import type { RespValue } from '../../protocol/resp-value.js';
import { TYPE_STRING, type CollectionValue, type Entry } from '../../store/entry.js';
import { META_RAW } from '../../store/key-table.js';
import type { Keyspace } from '../../store/keyspace.js';
import { globMatch } from '../../util/glob.js';
import type { ServerApi } from '../server-api.js';
import { CORRAL_VERSION } from '../info.js';
import { writeHelp } from './connection.js';
import { serverOf } from './util.js';

// ---- COMMAND ------------------------------------------------------------------------------------

type RespMap = { map: Array<[RespValue, RespValue]> };

function isMap(v: RespValue | undefined): v is RespMap {
  return v !== null && v !== undefined && typeof v === 'object' && !Array.isArray(v) && 'map' in v;
}


function simpleSet(names: string[]): RespValue {
  return { set: names.map((simple) => ({ simple })) };
}


/**
 * A container's subcommands by name. (Redis lists them in its hash table's order, which no
 * client relies on; the generated metadata is sorted the same way.)
 */
function sortedSubcommands(cmd: Command): Command[] {
  return [...cmd.subcommands!.values()].sort((a, b) => (a.fullName < b.fullName ? -1 : 1));
}

/** COMMAND INFO entry: Redis's own for commands it has, limited to the subcommands we have. */
export function commandInfo(cmd: Command): RespValue {
  const meta = metaInfo(cmd);
  const subs = cmd.subcommands === null ? null : sortedSubcommands(cmd).map(commandInfo);
  if (meta !== undefined) {
    const out = meta.slice();
    if (subs !== null) out[9] = subs;
    return out;
  }
  const keyStep = cmd.keyStep;
  return [cmd.fullName, cmd.arity, simpleSet(flagNames(cmd.flags)), cmd.firstKey, cmd.lastKey, keyStep, { set: [] }, { set: [] }, [], subs ?? { set: [] }];
}

function metaInfo(cmd: Command): RespValue[] | undefined {
  if (cmd.parent === null) {
    const info = REDIS_COMMAND_META[cmd.name]?.info;
    return Array.isArray(info) ? info : undefined;
  }
  for (const s of listOf(metaInfo(cmd.parent)?.[9])) if (Array.isArray(s) && s[0] === cmd.fullName) return s;
  return undefined;
}

function metaDocs(cmd: Command): RespValue | undefined {
  if (cmd.parent === null) return REDIS_COMMAND_META[cmd.name]?.docs;
  return mapGet(mapGet(metaDocs(cmd.parent), 'subcommands'), cmd.fullName);
}

/** COMMAND DOCS entry (the map after the name), limited to the subcommands we have. */
export function commandDocs(cmd: Command): RespValue {
  const meta = metaDocs(cmd);
  const base: Array<[RespValue, RespValue]> = isMap(meta)
    ? meta.map.filter(([k]) => k !== 'subcommands')
    : [
        ['summary', `corral command ${cmd.fullName}`],
        ['since', CORRAL_VERSION],
        ['group', 'generic'],
        ['complexity', 'O(1)'],
      ];
  if (cmd.subcommands !== null) {
    const subs = sortedSubcommands(cmd).map((s): [RespValue, RespValue] => [s.fullName, commandDocs(s)]);
    base.push(['subcommands', { map: subs }]);
  }
  return { map: base };
}

/** Looks a command up by its full name ("get", "client|kill"), as COMMAND INFO and DOCS do. */
function lookupFullName(node: ServerApi, name: string): Command | undefined {
  const parts = name.toLowerCase().split('|');
  if (parts.length > 2) return undefined;
  const top = node.table.get(parts[0]);
  if (top === undefined || parts.length === 1) return top;
  return top.subcommands?.get(parts[1]);
}

function allCommandsInfo(c: CommandContext): void {
  const node = serverOf(c);
  c.w.array(node.table.size);
  for (const cmd of node.table.all()) c.w.value(commandInfo(cmd));
}

function commandCountCommand(c: CommandContext): void {
  c.w.integer(serverOf(c).table.size);
}

function commandInfoCommand(c: CommandContext): void {
  if (c.argc === 2) {
    allCommandsInfo(c);
    return;
  }
  const node = serverOf(c);
  c.w.array(c.argc - 2);
  for (let i = 2; i < c.argc; i++) {
    const cmd = lookupFullName(node, c.str(i));
    if (cmd === undefined) c.w.nil();
    else c.w.value(commandInfo(cmd));
  }
}

function commandDocsCommand(c: CommandContext): void {
  const node = serverOf(c);
  const found: Command[] = [];
  if (c.argc === 2) found.push(...node.table.all());
  else {
    for (let i = 2; i < c.argc; i++) {
      const cmd = lookupFullName(node, c.str(i));
      if (cmd !== undefined) found.push(cmd);
    }
  }
  c.w.map(found.length);
  for (const cmd of found) {
    c.w.bulk(cmd.fullName);
    c.w.value(commandDocs(cmd));
  }
}

/** ACL categories of a command without the '@' ("read", "string"), from Redis's metadata. */
function commandCategories(cmd: Command): string[] {
  const cats = metaInfo(cmd)?.[6];
  if (cats === null || cats === undefined || typeof cats !== 'object' || !('set' in cats)) return [];
  return cats.set.map((v) => (v !== null && typeof v === 'object' && 'simple' in v ? v.simple.slice(1).toLowerCase() : ''));
}

function commandListCommand(c: CommandContext): void {
  let filter: 'module' | 'aclcat' | 'pattern' | null = null;
  let arg = '';
  for (let i = 2; i < c.argc; i++) {
    if (c.is(i, 'filterby') && c.argc - 1 - i === 2) {
      if (c.is(i + 1, 'module')) filter = 'module';
      else if (c.is(i + 1, 'aclcat')) filter = 'aclcat';
      else if (c.is(i + 1, 'pattern')) filter = 'pattern';
      else {
        c.w.error(ERR_SYNTAX);
        return;
      }
      arg = c.str(i + 2);
      i += 2;
    } else {
      c.w.error(ERR_SYNTAX);
      return;
    }
  }
  const names: string[] = [];
  const visit = (cmd: Command): void => {
    let ok = true;
    if (filter === 'module') ok = false;
    else if (filter === 'aclcat') ok = commandCategories(cmd).includes(arg.toLowerCase());
    else if (filter === 'pattern') ok = globMatch(arg, cmd.fullName, true);
    if (ok) names.push(cmd.fullName);
    if (cmd.subcommands !== null) for (const s of cmd.subcommands.values()) visit(s);
  };
  for (const cmd of serverOf(c).table.all()) visit(cmd);
  c.w.array(names.length);
  for (const n of names) c.w.bulk(n);
}

interface KeyRef {
  pos: number;
  flags: RespValue;
}

/**
 * The key positions in argv (argv[0] is the command name) by the command's key specs
 * (commands/key-specs.ts): null when a spec does not fit the arguments. Commands without Redis
 * metadata use the table's first/last/step. (For the few commands whose key flags depend on their
 * options, e.g. SET ... GET, Redis asks a per-command function; this reports the spec's.)
 */
function keysOf(cmd: Command, argv: string[]): KeyRef[] | null {
  const specs = keySpecsOf(cmd.fullName) ?? [];
  const argc = argv.length;
  if (specs.length === 0) {
    const out: KeyRef[] = [];
    const positions: number[] = [];
    const n = cmd.keyPositions(argc, positions);
    for (let i = 0; i < n; i++) out.push({ pos: positions[i], flags: { set: [] } });
    return out;
  }
  const keys = keysBySpecs(specs, argc, (i) => argv[i]);
  return keys === null ? null : keys.map((k) => ({ pos: k.pos, flags: k.spec.flags }));
}

function getkeys(c: CommandContext, withFlags: boolean): void {
  const argv: string[] = [];
  for (let i = 2; i < c.argc; i++) argv.push(c.str(i));
  const top = serverOf(c).table.get(argv[0]);
  let cmd: Command | undefined = top;
  if (top !== undefined && top.subcommands !== null && argv.length > 1) cmd = top.subcommands.get(argv[1].toLowerCase());
  if (cmd === undefined) {
    c.w.error('ERR Invalid command specified');
    return;
  }
  if (cmd.subcommands !== null || (cmd.firstKey <= 0 && listOf(metaInfo(cmd)?.[8]).length === 0)) {
    c.w.error('ERR The command has no key arguments');
    return;
  }
  if ((cmd.arity > 0 && cmd.arity !== argv.length) || argv.length < -cmd.arity) {
    c.w.error('ERR Invalid number of arguments specified for command');
    return;
  }
  const keys = keysOf(cmd, argv);
  if (keys === null) {
    c.w.error('ERR Invalid arguments specified for command');
    return;
  }
  c.w.array(keys.length);
  for (const k of keys) {
    if (withFlags) c.w.array(2);
    c.w.bulk(argv[k.pos]);
    if (withFlags) c.w.value(k.flags);
  }
}

const COMMAND_HELP = [
  'COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  '(no subcommand)',
  '    Return details about all Redis commands.',
  'COUNT',
  '    Return the total number of commands in this Redis server.',
  'LIST',
  '    Return a list of all commands in this Redis server.',
  'INFO [<command-name> ...]',
  '    Return details about multiple Redis commands.',
  '    If no command names are given, documentation details for all',
  '    commands are returned.',
  'DOCS [<command-name> ...]',
  '    Return documentation details about multiple Redis commands.',
  '    If no command names are given, documentation details for all',
  '    commands are returned.',
  'GETKEYS <full-command>',
  '    Return the keys from a full Redis command.',
  'GETKEYSANDFLAGS <full-command>',
  '    Return the keys and the access flags from a full Redis command.',
  'HELP',
  '    Prints this help.',
];

// ---- OBJECT -------------------------------------------------------------------------------------

const OBJ_SHARED_INTEGERS = 10000;
const OBJ_SHARED_REFCOUNT = 2147483647;

/** Redis's string2l: what tryObjectEncoding stores as an "int". */
function isIntEncodable(s: string): boolean {
  if (s.length === 0 || s.length > 20 || !/^(0|-?[1-9][0-9]*)$/.test(s)) return false;
  const n = BigInt(s);
  return n >= -(2n ** 63n) && n < 2n ** 63n;
}

/**
 * The encoding Redis would report for this value of db's (each collection tracks it as Redis
 * converts; a string by its bytes, unless a command left it raw or never int: key-table.ts).
 */
export function encodingOf(e: Entry, db: Keyspace): string {
  if (e.type === TYPE_STRING) {
    const form = db.stringForm(e.id);
    if ((form & META_RAW) !== 0) return 'raw';
    const s = e.value as string;
    if (form === 0 && isIntEncodable(s)) return 'int';
    return s.length <= 44 ? 'embstr' : 'raw';
  }
  return (e.value as CollectionValue).encoding();
}

function lfuPolicy(c: CommandContext): boolean {
  return c.store.evictionPolicy.endsWith('-lfu');
}

/** The key for OBJECT subcommands, without touching its access time; writes nil if missing. */
function objectLookup(c: CommandContext): Entry | undefined {
  const e = c.db.peek(c.str(2));
  if (e === undefined) c.w.nil();
  return e;
}

function objectEncodingCommand(c: CommandContext): void {
  const e = objectLookup(c);
  if (e !== undefined) c.w.bulk(encodingOf(e, c.db));
}

function objectFreqCommand(c: CommandContext): void {
  const e = objectLookup(c);
  if (e === undefined) return;
  // The LFU policies' decayed counter; allkeys-tinylfu (not a Redis policy) with maxmemory set,
  // its sketch's estimate, 0-15 (without a limit it tracks nothing and answers as Redis does for
  // a non-LFU policy).
  const freq = c.store.policy.frequencyOf(c.db, e.id);
  if (freq < 0) {
    c.w.error(
      'ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.',
    );
    return;
  }
  c.w.integer(freq);
}

function objectIdletimeCommand(c: CommandContext): void {
  const e = objectLookup(c);
  if (e === undefined) return;
  if (lfuPolicy(c)) {
    c.w.error(
      'ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.',
    );
    return;
  }
  c.w.integer(Math.max(0, Math.floor((c.store.clock.now() - e.lastAccess) / 1000)));
}

/** Redis shares the integers 0..9999 (refcount "infinite") unless an LRU/LFU policy is in force. */
function objectRefcountCommand(c: CommandContext): void {
  const e = objectLookup(c);
  if (e === undefined) return;
  const policy = c.store.evictionPolicy;
  const sharing = c.store.maxmemory === 0 || !(policy.endsWith('-lru') || policy.endsWith('-lfu'));
  const s = e.type === TYPE_STRING ? (e.value as string) : '';
  const shared = sharing && isIntEncodable(s) && Number(s) >= 0 && Number(s) < OBJ_SHARED_INTEGERS;
  c.w.integer(shared ? OBJ_SHARED_REFCOUNT : 1);
}

const OBJECT_HELP = [
  'OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'ENCODING <key>',
  '    Return the kind of internal representation used in order to store the value',
  '    associated with a <key>.',
  'FREQ <key>',
  '    Return the access frequency index of the <key>. The returned integer is',
  '    proportional to the logarithm of the recent access frequency of the key.',
  'IDLETIME <key>',
  '    Return the idle time of the <key>, that is the approximated number of',
  '    seconds elapsed since the last access to the key.',
  'REFCOUNT <key>',
  '    Return the number of references of the value associated with the specified',
  '    <key>.',
  'HELP',
  '    Prints this help.',
];

const LS = CMD_LOADING | CMD_STALE;
const KEY2 = { firstKey: 2, lastKey: 2, keyStep: 1 };

export const introspectionCommands: CommandDef[] = [
  {
    name: 'command',
    arity: -1,
    flags: LS,
    handler: allCommandsInfo,
    subcommands: [
      { name: 'count', arity: 2, flags: LS, handler: commandCountCommand },
      { name: 'docs', arity: -2, flags: LS, handler: commandDocsCommand },
      { name: 'getkeys', arity: -4, flags: LS, handler: (c) => getkeys(c, false) },
      { name: 'getkeysandflags', arity: -4, flags: LS, handler: (c) => getkeys(c, true) },
      { name: 'help', arity: 2, flags: LS, handler: (c) => writeHelp(c, COMMAND_HELP) },
      { name: 'info', arity: -2, flags: LS, handler: commandInfoCommand },
      { name: 'list', arity: -2, flags: LS, handler: commandListCommand },
    ],
  },
  {
    name: 'object',
    arity: -2,
    flags: 0,
    subcommands: [
      { name: 'encoding', arity: 3, flags: CMD_READONLY, ...KEY2, handler: objectEncodingCommand },
      { name: 'freq', arity: 3, flags: CMD_READONLY, ...KEY2, handler: objectFreqCommand },
      { name: 'idletime', arity: 3, flags: CMD_READONLY, ...KEY2, handler: objectIdletimeCommand },
      { name: 'refcount', arity: 3, flags: CMD_READONLY, ...KEY2, handler: objectRefcountCommand },
      { name: 'help', arity: 2, flags: LS, handler: (c) => writeHelp(c, OBJECT_HELP) },
    ],
  },
];
