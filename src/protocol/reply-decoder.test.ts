// Tests for the incremental reply decoder: every RESP2/RESP3 type, and property tests that
// encode random reply trees with the project's ReplyWriter (RESP2 and RESP3), cut the bytes at
// random points (into a read buffer that is overwritten after each read, as Node's `onread`
// does) and check that decoding gives back the same values in the same order.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BulkMode, NEED_MORE, ReplyDecodeError, ReplyDecoder, RespError, RespPush } from './reply-decoder.js';
import { ReplyWriter, formatDouble, type RespVersion } from './reply-writer.js';
import type { RespValue } from './resp-value.js';

function decodeAll(bytes: Buffer, mode = BulkMode.Utf8, cuts: number[] = []): unknown[] {
  const d = new ReplyDecoder();
  const out: unknown[] = [];
  const points = [...new Set(cuts.filter((c) => c > 0 && c < bytes.length))].sort((a, b) => a - b);
  points.push(bytes.length);
  const shared = Buffer.alloc(bytes.length + 1);
  let from = 0;
  for (const to of points) {
    // Simulate a reused read buffer: the decoder must not keep references into it.
    bytes.copy(shared, 0, from, to);
    d.feed(shared.subarray(0, to - from));
    for (let v = d.next(mode); v !== NEED_MORE; v = d.next(mode)) out.push(v);
    shared.fill(0x21);
    from = to;
  }
  assert.equal(d.buffered, 0, 'all bytes decoded');
  return out;
}

function one(s: string, mode = BulkMode.Utf8): unknown {
  const r = decodeAll(Buffer.from(s, 'latin1'), mode);
  assert.equal(r.length, 1);
  return r[0];
}

describe('reply decoder', () => {
  test('RESP2 types', () => {
    assert.equal(one('+OK\r\n'), 'OK');
    assert.deepEqual(one('-ERR bad thing\r\n'), new RespError('ERR bad thing'));
    assert.equal(one(':42\r\n'), 42);
    assert.equal(one(':-7\r\n'), -7);
    assert.equal(one(':9223372036854775807\r\n'), 9223372036854775807n);
    assert.equal(one(':-9007199254740991\r\n'), -9007199254740991);
    assert.equal(one('$3\r\nfoo\r\n'), 'foo');
    assert.equal(one('$0\r\n\r\n'), '');
    assert.equal(one('$4\r\na\r\nb\r\n'), 'a\r\nb');
    assert.equal(one('$-1\r\n'), null);
    assert.equal(one('*-1\r\n'), null);
    assert.deepEqual(one('*0\r\n'), []);
    assert.deepEqual(one('*2\r\n$1\r\na\r\n*1\r\n:1\r\n'), ['a', [1]]);
    assert.deepEqual(one('*3\r\n$1\r\na\r\n$-1\r\n-WRONGTYPE x\r\n'), ['a', null, new RespError('WRONGTYPE x')]);
  });

  test('RESP3 types', () => {
    assert.equal(one('_\r\n'), null);
    assert.equal(one(',1.5\r\n'), 1.5);
    assert.equal(one(',inf\r\n'), Infinity);
    assert.equal(one(',-inf\r\n'), -Infinity);
    assert.ok(Number.isNaN(one(',nan\r\n')));
    assert.equal(one('#t\r\n'), true);
    assert.equal(one('#f\r\n'), false);
    assert.equal(one('(3492890328409238509324850943850943825024385\r\n'), 3492890328409238509324850943850943825024385n);
    assert.equal(one('=15\r\ntxt:Some string\r\n'), 'Some string');
    assert.deepEqual(one('!21\r\nSYNTAX invalid syntax\r\n'), new RespError('SYNTAX invalid syntax'));
    assert.deepEqual(one('%2\r\n+a\r\n:1\r\n$1\r\nb\r\n_\r\n'), new Map<unknown, unknown>([['a', 1], ['b', null]]));
    assert.deepEqual(one('~2\r\n:1\r\n:2\r\n'), [1, 2]);
    assert.deepEqual(one('>2\r\n+message\r\n$2\r\nhi\r\n'), new RespPush(['message', 'hi']));
    // Attributes are dropped, at top level and inside containers.
    assert.deepEqual(one('|1\r\n+key\r\n:9\r\n$2\r\nok\r\n'), 'ok');
    assert.deepEqual(one('*2\r\n|1\r\n+k\r\n+v\r\n:1\r\n:2\r\n'), [1, 2]);
    assert.deepEqual(one('%0\r\n'), new Map());
  });

  test('bulk modes: utf8, latin1, Buffer', () => {
    const bytes = Buffer.concat([Buffer.from('$4\r\n'), Buffer.from('é€', 'utf8').subarray(0, 4), Buffer.from('\r\n')]);
    const utf = Buffer.from('ü€', 'utf8');
    const msg = Buffer.concat([Buffer.from(`$${utf.length}\r\n`), utf, Buffer.from('\r\n')]);
    assert.equal(decodeAll(msg, BulkMode.Utf8)[0], 'ü€');
    assert.equal(decodeAll(msg, BulkMode.Latin1)[0], utf.toString('latin1'));
    assert.deepEqual(decodeAll(msg, BulkMode.Buffer)[0], utf);
    assert.ok(Buffer.isBuffer(decodeAll(bytes, BulkMode.Buffer)[0]));
    // The mode is chosen per reply.
    const d = new ReplyDecoder();
    d.feed(Buffer.from('$1\r\na\r\n$1\r\nb\r\n'));
    assert.equal(d.next(BulkMode.Utf8), 'a');
    assert.deepEqual(d.next(BulkMode.Buffer), Buffer.from('b'));
    assert.equal(d.next(), NEED_MORE);
  });

  test('a reply cut inside a container keeps its mode and its elements', () => {
    const d = new ReplyDecoder();
    d.feed(Buffer.from('*3\r\n$1\r\na\r\n$3\r\nb'));
    assert.equal(d.next(BulkMode.Buffer), NEED_MORE);
    assert.ok(d.midReply);
    d.feed(Buffer.from('cd\r\n:5'));
    assert.equal(d.next(BulkMode.Utf8), NEED_MORE);
    d.feed(Buffer.from('\r\n'));
    assert.deepEqual(d.next(BulkMode.Utf8), [Buffer.from('a'), Buffer.from('bcd'), 5]);
    assert.equal(d.midReply, false);
  });

  test('a large bulk arriving in many reads is collected, then decoded once', () => {
    const value = Buffer.alloc(1 << 20, 0x61);
    const bytes = Buffer.concat([Buffer.from(`$${value.length}\r\n`), value, Buffer.from('\r\n')]);
    const d = new ReplyDecoder();
    let got: unknown = NEED_MORE;
    for (let i = 0; i < bytes.length; i += 4096) {
      d.feed(bytes.subarray(i, Math.min(bytes.length, i + 4096)));
      got = d.next(BulkMode.Buffer);
      if (i + 4096 < bytes.length) assert.equal(got, NEED_MORE);
    }
    assert.deepEqual(got, value);
  });

  test('every prefix of a reply is incomplete, not an error', () => {
    const s = Buffer.from('*4\r\n$3\r\nfoo\r\n%1\r\n+k\r\n:-12\r\n|1\r\n+a\r\n+b\r\n,3.25\r\n=7\r\ntxt:abc\r\n');
    for (let i = 0; i < s.length; i++) {
      const d = new ReplyDecoder();
      d.feed(s.subarray(0, i));
      assert.equal(d.next(), NEED_MORE, `prefix ${i}`);
      d.feed(s.subarray(i));
      assert.deepEqual(d.next(), ['foo', new Map([['k', -12]]), 3.25, 'abc']);
    }
  });

  test('bytes that are not RESP throw ReplyDecodeError', () => {
    for (const bad of ['?\r\n', '$x\r\n', ':1a\r\n', '*-x\r\n']) {
      const d = new ReplyDecoder();
      d.feed(Buffer.from(bad));
      assert.throws(() => d.next(), ReplyDecodeError, bad);
    }
  });
});

// ---- property tests ------------------------------------------------------------------------

const latin1Str = fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)), maxLength: 40 });
const line = fc.string({ unit: fc.constantFrom(...'abcXYZ 019_:-'.split('')), maxLength: 20 });

const respValue: fc.Arbitrary<RespValue> = fc.letrec<{ v: RespValue }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.integer({ min: -(2 ** 53) + 1, max: 2 ** 53 - 1 }),
    latin1Str,
    line.map((simple) => ({ simple })),
    line.map((e) => ({ error: `ERR ${e}` })),
    fc.double({ noNaN: true }).map((double) => ({ double })),
    fc.boolean().map((bool) => ({ bool })),
    latin1Str.map((verbatim) => ({ verbatim, format: 'txt' })),
    fc.array(tie('v'), { maxLength: 5 }),
    fc.array(fc.tuple(latin1Str, tie('v')), { maxLength: 4 }).map((pairs) => ({ map: pairs as Array<[RespValue, RespValue]> })),
    fc.array(tie('v'), { maxLength: 4 }).map((set) => ({ set })),
  ),
})).v;

/** What the decoder (latin1 mode) should produce for a value the writer encoded at `resp`. */
function expected(v: RespValue, resp: RespVersion): unknown {
  if (v === null || typeof v === 'number' || typeof v === 'string') return v;
  if (Array.isArray(v)) return v.map((x) => expected(x, resp));
  if ('simple' in v) return v.simple;
  if ('error' in v) return new RespError(v.error);
  if ('double' in v) return resp === 3 ? Number(formatDouble(v.double).replace(/^inf$/, 'Infinity').replace(/^-inf$/, '-Infinity')) : formatDouble(v.double);
  if ('bool' in v) return resp === 3 ? v.bool : v.bool ? 1 : 0;
  if ('verbatim' in v) return v.verbatim;
  if ('map' in v) {
    if (resp === 2) return v.map.flatMap(([k, x]) => [expected(k, resp), expected(x, resp)]);
    return new Map(v.map.map(([k, x]) => [expected(k, resp), expected(x, resp)]));
  }
  return v.set.map((x) => expected(x, resp));
}

function encode(values: RespValue[], resp: RespVersion): Buffer {
  const w = new ReplyWriter();
  w.resp = resp;
  w.begin();
  for (const v of values) w.value(v);
  return Buffer.from(w.take() ?? Buffer.alloc(0));
}

describe('reply decoder properties', () => {
  test('writer → random cuts → decoder gives the same replies (RESP2 and RESP3)', () => {
    fc.assert(
      fc.property(
        fc.array(respValue, { minLength: 1, maxLength: 8 }),
        fc.constantFrom<RespVersion>(2, 3),
        fc.array(fc.nat({ max: 4000 }), { maxLength: 12 }),
        (values, resp, cuts) => {
          const bytes = encode(values, resp);
          const got = decodeAll(bytes, BulkMode.Latin1, cuts.map((c) => c % (bytes.length + 1)));
          assert.deepEqual(got, values.map((v) => expected(v, resp)));
        },
      ),
      { numRuns: 500 },
    );
  });

  test('utf8 and Buffer bulks survive cuts inside multi-byte characters', () => {
    const utf8 = fc.string({ unit: 'grapheme', maxLength: 30 });
    fc.assert(
      fc.property(fc.array(utf8, { minLength: 1, maxLength: 10 }), fc.array(fc.nat({ max: 2000 }), { maxLength: 10 }), (strs, cuts) => {
        const bytes = Buffer.concat(
          strs.flatMap((s) => {
            const b = Buffer.from(s, 'utf8');
            return [Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n')];
          }),
        );
        const pts = cuts.map((c) => c % (bytes.length + 1));
        assert.deepEqual(decodeAll(bytes, BulkMode.Utf8, pts), strs);
        assert.deepEqual(decodeAll(bytes, BulkMode.Buffer, pts), strs.map((s) => Buffer.from(s, 'utf8')));
      }),
      { numRuns: 300 },
    );
  });

  test('byte-at-a-time feeding equals one-shot decoding', () => {
    fc.assert(
      fc.property(fc.array(respValue, { minLength: 1, maxLength: 4 }), (values) => {
        const bytes = encode(values, 3);
        const all = Array.from({ length: bytes.length }, (_, i) => i);
        assert.deepEqual(decodeAll(bytes, BulkMode.Latin1, all), decodeAll(bytes, BulkMode.Latin1));
      }),
      { numRuns: 100 },
    );
  });
});
