// What a script run is: the host interface the engine uses to reach its node, the script flags
// (shebang flags, as Redis's SCRIPT_FLAG_*) and the refusals they make, a compiled script, and
// one run's state.

import type { CommandArgs } from '../../protocol/request-parser.js';
import type { ReplyWriter } from '../../protocol/reply-writer.js';
import type { Command, CommandTable } from '../../commands/table.js';
import type { Client } from '../client.js';
import { createHash } from 'node:crypto';
import { splitArgs } from '../../util/split-args.js';
import { ERR_MASTERDOWN } from '../../commands/errors.js';

/** What the engine needs of the node. */
export interface ScriptHost {
  readonly table: CommandTable;
  readonly writer: ReplyWriter;
  /** Runs a command as the dispatcher's call() does (stats, replication, tracking). */
  call(client: Client, cmd: Command, args: CommandArgs): void;
  /** DEBUG SET-DISABLE-DENY-SCRIPTS 1: scripts may run commands flagged noscript. */
  denyScriptsDisabled(): boolean;
  /** Why a write cannot run now (a read-only replica, a lapsed write lease), or null. */
  writeRefusal(): string | null;
  /** Over maxmemory with nothing left to evict. */
  overMemory(): boolean;
  /** A replica whose link is down and that serves no stale data (replica-serve-stale-data no). */
  runningStale(): boolean;
  /** Cluster mode: why the command's keys cannot be served here (or null), and their slot (-1: no keys). */
  clusterCheck(cmd: Command, args: CommandArgs, caller: Client): { error: string | null; slot: number } | null;
  /**
   * ACL: 0 when the caller's user may run the call, else Redis's ACL_DENIED_* (logged, in the
   * "lua" context, when `log`).
   */
  aclCheck(caller: Client, cmd: Command, args: CommandArgs, log: boolean): number;
  /** Cluster mode: the slot of a key; -1 otherwise. */
  keySlot(buf: Buffer, start: number, end: number): number;
  /** A command a script ran was refused before running: counted as Redis counts a rejection. */
  rejected(cmd: Command | null, errBuffer: string): void;
  /**
   * A script's reply at `at` is an error: counted in INFO errorstats unless a command's reply
   * made it (counted then); through dispatch (viaCall) the dispatcher counts it otherwise.
   */
  errorReplied(w: ReplyWriter, at: number, counted: boolean, viaCall: boolean): void;
  beginEffects(): void;
  endEffects(): void;
  block(client: Client): void;
  unblock(client: Client, reply: (w: ReplyWriter) => void): void;
  busyThreshold(): number;
  log(level: 'warning' | 'notice' | 'verbose' | 'debug', line: string): void;
}

/** Shebang flags (#!lua flags=...), as Redis's SCRIPT_FLAG_*. */
export const SCRIPT_NO_WRITES = 1;
export const SCRIPT_ALLOW_OOM = 2;
export const SCRIPT_ALLOW_STALE = 4;
export const SCRIPT_NO_CLUSTER = 8;
export const SCRIPT_EVAL_COMPAT = 16;
export const SCRIPT_ALLOW_CROSS_SLOT = 32;

export const SCRIPT_FLAG_NAMES: Array<[string, number]> = [
  ['no-writes', SCRIPT_NO_WRITES],
  ['allow-oom', SCRIPT_ALLOW_OOM],
  ['allow-stale', SCRIPT_ALLOW_STALE],
  ['no-cluster', SCRIPT_NO_CLUSTER],
  ['allow-cross-slot-keys', SCRIPT_ALLOW_CROSS_SLOT],
];

/** A compiled script or function: its Lua function (a registry reference) and flags. */
export interface CompiledScript {
  ref: number;
  flags: number;
  body: Buffer;
  /** An EVAL script that can only run briefly, which runs without the count hook (script-bounds.ts). */
  bounded?: boolean;
}

/** One run's state (Redis's scriptRunCtx). */
export class Run {
  readOnly = false;
  allowOom = false;
  allowCrossSlot = false;
  evalMode = true;
  writeDirty = false;
  timedOut = false;
  killed = false;
  /** The caller may be blocked while the script yields (not inside EXEC). */
  canYield = true;
  oomAtStart = false;
  slot = -1;
  resp = 2;
  startedAt = 0;
  /** FCALL's arguments (FUNCTION STATS shows them). */
  command: Buffer[] | null = null;
  constructor(
    readonly caller: Client,
    readonly name: string,
  ) {}
}

/** A script's declared flags against the node's state (Redis's scriptPrepareForRun): the refusal, or null. */
export function declaredFlagsRefusal(host: ScriptHost, flags: number, ro: boolean): string | null {
  if ((flags & SCRIPT_NO_WRITES) === 0) {
    const refusal = host.writeRefusal();
    // Redis's command-level check (the script's flags make the call a write) answers first.
    if (refusal !== null && refusal.startsWith('READONLY')) return refusal;
    if (ro) return 'ERR Can not execute a script with write flag using *_ro command.';
    if (refusal !== null && refusal.startsWith('NOREPLICAS')) return refusal;
  }
  if ((flags & (SCRIPT_ALLOW_OOM | SCRIPT_NO_WRITES)) === 0 && host.overMemory()) {
    return "OOM allow-oom flag is not set on the script, can not run it when used memory > 'maxmemory'";
  }
  // Redis refuses it in processCommand (the script's flags lack 'stale'), with the plain error.
  if ((flags & SCRIPT_ALLOW_STALE) === 0 && host.runningStale()) return ERR_MASTERDOWN;
  return null;
}

/** Parses a "#!lua flags=a,b" first line: the flags and the line's length (without its newline). */
export function parseShebang(body: Buffer): { flags: number; length: number } | { error: string } {
  if (body.length < 2 || body[0] !== 35 || body[1] !== 33) return { flags: SCRIPT_EVAL_COMPAT, length: 0 };
  const nl = body.indexOf(10);
  if (nl < 0) return { error: 'ERR Invalid script shebang' };
  const parts = splitArgs(body.toString('latin1', 0, nl));
  if (parts === null || parts.length === 0) return { error: 'ERR Invalid engine in script shebang' };
  if (parts[0] !== '#!lua') return { error: `ERR Unexpected engine in script shebang: ${parts[0]}` };
  let flags = 0;
  for (const part of parts.slice(1)) {
    if (!part.startsWith('flags=')) return { error: `ERR Unknown lua shebang option: ${part}` };
    const list = part.slice(6);
    for (const f of list === '' ? [] : list.split(',')) {
      const def = SCRIPT_FLAG_NAMES.find(([name]) => name === f);
      if (def === undefined) return { error: `ERR Unexpected flag in script shebang: ${f}` };
      flags |= def[1];
    }
  }
  return { flags, length: nl };
}


/** A script's SHA1 (lowercase hex), its name in the script cache and in redis.sha1hex. */
export function sha1Hex(body: Buffer, start = 0, end = body.length): string {
  return createHash('sha1').update(body.subarray(start, end)).digest('hex');
}
