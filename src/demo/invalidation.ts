// The demo's last step: a row update. The hot product's price changes in the database; the SDK
// path invalidates its key (cache.invalidate: deletes it and voids any lease, so a load that
// read the old row before the update cannot write it back) and its next read returns the new
// price, while the naive path, which nobody told, keeps serving the old price until its TTL
// runs out. Runs in the demo's main process with its own client and cache.

import type { CorralClient } from '../client/index.js';
import type { Cache } from '../cache/index.js';
import { TABLE, type Product, type ProductDb } from './db.js';
import { HOT_ID, naiveKey, naiveRead, sdkKey } from './workload.js';

export interface InvalidationResult {
  oldPrice: string;
  newPrice: string;
  /** What the SDK path returned right after invalidate(). */
  sdkPriceAfter: string;
  /** How long the naive path served the old price after the update (ms), and how many reads. */
  naiveStaleMs: number;
  naiveStaleReads: number;
  /** The naive path's price at the end (the new one once its TTL ran out). */
  naivePriceAtEnd: string;
  lines: string[];
}

export async function rowUpdateStep(client: CorralClient, cache: Cache, db: ProductDb, ttlMs: number): Promise<InvalidationResult> {
  const lines: string[] = [];
  const load = (id: number): Promise<Product | null> => db.getProduct(id);
  const sdkRead = async (): Promise<Product | null> =>
    cache.getOrLoad<Product | null>(sdkKey(HOT_ID), () => load(HOT_ID), { ttl: ttlMs, grace: 0 });
  await client.del(naiveKey(HOT_ID), sdkKey(HOT_ID));

  // Both paths cache the current row.
  const before = await db.peekPrice(HOT_ID);
  const n0 = await naiveRead(client, HOT_ID, ttlMs, load);
  const s0 = await sdkRead();
  const oldPrice = before ?? '?';
  lines.push(`database: product ${HOT_ID} costs ${oldPrice}; both paths read and cache it (TTL ${ttlMs} ms)`);
  lines.push(`  naive read: ${n0.product?.price}   SDK read: ${s0?.price}`);

  // The flash sale starts: the price drops. Deterministic: 20.00 off, never below 1.00.
  const newPrice = Math.max(1, Number(oldPrice) - 20).toFixed(2);
  await db.updatePrice(HOT_ID, newPrice);
  const t0 = Date.now();
  lines.push(`UPDATE ${TABLE} SET price = ${newPrice} WHERE id = ${HOT_ID}`);

  await cache.invalidate(sdkKey(HOT_ID));
  const s1 = await sdkRead();
  const sdkPriceAfter = s1?.price ?? '?';
  lines.push(`  SDK:   cache.invalidate('${sdkKey(HOT_ID)}'), next read -> ${sdkPriceAfter} (${sdkPriceAfter === newPrice ? 'new price' : 'STALE'}, +${Date.now() - t0} ms)`);

  // The naive path: poll until its copy expires and a read reloads the new row.
  const step = Math.max(50, Math.round(ttlMs / 8));
  const until = t0 + 2 * ttlMs + 2000;
  let staleReads = 0;
  let naivePrice = '?';
  const marks: string[] = [];
  for (;;) {
    const r = await naiveRead(client, HOT_ID, ttlMs, load);
    naivePrice = r.product?.price ?? '?';
    const at = Date.now() - t0;
    if (naivePrice !== newPrice) {
      staleReads++;
      marks.push(`+${at} ms ${naivePrice}`);
    } else {
      marks.push(`+${at} ms ${naivePrice} (TTL ran out, reloaded)`);
      break;
    }
    if (Date.now() > until) break;
    await new Promise((r) => setTimeout(r, step));
  }
  const naiveStaleMs = Date.now() - t0;
  lines.push(`  naive: no invalidation, reads -> ${marks.join(', ')}`);
  lines.push(`  naive served the old price for ~${naiveStaleMs} ms after the update (${staleReads} stale reads); the SDK for 0`);
  return { oldPrice, newPrice, sdkPriceAfter, naiveStaleMs, naiveStaleReads: staleReads, naivePriceAtEnd: naivePrice, lines };
}
