// Unit tests for the client's building blocks: the request encoder (against the reference
// encodeCommand, with fast-check), routing keys and slots, CLUSTER SLOTS and redirect parsing,
// option defaults, backoff bounds, and reply shaping.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { keySlot } from '../cluster/slot.js';
import { encodeCommand } from '../protocol/reply-parser.js';
import { Reply, shape, type Arg } from './command.js';
import { Encoder } from './encoder.js';
import { backoffDelay, resolveOptions } from './options.js';
import { Split, keyIndex, slotOf, splitKind } from './router.js';
import { meansNotCluster, parseAddress, parseClusterSlots, parseRedirect } from './topology.js';

describe('encoder', () => {
  const arg: fc.Arbitrary<Arg> = fc.oneof(
    fc.string({ unit: 'grapheme', maxLength: 80 }),
    fc.string({ maxLength: 200 }),
    fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
    fc.integer({ min: -(2 ** 53) + 1, max: 2 ** 53 - 1 }),
    fc.double({ noNaN: true }),
  );

  test('writes exactly what encodeCommand writes, across growth and reuse', () => {
    const enc = new Encoder();
    fc.assert(
      fc.property(fc.array(fc.array(arg, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 20 }), fc.boolean(), (cmds, reuse) => {
        for (const c of cmds) enc.command(c);
        const got = Buffer.from(enc.take());
        if (reuse) enc.reuse();
        else enc.detach();
        assert.deepEqual(got, Buffer.concat(cmds.map((c) => encodeCommand(c.map((a) => (typeof a === 'number' ? String(a) : a))))));
      }),
      { numRuns: 300 },
    );
  });

  test('a large value grows the buffer', () => {
    const enc = new Encoder();
    const big = 'x'.repeat(100_000);
    enc.command(['SET', 'k', big]);
    assert.equal(enc.take().length, encodeCommand(['SET', 'k', big]).length);
  });
});

describe('router', () => {
  test('key positions', () => {
    const k = (c: string, ...a: Arg[]): number => keyIndex(c, [c, ...a]);
    assert.equal(k('get', 'a'), 1);
    assert.equal(k('hset', 'h', 'f', 'v'), 1);
    assert.equal(k('frobnicate', 'x'), 1); // unknown: first argument
    assert.equal(k('ping'), -1);
    assert.equal(k('info', 'server'), -1);
    assert.equal(k('eval', 'return 1', 2, 'a', 'b'), 3);
    assert.equal(k('eval', 'return 1', 0), -1);
    assert.equal(k('xread', 'COUNT', 2, 'STREAMS', 's1', '0'), 4);
    assert.equal(k('object', 'ENCODING', 'key'), 2);
    assert.equal(splitKind('mget'), Split.Values);
    assert.equal(splitKind('mset'), Split.Pairs);
    assert.equal(splitKind('unlink'), Split.Sum);
    assert.equal(splitKind('get'), Split.None);
  });

  test('slots of string keys are the slots of their utf8 bytes', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 20 }), (s) => {
        assert.equal(slotOf(s), keySlot(Buffer.from(s, 'utf8')));
      }),
    );
    assert.equal(slotOf('{user1}:a'), slotOf('{user1}:b'));
    assert.equal(slotOf(Buffer.from('foo')), keySlot('foo'));
    assert.equal(slotOf(12), keySlot('12'));
  });
});

describe('topology', () => {
  test('CLUSTER SLOTS: ranges, replicas, empty host = the node asked', () => {
    const asked = parseAddress('10.0.0.9:7000');
    const r = parseClusterSlots(
      [
        [0, 5460, ['', 7000, 'id1'], ['10.0.0.2', 7003, 'id4']],
        [5461, 16383, ['10.0.0.3', 7001, 'id2', { hostname: 'x' }]],
      ],
      asked,
    );
    assert.equal(r.length, 2);
    assert.deepEqual(r[0].primary, { host: '10.0.0.9', port: 7000, key: '10.0.0.9:7000' });
    assert.equal(r[0].replicas[0].key, '10.0.0.2:7003');
    assert.equal(r[1].primary.key, '10.0.0.3:7001');
    assert.throws(() => parseClusterSlots('x', asked), TypeError);
  });

  test('addresses and redirects', () => {
    assert.equal(parseAddress('[::1]:6379').host, '::1');
    assert.throws(() => parseAddress('nohost'), TypeError);
    assert.throws(() => parseAddress('h:99999'), TypeError);
    assert.deepEqual(parseRedirect('MOVED 3999 127.0.0.1:6381'), { ask: false, slot: 3999, to: parseAddress('127.0.0.1:6381') });
    assert.equal(parseRedirect('ASK 1 127.0.0.1:7')?.ask, true);
    assert.equal(parseRedirect('MOVED 1 :7001')?.to.port, 7001);
    assert.equal(parseRedirect('ERR no'), null);
    assert.ok(meansNotCluster('ERR This instance has cluster support disabled'));
    assert.ok(meansNotCluster("ERR unknown command 'CLUSTER', with args beginning with: 'SLOTS'"));
    assert.ok(!meansNotCluster('CLUSTERDOWN The cluster is down'));
  });
});

describe('options and backoff', () => {
  test('defaults', () => {
    const o = resolveOptions({ nodes: ['127.0.0.1:7000'] });
    assert.equal(o.commandTimeout, 5000);
    assert.equal(o.maxRedirects, 5);
    assert.equal(o.offlineQueueLimit, 10000);
    assert.equal(o.flush, 'immediate');
    assert.throws(() => resolveOptions({ nodes: [] }), TypeError);
    assert.throws(() => resolveOptions({ nodes: ['a:1'], commandTimeout: -1 }), TypeError);
  });

  test('full jitter: uniform below min(max, base * 2^n)', () => {
    fc.assert(
      fc.property(fc.nat({ max: 20 }), fc.double({ min: 0, max: 0.9999999, noNaN: true }), (n, r) => {
        const d = backoffDelay(n, 50, 2000, () => r);
        assert.ok(d >= 0 && d < Math.min(2000, 50 * 2 ** n));
      }),
    );
    assert.equal(backoffDelay(3, 50, 2000, () => 0), 0);
    assert.equal(backoffDelay(10, 50, 2000, () => 0.5), 1000);
  });
});

describe('reply shapes', () => {
  test('objects from flat arrays and maps, booleans', () => {
    assert.deepEqual(shape(Reply.Object, ['a', '1', 'b', '2']), { a: '1', b: '2' });
    assert.deepEqual(shape(Reply.Object, new Map([['a', '1']])), { a: '1' });
    assert.deepEqual(shape(Reply.Object, []), {});
    assert.equal(shape(Reply.OkBool, 'OK'), true);
    assert.equal(shape(Reply.OkBool, null), false);
    assert.equal(shape(Reply.IntBool, 1), true);
    assert.equal(shape(Reply.IntBool, 0), false);
  });
});
