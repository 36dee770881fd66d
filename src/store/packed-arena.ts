// The memory behind packed hashes (hash-value.ts): regions of shared 64 KB chunks, named by a
// Slot (chunk, offset, capacity), so a small hash costs no Buffer or ArrayBuffer of its own (a
// Buffer of its own costs ~450 B of V8 and malloc bookkeeping past 64 bytes, a view of a shared
// one ~100 B, measured on Node 20).
//
// Sizes round up to classes: 16-byte steps up to 128, then four steps per doubling up to 4 KB;
// larger requests get a Buffer of their own (its bookkeeping is then a few percent), with a
// quarter of headroom so that growing hashes are copied O(log n) times. A region given back with
// `release` goes on its class's free list and is handed out again. An owner dropped without
// releasing its region (the keyspace deletes keys without telling their values) gives it back
// through a FinalizationRegistry once it is garbage collected: the registry holds the owner's
// Slot, which the owner updates in place whenever it moves to another region. A chunk is freed
// by the garbage collector once no Slot or free list refers to it; so that free lists do not pin
// chunks after a mass delete, they are emptied whenever the bytes on them exceed both the bytes
// in use and FREE_FLOOR.

/** A region of memory: buf[base, base + cap). cap 0: no region owned (buf may be a borrowed view). */
export interface Slot {
  buf: Buffer;
  base: number;
  cap: number;
}

export const EMPTY = Buffer.alloc(0);
const CHUNK = 64 * 1024;
/** Regions above this size get a Buffer of their own. */
export const MAX_CLASS = 4096;
const FREE_FLOOR = 1 << 20;

const CLASS_SIZES: number[] = [];
for (let s = 16; s <= 128; s += 16) CLASS_SIZES.push(s);
for (let base = 128; base < MAX_CLASS; base *= 2) for (let k = 1; k <= 4; k++) CLASS_SIZES.push(base + (base / 4) * k);
/** Class index by ceil(n / 16) for n <= MAX_CLASS. */
const CLASS_OF = new Uint8Array(MAX_CLASS / 16 + 1);
for (let i = 0, c = 0; i < CLASS_OF.length; i++) {
  while (CLASS_SIZES[c] < i * 16) c++;
  CLASS_OF[i] = c;
}

/** Free regions of each class, as parallel arrays of chunk and offset. */
const freeBufs: Buffer[][] = CLASS_SIZES.map(() => []);
const freeBases: number[][] = CLASS_SIZES.map(() => []);
let chunk = EMPTY;
let chunkUsed = CHUNK;
let liveBytes = 0;
let freeBytes = 0;

const registry = new FinalizationRegistry<Slot>((slot) => {
  if (slot.cap > 0) release(slot.buf, slot.base, slot.cap);
});

/** The capacity a request for n bytes gets: its class size, or past 4 KB n plus a quarter. */
export function capacityFor(n: number): number {
  if (n <= 0) return 0;
  if (n <= MAX_CLASS) return CLASS_SIZES[CLASS_OF[(n + 15) >> 4]];
  return (n + (n >> 2) + 1023) & ~1023;
}

/**
 * Points slot at a new region of capacityFor(n) bytes, n > 0 (contents undefined). The region
 * it named before is not released: the caller copies from it first.
 */
export function allocate(slot: Slot, n: number): void {
  const size = capacityFor(n);
  slot.cap = size;
  if (size > MAX_CLASS) {
    slot.buf = Buffer.allocUnsafeSlow(size);
    slot.base = 0;
    return;
  }
  liveBytes += size;
  const c = CLASS_OF[size >> 4];
  if (freeBufs[c].length > 0) {
    freeBytes -= size;
    slot.buf = freeBufs[c].pop()!;
    slot.base = freeBases[c].pop()!;
    return;
  }
  // The tail of a chunk too short for this request is left unused (under 4 KB of 64 KB).
  if (chunkUsed + size > CHUNK) {
    chunk = Buffer.allocUnsafeSlow(CHUNK);
    chunkUsed = 0;
  }
  slot.buf = chunk;
  slot.base = chunkUsed;
  chunkUsed += size;
}

/** Gives back a region from allocate(); nothing may use it afterwards. */
export function release(buf: Buffer, base: number, cap: number): void {
  if (cap === 0 || cap > MAX_CLASS) return;
  liveBytes -= cap;
  freeBytes += cap;
  const c = CLASS_OF[cap >> 4];
  freeBufs[c].push(buf);
  freeBases[c].push(base);
  if (freeBytes > FREE_FLOOR && freeBytes > liveBytes) {
    for (let i = 0; i < freeBufs.length; i++) {
      freeBufs[i].length = 0;
      freeBases[i].length = 0;
    }
    freeBytes = 0;
  }
}

/** A new empty Slot whose region is released when owner is garbage collected. */
export function trackedSlot(owner: object): Slot {
  const slot: Slot = { buf: EMPTY, base: 0, cap: 0 };
  registry.register(owner, slot);
  return slot;
}

/** Bytes in regions handed out and not released, and bytes on the free lists (tests). */
export function arenaStats(): { liveBytes: number; freeBytes: number } {
  return { liveBytes, freeBytes };
}
