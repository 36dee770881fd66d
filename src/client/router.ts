// Which argument of a command is its routing key, and the hash slot of a key argument.
//
// Well-known commands have a key spec (the Redis command table's first key position, or a rule
// for EVAL/XREAD-style commands); keyless commands (PING, INFO, ...) go to any node; a command
// not listed routes by its first argument, which is right for almost every data command.
// Multi-key commands that Redis requires to be in one slot (RENAME, SINTERSTORE, ...) route by
// their first key: the server answers CROSSSLOT if the keys disagree. The splittable ones
// (MGET, MSET, DEL, EXISTS, UNLINK, TOUCH) are split per slot by the client (cluster-client.ts).
//
// Which commands are read-only (eligible for replica reads) is not listed here: it is the
// `readonly` flag of the server's own command table (commands/), the same flag a replica checks
// before serving a READONLY connection, so the client never sends a replica what it would refuse.

import { keySlot } from '../cluster/slot.js';
import { dataCommands } from '../commands/index.js';
import { CMD_READONLY } from '../commands/table.js';
import type { Arg } from './command.js';

/** Routing rules: index of the key in the argument list (command name at 0), or a rule. */
const KEYLESS = 0;
const NUMKEYS_AT_2 = -1; // EVAL script numkeys key... / FCALL
const AFTER_STREAMS = -2; // XREAD ... STREAMS key...
const SECOND_ARG = 2;

const KEY_POSITION = new Map<string, number>();
for (const c of [
  'ping', 'echo', 'info', 'dbsize', 'flushall', 'flushdb', 'time', 'config', 'client', 'cluster',
  'command', 'hello', 'auth', 'select', 'quit', 'script', 'function', 'randomkey', 'keys', 'scan',
  'debug', 'lastsave', 'save', 'bgsave', 'bgrewriteaof', 'wait', 'publish', 'pubsub', 'slowlog',
  'latency', 'memory-stats', 'role', 'readonly', 'readwrite', 'asking', 'multi', 'exec', 'discard',
  'unwatch', 'reset', 'acl', 'monitor', 'swapdb', 'lolwut', 'failover', 'module',
]) {
  KEY_POSITION.set(c, KEYLESS);
}
for (const c of ['eval', 'evalsha', 'eval_ro', 'evalsha_ro', 'fcall', 'fcall_ro']) KEY_POSITION.set(c, NUMKEYS_AT_2);
for (const c of ['xread', 'xreadgroup']) KEY_POSITION.set(c, AFTER_STREAMS);
// OBJECT ENCODING key, MEMORY USAGE key, BITOP op dest key...
for (const c of ['object', 'memory', 'bitop', 'xgroup', 'xinfo']) KEY_POSITION.set(c, SECOND_ARG);

/** Commands the client splits per slot and merges: how their keys are laid out and merged. */
export const enum Split {
  None = 0,
  /** MGET: keys → one array, in order. */
  Values = 1,
  /** DEL / EXISTS / UNLINK / TOUCH: keys → sum of integers. */
  Sum = 2,
  /** MSET: key value pairs → 'OK'. */
  Pairs = 3,
}

const SPLIT = new Map<string, Split>([
  ['mget', Split.Values],
  ['del', Split.Sum],
  ['exists', Split.Sum],
  ['unlink', Split.Sum],
  ['touch', Split.Sum],
  ['mset', Split.Pairs],
]);

export function splitKind(lowerName: string): Split {
  return SPLIT.get(lowerName) ?? Split.None;
}

/** Index in args (name at 0) of the routing key, or -1 for a keyless command. */
export function keyIndex(lowerName: string, args: readonly Arg[]): number {
  const rule = KEY_POSITION.get(lowerName);
  if (rule === undefined) return args.length > 1 ? 1 : -1;
  if (rule === KEYLESS) return -1;
  if (rule === NUMKEYS_AT_2) return Number(args[2]) > 0 && args.length > 3 ? 3 : -1;
  if (rule === AFTER_STREAMS) {
    for (let i = 1; i < args.length - 1; i++) {
      const a = args[i];
      if (typeof a === 'string' && a.toLowerCase() === 'streams') return i + 1;
    }
    return -1;
  }
  return args.length > rule ? rule : -1;
}

/**
 * The hash slot of a key argument. Strings are keys as utf8 bytes (how the encoder sends them):
 * ASCII strings are hashed from their chars, others from their utf8 encoding.
 */
export function slotOf(key: Arg): number {
  if (typeof key === 'string') {
    for (let i = 0; i < key.length; i++) {
      if (key.charCodeAt(i) >= 0x80) return keySlot(Buffer.from(key, 'utf8'));
    }
    return keySlot(key);
  }
  if (typeof key === 'number') return keySlot(String(key));
  return keySlot(key);
}

/** Lowercase names of the data commands flagged read-only in the server's command table. */
const READ_ONLY = new Set<string>();
for (const def of dataCommands) if ((def.flags & CMD_READONLY) !== 0) READ_ONLY.add(def.name);

/** isReadOnly's answers by the name exactly as given (callers pass the same literals: 'GET'). */
const readOnlyByName = new Map<string, boolean>();

/** True if the command (its name, any letter case) only reads keys, by the server's table. */
export function isReadOnly(name: Arg): boolean {
  const s = typeof name === 'string' ? name : String(name);
  let r = readOnlyByName.get(s);
  if (r === undefined) {
    r = READ_ONLY.has(s.toLowerCase());
    if (readOnlyByName.size < 4096) readOnlyByName.set(s, r);
  }
  return r;
}
