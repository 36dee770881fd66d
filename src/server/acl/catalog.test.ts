import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CATEGORY_NAMES, CommandCatalog, REDIS_CATALOG, categoryFlag } from './catalog.js';

test('the catalog holds every Redis 7.0.15 command: 240 top-level, with their subcommands', () => {
  assert.equal(REDIS_CATALOG.top.length, 240);
  assert.equal(REDIS_CATALOG.size, REDIS_CATALOG.top.reduce((n, c) => n + 1 + c.subcommands.length, 0));
  // Commands corral does not implement are still known to the ACL.
  for (const name of ['failover', 'monitor', 'migrate', 'latency|doctor', 'module|load']) assert.ok(REDIS_CATALOG.lookup(name), name);
});

test('lookups are case-insensitive and by full name; ids index byId', () => {
  const get = REDIS_CATALOG.lookup('GET')!;
  assert.equal(get.fullName, 'get');
  assert.equal(REDIS_CATALOG.byId[get.id], get);
  const cfg = REDIS_CATALOG.lookup('Config|Get')!;
  assert.equal(cfg.fullName, 'config|get');
  assert.equal(cfg.parent, REDIS_CATALOG.lookup('config'));
  assert.equal(REDIS_CATALOG.lookup('nosuch'), undefined);
  assert.equal(REDIS_CATALOG.lookup('config|nosuch'), undefined);
});

test('categories come from COMMAND INFO, implicit ones included', () => {
  const cats = (name: string): string[] => CATEGORY_NAMES.filter((_, i) => (REDIS_CATALOG.lookup(name)!.categories & (1 << i)) !== 0);
  assert.deepEqual(cats('get'), ['read', 'string', 'fast']);
  assert.deepEqual(cats('set'), ['write', 'string', 'slow']);
  assert.deepEqual(cats('config|set'), ['admin', 'slow', 'dangerous']);
  assert.deepEqual(cats('lolwut'), ['read', 'fast']);
});

test('categoryFlag: bit of the name in ACL CAT order, 0 when unknown', () => {
  assert.equal(categoryFlag('keyspace'), 1);
  assert.equal(categoryFlag('READ'), 2);
  assert.equal(categoryFlag('scripting'), 1 << 20);
  assert.equal(categoryFlag('all'), 0);
});

test('forEach walks each command then its subcommands', () => {
  const c = new CommandCatalog();
  c.add('a', ['read'], [['x', ['write']]]);
  c.add('b', ['fast'], []);
  const seen: string[] = [];
  c.forEach((cmd) => seen.push(cmd.fullName));
  assert.deepEqual(seen, ['a', 'a|x', 'b']);
  assert.equal(c.size, 3);
});
