// The replication snapshot's walks over a keyspace's ids (Keyspace.snapshotStep and
// snapshotIds are these walks): live keys in id order from a cursor, in bounded steps, so a full
// copy can interleave with serving commands.

import { META_LIVE } from './key-table.js';
import type { KeyspaceCore } from './keyspace-core.js';

/** Ids a snapshot step looks at per key it may return, at most (bounds a step over sparse ids). */
const SNAPSHOT_IDS_PER_KEY = 16;

/**
 * One step of a replication snapshot: visits up to `maxKeys` live keys (logically expired ones
 * skipped) with ids from `cursor` upwards (0 starts), looking at no more than
 * maxKeys x SNAPSHOT_IDS_PER_KEY ids, and returns the cursor to continue from, 0 once every id
 * was looked at. As with SCAN, ids are stable while their key exists, so a key present for the
 * whole walk is visited exactly once; one added or removed meanwhile may or may not be. The
 * visitor may read the keyspace (dumpKey) but must not write it.
 */
export function walkSnapshot(db: KeyspaceCore, cursor: number, maxKeys: number, visit: (key: string, id: number) => void): number {
  const t = db.table;
  const limit = Math.max(1, maxKeys);
  const stop = Math.min(t.highWater, cursor + limit * SNAPSHOT_IDS_PER_KEY);
  let n = 0;
  let id = cursor;
  for (; id < stop && n < limit; id++) {
    if ((t.meta[id] & META_LIVE) === 0 || db.isExpired(id)) continue;
    n++;
    visit(t.keyString(id), id);
  }
  return id >= t.highWater ? 0 : id;
}

/**
 * snapshotStep without making key strings: writes up to `out.length` live ids into `out` and
 * returns [the count, the cursor to continue from (0 once every id was looked at)] through
 * `result`. The same walk and guarantees as snapshotStep.
 */
export function walkSnapshotIds(db: KeyspaceCore, cursor: number, out: Int32Array, result: Int32Array): void {
  const t = db.table;
  const limit = Math.max(1, out.length);
  const stop = Math.min(t.highWater, cursor + limit * SNAPSHOT_IDS_PER_KEY);
  let n = 0;
  let id = cursor;
  for (; id < stop && n < limit; id++) {
    if ((t.meta[id] & META_LIVE) === 0 || db.isExpired(id)) continue;
    out[n++] = id;
  }
  result[0] = n;
  result[1] = id >= t.highWater ? 0 : id;
}
