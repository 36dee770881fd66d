// Unit tests for the sorted set: order, ranks and score/lex positions checked against a plain
// sorted-array model (fast-check), byte accounting, encodings, clone, score syntax, and ZADD of
// 100k members staying fast.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SortedSet, ZSET_OVERHEAD, memberBytes, parseBound, parseDouble, parseLex, type ZItem } from './sorted-set.js';
import { DEFAULT_LIMITS, NO_LIMITS } from './encoding-limits.js';

function modelSort(m: Map<string, number>): ZItem[] {
  return [...m].map(([member, score]) => ({ member, score })).sort((a, b) =>
    a.score !== b.score ? a.score - b.score : a.member < b.member ? -1 : a.member > b.member ? 1 : 0);
}

/** -0 as 0: small sets store -0 as 0 (tested on its own below). */
const unsigned = (i: ZItem): ZItem => ({ member: i.member, score: i.score === 0 ? 0 : i.score });

describe('SortedSet', () => {
  test('orders by score, then member bytes (shorter prefix first)', () => {
    const z = new SortedSet();
    for (const [m, s] of [['b', 1], ['a', 1], ['ab', 1], ['\xff', 0], ['', 1], ['a\x00', 1], ['z', -Infinity]] as const) z.set(m, s);
    assert.deepEqual(z.toArray().map((i) => i.member), ['z', '\xff', '', 'a', 'a\x00', 'ab', 'b']);
    assert.equal(z.rank('a'), 3);
    assert.equal(z.rank('nope'), undefined);
    assert.equal(z.at(0).member, 'z');
  });

  test('matches a model under random operations', () => {
    const member = fc.string({ maxLength: 3 }).map((s) => s.replace(/[^\x00-\xff]/g, 'x'));
    const score = fc.oneof(fc.integer({ min: -3, max: 3 }), fc.constantFrom(0.5, -Infinity, Infinity, -0));
    const op = fc.oneof(
      fc.tuple(fc.constant('set' as const), member, score),
      fc.tuple(fc.constant('del' as const), member, score),
      fc.tuple(fc.constant('pop' as const), member, fc.integer({ min: 0, max: 3 })),
    );
    fc.assert(fc.property(fc.array(op, { maxLength: 1500, size: 'max' }), (ops) => {
      const z = new SortedSet();
      const model = new Map<string, number>();
      for (const [kind, m, s] of ops) {
        if (kind === 'set') {
          const old = model.get(m);
          if (old === undefined || old !== s) model.set(m, s);
          z.set(m, s);
        } else if (kind === 'del') {
          assert.equal(z.delete(m) !== 0, model.delete(m));
        } else {
          const max = s % 2 === 1;
          const sorted = modelSort(model);
          const want = max ? sorted.reverse().slice(0, s) : sorted.slice(0, s);
          for (const i of want) model.delete(i.member);
          assert.deepEqual(z.pop(s, max).map(unsigned), want.map(unsigned));
        }
        assert.equal(z.size, model.size);
      }
      const sorted = modelSort(model);
      assert.deepEqual(z.toArray().map(unsigned), sorted.map(unsigned));
      let bytes = ZSET_OVERHEAD;
      for (const m of model.keys()) bytes += memberBytes(m);
      assert.equal(z.bytes, bytes);
      sorted.forEach((item, i) => {
        assert.equal(z.rank(item.member), i);
        assert.equal(z.at(i), z.toArray()[i]);
      });
      for (const probe of [-Infinity, -1, 0, 0.5, 1, Infinity]) {
        assert.equal(z.rankOfScore(probe, false), sorted.filter((i) => i.score < probe).length);
        assert.equal(z.rankOfScore(probe, true), sorted.filter((i) => i.score <= probe).length);
      }
    }), { numRuns: 60 });
  });

  test('many chunks: ranks, positions and slices stay right through splits and deletes', () => {
    const z = new SortedSet();
    const model = new Map<string, number>();
    let seed = 1;
    const rnd = (n: number): number => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    for (let i = 0; i < 6000; i++) {
      const m = `m${rnd(3000)}`;
      if (rnd(4) === 0) {
        z.delete(m);
        model.delete(m);
      } else {
        const s = rnd(50) - 25;
        z.set(m, s);
        model.set(m, s);
      }
      if (i % 500 === 0) z.pop(rnd(40), rnd(2) === 1).forEach((it) => model.delete(it.member));
    }
    const sorted = modelSort(model);
    assert.ok(sorted.length > 1000);
    assert.deepEqual(z.toArray().map(unsigned), sorted.map(unsigned));
    for (let i = 0; i < sorted.length; i += 7) {
      assert.equal(z.rank(sorted[i].member), i);
      assert.equal(z.at(i).member, sorted[i].member);
    }
    assert.deepEqual(z.slice(100, 900).map((i) => i.member), sorted.slice(100, 901).map((i) => i.member));
    for (let s = -26; s <= 26; s++) assert.equal(z.rankOfScore(s, true), sorted.filter((i) => i.score <= s).length);
  });

  test('listpack until 129 members or a member over 64 bytes; never converts back', () => {
    const z = new SortedSet();
    for (let i = 0; i < 128; i++) z.set(`m${i}`, i);
    assert.equal(z.encoding(), 'listpack');
    z.set('m0', 5);
    assert.equal(z.encoding(), 'listpack');
    z.set('one-more', 1);
    assert.equal(z.encoding(), 'skiplist');
    z.pop(100, false);
    assert.equal(z.encoding(), 'skiplist');
    const w = new SortedSet();
    w.set('x'.repeat(64), 1);
    assert.equal(w.encoding(), 'listpack');
    w.set('x'.repeat(65), 1);
    assert.equal(w.encoding(), 'skiplist');
  });

  test('other limits: a new member past zset-max-listpack-entries or -value converts', () => {
    const limits = { ...DEFAULT_LIMITS, zsetEntries: 2, zsetValue: 3 };
    const z = new SortedSet();
    z.set('a', 1, limits);
    z.set('abc', 2, limits);
    assert.equal(z.encoding(), 'listpack');
    z.set('abc', 5, { ...limits, zsetEntries: 0, zsetValue: 0 });
    assert.equal(z.encoding(), 'listpack', 'an update never converts');
    z.set('b', 3, limits);
    assert.equal(z.encoding(), 'skiplist');
    const v = new SortedSet();
    v.set('abcd', 1, limits);
    assert.equal(v.encoding(), 'skiplist');
    const zero = new SortedSet();
    zero.set('', 1, { ...limits, zsetEntries: 0 });
    assert.equal(zero.encoding(), 'skiplist');
    const any = new SortedSet();
    for (let i = 0; i < 500; i++) any.set('x'.repeat(i), i, NO_LIMITS);
    assert.equal(any.encoding(), 'listpack');
    assert.equal(any.bytes, ZSET_OVERHEAD + (500 * 499) / 2 + 500 * memberBytes(''), 'bytes do not depend on the encoding');
  });

  test('-0 is kept as 0 in a listpack, as -0 in a skiplist; 0 and -0 are the same score', () => {
    const z = new SortedSet();
    z.set('a', -0);
    assert.ok(Object.is(z.score('a'), 0));
    z.set('long'.repeat(20), 1);
    z.set('b', -0);
    assert.ok(Object.is(z.score('b'), -0));
    z.set('b', 0);
    assert.ok(Object.is(z.score('b'), -0));
  });

  test('clone is independent and keeps encoding and bytes', () => {
    const z = new SortedSet();
    for (let i = 0; i < 300; i++) z.set(`m${i}`, i % 7);
    const c = z.clone();
    c.set('m1', 100);
    c.delete('m2');
    assert.equal(z.score('m1'), 1);
    assert.equal(z.size, 300);
    assert.equal(c.size, 299);
    assert.equal(c.encoding(), 'skiplist');
    assert.equal(z.bytes - c.bytes, memberBytes('m2'));
    assert.deepEqual(c.toArray(), modelSort(new Map(c.toArray().map((i) => [i.member, i.score]))));
  });

  test('100k distinct random members add, rank and pop quickly', () => {
    const t0 = performance.now();
    const z = new SortedSet();
    for (let i = 0; i < 100_000; i++) z.set(`element:${(i * 7919) % 100_003}`, (i * 104729) % 1000);
    for (let i = 0; i < 1000; i++) z.rank(`element:${i}`);
    const first = z.pop(50_000, false);
    for (let i = 1; i < first.length; i++) assert.ok(first[i - 1].score <= first[i].score);
    const ms = performance.now() - t0;
    assert.ok(ms < 2000, `took ${ms} ms`);
    assert.equal(z.size, 50_000);
  });
});

describe('score syntax', () => {
  test('parseDouble strict (string2d): strtod syntax, whole string, no overflow or underflow', () => {
    const ok: Array<[string, number]> = [['1', 1], ['-1.5', -1.5], ['.5', 0.5], ['5.', 5], ['+7', 7], ['1e3', 1000],
      ['0x10', 16], ['0x1.8p1', 3], ['-0x.8', -0.5], ['inf', Infinity], ['-Infinity', -Infinity], ['INF', Infinity], ['4.9e-324', 5e-324]];
    for (const [s, v] of ok) assert.equal(parseDouble(s, true), v, s);
    for (const s of ['', ' 1', '1 ', 'nan', 'NaN', '1e', '0x', '1e400', '1e-400', '0b1', '1_0', 'abc', '--1', '1\x00'])
      assert.equal(parseDouble(s, true), undefined, JSON.stringify(s));
    assert.equal(parseDouble('1e400', false), Infinity);
    assert.equal(parseDouble('1e-400', false), 0);
  });

  test('parseBound (zslParseRange): "(" exclusive, leading space, empty is 0, stops at NUL', () => {
    assert.deepEqual(parseBound('(1.5'), { value: 1.5, exclusive: true });
    assert.deepEqual(parseBound('('), { value: 0, exclusive: true });
    assert.deepEqual(parseBound(' \t2'), { value: 2, exclusive: false });
    assert.deepEqual(parseBound('3\x00junk'), { value: 3, exclusive: false });
    assert.deepEqual(parseBound('-inf'), { value: -Infinity, exclusive: false });
    for (const s of ['abc', '(nan', ' ', '1 ', '((1']) assert.equal(parseBound(s), undefined, s);
  });

  test('parseLex: - + [x (x', () => {
    assert.deepEqual(parseLex('[a'), { member: 'a', exclusive: false, inf: 0 });
    assert.deepEqual(parseLex('(a'), { member: 'a', exclusive: true, inf: 0 });
    assert.equal(parseLex('-')?.inf, -1);
    assert.equal(parseLex('+')?.inf, 1);
    for (const s of ['a', '', '-a', '+x']) assert.equal(parseLex(s), undefined, s);
  });
});
