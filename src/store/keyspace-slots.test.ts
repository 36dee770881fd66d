// The per-slot key lists (keyspace-core.ts) against a brute-force oracle: after random sets,
// deletes, TTLs, lazy and active expiry, evictions, flushes and growth, each slot's list holds
// exactly the live ids whose key hashes to it, once each, and its count matches; GETKEYSINSLOT's
// walk (keysInSlot) returns the slot's keys that are not logically expired.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Store } from './store.js';
import type { Keyspace } from './keyspace.js';
import { ManualClock } from '../util/clock.js';
import { TYPE_HASH } from './entry.js';
import { HashValue } from './hash-value.js';

const SLOTS = 16384;
/** A stand-in for the cluster's key slot (the store may not import the cluster): FNV-1a over the hash tag, as Redis picks it. */
function slotOf(b: Buffer, s: number, e: number): number {
  const open = b.indexOf(123 /* { */, s);
  if (open >= 0 && open < e) {
    const close = b.indexOf(125 /* } */, open + 1);
    if (close >= 0 && close < e && close > open + 1) {
      s = open + 1;
      e = close;
    }
  }
  let h = 0x811c9dc5;
  for (let i = s; i < e; i++) h = Math.imul(h ^ b[i], 0x01000193);
  return (h >>> 0) % SLOTS;
}

/** Checks every slot's list against the ids the keyspace holds. */
function checkSlots(db: Keyspace): void {
  const expected = new Map<number, Set<number>>();
  for (const id of db.ids()) {
    const key = db.table.keyString(id);
    const b = Buffer.from(key, 'latin1');
    const slot = slotOf(b, 0, b.length);
    let set = expected.get(slot);
    if (set === undefined) expected.set(slot, (set = new Set()));
    set.add(id);
  }
  let total = 0;
  for (let slot = 0; slot < SLOTS; slot++) {
    const seen = new Set<number>();
    for (let id = db.slotFirstId(slot); id >= 0; id = db.slotNextId(id)) {
      assert.ok(!seen.has(id), `slot ${slot}: id ${id} twice (a cycle)`);
      assert.ok(seen.size <= db.size, `slot ${slot}: list longer than the keyspace`);
      seen.add(id);
    }
    const want = expected.get(slot) ?? new Set<number>();
    assert.deepEqual([...seen].sort((a, b) => a - b), [...want].sort((a, b) => a - b), `slot ${slot}`);
    assert.equal(db.countInSlot(slot), want.size, `count of slot ${slot}`);
    total += seen.size;
  }
  assert.equal(total, db.size);
}

type Op =
  | { kind: 'set'; key: number; ttl: number }
  | { kind: 'del'; key: number }
  | { kind: 'get'; key: number }
  | { kind: 'hash'; key: number }
  | { kind: 'advance'; ms: number }
  | { kind: 'drop-slot'; key: number }
  | { kind: 'flush' };

const keyName = (k: number): string => (k % 7 === 0 ? `{tag}:${k}` : `key:${k}`);

test('per-slot key lists hold exactly the keys of each slot through writes, expiry, growth and flush', () => {
  const op: fc.Arbitrary<Op> = fc.oneof(
    { weight: 8, arbitrary: fc.record({ kind: fc.constant('set' as const), key: fc.integer({ min: 0, max: 3000 }), ttl: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 50 })) }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('del' as const), key: fc.integer({ min: 0, max: 3000 }) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('get' as const), key: fc.integer({ min: 0, max: 3000 }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('hash' as const), key: fc.integer({ min: 0, max: 3000 }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 1, max: 40 }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('drop-slot' as const), key: fc.integer({ min: 0, max: 3000 }) }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'flush' as const }) },
  );
  fc.assert(
    fc.property(fc.array(op, { minLength: 1, maxLength: 400 }), (ops) => {
      const clock = new ManualClock();
      const store = new Store({ databases: 1, clock, slotOf });
      const db = store.dbs[0];
      for (const o of ops) {
        switch (o.kind) {
          case 'set':
            db.setString(keyName(o.key), 'v', o.ttl === 0 ? 0 : clock.now() + o.ttl);
            break;
          case 'del':
            db.delete(keyName(o.key));
            break;
          case 'get':
            db.lookupRead(keyName(o.key)); // lazily expires
            break;
          case 'hash':
            if (db.peek(keyName(o.key)) === undefined) db.create(keyName(o.key), TYPE_HASH, new HashValue());
            break;
          case 'advance':
            clock.advance(o.ms);
            store.activeExpireCycle(1000);
            store.defragSlice(1000); // the node's cron: expiry, then defragmentation
            break;
          case 'drop-slot': {
            // A moved-away slot's cleanup (server/migration.ts): its listed ids, expired or not.
            const name = Buffer.from(keyName(o.key));
            const slot = slotOf(name, 0, name.length);
            const listed = db.countInSlot(slot);
            for (let id = db.slotFirstId(slot), n = 0; id >= 0; id = db.slotFirstId(slot), n++) {
              assert.ok(n < listed, `slot ${slot}: more deletions than listed ids`);
              const key = Buffer.from(db.deleteListedId(id), 'latin1');
              assert.equal(slotOf(key, 0, key.length), slot);
              assert.equal(db.peek(key.toString('latin1')), undefined);
            }
            assert.equal(db.countInSlot(slot), 0);
            break;
          }
          case 'flush':
            db.flush();
            break;
        }
      }
      checkSlots(db);
      // keysInSlot: the slot's keys not logically expired.
      for (let k = 0; k <= 3000; k += 97) {
        const name = Buffer.from(keyName(k));
        const slot = slotOf(name, 0, name.length);
        const live = db.keysInSlot(slot, 1 << 20).sort();
        const want: string[] = [];
        for (let id = db.slotFirstId(slot); id >= 0; id = db.slotNextId(id)) {
          if (db.isLiveForCopy(id)) want.push(db.table.keyString(id));
        }
        assert.deepEqual(live, want.sort());
        assert.deepEqual(db.keysInSlot(slot, 1).length, Math.min(1, want.length));
      }
    }),
    { numRuns: 60 },
  );
});

test('a slot list survives the key table growing past many doublings', () => {
  const clock = new ManualClock();
  const store = new Store({ databases: 1, clock, slotOf });
  const db = store.dbs[0];
  for (let i = 0; i < 50_000; i++) db.setString(`k${i}`, 'v', 0);
  for (let i = 0; i < 50_000; i += 3) db.delete(`k${i}`);
  checkSlots(db);
  const b = Buffer.from('{user1000}.a');
  const slot = slotOf(b, 0, b.length);
  for (let i = 0; i < 20; i++) db.setString(`{user1000}.${i}`, 'v', 0);
  assert.equal(db.keysInSlot(slot, 100).filter((k) => k.startsWith('{user1000}.')).length, 20);
  assert.equal(db.keysInSlot(slot, 5).length, 5);
});
