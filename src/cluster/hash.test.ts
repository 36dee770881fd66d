// MurmurHash3 x86_32 checked against published vectors (the reference SMHasher implementation's
// values as collected by Ian Boyd, stackoverflow.com/a/31929528, and the Wikipedia examples).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { murmur3_32, murmur3_32Bytes } from './hash.js';

test('murmur3_32 of strings matches published vectors', () => {
  const vectors: Array<[string, number, number]> = [
    ['', 0, 0],
    ['', 1, 0x514e28b7],
    ['', 0xffffffff, 0x81f16f39],
    ['\0\0\0\0', 0, 0x2362f9de],
    ['\0\0\0', 0, 0x85f0b427],
    ['\0\0', 0, 0x30f4c306],
    ['\0', 0, 0x514e28b7],
    ['hello', 0, 0x248bfa47],
    ['foo', 0, 4138058784],
    ['abc', 0, 0xb3dd93fa],
    ['test', 0, 0xba6bd213],
    ['test', 0x9747b28c, 0x704b81dc],
    ['Hello, world!', 0, 0xc0363e43],
    ['Hello, world!', 1234, 0xfaf6cdb3],
    ['Hello, world!', 4321, 0xbf505788],
    ['Hello, world!', 0x9747b28c, 0x24884cba],
    ['aaaa', 0x9747b28c, 0x5a97808a],
    ['aaa', 0x9747b28c, 0x283e0130],
    ['aa', 0x9747b28c, 0x5d211726],
    ['a', 0x9747b28c, 0x7fa09ea6],
    ['abcd', 0x9747b28c, 0xf0478627],
    ['abc', 0x9747b28c, 0xc84a62dd],
    ['ab', 0x9747b28c, 0x74875592],
    ['a'.repeat(256), 0x9747b28c, 0x37405bdc],
    ['abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq', 0, 0xee925b90],
    ['The quick brown fox jumps over the lazy dog', 0, 0x2e4ff723],
    ['The quick brown fox jumps over the lazy dog', 0x9747b28c, 0x2fa826cd],
    ['ππππππππ', 0x9747b28c, 0xd58063c1], // U+03C0, two UTF-8 bytes each
  ];
  for (const [input, seed, expected] of vectors) {
    assert.equal(murmur3_32(input, seed), expected, `murmur3_32(${JSON.stringify(input)}, ${seed})`);
  }
});

test('murmur3_32Bytes matches published byte vectors (endianness of blocks and tails)', () => {
  const vectors: Array<[number[], number, number]> = [
    [[0xff, 0xff, 0xff, 0xff], 0, 0x76293b50],
    [[0x21, 0x43, 0x65, 0x87], 0, 0xf55b516b],
    [[0x21, 0x43, 0x65, 0x87], 0x5082edee, 0x2362f9de],
    [[0x21, 0x43, 0x65], 0, 0x7e4a8634],
    [[0x21, 0x43], 0, 0xa0f7b07a],
    [[0x21], 0, 0x72661cf4],
  ];
  for (const [bytes, seed, expected] of vectors) {
    assert.equal(murmur3_32Bytes(Uint8Array.from(bytes), seed), expected, `bytes ${bytes.join(',')}`);
  }
});

test('a byte range hashes as the same bytes on their own', () => {
  const buf = Buffer.from('xxHello, world!yy', 'latin1');
  assert.equal(murmur3_32Bytes(buf, 1234, 2, 15), 0xfaf6cdb3);
});

test('strings hash as their UTF-8 bytes, including astral and lone surrogates', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 40 }), fc.integer({ min: 0, max: 0xffffffff }), (s, seed) => {
      assert.equal(murmur3_32(s, seed), murmur3_32Bytes(new TextEncoder().encode(s), seed));
    }),
  );
  assert.equal(murmur3_32('\ud800', 7), murmur3_32Bytes(Buffer.from([0xef, 0xbf, 0xbd]), 7));
  assert.equal(murmur3_32('😀'), murmur3_32Bytes(Buffer.from('😀', 'utf8')));
});

test('spreads sequential keys evenly over buckets', () => {
  const buckets = new Array<number>(64).fill(0);
  const n = 64_000;
  for (let i = 0; i < n; i++) buckets[murmur3_32(`key:${i}`) % 64]++;
  // 1000 expected per bucket, standard deviation ~31: 5 sigma either way.
  for (const b of buckets) assert.ok(b > 845 && b < 1155, `bucket holds ${b}`);
});
