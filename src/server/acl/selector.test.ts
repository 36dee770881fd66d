import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CommandCatalog, REDIS_CATALOG } from './catalog.js';
import { KEY_READ, KEY_WRITE, SELECTOR_ALLCOMMANDS, SELECTOR_ALLKEYS, Selector, hasSpaces, patternString } from './selector.js';

function selector(...rules: string[]): Selector {
  const s = new Selector(REDIS_CATALOG, 0);
  for (const r of rules) assert.equal(s.apply(r), null, r);
  return s;
}

/** A small catalog: the compaction's choices are exact there. */
function tiny(): CommandCatalog {
  const c = new CommandCatalog();
  c.add('get', ['read', 'string', 'fast'], []);
  c.add('strlen', ['read', 'string', 'fast'], []);
  c.add('set', ['write', 'string', 'slow'], []);
  c.add('del', ['keyspace', 'write', 'slow'], []);
  c.add('config', ['slow'], [['get', ['admin', 'slow', 'dangerous']], ['set', ['admin', 'slow', 'dangerous']]]);
  return c;
}

test('key patterns: ~, %R~, %W~, merged permissions, allkeys, resetkeys', () => {
  const s = selector('~a*', '%R~b*', '%W~c*', '%RW~d*', '%r~b*', '%W~b*');
  assert.deepEqual(s.patterns.map(patternString), ['~a*', '~b*', '%W~c*', '~d*']);
  assert.equal(s.apply('~*'), null);
  assert.equal(s.flags & SELECTOR_ALLKEYS, SELECTOR_ALLKEYS);
  assert.equal(s.apply('~x'), 'EEXIST');
  assert.equal(s.apply('resetkeys'), null);
  assert.deepEqual(s.patterns, []);
  assert.equal(s.apply('%X~a'), 'EINVAL');
  assert.equal(s.apply('%RR~a'), 'EINVAL');
  assert.equal(s.apply('~a b'), 'EINVAL');
  assert.equal(selector('%R~r').patterns[0].flags, KEY_READ);
  assert.equal(selector('%W~w').patterns[0].flags, KEY_WRITE);
});

test('channels: &pattern once each, allchannels refuses more', () => {
  const s = selector('&a', '&b*', '&a');
  assert.deepEqual(s.channels, ['a', 'b*']);
  s.apply('allchannels');
  assert.equal(s.apply('&c'), 'EISDIR');
  assert.equal(s.describe(), '&* -@all');
});

test('command rules: commands, containers, subcommands, first args, categories', () => {
  const s = selector('+config', '-config|set', '+select|0', '+@hash', '-hget');
  const id = (n: string): number => REDIS_CATALOG.lookup(n)!.id;
  assert.ok(s.commandBit(id('config|get')));
  assert.ok(!s.commandBit(id('config|set')));
  assert.ok(!s.commandBit(id('select')));
  assert.deepEqual(s.firstArgs?.get(id('select')), ['0']);
  assert.ok(s.commandBit(id('hset')));
  assert.ok(!s.commandBit(id('hget')));
  assert.equal(s.apply('+nosuch'), 'ENOENT');
  assert.equal(s.apply('+@nosuch'), 'ENOENT');
  assert.equal(s.apply('+config|get|x'), 'ECHILD');
  assert.equal(s.apply('+get|'), 'EINVAL');
  assert.equal(s.apply('+config|nosuch'), 'ENOENT');
  assert.equal(s.apply('whatever'), 'EINVAL');
  // -cmd clears the command's first args; -@all clears them all.
  s.apply('-select');
  assert.equal(s.firstArgs?.get(id('select')), undefined);
});

test('allcommands sets the future-commands bit; removing any command clears ALLCOMMANDS', () => {
  const s = selector('allcommands');
  assert.ok(s.futureCommands);
  assert.equal(s.flags & SELECTOR_ALLCOMMANDS, SELECTOR_ALLCOMMANDS);
  s.apply('-get');
  assert.equal(s.flags & SELECTOR_ALLCOMMANDS, 0);
  assert.ok(s.futureCommands);
  s.apply('nocommands');
  assert.ok(!s.futureCommands);
});

test('compaction over a small catalog: best-fitting categories first, then single commands', () => {
  const c = tiny();
  const rules = (...ops: string[]): string => {
    const s = new Selector(c, 0);
    for (const op of ops) assert.equal(s.apply(op), null);
    return s.describeCommandRules();
  };
  assert.equal(rules(), '-@all');
  assert.equal(rules('+@all'), '+@all');
  assert.equal(rules('+get', '+strlen'), '-@all +@read');
  assert.equal(rules('+get'), '-@all +get');
  assert.equal(rules('+@string', '-set'), '-@all +@read');
  assert.equal(rules('+@all', '-@write'), '+@all -@write');
  assert.equal(rules('+@all', '-config|set'), '+@all -config|set');
  assert.equal(rules('+config', '-config|set'), '-@all +config -config|set');
  assert.equal(rules('+get|x', '+get|y', '+get|X'), '-@all +get|x +get|y');
  assert.equal(rules('+@string', '+get|x'), '-@all +@string');
});

test('describe: keys, channels (resetchannels first), then commands, as ACL LIST shows a selector', () => {
  assert.equal(selector().describe(), 'resetchannels -@all');
  assert.equal(selector('~a', '%R~b', '&c', '+get').describe(), '~a %R~b resetchannels &c -@all +get');
  assert.equal(selector('allkeys', 'allchannels', 'allcommands').describe(), '~* &* +@all');
});

test('copy is deep', () => {
  const s = selector('~a', '&c', '+select|1');
  const t = s.copy();
  t.apply('~b');
  t.apply('&d');
  t.apply('+select|2');
  t.apply('+get');
  assert.equal(s.describe(), '~a resetchannels &c -@all +select|1');
});

test('hasSpaces: whitespace and NUL', () => {
  assert.equal(hasSpaces('abc'), false);
  for (const s of ['a b', 'a\tb', 'a\nb', 'a\0b', '\x0b', '\r']) assert.equal(hasSpaces(s), true, JSON.stringify(s));
});
