// The slab allocator behind the keyspace: every item (its key, value and TTL, laid out by
// key-table.ts) lives in a chunk of a 64 KB page (16 chunks a page for classes over 4 KB), or,
// past 16 KB, in a Buffer of its own. A location is one u32, so the key table keeps it in a typed
// array and the garbage collector sees one object per page instead of several per key.
//
// Size classes step by 4 bytes up to 256, by 8 up to 512, by 16 up to 2 KB, then by 64, 128 and
// 256 bytes per doubling up to 16 KB, so an item loses a few bytes to rounding (jemalloc, which
// Redis uses, steps by 25%). Each page holds chunks of one class; a page with a free chunk is on
// its class's partial list; a freed chunk goes on its page's free list (the link is kept in the
// chunk itself); a page whose last chunk is freed goes to a pool of spare pages or to the
// garbage collector. Evacuation (beginEvacuation/endEvacuation, driven by the keyspace, which
// fixes the item locations) moves the live chunks off a sparse page, so memory held by a class
// whose items went away is given back: without it, a workload that moves from small to large
// values would keep every small page.

/** Pages of classes up to 4 KB; larger classes take pages of 16 chunks (up to 256 KB). */
export const PAGE_SIZE = 64 * 1024;
export const CHUNK_BITS = 12;
export const CHUNK_MASK = (1 << CHUNK_BITS) - 1;
/** 2^19 pages of 64 KB or more: at least 32 GB of chunks. */
const MAX_PAGES = 1 << 19;
/** Items larger than this get a Buffer of their own. */
export const MAX_CHUNK = 16384;
/** Locations at or above this name a large item's own Buffer. */
export const LARGE_BASE = 0x80000000;
/** A free chunk's first u32 (where a live item keeps its key length). */
export const FREE_MARK = 0xffffffff;
/**
 * Empty full-size pages are kept for reuse by any class, up to this many or a sixteenth of the
 * pages in use, whichever is more. A page given to the garbage collector returns its memory only
 * at the next major collection (and then to malloc, which may keep it), so under churn reuse is
 * what keeps RSS flat.
 */
const SPARE_PAGES = 16;
/** A class's first page is at least this big (see newPage); such a page, emptied, is kept (keepsLastPage). */
const SMALL_FIRST_PAGE = 4096;

const CLASS_SIZES: number[] = [];
for (let s = 16; s <= 256; s += 4) CLASS_SIZES.push(s);
for (let s = 264; s <= 512; s += 8) CLASS_SIZES.push(s);
for (let s = 528; s <= 2048; s += 16) CLASS_SIZES.push(s);
for (let s = 2112; s <= 4096; s += 64) CLASS_SIZES.push(s);
for (let s = 4224; s <= 8192; s += 128) CLASS_SIZES.push(s);
for (let s = 8448; s <= MAX_CHUNK; s += 256) CLASS_SIZES.push(s);
const CLASS_COUNT = CLASS_SIZES.length;
/** Size class of an item of n bytes (n <= MAX_CHUNK), indexed by ceil(n / 4). */
const CLASS_OF = new Uint16Array((MAX_CHUNK >> 2) + 1);
{
  let c = 0;
  for (let i = 0; i < CLASS_OF.length; i++) {
    while (CLASS_SIZES[c] < i * 4) c++;
    CLASS_OF[i] = c;
  }
}

/** The size of a class's pages once it has a few: 64 KB, or 16 chunks for classes over 4 KB. */
function fullPageBytes(cls: number): number {
  return Math.max(PAGE_SIZE, CLASS_SIZES[cls] * 16);
}

/** A u32 view of a buffer's whole words (item headers sit at 4-byte aligned offsets). */
function wordsOf(buf: Buffer): Uint32Array {
  return new Uint32Array(buf.buffer, buf.byteOffset, buf.length >> 2);
}

/** The chunk size an item of n bytes takes (its own size past MAX_CHUNK). */
export function chunkSizeFor(n: number): number {
  return n > MAX_CHUNK ? n : CLASS_SIZES[CLASS_OF[(n + 3) >> 2]];
}

export class SlabAllocator {
  /** Page buffers by page number (null: page number free), and u32 views of them (headers). */
  readonly pages: (Buffer | null)[] = [];
  readonly words: (Uint32Array | null)[] = [];
  /** Chunk size of each page's class. */
  pageChunk = new Uint32Array(64);
  private pageClass = new Uint16Array(64);
  /** Chunks each page holds. */
  private pageCap = new Uint16Array(64);
  private pageLive = new Uint16Array(64);
  /** Chunks handed out from the never-used tail of each page. */
  private pageBump = new Uint16Array(64);
  private pageFree = new Int32Array(64);
  private pageNext = new Int32Array(64);
  private pagePrev = new Int32Array(64);
  /** 1 while a page is on its class's partial list, 2 while being evacuated. */
  private pageState = new Uint8Array(64);
  private readonly classHead = new Int32Array(CLASS_COUNT).fill(-1);
  /** Live chunk bytes per class. */
  private readonly classLive = new Float64Array(CLASS_COUNT);
  private readonly classPages = new Uint32Array(CLASS_COUNT);
  /** Bytes of the pages of each class. */
  private readonly classHeld = new Float64Array(CLASS_COUNT);
  private readonly freePageNumbers: number[] = [];
  readonly large: (Buffer | null)[] = [];
  readonly largeWords: (Uint32Array | null)[] = [];
  private readonly freeLarge: number[] = [];
  /** Bytes of live chunks and large items (what items cost, rounding included). */
  liveBytes = 0;
  /**
   * Set when a new page is taken while pages hold many free chunks: the keyspace then
   * evacuates a page at once (see Keyspace.defragment) instead of waiting for the cron.
   */
  wantDefrag = false;
  /** Pages in use, and their bytes. */
  pageCount = 0;
  pageBytes = 0;
  largeBytes = 0;

  /** `spare`: empty pages kept for reuse, shared by the allocators of one store. */
  constructor(private readonly spare: Buffer[] = []) {}

  /** The Buffer holding the item at `loc`. */
  bufferOf(loc: number): Buffer {
    return loc >= LARGE_BASE ? this.large[loc - LARGE_BASE]! : this.pages[loc >>> CHUNK_BITS]!;
  }

  /** The item's offset in its Buffer. */
  offsetOf(loc: number): number {
    return loc >= LARGE_BASE ? 0 : (loc & CHUNK_MASK) * this.pageChunk[loc >>> CHUNK_BITS];
  }

  /** Bytes the item at `loc` occupies. */
  sizeOf(loc: number): number {
    return loc >= LARGE_BASE ? this.large[loc - LARGE_BASE]!.length : this.pageChunk[loc >>> CHUNK_BITS];
  }

  /** Bytes the allocator holds from the system: pages in use and large items (not spares). */
  get heldBytes(): number {
    return this.pageBytes + this.largeBytes;
  }

  /** Bytes of the empty pages kept for reuse (shared by the store's allocators). */
  get spareBytes(): number {
    return this.spare.length * PAGE_SIZE;
  }

  /**
   * Allocates room for an item of n bytes; returns its location. `zeroed`: a large item's bytes
   * start as zeros, in memory the system maps lazily (calloc), so bytes never written cost no page
   * faults (a string grown at once to its final size by SETRANGE); chunks are not zeroed.
   */
  alloc(n: number, zeroed = false): number {
    if (n > MAX_CHUNK) return this.allocLarge(n, zeroed);
    const cls = CLASS_OF[(n + 3) >> 2];
    let p = this.classHead[cls];
    if (p < 0) p = this.newPage(cls);
    let chunk = this.pageFree[p];
    if (chunk >= 0) {
      this.pageFree[p] = this.words[p]![((chunk * this.pageChunk[p]) >> 2) + 1] - 1;
    } else {
      chunk = this.pageBump[p]++;
    }
    const live = ++this.pageLive[p];
    const size = CLASS_SIZES[cls];
    if (live === this.pageCap[p]) this.unlinkPartial(p);
    this.liveBytes += size;
    this.classLive[cls] += size;
    return (p << CHUNK_BITS) | chunk;
  }

  free(loc: number): void {
    if (loc >= LARGE_BASE) {
      const i = loc - LARGE_BASE;
      const n = this.large[i]!.length;
      this.large[i] = null;
      this.largeWords[i] = null;
      this.freeLarge.push(i);
      this.liveBytes -= n;
      this.largeBytes -= n;
      return;
    }
    const p = loc >>> CHUNK_BITS;
    const chunk = loc & CHUNK_MASK;
    const size = this.pageChunk[p];
    const words = this.words[p]!;
    const w = (chunk * size) >> 2;
    words[w] = FREE_MARK;
    words[w + 1] = this.pageFree[p] + 1;
    this.pageFree[p] = chunk;
    this.liveBytes -= size;
    this.classLive[this.pageClass[p]] -= size;
    const live = --this.pageLive[p];
    if (live === 0 && this.pageState[p] !== 2 && !this.keepsLastPage(p)) this.releasePage(p);
    else if (this.pageState[p] === 0) this.linkPartial(p);
  }

  /**
   * A class's only page, emptied, is kept while it is a small (4 KB) first page: an item
   * allocated and freed at once, over and over (a value outgrowing its first chunk on every new
   * hash), would otherwise make and drop a page per command. At most one such page per small
   * class: about 500 KB if every class up to 1 KB was ever used.
   */
  private keepsLastPage(p: number): boolean {
    return this.classPages[this.pageClass[p]] === 1 && this.pages[p]!.length <= SMALL_FIRST_PAGE;
  }

  /**
   * The page most worth evacuating, or -1: in the class whose pages hold the most free bytes, if
   * that is at least two of its average pages and a tenth of the class, its emptiest partial page,
   * provided its live chunks fit in the free chunks of the class's other pages. Without that
   * proviso a sparse class (pages of 4, 8, 16 and 64 KB, the 64 KB one nearly empty, the others
   * full) evacuated its emptiest page into a new page of the same size, forever: the cron spent
   * its whole defragmentation budget on every node, freeing nothing.
   */
  evacuationCandidate(): number {
    let bestCls = -1;
    let bestFree = 0;
    let bestPage = -1;
    for (let c = 0; c < CLASS_COUNT; c++) {
      const held = this.classHeld[c];
      const free = held - this.classLive[c];
      if (free <= bestFree || free < (2 * held) / this.classPages[c] || free * 10 < held) continue;
      const page = this.emptiestPartialPage(c);
      if (page < 0) continue;
      bestFree = free;
      bestCls = c;
      bestPage = page;
    }
    return bestCls < 0 ? -1 : bestPage;
  }

  /** The class's partial page with the fewest live chunks, if they fit in its other pages' free chunks; else -1. */
  private emptiestPartialPage(cls: number): number {
    let best = -1;
    let bestLive = Infinity;
    let freeChunks = 0;
    for (let p = this.classHead[cls]; p >= 0; p = this.pageNext[p]) {
      freeChunks += this.pageCap[p] - this.pageLive[p];
      if (this.pageLive[p] < bestLive) {
        bestLive = this.pageLive[p];
        best = p;
      }
    }
    if (best < 0) return -1;
    const elsewhere = freeChunks - (this.pageCap[best] - bestLive);
    return bestLive <= elsewhere ? best : -1;
  }

  /**
   * Takes a page off its partial list so no chunk is allocated in it, and returns how many
   * chunks it has ever handed out: the caller moves each live one (chunkLocation, isLive) and
   * frees its old location, then calls endEvacuation.
   */
  beginEvacuation(p: number): number {
    if (this.pageState[p] === 1) this.unlinkPartial(p);
    this.pageState[p] = 2;
    return this.pageBump[p];
  }

  endEvacuation(p: number): void {
    this.pageState[p] = 0;
    if (this.pageLive[p] === 0) this.releasePage(p);
    else this.linkPartial(p);
  }

  chunkLocation(p: number, chunk: number): number {
    return (p << CHUNK_BITS) | chunk;
  }

  isLive(loc: number): boolean {
    const p = loc >>> CHUNK_BITS;
    return this.words[p]![((loc & CHUNK_MASK) * this.pageChunk[p]) >> 2] !== FREE_MARK;
  }

  /** Drops every item and page (FLUSHALL). */
  clear(): void {
    for (let p = 0; p < this.pages.length; p++) if (this.pages[p] !== null) this.releasePage(p);
    this.large.length = 0;
    this.largeWords.length = 0;
    this.freeLarge.length = 0;
    this.largeBytes = 0;
    this.liveBytes = 0;
    this.classLive.fill(0);
  }

  private allocLarge(n: number, zeroed: boolean): number {
    const buf = zeroed ? Buffer.alloc(n) : Buffer.allocUnsafeSlow(n);
    let i = this.freeLarge.pop();
    if (i === undefined) {
      i = this.large.length;
      this.large.push(buf);
      this.largeWords.push(wordsOf(buf));
    } else {
      this.large[i] = buf;
      this.largeWords[i] = wordsOf(buf);
    }
    this.liveBytes += n;
    this.largeBytes += n;
    return LARGE_BASE + i;
  }

  /**
   * A class's first pages are small, so a class with few items does not hold a whole 64 KB
   * page: with ~285 classes, that would be 18 MB or more.
   */
  private newPage(cls: number): number {
    let p = this.freePageNumbers.pop();
    if (p === undefined) {
      p = this.pages.length;
      if (p >= MAX_PAGES) throw new RangeError('corral: slab pages exhausted');
      this.pages.push(null);
      this.words.push(null);
      if (p >= this.pageChunk.length) this.growPageArrays();
    }
    const size = CLASS_SIZES[cls];
    // 4 KB (or 4 chunks) for a class's first page, doubling with each page it holds. (Sizing
    // pages to an eighth of the class instead made RSS worse under mixed sizes: more small
    // buffers for malloc to fragment.)
    const bytes = Math.min(fullPageBytes(cls), Math.max(size * 4, 4096 << Math.min(this.classPages[cls], 4)));
    const cap = Math.min(Math.floor(bytes / size), CHUNK_MASK + 1);
    const buf = bytes === PAGE_SIZE && this.spare.length > 0 ? this.spare.pop()! : Buffer.allocUnsafeSlow(bytes);
    this.pages[p] = buf;
    this.words[p] = wordsOf(buf);
    this.pageClass[p] = cls;
    this.pageChunk[p] = size;
    this.pageCap[p] = cap;
    this.pageLive[p] = 0;
    this.pageBump[p] = 0;
    this.pageFree[p] = -1;
    this.pageState[p] = 0;
    this.classPages[cls]++;
    this.classHeld[cls] += bytes;
    const free = this.pageBytes - (this.liveBytes - this.largeBytes);
    if (free > 2 * PAGE_SIZE && free * 16 > this.pageBytes) this.wantDefrag = true;
    this.pageCount++;
    this.pageBytes += bytes;
    this.linkPartial(p);
    return p;
  }

  private releasePage(p: number): void {
    if (this.pageState[p] === 1) this.unlinkPartial(p);
    this.pageState[p] = 0;
    const buf = this.pages[p]!;
    const cls = this.pageClass[p];
    this.classPages[cls]--;
    this.classHeld[cls] -= buf.length;
    this.pageCount--;
    this.pageBytes -= buf.length;
    if (buf.length === PAGE_SIZE && this.spare.length < Math.max(SPARE_PAGES, this.pageCount >> 2)) this.spare.push(buf);
    this.pages[p] = null;
    this.words[p] = null;
    this.freePageNumbers.push(p);
  }

  private linkPartial(p: number): void {
    const cls = this.pageClass[p];
    const head = this.classHead[cls];
    this.pageNext[p] = head;
    this.pagePrev[p] = -1;
    if (head >= 0) this.pagePrev[head] = p;
    this.classHead[cls] = p;
    this.pageState[p] = 1;
  }

  private unlinkPartial(p: number): void {
    const next = this.pageNext[p];
    const prev = this.pagePrev[p];
    if (prev >= 0) this.pageNext[prev] = next;
    else this.classHead[this.pageClass[p]] = next;
    if (next >= 0) this.pagePrev[next] = prev;
    this.pageState[p] = 0;
  }

  private growPageArrays(): void {
    const n = Math.min(MAX_PAGES, this.pageChunk.length * 2);
    const grow = <T extends Uint8Array | Uint16Array | Uint32Array | Int32Array>(a: T, make: (n: number) => T): T => {
      const b = make(n);
      b.set(a as never);
      return b;
    };
    this.pageChunk = grow(this.pageChunk, (k) => new Uint32Array(k));
    this.pageClass = grow(this.pageClass, (k) => new Uint16Array(k));
    this.pageCap = grow(this.pageCap, (k) => new Uint16Array(k));
    this.pageLive = grow(this.pageLive, (k) => new Uint16Array(k));
    this.pageBump = grow(this.pageBump, (k) => new Uint16Array(k));
    this.pageFree = grow(this.pageFree, (k) => new Int32Array(k));
    this.pageNext = grow(this.pageNext, (k) => new Int32Array(k));
    this.pagePrev = grow(this.pagePrev, (k) => new Int32Array(k));
    this.pageState = grow(this.pageState, (k) => new Uint8Array(k));
  }
}
