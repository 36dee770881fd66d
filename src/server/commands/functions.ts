// FUNCTION (LOAD, LIST, DELETE, FLUSH, DUMP, RESTORE, STATS, KILL, HELP), FCALL and FCALL_RO,
// with Redis 7.0's replies. Libraries live in server/scripting/functions.ts; a call is a script
// run of the function's callback. Library changes reach the replicas as the commands themselves.

import type { CommandContext } from '../../commands/context.js';
import { CMD_DENYOOM, CMD_LOADING, CMD_NOSCRIPT, CMD_READONLY, CMD_STALE, CMD_WRITE, type CommandDef } from '../../commands/table.js';
import { globMatch } from '../../util/glob.js';
import type { Functions } from '../scripting/functions.js';
import { SCRIPT_FLAG_NAMES } from '../scripting/scripting.js';
import { canYield, numkeysKeys, numkeysOf } from './scripting.js';
import { clientOf, serverOf } from './util.js';

function functionsOf(c: CommandContext): Functions | null {
  const f = serverOf(c).functions;
  if (f === null) c.w.error('ERR scripting is not available on this node');
  return f;
}

/** A library change reaches the replicas (it changes no key, so call() would not send it). */
function changed(c: CommandContext): void {
  const node = serverOf(c);
  if (node.replStream !== null) node.forcePropagation = true;
}

function fcallGeneric(c: CommandContext, ro: boolean): void {
  const node = serverOf(c);
  const functions = functionsOf(c);
  if (functions === null) return;
  const f = functions.functions.get(c.str(1).toLowerCase());
  if (f === undefined) {
    c.w.error('ERR Function not found');
    return;
  }
  const numkeys = numkeysOf(c, 'ERR Bad number of keys provided');
  if (numkeys === null) return;
  node.scripting!.run(clientOf(c), f, f.name, c.args, 3, 3 + numkeys, { ro, evalMode: false, canYield: canYield(c) });
}

function load(c: CommandContext): void {
  const functions = functionsOf(c);
  if (functions === null) return;
  let replace = false;
  let i = 2;
  for (; i < c.argc - 1; i++) {
    if (c.is(i, 'replace')) replace = true;
    else {
      c.w.error(`ERR Unknown option given: ${c.str(i)}`);
      return;
    }
  }
  if (i >= c.argc) {
    c.w.error('ERR Function code is missing');
    return;
  }
  // A primary's library reaches its replicas without the load time limit, as Redis's.
  const loaded = functions.load(c.bytes(i), replace, clientOf(c).id === 0 ? 0 : undefined);
  if ('error' in loaded) {
    c.w.error(`ERR ${loaded.error}`);
    return;
  }
  changed(c);
  c.w.bulk(loaded.name);
}

function list(c: CommandContext): void {
  const functions = functionsOf(c);
  if (functions === null) return;
  let withCode = false;
  let pattern: string | null = null;
  for (let i = 2; i < c.argc; i++) {
    if (!withCode && c.is(i, 'withcode')) {
      withCode = true;
      continue;
    }
    if (pattern === null && c.is(i, 'libraryname')) {
      if (i >= c.argc - 1) {
        c.w.error('ERR library name argument was not given');
        return;
      }
      pattern = c.str(++i);
      continue;
    }
    c.w.error(`ERR Unknown argument ${c.str(i)}`);
    return;
  }
  const libs = [...functions.libraries.values()].filter((l) => pattern === null || globMatch(pattern, l.name, true));
  const w = c.w;
  w.array(libs.length);
  for (const lib of libs) {
    w.map(withCode ? 4 : 3);
    w.bulk('library_name');
    w.bulk(lib.name);
    w.bulk('engine');
    w.bulk('LUA');
    w.bulk('functions');
    w.array(lib.functions.size);
    for (const f of lib.functions.values()) {
      w.map(3);
      w.bulk('name');
      w.bulk(f.name);
      w.bulk('description');
      w.bulkOrNull(f.description);
      w.bulk('flags');
      const names = SCRIPT_FLAG_NAMES.filter(([, bit]) => (f.flags & bit) !== 0);
      w.set(names.length);
      for (const [name] of names) w.simple(name);
    }
    if (withCode) {
      w.bulk('library_code');
      w.bulkBytes(lib.code);
    }
  }
}

function stats(c: CommandContext): void {
  const node = serverOf(c);
  const functions = functionsOf(c);
  if (functions === null) return;
  const running = node.scripting!.current;
  if (running !== null && running.evalMode) {
    c.w.error('BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.');
    return;
  }
  const w = c.w;
  w.map(2);
  w.bulk('running_script');
  if (running === null) w.nil();
  else {
    w.map(3);
    w.bulk('name');
    w.bulk(running.name);
    w.bulk('command');
    w.array(running.command.length);
    for (const arg of running.command) w.bulkBytes(arg);
    w.bulk('duration_ms');
    w.integer(running.durationMs);
  }
  w.bulk('engines');
  w.map(1);
  w.bulk('LUA');
  w.map(2);
  w.bulk('libraries_count');
  w.integer(functions.libraries.size);
  w.bulk('functions_count');
  w.integer(functions.functions.size);
}

function restore(c: CommandContext): void {
  const functions = functionsOf(c);
  if (functions === null) return;
  if (c.argc > 4) {
    c.w.error("ERR unknown subcommand or wrong number of arguments for 'restore'. Try FUNCTION HELP.");
    return;
  }
  let policy: 'append' | 'replace' | 'flush' = 'append';
  if (c.argc === 4) {
    if (c.is(3, 'append')) policy = 'append';
    else if (c.is(3, 'replace')) policy = 'replace';
    else if (c.is(3, 'flush')) policy = 'flush';
    else {
      c.w.error('ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.');
      return;
    }
  }
  const error = functions.restore(c.bytes(2), policy);
  if (error !== null) {
    c.w.error(`ERR ${error}`);
    return;
  }
  changed(c);
  c.w.ok();
}

const FUNCTION_HELP = [
  'FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'LOAD [REPLACE] <FUNCTION CODE>',
  '    Create a new library with the given library name and code.',
  'DELETE <LIBRARY NAME>',
  '    Delete the given library.',
  'LIST [LIBRARYNAME PATTERN] [WITHCODE]',
  '    Return general information on all the libraries:',
  '    * Library name',
  '    * The engine used to run the Library',
  '    * Library description',
  '    * Functions list',
  '    * Library code (if WITHCODE is given)',
  '    It also possible to get only function that matches a pattern using LIBRARYNAME argument.',
  'STATS',
  '    Return information about the current function running:',
  '    * Function name',
  '    * Command used to run the function',
  '    * Duration in MS that the function is running',
  '    If no function is running, return nil',
  '    In addition, returns a list of available engines.',
  'KILL',
  '    Kill the current running function.',
  'FLUSH [ASYNC|SYNC]',
  '    Delete all the libraries.',
  '    When called without the optional mode argument, the behavior is determined by the',
  '    lazyfree-lazy-user-flush configuration directive. Valid modes are:',
  '    * ASYNC: Asynchronously flush the libraries.',
  '    * SYNC: Synchronously flush the libraries.',
  'DUMP',
  '    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command',
  'RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]',
  '    Restore the libraries represented by the given payload, it is possible to give a restore policy to',
  '    control how to handle existing libraries (default APPEND):',
  '    * FLUSH: delete all existing libraries.',
  '    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.',
  '    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old',
  '      libraries with the new libraries (notice that even on this option there is a chance of failure',
  '      in case of functions name collision with another library).',
  'HELP',
  '    Prints this help.',
];

const FCALL_FLAGS = CMD_NOSCRIPT | CMD_STALE;
const fcallKeys = { firstKey: 3, lastKey: -1, keyStep: 1, keys: numkeysKeys };

export const functionCommands: CommandDef[] = [
  { name: 'fcall', arity: -3, flags: FCALL_FLAGS, ...fcallKeys, handler: (c) => fcallGeneric(c, false) },
  { name: 'fcall_ro', arity: -3, flags: FCALL_FLAGS | CMD_READONLY, ...fcallKeys, handler: (c) => fcallGeneric(c, true) },
  {
    name: 'function',
    arity: -2,
    flags: 0,
    subcommands: [
      { name: 'load', arity: -3, flags: CMD_WRITE | CMD_DENYOOM | CMD_NOSCRIPT, handler: load },
      { name: 'list', arity: -2, flags: CMD_NOSCRIPT, handler: list },
      {
        name: 'delete',
        arity: 3,
        flags: CMD_WRITE | CMD_NOSCRIPT,
        handler: (c) => {
          const functions = functionsOf(c);
          if (functions === null) return;
          if (!functions.delete(c.str(2).toLowerCase())) {
            c.w.error('ERR Library not found');
            return;
          }
          changed(c);
          c.w.ok();
        },
      },
      {
        name: 'flush',
        arity: -2,
        flags: CMD_WRITE | CMD_NOSCRIPT,
        handler: (c) => {
          const functions = functionsOf(c);
          if (functions === null) return;
          if (c.argc > 3) {
            c.w.error("ERR unknown subcommand or wrong number of arguments for 'flush'. Try FUNCTION HELP.");
            return;
          }
          if (c.argc === 3 && !c.is(2, 'sync') && !c.is(2, 'async')) {
            c.w.error('ERR FUNCTION FLUSH only supports SYNC|ASYNC option');
            return;
          }
          functions.flush();
          changed(c);
          c.w.ok();
        },
      },
      {
        name: 'dump',
        arity: 2,
        flags: CMD_NOSCRIPT,
        handler: (c) => {
          const functions = functionsOf(c);
          if (functions !== null) c.w.bulkBytes(functions.dump());
        },
      },
      { name: 'restore', arity: -3, flags: CMD_WRITE | CMD_DENYOOM | CMD_NOSCRIPT, handler: restore },
      { name: 'stats', arity: 2, flags: CMD_NOSCRIPT, handler: stats },
      {
        name: 'kill',
        arity: 2,
        flags: CMD_NOSCRIPT,
        handler: (c) => {
          const scripting = serverOf(c).scripting;
          const refusal = scripting === null ? 'NOTBUSY No scripts in execution right now.' : scripting.kill(false);
          if (refusal === null) c.w.ok();
          else c.w.error(refusal);
        },
      },
      {
        name: 'help',
        arity: 2,
        flags: CMD_LOADING | CMD_STALE,
        handler: (c) => {
          c.w.array(FUNCTION_HELP.length);
          for (const line of FUNCTION_HELP) c.w.simple(line);
        },
      },
    ],
  },
];
