// Connection commands: PING, ECHO, SELECT, QUIT, HELLO, AUTH, RESET.

import type { CommandContext } from '../../commands/context.js';
import { CMD_FAST, CMD_LOADING, CMD_NO_AUTH, CMD_STALE, CMD_TX_CONTROL, type CommandDef } from '../../commands/table.js';
import { ERR_DB_INDEX, ERR_NOT_INTEGER } from '../../commands/errors.js';
import type { Client } from '../client.js';

function pingCommand(c: CommandContext): void {
  if (c.argc > 2) {
    c.w.error("ERR wrong number of arguments for 'ping' command");
    return;
  }
  if (c.argc === 2) c.w.bulkBytes(c.args.buf, c.args.start[1], c.args.end[1]);
  else c.w.simple('PONG');
}

function echoCommand(c: CommandContext): void {
  c.w.bulkBytes(c.args.buf, c.args.start[1], c.args.end[1]);
}

function selectCommand(c: CommandContext): void {
  const n = c.int(1);
  if (n === undefined) {
    c.w.error(ERR_NOT_INTEGER);
    return;
  }
  if (n < 0 || n >= c.store.dbs.length) {
    c.w.error(ERR_DB_INDEX);
    return;
  }
  (c.client as Client).db = n;
  c.w.ok();
}

function quitCommand(c: CommandContext): void {
  c.w.ok();
  (c.client as Client).closeAfterReply = true;
}

export const connectionCommands: CommandDef[] = [
  { name: 'ping', arity: -1, flags: CMD_FAST | CMD_STALE | CMD_LOADING, handler: pingCommand },
  { name: 'echo', arity: 2, flags: CMD_FAST | CMD_STALE | CMD_LOADING, handler: echoCommand },
  { name: 'select', arity: 2, flags: CMD_FAST | CMD_STALE | CMD_LOADING, handler: selectCommand },
  { name: 'quit', arity: -1, flags: CMD_FAST | CMD_STALE | CMD_LOADING | CMD_NO_AUTH | CMD_TX_CONTROL, handler: quitCommand },
];
