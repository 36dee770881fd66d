// The command table: each command is data (name, arity, flags, key positions) plus a handler, as
// in Redis's commands/*.json. Key positions let routing and CROSSSLOT checks stay generic.
// Container commands (CLIENT, CONFIG, ...) hold their subcommands, looked up by argv[1].
//
// Arity follows Redis: n > 0 means exactly n arguments (command name included), n < 0 at least -n.

import type { CommandContext } from './context.js';
import type { CommandArgs } from '../protocol/request-parser.js';
import { latin1, parseInteger } from '../util/bytes.js';

export type Handler = (c: CommandContext) => void;

/**
 * Finds the keys of a call whose key positions depend on its arguments (SORT ... STORE dst), as
 * Redis's getkeys_proc: writes their argument positions to out and returns how many.
 */
export type KeyFinder = (args: CommandArgs, out: number[]) => number;

/**
 * The key finder of `numkeys key [key ...]` with numkeys at argument `at` (EVAL, FCALL, LMPOP,
 * BLMPOP, ZUNION, SINTERCARD...): no keys when numkeys is not an integer in [1, keys given]
 * (Redis's genericGetKeys: such a call replies an error and touches no key).
 */
export function keysAfterCount(at: number): KeyFinder {
  return (args: CommandArgs, out: number[]): number => {
    if (args.argc <= at) return 0;
    const n = parseInteger(args.buf, args.start[at], args.end[at]);
    if (n === undefined || n <= 0 || n > args.argc - at - 1) return 0;
    for (let i = 0; i < n; i++) out[i] = at + 1 + i;
    return n;
  };
}

export const CMD_WRITE = 1 << 0;
export const CMD_READONLY = 1 << 1;
/** May add memory: refused with OOM when over maxmemory and nothing can be evicted. */
export const CMD_DENYOOM = 1 << 2;
export const CMD_ADMIN = 1 << 3;
export const CMD_FAST = 1 << 4;
/** Served before AUTH (AUTH, HELLO, PING? no: only those flagged, as Redis). */
export const CMD_NO_AUTH = 1 << 5;
/** Refused inside MULTI. */
export const CMD_NO_MULTI = 1 << 6;
export const CMD_LOADING = 1 << 7;
export const CMD_STALE = 1 << 8;
export const CMD_SKIP_SLOWLOG = 1 << 9;
export const CMD_NOSCRIPT = 1 << 10;
export const CMD_MOVABLE_KEYS = 1 << 11;
/** Runs immediately even inside MULTI (EXEC, DISCARD, MULTI, WATCH, QUIT, RESET). */
export const CMD_TX_CONTROL = 1 << 12;
/**
 * Not a write, but replicated when it changed the dataset (PFCOUNT storing its cached count).
 * Internal: Redis 7.0's COMMAND INFO does not list it.
 */
export const CMD_MAY_REPLICATE = 1 << 13;
/** A pub/sub command (a shard channel one is served by the replicas of the channel's shard too). */
export const CMD_PUBSUB = 1 << 14;

const FLAG_NAMES: Array<[number, string]> = [
  [CMD_WRITE, 'write'],
  [CMD_READONLY, 'readonly'],
  [CMD_DENYOOM, 'denyoom'],
  [CMD_ADMIN, 'admin'],
  [CMD_NOSCRIPT, 'noscript'],
  [CMD_LOADING, 'loading'],
  [CMD_STALE, 'stale'],
  [CMD_SKIP_SLOWLOG, 'skip_slowlog'],
  [CMD_FAST, 'fast'],
  [CMD_NO_AUTH, 'no_auth'],
  [CMD_NO_MULTI, 'no_multi'],
  [CMD_MOVABLE_KEYS, 'movablekeys'],
  [CMD_PUBSUB, 'pubsub'],
];

export function flagNames(flags: number): string[] {
  return FLAG_NAMES.filter(([bit]) => flags & bit).map(([, name]) => name);
}

export interface CommandDef {
  /** Lowercase name; subcommands use their own name ("setname"), not "client|setname". */
  name: string;
  arity: number;
  flags: number;
  /** First key argument (0: no keys), last key (-1: the last argument), step between keys. */
  firstKey?: number;
  lastKey?: number;
  keyStep?: number;
  handler?: Handler;
  /** For CMD_MOVABLE_KEYS commands whose keys firstKey/lastKey/keyStep cannot describe. */
  keys?: KeyFinder;
  subcommands?: CommandDef[];
  /**
   * corral's, not Redis's: from this many arguments on, a call is replicated as the state of the
   * keys it touched rather than as the command (its effect depends on the time or chance: a
   * relative TTL, a random pick). 1: always; absent: never (docs/replication.md).
   */
  stateFromArgc?: number;
}

export class Command {
  readonly name: string;
  /** "client|setname" for subcommands, as Redis names them in errors. */
  readonly fullName: string;
  readonly arity: number;
  readonly flags: number;
  readonly firstKey: number;
  readonly lastKey: number;
  readonly keyStep: number;
  readonly handler: Handler;
  /** See CommandDef.keys; null: the fixed positions say it all. */
  readonly keyFinder: KeyFinder | null;
  /** See CommandDef.stateFromArgc; 0: replicated as the command. */
  readonly stateFromArgc: number;
  readonly subcommands: Map<string, Command> | null;
  readonly parent: Command | null;
  /** Operation counters for INFO commandstats. */
  calls = 0;
  usec = 0;
  rejectedCalls = 0;
  failedCalls = 0;
  /**
   * The call durations' histogram for INFO latencystats and LATENCY HISTOGRAM (its counts, in
   * server/latency-histogram.ts's layout), made on the first recorded call; null: none yet.
   */
  latencyCounts: Float64Array | null = null;

  constructor(def: CommandDef, parent: Command | null = null) {
    this.name = def.name;
    this.parent = parent;
    this.fullName = parent === null ? def.name : `${parent.name}|${def.name}`;
    this.arity = def.arity;
    this.flags = def.flags;
    this.firstKey = def.firstKey ?? 0;
    this.lastKey = def.lastKey ?? this.firstKey;
    this.keyStep = def.keyStep ?? (this.firstKey > 0 ? 1 : 0);
    this.handler = def.handler ?? noHandler;
    this.keyFinder = def.keys ?? null;
    this.stateFromArgc = def.stateFromArgc ?? 0;
    this.subcommands = null;
    if (def.subcommands !== undefined) {
      const subs = new Map<string, Command>();
      for (const s of def.subcommands) subs.set(s.name, new Command(s, this));
      this.subcommands = subs;
    }
  }

  /**
   * Argument positions of the keys in a call with argc arguments. Given the call's args, a
   * command with a key finder reports the keys found in them; without args, only its fixed ones.
   */
  keyPositions(argc: number, out: number[], args?: CommandArgs): number {
    if (this.keyFinder !== null && args !== undefined) return this.keyFinder(args, out);
    let n = 0;
    if (this.firstKey <= 0) return 0;
    const last = this.lastKey < 0 ? argc + this.lastKey : this.lastKey;
    for (let i = this.firstKey; i <= last && i < argc; i += this.keyStep) out[n++] = i;
    return n;
  }
}

function noHandler(c: CommandContext): void {
  c.w.error(`ERR unknown subcommand or wrong number of arguments for '${c.name}'`);
}

/**
 * Hash of a name's bytes, ASCII-lowercased (FNV-1a). Used to find a command from the request
 * bytes without building a string for its name.
 */
function nameHash(buf: Buffer | string, start: number, end: number): number {
  let h = 0x811c9dc5 | 0;
  for (let i = start; i < end; i++) {
    let c = typeof buf === 'string' ? buf.charCodeAt(i) : buf[i];
    if (c >= 65 && c <= 90) c += 32;
    h = Math.imul(h ^ c, 0x01000193);
  }
  return h >>> 0;
}

export class CommandTable {
  private readonly byName = new Map<string, Command>();
  /** nameHash -> commands whose names have that hash (almost always one). */
  private readonly byHash = new Map<number, Command[]>();

  register(defs: CommandDef[]): void {
    for (const def of defs) {
      const cmd = new Command(def);
      const old = this.byName.get(def.name);
      this.byName.set(def.name, cmd);
      const h = nameHash(def.name, 0, def.name.length);
      const list = (this.byHash.get(h) ?? []).filter((c) => c !== old);
      list.push(cmd);
      this.byHash.set(h, list);
    }
  }

  get(name: string): Command | undefined {
    return this.byName.get(name.toLowerCase());
  }

  all(): IterableIterator<Command> {
    return this.byName.values();
  }

  get size(): number {
    return this.byName.size;
  }

  /** The top-level command named by argv[0] (any letter case), or undefined. */
  lookupTop(args: CommandArgs): Command | undefined {
    const buf = args.buf;
    const start = args.start[0];
    const end = args.end[0];
    const list = this.byHash.get(nameHash(buf, start, end));
    if (list === undefined) return undefined;
    for (let k = 0; k < list.length; k++) {
      const name = list[k].name;
      if (name.length !== end - start) continue;
      let i = 0;
      for (; i < name.length; i++) {
        let c = buf[start + i];
        if (c >= 65 && c <= 90) c += 32;
        if (c !== name.charCodeAt(i)) break;
      }
      if (i === name.length) return list[k];
    }
    return undefined;
  }

  /** The command to run for argv: a subcommand for containers called with one, else the top command. */
  static resolve(top: Command, args: CommandArgs): Command | null {
    if (top.subcommands === null || args.argc < 2) return top;
    const sub = latin1(args.buf, args.start[1], args.end[1]).toLowerCase();
    return top.subcommands.get(sub) ?? null;
  }
}
