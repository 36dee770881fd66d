// The hit path's decoding (read.ts): plain envelopes parsed from latin1 text, everything else
// left to the general path, with the exact bytes recovered. The flow over it is tested in
// cache.test.ts (its "settling reads" runs) and against real nodes in
// test/integration/cache-sdk.test.ts.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Codec } from './codec.js';
import { decodeEnvelope, encodeEnvelope, F_ASCII, F_BUFFER, F_JSON } from './envelope.js';
import { resolveCall } from './options.js';
import { deltaOfText, NOT_PLAIN, plainHit, replyBytes, storedAtOfText } from './read.js';

const o = resolveCall({ ttl: 1000 }, undefined, true);
const codec = new Codec();
const meta = { storedAt: 1_700_000_000_123, delta: 42, version: undefined, cacheNegative: true, tags: [], tagVersions: null };

function text(b: Buffer): string {
  return b.toString('latin1');
}

test('read: an ASCII JSON value is flagged and parsed from latin1 text; header fields read as decodeEnvelope reads them', () => {
  const value = { id: 1, name: 'Flash-sale sneakers', price: '59.99', tags: ['shoes', 'sale'], nested: { ok: true, n: null } };
  const b = codec.encode(value, meta);
  assert.equal(b[2], F_JSON | F_ASCII);
  assert.deepEqual(plainHit(text(b), o), value);
  assert.deepEqual(codec.decode(decodeEnvelope(b)!), value, 'readers ignoring the flag still decode it');
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 2 ** 48 - 1 }), fc.integer({ min: 0, max: 0xffffffff }), (storedAt, delta) => {
      const e = encodeEnvelope({ flags: F_JSON | F_ASCII, storedAt, delta, version: undefined, tags: [], tagVersions: [] }, '1');
      assert.equal(storedAtOfText(text(e)), storedAt);
      assert.equal(deltaOfText(text(e)), delta);
    }),
    { numRuns: 300 },
  );
});

test('read: anything but a plain envelope is NOT_PLAIN, and replyBytes gives its exact bytes back', () => {
  const nonAscii = codec.encode({ name: 'Crème brûlée 🍮' }, meta);
  assert.equal(nonAscii[2], F_JSON, 'no ASCII flag');
  const cases: Array<[string, Buffer]> = [
    ['non-ASCII JSON', nonAscii],
    ['written without the ASCII flag', encodeEnvelope({ flags: F_JSON, storedAt: 1, delta: 1, version: undefined, tags: [], tagVersions: [] }, '{"a":1}')],
    ['Buffer payload', codec.encode(Buffer.from([0, 1, 2, 0xff]), meta)],
    ['tags', codec.encode({ a: 1 }, { ...meta, tags: ['t'], tagVersions: ['7'] })],
    ['version stamp', codec.encode({ a: 1 }, { ...meta, version: 'v2' })],
    ['negative', codec.encode(null, meta)],
    ['JSON that does not parse', encodeEnvelope({ flags: F_JSON | F_ASCII, storedAt: 1, delta: 1, version: undefined, tags: [], tagVersions: [] }, '{"a":')],
    ['foreign value', Buffer.from('{"a":1} written by plain SET, long enough')],
    ['short', Buffer.from([0xc7, 1])],
  ];
  for (const [name, b] of cases) {
    assert.equal(plainHit(text(b), o), NOT_PLAIN, name);
    assert.deepEqual(replyBytes(text(b)), b, name);
  }
  assert.deepEqual(codec.decode(decodeEnvelope(replyBytes(text(nonAscii)) as Buffer)!), { name: 'Crème brûlée 🍮' });
  assert.equal(decodeEnvelope(replyBytes(text(cases[2][1])) as Buffer)!.flags, F_BUFFER);
  const plain = codec.encode({ a: 1 }, meta);
  assert.equal(plainHit(text(plain), resolveCall({ ttl: 1000, version: 3 }, undefined, true)), NOT_PLAIN, 'a version asked for');
});

test('read: replyBytes turns an array reply\'s value back into bytes and leaves the rest', () => {
  const b = codec.encode({ name: 'é' }, meta);
  const r = replyBytes(['STALE_WON', text(b), '123', 50]) as unknown[];
  assert.deepEqual(r, ['STALE_WON', b, '123', 50]);
  assert.deepEqual(replyBytes(['MISS_WON', null, '9', 5000]), ['MISS_WON', null, '9', 5000]);
});
