// Tests of util/lzf.ts: random inputs (compressible and not) round-trip through lzfCompress and
// lzfDecompress; compression gives up (null) when the output would not fit; decompression of
// arbitrary bytes never throws and returns null or exactly the asked length. Byte-for-byte
// agreement with Redis's lzf_compress is checked against redis-server by
// test/system/compat-dump-rdb.test.ts (LZF-compressed strings and listpacks in DUMP payloads).

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { lzfCompress, lzfDecompress } from './lzf.js';

const FC = { includeErrorInReport: true, interruptAfterTimeLimit: 20_000 };

/** Bytes with repetition in them: runs picked from a small alphabet, and repeated chunks. */
const compressible = fc
  .array(fc.tuple(fc.constantFrom('a', 'b', 'xyz', 'hello ', '\0', '\xff'), fc.integer({ min: 1, max: 40 })), { minLength: 1, maxLength: 60 })
  .map((parts) => Buffer.from(parts.map(([s, n]) => s.repeat(n)).join(''), 'latin1'));
const random = fc.uint8Array({ minLength: 1, maxLength: 3000 }).map((a) => Buffer.from(a));

describe('lzf', () => {
  test('round trip', () => {
    fc.assert(
      fc.property(fc.oneof(compressible, random), (input) => {
        const c = lzfCompress(input, 0, input.length, input.length + 64);
        assert.ok(c !== null);
        assert.deepEqual(lzfDecompress(c, 0, c.length, input.length), input);
        // Offsets into a bigger buffer work the same.
        const padded = Buffer.concat([Buffer.from('pre'), input, Buffer.from('post')]);
        assert.deepEqual(lzfCompress(padded, 3, 3 + input.length, input.length + 64), c);
      }),
      { ...FC, numRuns: 300 },
    );
  });

  test('gives up when the output does not fit; compresses repetition', () => {
    const rep = Buffer.from('abcabcabcabcabcabcabcabcabcabcabcabc');
    const c = lzfCompress(rep, 0, rep.length, rep.length - 4)!;
    assert.ok(c.length < rep.length - 4);
    assert.equal(lzfCompress(rep, 0, rep.length, 3), null);
    const noise = Buffer.from(Array.from({ length: 64 }, (_, i) => (i * 97 + 13) & 0xff));
    assert.equal(lzfCompress(noise, 0, noise.length, noise.length - 4), null);
    assert.equal(lzfCompress(Buffer.alloc(0), 0, 0, 10), null);
  });

  test('decompressing garbage never throws', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(2000), (a, n) => {
        const b = Buffer.from(a);
        const out = lzfDecompress(b, 0, b.length, n);
        assert.ok(out === null || out.length === n);
      }),
      { ...FC, numRuns: 2000 },
    );
  });

  test('a back reference before the start, or a short length, is refused', () => {
    assert.equal(lzfDecompress(Buffer.from([0x20, 0x00]), 0, 2, 3), null);
    assert.equal(lzfDecompress(Buffer.from([0x02, 0x61, 0x62, 0x63]), 0, 4, 2), null);
    assert.equal(lzfDecompress(Buffer.from([0x02, 0x61, 0x62, 0x63]), 0, 4, 4), null);
    assert.deepEqual(lzfDecompress(Buffer.from([0x00, 0x61, 0x20, 0x00]), 0, 4, 4), Buffer.from('aaaa'));
  });
});
