// Transactions: MULTI, EXEC, DISCARD, WATCH and UNWATCH with Redis 7.0's semantics. The
// dispatcher queues commands while a client is in MULTI (and flags the transaction dirty when
// one is refused); EXEC replays the queue through the server's call() inside one array reply.
//
// As in Redis, UNWATCH is not a control command: inside MULTI it is queued like any other.

import { aclDenial } from '../dispatch.js';
import { execDeniedReason } from '../acl/check.js';
import type { CommandContext } from '../../commands/context.js';
import {
  CMD_FAST,
  CMD_LOADING,
  CMD_NOSCRIPT,
  CMD_SKIP_SLOWLOG,
  CMD_STALE,
  CMD_TX_CONTROL,
  type CommandDef,
} from '../../commands/table.js';
import type { Client } from '../client.js';
import type { ServerApi } from '../server-api.js';
import { clientOf, serverOf } from './util.js';

const ERR_EXECABORT = 'EXECABORT Transaction discarded because of previous errors.';

function multiCommand(c: CommandContext): void {
  const client = clientOf(c);
  if (client.multi !== null) {
    c.w.error('ERR MULTI calls can not be nested');
    return;
  }
  client.resetTransaction();
  client.multi = [];
  c.w.ok();
}

/** Redis's discardTransaction: drops the queue and the flags, and unwatches every key. */
function discardTransaction(node: ServerApi, client: Client): void {
  client.resetTransaction();
  node.watches.unwatchAll(client);
}

function execCommand(c: CommandContext): void {
  const node = serverOf(c);
  const client = clientOf(c);
  const queue = client.multi;
  if (queue === null) {
    c.w.error('ERR EXEC without MULTI');
    return;
  }
  // A watched key whose TTL has passed since WATCH counts as modified.
  node.watches.checkExpired(client);
  if (client.multiDirty || client.watchDirty) {
    if (client.multiDirty) c.w.error(ERR_EXECABORT);
    else c.w.nullArray();
    discardTransaction(node, client);
    return;
  }
  // Unwatch before running, as Redis does: the transaction's own writes must not mark us dirty.
  node.watches.unwatchAll(client);
  const w = node.writer;
  w.array(queue.length);
  // Replicas get the transaction's writes between MULTI and EXEC, and apply them at once.
  const stream = node.replStream;
  stream?.beginTransaction();
  for (let i = 0; i < queue.length; i++) {
    const q = queue[i];
    // ACLs may have changed since the command was queued (Redis checks again at EXEC).
    const denial = client.user.unrestricted ? 0 : aclDenial(node, c, client, q.cmd, q.args, 'multi');
    if (denial !== 0) {
      w.error(
        `NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: ${execDeniedReason(denial)}`,
      );
      continue;
    }
    node.call(client, q.cmd, q.args);
    // A queued HELLO may switch the protocol for the replies that follow it.
    w.resp = client.resp;
  }
  stream?.endTransaction();
  client.resetTransaction();
}

function discardCommand(c: CommandContext): void {
  const client = clientOf(c);
  if (client.multi === null) {
    c.w.error('ERR DISCARD without MULTI');
    return;
  }
  discardTransaction(serverOf(c), client);
  c.w.ok();
}

function watchCommand(c: CommandContext): void {
  const client = clientOf(c);
  if (client.multi !== null) {
    c.w.error('ERR WATCH inside MULTI is not allowed');
    return;
  }
  // No point in watching more keys once the transaction is bound to fail.
  if (!client.watchDirty) {
    const watches = serverOf(c).watches;
    for (let i = 1; i < c.argc; i++) watches.watch(client, client.db, c.str(i));
  }
  c.w.ok();
}

function unwatchCommand(c: CommandContext): void {
  serverOf(c).watches.unwatchAll(clientOf(c));
  c.w.ok();
}

const TX = CMD_NOSCRIPT | CMD_LOADING | CMD_STALE;
export const transactionsCommands: CommandDef[] = [
  { name: 'multi', arity: 1, flags: TX | CMD_FAST | CMD_TX_CONTROL, handler: multiCommand },
  { name: 'exec', arity: 1, flags: TX | CMD_SKIP_SLOWLOG | CMD_TX_CONTROL, handler: execCommand },
  { name: 'discard', arity: 1, flags: TX | CMD_FAST | CMD_TX_CONTROL, handler: discardCommand },
  { name: 'watch', arity: -2, flags: TX | CMD_FAST | CMD_TX_CONTROL, firstKey: 1, lastKey: -1, keyStep: 1, handler: watchCommand },
  { name: 'unwatch', arity: 1, flags: TX | CMD_FAST, handler: unwatchCommand },
];
