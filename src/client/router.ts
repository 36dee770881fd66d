// Which argument of a command is its routing key, and the hash slot of a key argument.
//
// The routing key is the first key of the command's key specs, from the same Redis metadata the
// server answers COMMAND GETKEYS from (commands/key-specs.ts); keyless commands (PING, INFO, ...)
// go to any node; a command the metadata does not know routes by its first argument.
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
import { hasSubcommands, keySpecsOf, keysBySpecs } from '../commands/key-specs.js';
import type { Arg } from './command.js';

/**
 * Commands corral's metadata does not cover (corral does not implement them, but the client may
 * talk to a Redis): their routing key, as an index in the argument list, or a rule.
 */
const KEYLESS = 0;
const AFTER_STREAMS = -2; // XREAD ... STREAMS key...
const SECOND_ARG = 2;
const NOT_IN_METADATA = new Map<string, number>([
  ['xread', AFTER_STREAMS],
  ['xreadgroup', AFTER_STREAMS],
  ['xgroup', SECOND_ARG],
  ['xinfo', SECOND_ARG],
]);
for (const c of ['latency', 'monitor', 'acl', 'lolwut', 'failover', 'module', 'bgrewriteaof', 'pubsub']) NOT_IN_METADATA.set(c, KEYLESS);

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

/**
 * Index in args (name at 0) of the routing key, or -1 for a keyless command: the first key of the
 * command's key specs (commands/key-specs.ts, Redis's own metadata: EVAL's keys after numkeys,
 * BITOP's after its operation, OBJECT ENCODING's after the subcommand...); a command the metadata
 * does not know routes by its first argument, which is right for almost every data command.
 */
export function keyIndex(lowerName: string, args: readonly Arg[]): number {
  let specs = keySpecsOf(lowerName);
  if (specs !== undefined && hasSubcommands(lowerName)) {
    specs = args.length > 1 ? keySpecsOf(`${lowerName}|${String(args[1]).toLowerCase()}`) : [];
    if (specs === undefined) return -1;
  }
  if (specs === undefined) return ruleNotInMetadata(lowerName, args);
  if (specs.length === 0) return -1;
  // The hot path (every command the client sends): the first spec read without allocating.
  const spec = specs[0];
  if (spec.keyword === null) {
    if (spec.range !== null) return spec.index < args.length ? spec.index : -1;
    const k = spec.keynum!;
    const count = spec.index + k.keynumidx < args.length ? Number(args[spec.index + k.keynumidx]) : 0;
    const pos = spec.index + k.firstkey;
    return count > 0 && pos < args.length ? pos : -1;
  }
  const keys = keysBySpecs([spec], args.length, (i) => String(args[i]));
  return keys === null || keys.length === 0 ? -1 : keys[0].pos;
}

function ruleNotInMetadata(lowerName: string, args: readonly Arg[]): number {
  const rule = NOT_IN_METADATA.get(lowerName);
  if (rule === undefined) return args.length > 1 ? 1 : -1;
  if (rule === KEYLESS) return -1;
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
