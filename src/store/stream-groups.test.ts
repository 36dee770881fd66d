import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IdIndex, StreamGroups, groupsFromImage, groupsToImage } from './stream-groups.js';
import { streamId } from './stream-image.js';

const id = (ms: number, seq = 0): bigint => streamId(BigInt(ms), BigInt(seq));

test('IdIndex keeps IDs ascending whatever the insertion order', () => {
  const ix = new IdIndex<string>();
  for (const n of [5, 1, 9, 3, 7]) assert.equal(ix.insert(id(n), `v${n}`), true);
  assert.equal(ix.insert(id(3), 'again'), false);
  assert.deepEqual([...ix.entries()].map(([k, v]) => [Number(k >> 64n), v]), [[1, 'v1'], [3, 'v3'], [5, 'v5'], [7, 'v7'], [9, 'v9']]);
  assert.equal(ix.first(), id(1));
  assert.equal(ix.last(), id(9));
  assert.deepEqual([...ix.from(id(4))].map(([k]) => Number(k >> 64n)), [5, 7, 9]);
  assert.deepEqual([...ix.from(id(9, 1))], []);
});

test('IdIndex deletes lazily, compacts, and revives a dead slot', () => {
  const ix = new IdIndex<number>();
  for (let n = 1; n <= 100; n++) ix.insert(id(n), n);
  for (let n = 1; n <= 80; n++) assert.equal(ix.delete(id(n)), true);
  assert.equal(ix.delete(id(1)), false);
  assert.equal(ix.size, 20);
  assert.equal(ix.first(), id(81));
  assert.equal(ix.insert(id(50), 50), true);
  assert.equal(ix.first(), id(50));
  assert.deepEqual([...ix.entries()].map(([, v]) => v), [50, ...Array.from({ length: 20 }, (_, i) => 81 + i)]);
  for (const [k] of [...ix.entries()]) ix.delete(k);
  assert.equal(ix.size, 0);
  assert.equal(ix.first(), null);
  assert.equal(ix.last(), null);
});

test('IdIndex iteration survives removing the entry it stands on', () => {
  const ix = new IdIndex<number>();
  for (let n = 1; n <= 40; n++) ix.insert(id(n), n);
  const seen: number[] = [];
  for (const [k, v] of ix.from(0n)) {
    seen.push(v);
    ix.delete(k);
  }
  assert.equal(seen.length, 40);
  assert.deepEqual(seen, Array.from({ length: 40 }, (_, i) => i + 1));
});

test('delivery, redelivery to another consumer, acknowledgement and consumer deletion', () => {
  const groups = new StreamGroups();
  const empty = groups.bytes;
  const g = groups.create('g', 0n, -1)!;
  assert.equal(groups.create('g', 0n, -1), null);
  const alice = g.createConsumer('alice', 1000)!;
  const bob = g.createConsumer('bob', 1000)!;
  assert.equal(g.createConsumer('bob', 2000), null);
  g.deliver(id(1), alice, 1100);
  g.deliver(id(2), alice, 1100);
  const p = g.deliver(id(1), bob, 1200);
  assert.equal(p.consumer, bob);
  assert.equal(p.deliveryCount, 1);
  assert.equal(p.deliveryTime, 1200);
  assert.deepEqual([...alice.pel.entries()].map(([k]) => k), [id(2)]);
  assert.deepEqual([...bob.pel.entries()].map(([k]) => k), [id(1)]);
  assert.equal(g.pel.size, 2);
  assert.equal(g.acknowledge(id(1)), true);
  assert.equal(g.acknowledge(id(1)), false);
  assert.equal(bob.pel.size, 0);
  g.deleteConsumer(alice);
  assert.equal(g.pel.size, 0);
  assert.deepEqual(g.consumers().map((c) => c.name), ['bob']);
  assert.equal(groups.destroy('g'), true);
  assert.equal(groups.destroy('g'), false);
  assert.equal(groups.bytes, empty);
});

test('groups and consumers iterate in byte order of their names', () => {
  const groups = new StreamGroups();
  for (const name of ['b', 'a', '\xff', 'B', 'ab']) groups.create(name, 0n, -1);
  assert.deepEqual(groups.groups().map((g) => g.name), ['B', 'a', 'ab', 'b', '\xff']);
  const g = groups.get('a')!;
  for (const name of ['zed', 'Zed', 'z']) g.createConsumer(name, 0);
  assert.deepEqual(g.consumers().map((c) => c.name), ['Zed', 'z', 'zed']);
});

test('an image round trip keeps everything; a clone shares nothing', () => {
  const groups = new StreamGroups();
  const g1 = groups.create('g1', id(7), 3)!;
  const g2 = groups.create('g2', id(1, 5), -1)!;
  void g2;
  const alice = g1.createConsumer('alice', 500)!;
  const bob = g1.createConsumer('bob', 600)!;
  g1.deliver(id(3), bob, 700);
  g1.deliver(id(1), alice, 800).deliveryCount = 4;
  g1.createConsumer('idle', 900);
  const image = groupsToImage(groups);
  assert.deepEqual(image, [
    {
      name: 'g1',
      lastId: id(7),
      entriesRead: 3,
      pending: [
        { id: id(1), deliveryTime: 800, deliveryCount: 4 },
        { id: id(3), deliveryTime: 700, deliveryCount: 1 },
      ],
      consumers: [
        { name: 'alice', seenTime: 500, pending: [id(1)] },
        { name: 'bob', seenTime: 600, pending: [id(3)] },
        { name: 'idle', seenTime: 900, pending: [] },
      ],
    },
    { name: 'g2', lastId: id(1, 5), entriesRead: -1, pending: [], consumers: [] },
  ]);
  const back = groupsFromImage(image)!;
  assert.deepEqual(groupsToImage(back), image);
  assert.equal(back.bytes, groups.bytes);
  const copy = groups.clone();
  copy.get('g1')!.acknowledge(id(1));
  copy.get('g1')!.lastId = 0n;
  assert.deepEqual(groupsToImage(groups), image);
  assert.equal(groupsFromImage([]), null);
  assert.deepEqual(groupsToImage(null), []);
});

test('an image whose consumer owns an ID not in the group PEL is refused', () => {
  assert.throws(() =>
    groupsFromImage([{ name: 'g', lastId: 0n, entriesRead: -1, pending: [], consumers: [{ name: 'c', seenTime: 0, pending: [id(1)] }] }]),
  );
  assert.throws(() =>
    groupsFromImage([{ name: 'g', lastId: 0n, entriesRead: -1, pending: [{ id: id(1), deliveryTime: 0, deliveryCount: 1 }], consumers: [] }]),
  );
});
