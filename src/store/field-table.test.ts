// Unit tests for FieldTable (a big hash's pairs off the heap): a fast-check model test against a
// Map (sets across size classes and into large items, deletes, reuse of freed ids), iteration
// kept across edits (HSCAN's guarantee), random fields, clone, and the byte count following
// what the slab holds.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FieldTable } from './field-table.js';

type Op = { op: 'set'; f: string; v: string } | { op: 'del'; f: string };

// Few distinct fields (so sets overwrite and deletes hit), values across size classes, a few
// past the slab's largest chunk (16 KB: an item of its own), binary bytes included.
const field = fc.oneof(
  fc.integer({ min: 0, max: 60 }).map((i) => `f${i}`),
  fc.constantFrom('', '\u0000\u00ff', 'x'.repeat(100)),
);
const value = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.integer({ min: 0, max: 3000 }).map((n) => 'v'.repeat(n)),
  fc.constantFrom('\u0000\u0001\u00fe\u00ff', 'L'.repeat(20_000), ''),
);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constant('set' as const), f: field, v: value }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('del' as const), f: field }) },
);

function sorted(pairs: Iterable<[string, string]>): Array<[string, string]> {
  return [...pairs].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

describe('FieldTable', () => {
  test('behaves as a Map under any sequence of sets and deletes', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 300 }), (ops) => {
        const t = new FieldTable();
        const model = new Map<string, string>();
        for (const o of ops) {
          if (o.op === 'set') {
            assert.equal(t.set(o.f, o.v), !model.has(o.f));
            model.set(o.f, o.v);
          } else {
            assert.equal(t.delete(o.f), model.delete(o.f));
          }
          assert.equal(t.size, model.size);
        }
        for (const [f, v] of model) {
          assert.equal(t.get(f), v);
          assert.equal(t.has(f), true);
          assert.equal(t.valueLength(f), v.length);
        }
        assert.equal(t.get('absent'), undefined);
        assert.equal(t.valueLength('absent'), -1);
        assert.deepEqual(sorted(t.entries()), sorted(model));
        assert.deepEqual([...t.keys()].sort(), [...model.keys()].sort());
        assert.deepEqual(sorted(t.clone().entries()), sorted(model));
      }),
      { numRuns: 200 },
    );
  });

  test('views point at the bytes of a field and of its value', () => {
    const t = new FieldTable();
    t.set('name', 'value-bytes');
    assert.equal(t.view('name'), true);
    assert.equal(t.vbuf.toString('latin1', t.vstart, t.vend), 'value-bytes');
    assert.equal(t.view('nope'), false);
    const id = t.nextLive(0);
    t.viewField(id);
    assert.equal(t.vbuf.toString('latin1', t.vstart, t.vend), 'name');
    t.viewValue(id);
    assert.equal(t.vbuf.toString('latin1', t.vstart, t.vend), 'value-bytes');
  });

  test('an iterator kept across edits returns every field present throughout exactly once', () => {
    const t = new FieldTable();
    for (let i = 0; i < 5000; i++) t.set(`f${i}`, `v${i}`);
    const seen = new Map<string, number>();
    const it = t.entries();
    let n = 0;
    for (let r = it.next(); !r.done; r = it.next(), n++) {
      seen.set(r.value[0], (seen.get(r.value[0]) ?? 0) + 1);
      // Edits during the walk: deletes of fields 4000+, new fields (reusing freed ids), rewrites.
      if (n % 3 === 0) t.delete(`f${4000 + (n % 1000)}`);
      if (n % 5 === 0) t.set(`new${n}`, 'x');
      if (n % 7 === 0) t.set(`f${n % 4000}`, 'rewritten'.repeat(n % 4));
    }
    for (let i = 0; i < 4000; i++) assert.equal(seen.get(`f${i}`), 1, `f${i}`);
    for (const count of seen.values()) assert.equal(count, 1);
  });

  test('random fields are live fields, also after the table emptied far below its peak', () => {
    const t = new FieldTable();
    for (let i = 0; i < 10_000; i++) t.set(`f${i}`, 'v');
    for (let i = 0; i < 10_000; i++) if (i !== 77 && i !== 9999) t.delete(`f${i}`);
    const drawn = new Set<string>();
    for (let i = 0; i < 200; i++) drawn.add(t.randomField());
    assert.deepEqual([...drawn].sort(), ['f77', 'f9999']);
  });

  test('bytes change with sets and deletes only, not with lookups that finish an index growth', () => {
    const t = new FieldTable();
    for (let i = 0; i < 25; i++) t.set(`f${i}`, 'v'); // the 25th passes 3/4 of 32 positions: a growth starts
    const after = t.bytes;
    for (let i = 0; i < 10; i++) t.get('absent'); // each moves part of the old index; the move ends
    assert.equal(t.bytes, after);
  });

  test('bytes follow what the table holds: up with fields and large values, down as items go', () => {
    const t = new FieldTable();
    const empty = t.bytes;
    for (let i = 0; i < 20_000; i++) t.set(`field:${i}`, `value:${i}`);
    const full = t.bytes;
    assert.ok(full > empty + 20_000 * 20, `${empty} -> ${full}`);
    assert.ok(full < empty + 20_000 * 80, `${empty} -> ${full}`);
    t.set('large', 'z'.repeat(100_000));
    assert.ok(t.bytes >= full + 100_000);
    t.delete('large');
    assert.equal(t.bytes, full);
  });
});
