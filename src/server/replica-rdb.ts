// The full copy of a replica that is not corral's: SYNC (the Tcl suite's replication-stream
// reader, `redis-cli --rdb` and `--replica`) or PSYNC without `REPLCONF capa corral-load` (a
// redis-server replica, tools speaking PSYNC). It gets what redis-server 7.0.15 sends: the
// dataset as an RDB file (store/rdb-file.ts) in a bulk, `$<len>\r\n<bytes>` (no CRLF after), then
// the replication stream from the offset the file was taken at, the same bytes corral's replicas
// get. A corral replica's copy is corral's own (cluster/replication/source.ts).
//
// The file is taken synchronously when the replica attaches (after the stream of this turn is
// flushed): an image of one instant, so that it is consistent with the stream offset that follows
// it. That holds the event loop for as long as the file takes to build and needs its size in
// memory; accepted here (SYNC users are tools and tests, not corral's failover path), where Redis
// forks a child instead. REPLCONF rdb-only and rdb-filter-only are honoured as Redis 7.0 does.

import type { Store } from '../store/store.js';
import { writeRdbFile } from '../store/rdb-file.js';
// The version corral answers as (info.ts's REDIS_VERSION, which this file may not import: info.ts
// reaches replication.ts, which imports this file).
import { REDIS_META_VERSION as REDIS_VERSION } from '../commands/redis-meta.js';
import type { Functions } from './scripting/functions.js';

/** REPLCONF rdb-only 1: the RDB only, the connection closes after it (Redis's CLIENT_REPL_RDBONLY). */
export const REPLICA_RDB_ONLY = 1;
/** REPLCONF rdb-filter-only: no keys in the RDB (SLAVE_REQ_RDB_EXCLUDE_DATA). */
export const REPLICA_EXCLUDE_DATA = 2;
/** REPLCONF rdb-filter-only without "functions": no libraries (SLAVE_REQ_RDB_EXCLUDE_FUNCTIONS). */
export const REPLICA_EXCLUDE_FUNCTIONS = 4;

/**
 * REPLCONF rdb-filter-only's value: the request bits it sets (with `req`'s rdb-only bit kept), or
 * the error to reply. Redis splits it as sdssplitargs does; "functions" is the one filter known.
 */
export function rdbFilterRequest(req: number, value: string): number | string {
  let out = (req & REPLICA_RDB_ONLY) | REPLICA_EXCLUDE_DATA | REPLICA_EXCLUDE_FUNCTIONS;
  for (const f of value.split(/\s+/).filter((s) => s.length > 0)) {
    if (f.toLowerCase() === 'functions') out &= ~REPLICA_EXCLUDE_FUNCTIONS;
    else return `ERR Unsupported rdb-filter-only option: ${f}`;
  }
  return out;
}

export interface ReplicaRdbSource {
  readonly store: Store;
  readonly functions: Functions | null;
  /** maxmemory-policy. */
  readonly policy: string;
}

/** The RDB file a replica that is not corral's gets, taken now, for the stream from (replid, offset). */
export function replicaRdb(src: ReplicaRdbSource, req: number, replid: string, offset: number): Buffer {
  const policy = src.policy;
  return writeRdbFile(src.store.dbs, {
    // rdbSaveInfoAuxFields, with rdbPopulateSaveInfo's replication fields: the stream after the
    // file starts with a SELECT, so the database it names matters little (Redis's slaveseldb).
    aux: [
      ['redis-ver', REDIS_VERSION],
      ['redis-bits', 64],
      ['ctime', Math.floor(Date.now() / 1000)],
      ['used-mem', src.store.usedMemory],
      ['repl-stream-db', 0],
      ['repl-id', replid],
      ['repl-offset', offset],
      ['aof-base', 0],
    ],
    functions: (req & REPLICA_EXCLUDE_FUNCTIONS) !== 0 ? null : (src.functions?.dump() ?? null),
    data: (req & REPLICA_EXCLUDE_DATA) === 0,
    access: policy.endsWith('-lru') ? 'lru' : policy.endsWith('-lfu') ? 'lfu' : null,
    limits: src.store.limits,
  });
}
