// Replication commands in Redis's forms: REPLICAOF / SLAVEOF, ROLE, WAIT, and the replica's side
// of the handshake (REPLCONF, PSYNC, and SYNC for Redis's tools: server/replica-rdb.ts). Plus
// corral's own CORRAL OFFSET / WAITOFFSET, on which the client's read-your-writes stands
// (docs/replication.md): OFFSET answers the offset a primary's stream has reached, WAITOFFSET
// makes a replica wait until it has applied an offset, or says STALE (a primary always does).

import type { CommandContext } from '../../commands/context.js';
import { CMD_ADMIN, CMD_FAST, CMD_LOADING, CMD_NOSCRIPT, CMD_NO_MULTI, CMD_STALE, type CommandDef } from '../../commands/table.js';
import { ERR_NOT_INTEGER, ERR_SYNTAX } from '../../commands/errors.js';
import { rdbFilterRequest, REPLICA_RDB_ONLY } from '../replica-rdb.js';
import { clientOf, serverOf } from './util.js';

function replicaofCommand(c: CommandContext): void {
  const node = serverOf(c);
  if (node.cluster !== null) {
    c.w.error('ERR REPLICAOF not allowed in cluster mode.');
    return;
  }
  if (c.is(1, 'no') && c.is(2, 'one')) {
    node.replication.becomePrimary();
    c.w.ok();
    return;
  }
  const port = c.int(2);
  if (port === undefined || port < 0 || port > 65535) {
    c.w.error('ERR Invalid master port');
    return;
  }
  const host = c.str(1);
  const r = node.replication;
  if (r.role === 'slave' && r.masterHost === host && r.masterPort === port) {
    c.w.simple('OK Already connected to specified master');
    return;
  }
  r.becomeReplicaOf(host, port);
  c.w.ok();
}

function roleCommand(c: CommandContext): void {
  serverOf(c).replication.writeRole();
}

/** Redis's getTimeoutFromObjectOrReply for milliseconds. */
function timeoutArg(c: CommandContext, i: number): number | undefined {
  const t = c.int(i);
  if (t === undefined) {
    c.w.error('ERR timeout is not an integer or out of range');
    return undefined;
  }
  if (t < 0) {
    c.w.error('ERR timeout is negative');
    return undefined;
  }
  return t;
}

function waitCommand(c: CommandContext): void {
  const n = c.int(1);
  if (n === undefined) {
    c.w.error(ERR_NOT_INTEGER);
    return;
  }
  const timeout = timeoutArg(c, 2);
  if (timeout === undefined) return;
  const client = clientOf(c);
  // Inside MULTI a WAIT cannot block: it answers what is acknowledged now.
  serverOf(c).replication.wait(client, n, client.multi !== null ? -1 : timeout);
}

function replconfCommand(c: CommandContext): void {
  const node = serverOf(c);
  const client = clientOf(c);
  if ((c.argc - 1) % 2 !== 0) {
    c.w.error(ERR_SYNTAX);
    return;
  }
  for (let i = 1; i < c.argc; i += 2) {
    const opt = c.lower(i);
    if (opt === 'listening-port') {
      const port = c.int(i + 1);
      if (port === undefined) {
        c.w.error(ERR_NOT_INTEGER);
        return;
      }
      client.replicaListeningPort = port;
    } else if (opt === 'ack') {
      // An acknowledgement gets no reply, as Redis.
      const offset = c.int(i + 1);
      if (offset !== undefined) node.replication.ack(client, offset);
      return;
    } else if (opt === 'getack') {
      return;
    } else if (opt === 'capa') {
      // eof and psync2 are how corral replicates anyway; corral-load: see replication/source.ts.
      if (c.lower(i + 1) === 'corral-load') client.replicaBulkLoad = true;
    } else if (opt === 'rdb-only') {
      const v = c.int(i + 1);
      if (v === undefined || (v !== 0 && v !== 1)) {
        c.w.error(ERR_NOT_INTEGER);
        return;
      }
      client.replicaReq = v === 1 ? client.replicaReq | REPLICA_RDB_ONLY : client.replicaReq & ~REPLICA_RDB_ONLY;
    } else if (opt === 'rdb-filter-only') {
      const req = rdbFilterRequest(client.replicaReq, c.str(i + 1));
      if (typeof req === 'string') {
        c.w.error(req);
        return;
      }
      client.replicaReq = req;
    } else if (opt === 'ip-address') {
      // Accepted: INFO shows the address the replica connects from.
    } else {
      c.w.error(`ERR Unrecognized REPLCONF option: ${c.str(i)}`);
      return;
    }
  }
  c.w.ok();
}

function psyncCommand(c: CommandContext): void {
  const client = clientOf(c);
  if (client.replica) return; // already attached; Redis ignores it too
  const offset = c.int(2);
  if (offset === undefined) {
    c.w.error(ERR_NOT_INTEGER);
    return;
  }
  serverOf(c).replication.psync(client, c.str(1), offset);
}

/**
 * SYNC, the pre-PSYNC protocol (the Tcl suite's replication-stream reader, `redis-cli --rdb` and
 * `--replica`): an RDB file of the dataset as `$<len>\r\n<bytes>`, then the replication stream
 * (server/replica-rdb.ts). The connection is a replica from then on (INFO, ROLE); it never
 * acknowledges, so WAIT does not count it, as Redis does not.
 */
function syncCommand(c: CommandContext): void {
  const client = clientOf(c);
  if (client.replica) return; // already attached; Redis ignores it too
  serverOf(c).replication.psync(client, '?', -1, true);
}

function offsetCommand(c: CommandContext): void {
  const r = serverOf(c).replication;
  r.source?.flush();
  c.w.integer(r.offset);
}

function waitOffsetCommand(c: CommandContext): void {
  const offset = c.int(2);
  if (offset === undefined) {
    c.w.error(ERR_NOT_INTEGER);
    return;
  }
  const timeout = timeoutArg(c, 3);
  if (timeout === undefined) return;
  const client = clientOf(c);
  serverOf(c).replication.waitOffset(client, offset, client.multi !== null ? 0 : timeout);
}

function replidCommand(c: CommandContext): void {
  const r = serverOf(c).replication;
  c.w.array(2);
  c.w.bulk(r.replid);
  c.w.integer(r.offset);
}

const ADMIN = CMD_ADMIN | CMD_NOSCRIPT;
export const replicationCommands: CommandDef[] = [
  { name: 'replicaof', arity: 3, flags: ADMIN | CMD_STALE, handler: replicaofCommand },
  { name: 'slaveof', arity: 3, flags: ADMIN | CMD_STALE, handler: replicaofCommand },
  { name: 'role', arity: 1, flags: CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_FAST, handler: roleCommand },
  { name: 'wait', arity: 3, flags: CMD_NOSCRIPT, handler: waitCommand },
  { name: 'replconf', arity: -1, flags: ADMIN | CMD_LOADING | CMD_STALE, handler: replconfCommand },
  { name: 'psync', arity: -3, flags: ADMIN | CMD_NO_MULTI, handler: psyncCommand },
  { name: 'sync', arity: 1, flags: ADMIN | CMD_NO_MULTI, handler: syncCommand },
];

/** CORRAL subcommands for replication (the container is in cluster.ts). */
export const corralReplicationCommands: CommandDef[] = [
  { name: 'offset', arity: 2, flags: CMD_FAST | CMD_LOADING | CMD_STALE, handler: offsetCommand },
  { name: 'waitoffset', arity: 4, flags: CMD_LOADING | CMD_STALE, handler: waitOffsetCommand },
  { name: 'replid', arity: 2, flags: CMD_FAST | CMD_LOADING | CMD_STALE, handler: replidCommand },
];
