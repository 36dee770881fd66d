// Tests for the byte helpers: latin1 round trips of all 256 byte values, and integer parsing
// with Redis's string2ll rules (no '+', no spaces, no leading zeros, no "-0", int64 bounds).

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { INT64_MAX, INT64_MIN, latin1, parseInt64Big, parseInt64String, parseInteger, writeLatin1 } from './bytes.js';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');
const int = (s: string): number | undefined => parseInteger(b(s), 0, s.length);
const big = (s: string): bigint | undefined => parseInt64Big(b(s), 0, s.length);

/** Reference: Redis string2ll accepts exactly these spellings, within int64. */
function string2ll(s: string): bigint | undefined {
  if (!/^(0|-?[1-9][0-9]*)$/.test(s) || s.length > 20) return undefined;
  const v = BigInt(s);
  return v > INT64_MAX || v < INT64_MIN ? undefined : v;
}

describe('latin1 helpers', () => {
  test('all 256 byte values round-trip, short (JS loop) and long (native) paths', () => {
    const all = Buffer.alloc(256);
    for (let i = 0; i < 256; i++) all[i] = i;
    const s = latin1(all, 0, 256);
    assert.equal(s.length, 256);
    for (let i = 0; i < 256; i++) assert.equal(s.charCodeAt(i), i);
    const out = Buffer.alloc(300, 0xaa);
    assert.equal(writeLatin1(out, s, 10), 256);
    assert.deepEqual(out.subarray(10, 266), all);
    assert.equal(out[9], 0xaa);
    assert.equal(out[266], 0xaa);
    for (let start = 0; start < 256; start += 40) {
      const short = s.slice(start, start + 40);
      const o = Buffer.alloc(50);
      assert.equal(writeLatin1(o, short, 3), short.length);
      assert.equal(latin1(o, 3, 3 + short.length), short);
    }
  });

  test('latin1 reads a sub-range', () => {
    assert.equal(latin1(b('xxabcxx'), 2, 5), 'abc');
    assert.equal(latin1(b('abc'), 1, 1), '');
  });
});

describe('parseInteger / parseInt64Big (string2ll)', () => {
  test('valid spellings', () => {
    assert.equal(int('0'), 0);
    assert.equal(int('7'), 7);
    assert.equal(int('-7'), -7);
    assert.equal(int('1234567890'), 1234567890);
    assert.equal(int('9007199254740991'), 9007199254740991);
    assert.equal(int('-9007199254740991'), -9007199254740991);
    assert.equal(big('9223372036854775807'), INT64_MAX);
    assert.equal(big('-9223372036854775808'), INT64_MIN);
    assert.equal(int('9223372036854775807'), Number(INT64_MAX));
    assert.equal(int('-9223372036854775808'), Number(INT64_MIN));
  });

  test('invalid spellings', () => {
    for (const s of ['', '-', '+1', ' 1', '1 ', '01', '-0', '-01', '00', '1.0', '1e3', '0x10', '--1', '1-', 'abc', '\x001', '١']) {
      assert.equal(int(s), undefined, JSON.stringify(s));
      assert.equal(big(s), undefined, JSON.stringify(s));
      assert.equal(parseInt64String(s), undefined, JSON.stringify(s));
    }
  });

  test('int64 bounds', () => {
    for (const s of ['9223372036854775808', '-9223372036854775809', '99999999999999999999', '-99999999999999999999', '123456789012345678901']) {
      assert.equal(int(s), undefined, s);
      assert.equal(big(s), undefined, s);
      assert.equal(parseInt64String(s), undefined, s);
    }
  });

  test('parses a range inside a larger buffer', () => {
    const buf = b('x-123y0z');
    assert.equal(parseInteger(buf, 1, 5), -123);
    assert.equal(parseInt64Big(buf, 1, 5), -123n);
    assert.equal(parseInteger(buf, 6, 7), 0);
    assert.equal(parseInt64Big(buf, 6, 7), 0n);
    // "-0" inside a buffer: still invalid.
    assert.equal(parseInt64Big(b('a-0'), 1, 3), undefined);
    assert.equal(parseInteger(b('a-0'), 1, 3), undefined);
  });

  test('property: agrees with string2ll on digit-heavy strings', () => {
    const arb = fc.array(fc.constantFrom('0', '1', '9', '-', '+', ' ', 'x'), { maxLength: 22 }).map((a) => a.join(''));
    fc.assert(
      fc.property(arb, (s) => {
        const want = string2ll(s);
        assert.equal(big(s), want, s);
        assert.equal(parseInt64String(s), want, s);
        assert.equal(int(s), want === undefined ? undefined : Number(want), s);
      }),
      { numRuns: 5000 },
    );
  });

  test('property: every int64 round-trips through its decimal spelling', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: INT64_MIN, max: INT64_MAX }), (v) => {
        const s = String(v);
        assert.equal(big(s), v);
        assert.equal(parseInt64String(s), v);
        assert.equal(int(s), Number(v));
      }),
      { numRuns: 3000 },
    );
  });
});
