// Unit tests for the Deque ring buffer: a fast-check model test against a plain array (every
// operation, including wrap-around and growth), byte estimate upkeep, LREM/LTRIM helpers.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Deque, DEQUE_OVERHEAD, elementBytes } from './deque.js';

function expectedBytes(items: string[]): number {
  return items.reduce((n, s) => n + elementBytes(s), DEQUE_OVERHEAD);
}

type Op =
  | { op: 'pushFront' | 'pushBack'; v: string }
  | { op: 'popFront' | 'popBack' }
  | { op: 'set'; i: number; v: string }
  | { op: 'remove'; v: string; limit: number; tail: boolean }
  | { op: 'trim'; start: number; stop: number }
  | { op: 'insert'; i: number; v: string };

const value = fc.constantFrom('a', 'b', 'c', '', 'xyz'.repeat(30));
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constantFrom('pushFront' as const, 'pushBack' as const), v: value }),
  fc.record({ op: fc.constantFrom('pushFront' as const, 'pushBack' as const), v: value }),
  fc.record({ op: fc.constantFrom('popFront' as const, 'popBack' as const) }),
  fc.record({ op: fc.constant('set' as const), i: fc.nat(40), v: value }),
  fc.record({ op: fc.constant('remove' as const), v: value, limit: fc.nat(3), tail: fc.boolean() }),
  fc.record({ op: fc.constant('insert' as const), i: fc.integer({ min: -1, max: 40 }), v: value }),
  fc.record({ op: fc.constant('trim' as const), start: fc.integer({ min: -2, max: 30 }), stop: fc.integer({ min: -2, max: 40 }) }),
);

function applyModel(model: string[], o: Op): unknown {
  switch (o.op) {
    case 'pushFront':
      model.unshift(o.v);
      return undefined;
    case 'pushBack':
      model.push(o.v);
      return undefined;
    case 'popFront':
      return model.shift();
    case 'popBack':
      return model.pop();
    case 'set':
      if (o.i < model.length) model[o.i] = o.v;
      return undefined;
    case 'remove': {
      let removed = 0;
      const idx = model.map((_, i) => i);
      if (o.tail) idx.reverse();
      const drop = new Set<number>();
      for (const i of idx) if (model[i] === o.v && (o.limit === 0 || removed < o.limit)) (drop.add(i), removed++);
      const kept = model.filter((_, i) => !drop.has(i));
      model.length = 0;
      model.push(...kept);
      return removed;
    }
    case 'insert':
      model.splice(Math.max(0, o.i), 0, o.v);
      return undefined;
    case 'trim': {
      const start = Math.max(0, o.start);
      const kept = start > o.stop ? [] : model.slice(start, o.stop + 1);
      model.length = 0;
      model.push(...kept);
      return undefined;
    }
  }
}

function applyDeque(d: Deque, o: Op): unknown {
  switch (o.op) {
    case 'pushFront':
      d.pushFront(o.v);
      return undefined;
    case 'pushBack':
      d.pushBack(o.v);
      return undefined;
    case 'popFront':
      return d.popFront();
    case 'popBack':
      return d.popBack();
    case 'set':
      if (o.i < d.length) d.set(o.i, o.v);
      return undefined;
    case 'remove':
      return d.removeValue(o.v, o.limit, o.tail);
    case 'insert':
      d.insert(o.i, o.v);
      return undefined;
    case 'trim':
      d.trim(o.start, o.stop);
      return undefined;
  }
}

describe('Deque', () => {
  test('behaves as an array under any sequence of operations', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 200 }), (ops) => {
        const d = new Deque();
        const model: string[] = [];
        for (const o of ops) {
          assert.deepEqual(applyDeque(d, o), applyModel(model, o), JSON.stringify(o));
          assert.equal(d.length, model.length);
        }
        assert.deepEqual(d.toArray(), model);
        for (let i = -1; i <= model.length; i++) assert.equal(d.get(i), model[i]);
        assert.equal(d.bytes, expectedBytes(model));
        for (const v of ['a', 'b', 'zz']) assert.equal(d.indexOf(v), model.indexOf(v));
        assert.deepEqual(d.clone().toArray(), model);
      }),
      { numRuns: 300 },
    );
  });

  test('pushFront of 200k elements is linear (no unshift)', () => {
    const d = new Deque();
    const t0 = performance.now();
    for (let i = 0; i < 200_000; i++) d.pushFront(String(i));
    assert.ok(performance.now() - t0 < 1000);
    assert.equal(d.get(0), '199999');
    assert.equal(d.get(199_999), '0');
    assert.equal(d.encoding(), 'quicklist');
  });

  test('set returns the byte delta and keeps the estimate', () => {
    const d = Deque.from(['ab', 'c']);
    assert.equal(d.set(0, 'abcd'), 2);
    assert.equal(d.bytes, expectedBytes(['abcd', 'c']));
    assert.equal(d.size, 2);
  });
});
