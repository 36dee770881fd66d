import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ReplicationBacklog } from './backlog.js';

test('backlog: offsets count bytes from 1; copyFrom returns the bytes held', () => {
  const b = new ReplicationBacklog(16, 100);
  assert.equal(b.firstOffset, 101);
  assert.equal(b.copyFrom(101)!.length, 0);
  b.append(Buffer.from('hello'));
  assert.equal(b.offset, 105);
  assert.equal(b.copyFrom(101)!.toString(), 'hello');
  assert.equal(b.copyFrom(103)!.toString(), 'llo');
  assert.equal(b.copyFrom(106)!.toString(), '');
  assert.equal(b.copyFrom(100), null);
  assert.equal(b.copyFrom(107), null);
});

test('backlog: wraps around and keeps only the newest size bytes', () => {
  const b = new ReplicationBacklog(16);
  b.append(Buffer.from('0123456789'));
  b.append(Buffer.from('abcdefghij'));
  assert.equal(b.offset, 20);
  assert.equal(b.firstOffset, 5);
  assert.equal(b.copyFrom(5)!.toString(), '456789abcdefghij');
  assert.equal(b.copyFrom(4), null);
  b.append(Buffer.from('x'.repeat(40)));
  assert.equal(b.copyFrom(b.firstOffset)!.toString(), 'x'.repeat(16));
});

test('backlog: resize keeps the newest bytes', () => {
  const b = new ReplicationBacklog(32);
  b.append(Buffer.from('abcdefghijklmnopqrstuvwxyz'));
  b.resize(16);
  assert.equal(b.copyFrom(b.firstOffset)!.toString(), 'klmnopqrstuvwxyz');
  b.resize(64);
  b.append(Buffer.from('123'));
  assert.equal(b.copyFrom(b.firstOffset)!.toString(), 'klmnopqrstuvwxyz123');
});

test('backlog: property — the held bytes are always the stream tail', () => {
  fc.assert(
    fc.property(fc.integer({ min: 16, max: 64 }), fc.array(fc.uint8Array({ maxLength: 100 }), { maxLength: 30 }), (size, chunks) => {
      const b = new ReplicationBacklog(size);
      let all = Buffer.alloc(0);
      for (const c of chunks) {
        b.append(Buffer.from(c));
        all = Buffer.concat([all, Buffer.from(c)]);
        const held = b.copyFrom(b.firstOffset)!;
        assert.deepEqual(held, all.subarray(all.length - Math.min(size, all.length)));
        assert.equal(b.offset, all.length);
      }
    }),
  );
});
