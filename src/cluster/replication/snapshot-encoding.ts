// What a full copy and a state-propagated write put in the replication stream for one key: its
// state as a command (`SET key value [PXAT t]`, `RESTORE key t payload REPLACE ABSTTL`, or
// `DEL key`), and, for a replica that loads in bulk (`REPLCONF capa corral-load`), a snapshot
// step's plain string keys as `CORRAL LOAD <db> <key> <value> <expire-at-ms or 0> ...`.

import type { Keyspace } from '../../store/keyspace.js';
import { TYPE_STRING } from '../../store/entry.js';
import { dumpKey } from '../../store/dump.js';
import type { StreamBuffer } from './stream-buffer.js';

/**
 * One snapshot step's keys of database `db` for a replica that loads in bulk: the plain strings
 * as one `CORRAL LOAD <db> <key> <value> <expire-at-ms or 0> ...` (the replica stores them
 * without running a command per key, and the key bytes go from the key table to the stream
 * without a string), every other key as its state command after a SELECT (`selectFirst`: the
 * replica's database may not be `db`). Returns whether a SELECT of `db` is now in effect.
 */
export function loadCommands(keyspace: Keyspace, db: number, ids: Int32Array, n: number, out: StreamBuffer, selectFirst: boolean): boolean {
  const t = keyspace.table;
  let plain = 0;
  for (let i = 0; i < n; i++) if (isPlainString(keyspace, ids[i])) plain++;
  if (plain > 0) {
    out.command(3 + 3 * plain);
    out.argBytes(CORRAL_WORD, 0, CORRAL_WORD.length);
    out.argBytes(LOAD_WORD, 0, LOAD_WORD.length);
    out.argInt(db);
    for (let i = 0; i < n; i++) {
      const id = ids[i];
      if (!isPlainString(keyspace, id)) continue;
      const ks = keyspace.keyBytes(id);
      out.argBytes(t.cb, ks, ks + keyspace.keyLength());
      t.view(id);
      out.argBytes(t.vbuf, t.vstart, t.vend);
      out.argInt(keyspace.expireAtOf(id));
    }
  }
  if (plain < n) {
    if (selectFirst) out.strings('SELECT', String(db));
    for (let i = 0; i < n; i++) if (!isPlainString(keyspace, ids[i])) stateCommand(keyspace, t.keyString(ids[i]), out);
    return true;
  }
  return !selectFirst;
}

/** A string key without a stale-at time: what CORRAL LOAD carries. */
function isPlainString(keyspace: Keyspace, id: number): boolean {
  return keyspace.typeOf(id) === TYPE_STRING && keyspace.staleAtOf(id) === 0;
}

const CORRAL_WORD = Buffer.from('CORRAL');
const LOAD_WORD = Buffer.from('LOAD');

/** Encodes a key's current state as a command: SET (strings), RESTORE (other types), or DEL. */
export function stateCommand(keyspace: Keyspace, key: string, out: StreamBuffer): void {
  const id = keyspace.table.findString(key);
  if (id < 0 || !keyspace.isLiveForCopy(id)) {
    out.strings('DEL', key);
    return;
  }
  const at = keyspace.expireAtOf(id);
  if (keyspace.typeOf(id) === TYPE_STRING && keyspace.staleAtOf(id) === 0) {
    keyspace.view(id);
    const t = keyspace.table;
    out.command(at > 0 ? 5 : 3);
    out.arg('SET');
    out.arg(key);
    out.argBytes(t.vbuf, t.vstart, t.vend);
    if (at > 0) {
      out.arg('PXAT');
      out.arg(String(at));
    }
    return;
  }
  const payload = dumpKey(keyspace, key);
  if (payload === null) {
    out.strings('DEL', key);
    return;
  }
  out.command(6);
  out.arg('RESTORE');
  out.arg(key);
  out.arg(String(at));
  out.argBytes(payload, 0, payload.length);
  out.arg('REPLACE');
  out.arg('ABSTTL');
}
