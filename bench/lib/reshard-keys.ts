// bench/lib/reshard-keys.ts — the keyspace of the resharding benchmark (bench/reshard-bench.ts):
// keys 0..n-1 named as resp.ts names them (`key:` + 12 digits, 16 bytes), each with a value size
// fixed by its id (a hash of the id, uniform in [minSize, maxSize]), so every system and every
// round holds exactly the same keys and sizes, and a SET by the load generator rewrites a key
// with a value of its own size (the bytes per slot never change). Also: the slot of every key,
// the owner of every slot as CLUSTER SLOTS reports it, the keys and bytes whose slot changed
// owner between two such maps, and a cluster-aware pipelined loader (raw RESP, keys grouped by
// the primary that owns their slot, mixed value sizes). Node 20 built-ins only (and
// src/cluster/slot.ts for the slot function).

import { keySlot } from '../../src/cluster/slot.js';
import { KEY_LEN, keyName, R_ERROR, RespConn, writeKey, type ReplyKind } from './resp.js';
import { clusterSlots, query } from './cluster-state.js';

export const SLOTS = 16384;

/** A 32-bit integer hash (murmur3's finalizer), deterministic across processes. */
export function mix32(x: number): number {
  x = Math.imul(x ^ 0x9e3779b9, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

/** The value size of key `id`: uniform in [min, max], fixed by the id. */
export function valueSizeOf(id: number, min: number, max: number): number {
  return min + (mix32(id) % (max - min + 1));
}

export class Keyspace {
  /** Value size of each key. */
  readonly sizes: Uint16Array;
  /** Slot of each key. */
  readonly slots: Uint16Array;
  /** Keys per slot, and key+value bytes per slot. */
  readonly keysPerSlot = new Uint32Array(SLOTS);
  readonly bytesPerSlot = new Float64Array(SLOTS);
  /** Sum of key + value bytes over all keys. */
  readonly totalBytes: number;

  constructor(
    readonly keys: number,
    readonly minSize: number,
    readonly maxSize: number,
  ) {
    if (!(minSize >= 12 && maxSize >= minSize && maxSize <= 65535)) throw new Error(`value sizes ${minSize}..${maxSize}: need 12 <= min <= max <= 65535`);
    this.sizes = new Uint16Array(keys);
    this.slots = new Uint16Array(keys);
    let total = 0;
    for (let id = 0; id < keys; id++) {
      const size = valueSizeOf(id, minSize, maxSize);
      const slot = keySlot(keyName(id));
      this.sizes[id] = size;
      this.slots[id] = slot;
      this.keysPerSlot[slot]!++;
      this.bytesPerSlot[slot]! += KEY_LEN + size;
      total += KEY_LEN + size;
    }
    this.totalBytes = total;
  }

  get meanValueSize(): number {
    return this.keys === 0 ? NaN : this.totalBytes / this.keys - KEY_LEN;
  }

  /** Keys and key+value bytes in slots whose owner differs between two owner maps. */
  movedBetween(before: Int32Array, after: Int32Array): { slots: number; keys: number; bytes: number } {
    let slots = 0;
    let keys = 0;
    let bytes = 0;
    for (let s = 0; s < SLOTS; s++) {
      if (before[s] === after[s]) continue;
      slots++;
      keys += this.keysPerSlot[s]!;
      bytes += this.bytesPerSlot[s]!;
    }
    return { slots, keys, bytes };
  }

  /** Keys and bytes in the slots `port` owns in `owners`. */
  heldBy(owners: Int32Array, port: number): { slots: number; keys: number; bytes: number } {
    let slots = 0;
    let keys = 0;
    let bytes = 0;
    for (let s = 0; s < SLOTS; s++) {
      if (owners[s] !== port) continue;
      slots++;
      keys += this.keysPerSlot[s]!;
      bytes += this.bytesPerSlot[s]!;
    }
    return { slots, keys, bytes };
  }
}

/** The port of the primary serving each slot, as CLUSTER SLOTS on `port` says (-1: none). */
export async function slotOwners(port: number): Promise<Int32Array> {
  const owners = new Int32Array(SLOTS).fill(-1);
  for (const r of await clusterSlots(port)) owners.fill(r.masterPort, r.start, r.end + 1);
  return owners;
}

/** Slots per owner port. */
export function slotCounts(owners: Int32Array): Map<number, number> {
  const m = new Map<number, number>();
  for (const p of owners) m.set(p, (m.get(p) ?? 0) + 1);
  return m;
}

// ---- the loader ---------------------------------------------------------------------------------

const SET_HEAD = Buffer.from(`*3\r\n$3\r\nSET\r\n$${KEY_LEN}\r\n`, 'latin1');
/** The filler of every value (after the id's 12 digits). */
const FILLER = Buffer.alloc(65536, 0x76); // 'v'

function writeDigits(buf: Buffer, at: number, id: number, width: number): void {
  for (let k = width - 1; k >= 0; k--) {
    buf[at + k] = 48 + (id % 10);
    id = Math.floor(id / 10);
  }
}

/** Bytes of the raw SET of key `id` with a value of `size` bytes. */
function setBytes(size: number): number {
  return SET_HEAD.length + KEY_LEN + 2 + 1 + String(size).length + 2 + size + 2;
}

/** Writes SET key:<id> <value of size bytes: the id's 12 digits, then filler> at p; returns the end. */
function writeSet(buf: Buffer, p: number, id: number, size: number): number {
  SET_HEAD.copy(buf, p);
  p += SET_HEAD.length;
  writeKey(buf, p, id);
  p += KEY_LEN;
  p += buf.write(`\r\n$${size}\r\n`, p, 'latin1');
  writeDigits(buf, p, id, 12);
  FILLER.copy(buf, p + 12, 0, size - 12);
  p += size;
  buf[p++] = 13;
  buf[p++] = 10;
  return p;
}

export interface ClusterLoadResult {
  keys: number;
  bytes: number;
  /** SETs answered with an error (each retried in a later pass). */
  errors: number;
  firstError: string | null;
  /** Passes over the keys still to load (1 when no SET failed). */
  passes: number;
  /** Keys still not loaded after the last pass. */
  failed: number;
  ms: number;
  /** Keys per primary port (first pass). */
  perNode: Record<string, number>;
}

/**
 * Loads every key of `ks` into the cluster `seedPort` belongs to: CLUSTER SLOTS names the
 * primary of each slot, the keys are grouped by it, and each primary gets its keys over
 * `sockets` connections in pipelined batches of about `batchBytes` of raw SETs, `inflight`
 * batches in flight per connection. Keys whose SET was answered with an error (CLUSTERDOWN,
 * TRYAGAIN, MOVED...) are loaded again in another pass, after `retryDelayMs` and a fresh CLUSTER
 * SLOTS, up to `maxPasses` passes; the errors are counted.
 */
export async function loadCluster(
  seedPort: number,
  ks: Keyspace,
  o: { sockets?: number; batchBytes?: number; inflight?: number; maxPasses?: number; retryDelayMs?: number; progress?: (loaded: number) => void } = {},
): Promise<ClusterLoadResult> {
  const batchBytes = o.batchBytes ?? 1 << 20;
  const nSockets = o.sockets ?? 2;
  const inflight = o.inflight ?? 2;
  const maxPasses = o.maxPasses ?? 5;
  let loaded = 0;
  let errors = 0;
  let bytes = 0;
  let firstError: string | null = null;
  const perNode: Record<string, number> = {};
  let todo: ArrayLike<number> = { length: ks.keys };
  let idAt: (i: number) => number = (i) => i;
  let passes = 0;
  const t0 = performance.now();
  while (todo.length > 0 && passes < maxPasses) {
    if (passes > 0) await new Promise((r) => setTimeout(r, o.retryDelayMs ?? 500));
    passes++;
    const owners = await slotOwners(seedPort);
    const byOwner = new Map<number, number[]>();
    for (let i = 0; i < todo.length; i++) {
      const id = idAt(i);
      const p = owners[ks.slots[id]!]!;
      if (p < 0) throw new Error(`slot ${ks.slots[id]} has no owner in CLUSTER SLOTS of port ${seedPort}`);
      let list = byOwner.get(p);
      if (list === undefined) byOwner.set(p, (list = []));
      list.push(id);
    }
    if (passes === 1) for (const [p, ids] of byOwner) perNode[String(p)] = ids.length;
    const failed: number[] = [];
    const conns: RespConn[] = [];
    try {
      const lanes: Array<Promise<void>> = [];
      for (const [port, ids] of byOwner) {
        let next = 0;
        const mine = await Promise.all(Array.from({ length: nSockets }, () => RespConn.connect(port)));
        conns.push(...mine);
        const lane = async (c: RespConn): Promise<void> => {
          while (next < ids.length) {
            const first = next;
            let size = 0;
            let end = first;
            while (end < ids.length && size < batchBytes) size += setBytes(ks.sizes[ids[end++]!]!);
            next = end;
            const buf = Buffer.allocUnsafe(size);
            let p = 0;
            for (let i = first; i < end; i++) p = writeSet(buf, p, ids[i]!, ks.sizes[ids[i]!]!);
            let bad = 0;
            await c.pipeline(buf.subarray(0, p), end - first, (kind: ReplyKind, i: number) => {
              if (kind !== R_ERROR) return;
              bad++;
              failed.push(ids[first + i]!);
            });
            if (c.broken !== null) throw new Error(`loader connection to port ${port} lost: ${c.broken.message}`);
            errors += bad;
            for (let i = first; i < end; i++) bytes += KEY_LEN + ks.sizes[ids[i]!]!;
            loaded += end - first - bad;
            o.progress?.(loaded);
          }
        };
        for (const c of mine) for (let k = 0; k < inflight; k++) lanes.push(lane(c));
      }
      await Promise.all(lanes);
    } finally {
      for (const c of conns) c.close();
    }
    firstError ??= conns.map((c) => c.firstPipelinedError).find((e) => e !== null) ?? null;
    const rest = failed;
    todo = rest;
    idAt = (i) => rest[i]!;
  }
  return { keys: loaded, bytes, errors, firstError, passes, failed: todo.length, ms: performance.now() - t0, perNode };
}

/** DBSIZE of a node (throws on anything but an integer). */
export async function dbsize(port: number, timeoutMs = 5000): Promise<number> {
  const r = await query(port, ['DBSIZE'], timeoutMs);
  if (typeof r !== 'number') throw new Error(`DBSIZE on port ${port}: ${JSON.stringify(r)}`);
  return r;
}
