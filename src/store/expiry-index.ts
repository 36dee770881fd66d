// Keys with a TTL, grouped by when they expire: one doubly linked list of ids per 128 ms of
// expiry time (the links are typed-array columns indexed by id), and a min-heap of the buckets.
// Active expiry takes the earliest bucket whose end has passed and deletes its keys: every key
// in it has expired, so reclaiming never scans a live key (the same idea as Segcache's
// TTL-grouped segments, applied to the index rather than to the bytes). A key whose TTL changes
// moves to its new bucket in O(1).
//
// Buckets are counted from the index's base time in 128 ms steps and kept in a u32; times
// before the base fall in bucket 0 and times past 2^32 steps (17 years) in the last one, so
// the caller still checks each key's own expiry time before deleting it.

export const BUCKET_MS = 128;
const LAST_BUCKET = 0xfffffffe;

export class ExpiryIndex {
  private next = new Int32Array(0);
  private prev = new Int32Array(0);
  private bucket = new Uint32Array(0);
  /** Bucket -> first id + 1 (0 while the bucket is empty but still in the heap). */
  private readonly heads = new Map<number, number>();
  private readonly heap: number[] = [];
  count = 0;

  constructor(private readonly base: number) {}

  /** Bytes held: the columns (allocated with the first TTL) and ~24 per bucket. */
  get bytes(): number {
    return this.next.byteLength * 3 + this.heap.length * 24;
  }

  /** Makes room for ids below capacity (the key table's column size). */
  grow(capacity: number): void {
    if (this.next.length === 0 || capacity <= this.next.length) return;
    this.alloc(capacity);
  }

  bucketFor(at: number): number {
    const b = Math.floor((at - this.base) / BUCKET_MS);
    return b < 0 ? 0 : b > LAST_BUCKET ? LAST_BUCKET : b;
  }

  /** The time every key of bucket b has expired by. */
  bucketEnd(b: number): number {
    return this.base + (b + 1) * BUCKET_MS;
  }

  /** Adds an id that is not in the index; `capacity` is the key table's column size. */
  add(id: number, at: number, capacity: number): void {
    if (this.next.length < capacity) this.alloc(capacity);
    const b = this.bucketFor(at);
    const head = this.heads.get(b);
    if (head === undefined) this.push(b);
    const first = head === undefined || head === 0 ? -1 : head - 1;
    this.next[id] = first;
    this.prev[id] = -1;
    if (first >= 0) this.prev[first] = id;
    this.bucket[id] = b;
    this.heads.set(b, id + 1);
    this.count++;
  }

  remove(id: number): void {
    const n = this.next[id];
    const p = this.prev[id];
    if (p >= 0) this.next[p] = n;
    else this.heads.set(this.bucket[id], n + 1);
    if (n >= 0) this.prev[n] = p;
    this.count--;
  }

  /** Moves an id in the index to the bucket of a new expiry time. */
  move(id: number, at: number): void {
    if (this.bucketFor(at) === this.bucket[id]) return;
    this.remove(id);
    this.add(id, at, 0);
  }

  /** An id of the earliest bucket that ended by `now`, or -1. */
  firstDue(now: number): number {
    const heap = this.heap;
    while (heap.length > 0) {
      const b = heap[0];
      if (this.bucketEnd(b) > now) return -1;
      const head = this.heads.get(b)!;
      if (head !== 0) return head - 1;
      this.heads.delete(b);
      this.pop();
    }
    return -1;
  }

  /** The first id of the earliest bucket if that bucket has begun by `now` (its keys may have expired), or -1. */
  firstStarted(now: number): number {
    const id = this.earliest();
    return id >= 0 && this.base + this.heap[0] * BUCKET_MS <= now ? id : -1;
  }

  /** The id of the earliest key by bucket (volatile-ttl), or -1. */
  earliest(): number {
    const heap = this.heap;
    while (heap.length > 0) {
      const head = this.heads.get(heap[0])!;
      if (head !== 0) return head - 1;
      this.heads.delete(heap[0]);
      this.pop();
    }
    return -1;
  }

  /** The id after `id` in its bucket, or -1. */
  nextInBucket(id: number): number {
    return this.next[id];
  }

  /** A random id with a TTL (a random bucket, then a few random steps along it), or -1. */
  sample(): number {
    const heap = this.heap;
    for (let tries = 0; tries < 16 && heap.length > 0; tries++) {
      const head = this.heads.get(heap[(Math.random() * heap.length) | 0])!;
      if (head === 0) continue;
      let id = head - 1;
      for (let steps = (Math.random() * 8) | 0; steps > 0 && this.next[id] >= 0; steps--) id = this.next[id];
      return id;
    }
    // Random picks kept landing on emptied buckets: the earliest live one is always found.
    return this.count > 0 ? this.earliest() : -1;
  }

  /** Drops every key and gives the columns back. */
  clear(): void {
    this.heads.clear();
    this.heap.length = 0;
    this.count = 0;
    this.next = new Int32Array(0);
    this.prev = new Int32Array(0);
    this.bucket = new Uint32Array(0);
  }

  private alloc(capacity: number): void {
    const grow = <T extends Int32Array | Uint32Array>(a: T, b: T): T => {
      b.set(a as never);
      return b;
    };
    this.next = grow(this.next, new Int32Array(capacity));
    this.prev = grow(this.prev, new Int32Array(capacity));
    this.bucket = grow(this.bucket, new Uint32Array(capacity));
  }

  private push(b: number): void {
    const heap = this.heap;
    let i = heap.length;
    heap.push(b);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent] <= b) break;
      heap[i] = heap[parent];
      i = parent;
    }
    heap[i] = b;
  }

  private pop(): void {
    const heap = this.heap;
    const last = heap.pop()!;
    if (heap.length === 0) return;
    let i = 0;
    const n = heap.length;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && heap[child + 1] < heap[child]) child++;
      if (heap[child] >= last) break;
      heap[i] = heap[child];
      i = child;
    }
    heap[i] = last;
  }
}
