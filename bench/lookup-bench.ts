// bench/lookup-bench.ts — the key table's lookup alone (src/store/key-table.ts), in ns per
// lookup: a table of N keys (16-byte keys, 3-byte values), then random lookups of present keys
// (hits) and of absent keys of the same length (misses), 2^19 per pass, passes alternating, the
// median of 19 after two warm-up passes. No sockets and no parsing: what the index and the item's
// memory cost once the table outgrows the caches. `--compare DIR` also loads another build's
// key table (DIR: its dist directory) into the same process, and the two tables' passes alternate
// (docs/benchmarks.md, "A tag in the index"): separate processes differ by more than the change.
//
//   npm run build && node dist/bench/lookup-bench.js [--keys 100000,1000000] [--compare /tmp/old/dist]

import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import * as thisKeyTable from '../src/store/key-table.js';
import * as thisSlab from '../src/store/slab.js';

type KeyTable = thisKeyTable.KeyTable;
interface Build {
  name: string;
  KeyTable: typeof thisKeyTable.KeyTable;
  SlabAllocator: typeof thisSlab.SlabAllocator;
  ITEM_HEADER: number;
}

const KEY_BYTES = 16;
const LOOKUPS = 1 << 19;
const PASSES = 21;

function keyAt(buf: Buffer, i: number, prefix: string): void {
  buf.write(`${prefix}${String(i).padStart(KEY_BYTES - prefix.length, '0')}`, i * KEY_BYTES, 'latin1');
}

function tableOf(b: Build, keys: Buffer, n: number): KeyTable {
  const ITEM_HEADER = b.ITEM_HEADER;
  const t = new b.KeyTable(new b.SlabAllocator());
  for (let i = 0; i < n; i++) {
    const at = i * KEY_BYTES;
    if (t.findBytes(keys, at, at + KEY_BYTES) >= 0) throw new Error('duplicate key');
    const h = t.lastHash;
    const loc = t.slab.alloc(ITEM_HEADER + KEY_BYTES + 3);
    const keyAtItem = t.writeHeader(loc, KEY_BYTES, 3) - KEY_BYTES;
    keys.copy(t.cb, keyAtItem, at, at + KEY_BYTES);
    t.insert(h, loc, 0);
  }
  return t;
}

/** ns per lookup of the keys at `order` in `keys`; throws if the hits and misses are not what they should be. */
function pass(t: KeyTable, keys: Buffer, order: Int32Array, expectFound: boolean): number {
  let found = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < order.length; i++) {
    const at = order[i]! * KEY_BYTES;
    if (t.findBytes(keys, at, at + KEY_BYTES) >= 0) found++;
  }
  const ns = Number(process.hrtime.bigint() - t0) / order.length;
  if (found !== (expectFound ? order.length : 0)) throw new Error(`lookup found ${found} of ${order.length}`);
  return ns;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

async function buildAt(dir: string): Promise<Build> {
  const kt = (await import(pathToFileURL(path.resolve(dir, 'src/store/key-table.js')).href)) as typeof thisKeyTable;
  const slab = (await import(pathToFileURL(path.resolve(dir, 'src/store/slab.js')).href)) as typeof thisSlab;
  return { name: dir, KeyTable: kt.KeyTable, SlabAllocator: slab.SlabAllocator, ITEM_HEADER: kt.ITEM_HEADER };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { keys: { type: 'string', default: '100000,1000000' }, compare: { type: 'string' } } });
  const builds: Build[] = [{ name: 'this build', KeyTable: thisKeyTable.KeyTable, SlabAllocator: thisSlab.SlabAllocator, ITEM_HEADER: thisKeyTable.ITEM_HEADER }];
  if (values.compare !== undefined) builds.push(await buildAt(values.compare));
  for (const n of values.keys.split(',').map(Number)) {
    const hits = Buffer.alloc(n * KEY_BYTES);
    const misses = Buffer.alloc(n * KEY_BYTES);
    for (let i = 0; i < n; i++) {
      keyAt(hits, i, 'key:');
      keyAt(misses, i, 'kez:');
    }
    const tables = builds.map((b) => tableOf(b, hits, n));
    let seed = 12345;
    const order = new Int32Array(LOOKUPS);
    for (let i = 0; i < LOOKUPS; i++) order[i] = ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32) * n;
    const hitNs: number[][] = builds.map(() => []);
    const missNs: number[][] = builds.map(() => []);
    for (let p = 0; p < PASSES; p++) {
      // The builds in turn, the order reversed every pass.
      for (let k = 0; k < builds.length; k++) {
        const b = p % 2 === 0 ? k : builds.length - 1 - k;
        hitNs[b]!.push(pass(tables[b]!, hits, order, true));
        missNs[b]!.push(pass(tables[b]!, misses, order, false));
      }
    }
    for (let b = 0; b < builds.length; b++) {
      console.log(`${builds[b]!.name}, ${n} keys: hit ${median(hitNs[b]!.slice(2)).toFixed(1)} ns, miss ${median(missNs[b]!.slice(2)).toFixed(1)} ns per lookup`);
    }
  }
}

await main();
