// bench/hash-memory-bench.ts — memory per small hash in one corral process, through the command
// layer (HSET run by the hash command handler on a Store, no sockets).
//
// Run: node --expose-gc dist/bench/hash-memory-bench.js [hashes=1000000] [fields=5] [fieldBytes=10] [valueBytes=10]
// Prints, per hash, the growth of RSS, V8 heap used, external and ArrayBuffer memory between an
// empty store and the loaded one (both read after a full GC), next to the store's own estimate
// (used_memory / hashes). Keys are `h:<n>`; field i of every hash has the same name, and
// values differ per hash, as a typical object-per-hash workload does.

import { CommandContext } from '../src/commands/context.js';
import { hashCommands } from '../src/commands/hashes.js';
import { CommandTable } from '../src/commands/table.js';
import { ReplyWriter } from '../src/protocol/reply-writer.js';
import { Store } from '../src/store/store.js';
import { ManualClock } from '../src/util/clock.js';

const [hashes, fields, fieldBytes, valueBytes] = [1_000_000, 5, 10, 10].map((d, i) => Number(process.argv[2 + i] ?? d));
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc');

const store = new Store({ databases: 1, clock: new ManualClock() });
const table = new CommandTable();
table.register(hashCommands);
const hset = table.get('hset')!;
const c = new CommandContext(store);
c.w = new ReplyWriter();
c.client = { id: 1, db: 0 };
c.db = store.dbs[0];
c.name = 'hset';

// One request buffer, rewritten in place for each hash: HSET key f0 v0 f1 v1 ...
const argc = 2 + 2 * fields;
const lengths = [4, 12, ...Array.from({ length: fields }, () => [fieldBytes, valueBytes]).flat()];
const start: number[] = [];
const end: number[] = [];
let off = 0;
for (const len of lengths) {
  start.push(off);
  end.push((off += len));
}
const buf = Buffer.alloc(off, 0x61);
buf.write('hset', 0, 'latin1');
for (let i = 0; i < fields; i++) buf.write(`f${i}`.padEnd(fieldBytes, '_').slice(0, fieldBytes), start[2 + 2 * i], 'latin1');
c.args = { buf, argc, start, end };

function sample(): NodeJS.MemoryUsage {
  for (let i = 0; i < 3; i++) gc!();
  return process.memoryUsage();
}

const before = sample();
const t0 = performance.now();
for (let n = 0; n < hashes; n++) {
  const id = String(n).padStart(10, '0');
  buf.write(`h:${id}`, start[1], 'latin1');
  for (let i = 0; i < fields; i++) buf.write(id.padStart(valueBytes, 'v').slice(-valueBytes), start[3 + 2 * i], 'latin1');
  c.w.begin();
  hset.handler(c);
  c.w.take();
}
const loadMs = performance.now() - t0;
await new Promise((r) => setTimeout(r, 100)); // let pending finalization callbacks run
const after = sample();
if (store.dbs[0].size !== hashes) throw new Error(`expected ${hashes} keys, got ${store.dbs[0].size}`);
const per = (k: keyof NodeJS.MemoryUsage): string => ((after[k] - before[k]) / hashes).toFixed(0);
console.log(`${hashes} hashes x ${fields} fields (${fieldBytes} B field, ${valueBytes} B value), HSET through the command layer, ${loadMs.toFixed(0)} ms`);
console.log(`per hash: rss ${per('rss')} B, heapUsed ${per('heapUsed')} B, external ${per('external')} B, arrayBuffers ${per('arrayBuffers')} B; estimate (used_memory) ${(store.usedMemory / hashes).toFixed(0)} B`);
console.log(`totals: rss ${(after.rss / 2 ** 20).toFixed(0)} MB, heapUsed ${(after.heapUsed / 2 ** 20).toFixed(0)} MB`);
