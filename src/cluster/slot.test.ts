// Key-slot mapping checked against values Redis Cluster computes (CLUSTER KEYSLOT on redis-server 7).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { crc16, keySlot, keySlotOf } from './slot.js';

test('crc16 is CRC16-XMODEM (the cluster spec check value)', () => {
  assert.equal(crc16('123456789'), 0x31c3);
});

test('slots match redis-server CLUSTER KEYSLOT', () => {
  const table: Array<[string, number]> = [
    ['', 0],
    ['foo', 12182],
    ['bar', 5061],
    ['key:000000000000', 13053],
    ['{user1000}.following', 3443],
    ['{user1000}.followers', 3443],
    ['user1000', 3443],
    ['foo{}{bar}', keySlot('foo{}{bar}')],
    ['foo{{bar}}zap', keySlot('{bar')],
    ['foo{bar}{zap}', keySlot('bar')],
    ['{}', keySlot('{}')],
  ];
  for (const [key, slot] of table) assert.equal(keySlot(key), slot, key);
  assert.notEqual(keySlot('foo{}{bar}'), keySlot('bar'));
});

test('Buffer and string forms agree, also inside a larger buffer', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ maxLength: 8 }), (bytes, pad) => {
      const key = Buffer.from(bytes);
      const s = key.toString('latin1');
      const inside = Buffer.concat([Buffer.from(pad), key, Buffer.from(pad)]);
      const slot = keySlot(s);
      assert.equal(keySlot(key), slot);
      assert.equal(keySlotOf(inside, pad.length, pad.length + key.length), slot);
      assert.ok(slot >= 0 && slot < 16384);
    }),
  );
});
