// EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT (LOAD, EXISTS, FLUSH, KILL, HELP, DEBUG), with
// Redis 7.0's replies; the engine behind them is server/scripting/scripting.ts.
//
// EVAL's keys are its arguments 3 .. 3+numkeys: the cluster router sends the call to their slot,
// and the script's own commands must stay on keys this node serves.

import type { CommandContext } from '../../commands/context.js';
import {
  CMD_LOADING,
  CMD_MOVABLE_KEYS,
  CMD_NOSCRIPT,
  CMD_READONLY,
  CMD_STALE,
  keysAfterCount,
  type CommandDef,
} from '../../commands/table.js';
import type { Scripting } from '../scripting/scripting.js';
import { clientOf, serverOf } from './util.js';

const ERR_NOSCRIPT = 'NOSCRIPT No matching script. Please use EVAL.';

/** EVAL's and FCALL's keys: `script|function numkeys key [key ...] arg ...`. */
export const numkeysKeys = keysAfterCount(2);

function engineOf(c: CommandContext): Scripting | null {
  const s = serverOf(c).scripting;
  if (s === null) c.w.error('ERR scripting is not available on this node');
  return s;
}

/**
 * EVAL's and FCALL's numkeys (argument 2), checked as Redis does; null after replying the error
 * (notInteger: the message for a value that is not an integer, which the two word differently).
 */
export function numkeysOf(c: CommandContext, notInteger: string): number | null {
  const numkeys = c.int(2);
  if (numkeys === undefined) {
    c.w.error(notInteger);
    return null;
  }
  if (numkeys > c.argc - 3) {
    c.w.error("ERR Number of keys can't be greater than number of args");
    return null;
  }
  if (numkeys < 0) {
    c.w.error("ERR Number of keys can't be negative");
    return null;
  }
  return numkeys;
}

/** Whether a script of this caller may yield while busy (not inside EXEC, not a node's own client). */
export function canYield(c: CommandContext): boolean {
  const client = clientOf(c);
  return client.multi === null && client.id !== 0;
}

function evalGeneric(c: CommandContext, evalsha: boolean, ro: boolean): void {
  const numkeys = numkeysOf(c, 'ERR value is not an integer or out of range');
  if (numkeys === null) return;
  const engine = engineOf(c);
  if (engine === null) return;
  let sha: string;
  if (evalsha) {
    if (c.argLength(1) !== 40) {
      c.w.error(ERR_NOSCRIPT);
      return;
    }
    sha = c.str(1).toLowerCase();
  } else {
    const loaded = engine.load(c.bytes(1), true);
    if ('error' in loaded) {
      c.w.error(loaded.error);
      return;
    }
    sha = loaded.sha;
  }
  const script = engine.touch(sha);
  if (script === undefined) {
    c.w.error(ERR_NOSCRIPT);
    return;
  }
  // The arguments are read before the script first runs (into KEYS and ARGV), never after.
  engine.run(clientOf(c), script, sha, c.args, 3, 3 + numkeys, { ro, evalMode: true, canYield: canYield(c) });
}

function scriptCommand(c: CommandContext, sub: string): void {
  const engine = engineOf(c);
  if (engine === null) return;
  switch (sub) {
    case 'load': {
      const loaded = engine.load(c.bytes(2), false);
      if ('error' in loaded) c.w.error(loaded.error);
      else c.w.bulk(loaded.sha);
      return;
    }
    case 'exists':
      c.w.array(c.argc - 2);
      for (let i = 2; i < c.argc; i++) c.w.integer(engine.scripts.has(c.str(i).toLowerCase()) ? 1 : 0);
      return;
    case 'flush':
      if (c.argc === 3 && !c.is(2, 'sync') && !c.is(2, 'async')) {
        c.w.error('ERR SCRIPT FLUSH only support SYNC|ASYNC option');
        return;
      }
      if (c.argc > 3) {
        c.w.error('ERR SCRIPT FLUSH only support SYNC|ASYNC option');
        return;
      }
      engine.flush();
      c.w.ok();
      return;
    case 'kill': {
      const refusal = engine.kill(true);
      if (refusal === null) c.w.ok();
      else c.w.error(refusal);
      return;
    }
    case 'debug':
      if (c.is(2, 'no')) c.w.ok();
      else if (c.is(2, 'yes') || c.is(2, 'sync')) c.w.error('ERR SCRIPT DEBUG is not supported by corral');
      else c.w.error('ERR Use SCRIPT DEBUG YES/SYNC/NO');
      return;
  }
}

const SCRIPT_HELP = [
  'SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'DEBUG (YES|SYNC|NO)',
  '    Set the debug mode for subsequent scripts executed.',
  'EXISTS <sha1> [<sha1> ...]',
  '    Return information about the existence of the scripts in the script cache.',
  'FLUSH [ASYNC|SYNC]',
  '    Flush the Lua scripts cache. Very dangerous on replicas.',
  '    When called without the optional mode argument, the behavior is determined by the',
  '    lazyfree-lazy-user-flush configuration directive. Valid modes are:',
  '    * ASYNC: Asynchronously flush the scripts cache.',
  '    * SYNC: Synchronously flush the scripts cache.',
  'KILL',
  '    Kill the currently executing Lua script.',
  'LOAD <script>',
  '    Load a script into the scripts cache without executing it.',
  'HELP',
  '    Prints this help.',
];

const EVAL_FLAGS = CMD_NOSCRIPT | CMD_STALE | CMD_MOVABLE_KEYS;
const evalKeys = { firstKey: 3, lastKey: -1, keyStep: 1, keys: numkeysKeys };

export const scriptingCommands: CommandDef[] = [
  { name: 'eval', arity: -3, flags: EVAL_FLAGS, ...evalKeys, handler: (c) => evalGeneric(c, false, false) },
  { name: 'evalsha', arity: -3, flags: EVAL_FLAGS, ...evalKeys, handler: (c) => evalGeneric(c, true, false) },
  { name: 'eval_ro', arity: -3, flags: EVAL_FLAGS | CMD_READONLY, ...evalKeys, handler: (c) => evalGeneric(c, false, true) },
  { name: 'evalsha_ro', arity: -3, flags: EVAL_FLAGS | CMD_READONLY, ...evalKeys, handler: (c) => evalGeneric(c, true, true) },
  {
    name: 'script',
    arity: -2,
    flags: 0,
    subcommands: [
      { name: 'load', arity: 3, flags: CMD_NOSCRIPT | CMD_STALE, handler: (c) => scriptCommand(c, 'load') },
      { name: 'exists', arity: -3, flags: CMD_NOSCRIPT, handler: (c) => scriptCommand(c, 'exists') },
      { name: 'flush', arity: -2, flags: CMD_NOSCRIPT, handler: (c) => scriptCommand(c, 'flush') },
      { name: 'kill', arity: 2, flags: CMD_NOSCRIPT, handler: (c) => scriptCommand(c, 'kill') },
      { name: 'debug', arity: 3, flags: CMD_NOSCRIPT, handler: (c) => scriptCommand(c, 'debug') },
      {
        name: 'help',
        arity: 2,
        flags: CMD_LOADING | CMD_STALE,
        handler: (c) => {
          c.w.array(SCRIPT_HELP.length);
          for (const line of SCRIPT_HELP) c.w.simple(line);
        },
      },
    ],
  },
];
