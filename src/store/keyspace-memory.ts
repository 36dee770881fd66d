// A keyspace's items moving in slab memory off the common write path (keyspace.ts delegates
// here): a string's item grown for an in-place edit (openStringBytes: APPEND, SETRANGE, SETBIT,
// BITFIELD), and defragmentation, which empties slab pages by moving their live items.

import { ITEM_HEADER as ITEM_HEADER_BYTES, KeyTable, META_TTL } from './key-table.js';
import type { KeyspaceCore } from './keyspace-core.js';
import { MAX_CHUNK } from './slab.js';

/** openStringBytes' growth: the value goes from vlen to minLen bytes, moving if it must. */
export function growString(db: KeyspaceCore, id: number, vlen: number, minLen: number, maxLen: number): void {
  const t = db.table;
  const slab = t.slab;
  const ttl = (t.meta[id] & META_TTL) !== 0;
  const at = ttl ? t.expireAt(id) : 0;
  const klen = t.keyLength(id);
  const need = KeyTable.itemSize(klen, minLen, ttl);
  const held = slab.sizeOf(t.loc[id]);
  // A large item is moved into zeroed, lazily mapped memory (slab.alloc): the grown bytes are
  // zeros already and are not touched here, so a string sized at once to its final length (a
  // big string moved in pieces: big-key-copy.ts) faults its pages in as the pieces fill them,
  // not all in this command.
  let zeroed = false;
  if (need > held) {
    let size = need;
    if (need > MAX_CHUNK) size = Math.max(need, Math.min(held + Math.floor(held / 2), KeyTable.itemSize(klen, maxLen, ttl)));
    zeroed = size > MAX_CHUNK;
    t.relocate(id, size, ITEM_HEADER_BYTES + klen + vlen, zeroed);
  }
  const voff = t.writeHeader(t.loc[id], klen, minLen);
  if (!zeroed) t.cb.fill(0, voff + vlen, voff + minLen);
  if (ttl) t.writeExpireAt(id, at);
  if (need > held && db.tracker !== null) db.tracker.onResize(db.lfuId, id, db.costOf(id));
}

/**
 * Moves the live chunks off slab pages of over-provisioned size classes (see slab.ts) until
 * `deadline`; returns the number of pages freed.
 */
export function defragmentTable(t: KeyTable, deadline: number, maxPages: number): number {
  const slab = t.slab;
  let freed = 0;
  while (freed < maxPages && performance.now() < deadline) {
    const page = slab.evacuationCandidate();
    if (page < 0) break;
    const chunks = slab.beginEvacuation(page);
    for (let c = 0; c < chunks; c++) {
      const loc = slab.chunkLocation(page, c);
      if (!slab.isLive(loc)) continue;
      const id = t.idAt(loc);
      if (id < 0) continue;
      const used = t.usedSize(id);
      t.relocate(id, used, used);
    }
    slab.endEvacuation(page);
    freed++;
  }
  return freed;
}
