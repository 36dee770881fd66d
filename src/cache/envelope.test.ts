import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeEnvelope, encodeEnvelope, F_JSON, F_NEGATIVE, HEADER, MAGIC } from './envelope.js';

const meta = fc.record({
  flags: fc.integer({ min: 0, max: 255 }),
  storedAt: fc.integer({ min: 0, max: 2 ** 48 - 1 }),
  delta: fc.integer({ min: 0, max: 0xffffffff }),
  version: fc.option(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }), { nil: undefined }),
  tagPairs: fc.array(fc.tuple(fc.string({ unit: 'grapheme', maxLength: 30 }), fc.stringMatching(/^[0-9]{0,20}$/)), { maxLength: 8 }),
});

test('envelope: round trip of header and payload (Buffer and string payloads)', () => {
  fc.assert(
    fc.property(meta, fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.string({ unit: 'grapheme', maxLength: 100 })), (m, p) => {
      const tags = m.tagPairs.map((x) => x[0]);
      const tagVersions = m.tagPairs.map((x) => x[1]);
      const payload = typeof p === 'string' ? p : Buffer.from(p);
      const buf = encodeEnvelope({ flags: m.flags, storedAt: m.storedAt, delta: m.delta, version: m.version, tags, tagVersions }, payload);
      const env = decodeEnvelope(buf);
      assert.ok(env);
      assert.equal(env.flags, m.flags);
      assert.equal(env.storedAt, m.storedAt);
      assert.equal(env.delta, m.delta);
      assert.equal(env.version, m.version);
      assert.deepEqual([...env.tags], tags);
      assert.deepEqual([...env.tagVersions], tagVersions);
      assert.deepEqual(env.payload, typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload);
    }),
    { numRuns: 500 },
  );
});

test('envelope: every truncation of a valid envelope decodes to null or a shorter payload, never throws', () => {
  fc.assert(
    fc.property(meta, fc.uint8Array({ maxLength: 40 }), (m, p) => {
      const buf = encodeEnvelope(
        { flags: m.flags, storedAt: m.storedAt, delta: m.delta, version: m.version, tags: m.tagPairs.map((x) => x[0]), tagVersions: m.tagPairs.map((x) => x[1]) },
        Buffer.from(p),
      );
      for (let n = 0; n < buf.length; n++) decodeEnvelope(buf.subarray(0, n));
    }),
    { numRuns: 100 },
  );
});

test('envelope: foreign values are not envelopes', () => {
  assert.equal(decodeEnvelope(Buffer.from('hello world, a plain value')), null);
  assert.equal(decodeEnvelope(Buffer.alloc(0)), null);
  const other = encodeEnvelope({ flags: F_JSON, storedAt: 1, delta: 2, version: undefined, tags: [], tagVersions: [] }, '1');
  other[1] = 99; // another format version
  assert.equal(decodeEnvelope(other), null);
});

test('envelope: layout is a 16-byte header then the payload; saturating fields', () => {
  const b = encodeEnvelope({ flags: F_NEGATIVE, storedAt: 2 ** 60, delta: 2 ** 40, version: undefined, tags: [], tagVersions: [] }, Buffer.alloc(0));
  assert.equal(b.length, HEADER);
  assert.equal(b[0], MAGIC);
  const env = decodeEnvelope(b)!;
  assert.equal(env.storedAt, 2 ** 48 - 1);
  assert.equal(env.delta, 0xffffffff);
  assert.equal(env.tags.length, 0);
  assert.throws(() => encodeEnvelope({ flags: 0, storedAt: 0, delta: 0, version: undefined, tags: ['a'], tagVersions: [] }, ''), RangeError);
});
