// The slab allocator's page lifecycle: a class's only small page, emptied, is kept (an item made
// and freed on every command must not make and drop a page each time); bigger pages are given back.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SlabAllocator } from './slab.js';

test('an item allocated and freed over and over reuses one kept page', () => {
  const slab = new SlabAllocator();
  const first = slab.alloc(24);
  slab.free(first);
  assert.equal(slab.pageCount, 1, 'the emptied first page of the class is kept');
  const pages = slab.pages.filter((p) => p !== null)[0];
  for (let i = 0; i < 1000; i++) slab.free(slab.alloc(24));
  assert.equal(slab.pageCount, 1);
  assert.equal(slab.pages.filter((p) => p !== null)[0], pages, 'the same page buffer throughout');
  assert.equal(slab.liveBytes, 0);
});

test('a class whose items all go gives back all but a small first page', () => {
  const slab = new SlabAllocator();
  const locs: number[] = [];
  for (let i = 0; i < 5000; i++) locs.push(slab.alloc(100));
  const held = slab.pageCount;
  assert.ok(held > 3);
  for (const loc of locs) slab.free(loc);
  assert.ok(slab.pageCount <= 1, `${slab.pageCount} pages left of ${held}`);
  // A class of items too big for a 4 KB first page keeps nothing.
  slab.free(slab.alloc(4000));
  assert.ok(slab.pageCount <= 1);
});
