// Tests for the reply parser (used by clients and tests): every RESP2/RESP3 type, incomplete
// input at every prefix, round trips through the reply writer, and encodeCommand.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ReplyProtocolError, encodeCommand, parseReply, type ReplyValue } from './reply-parser.js';
import { ReplyWriter } from './reply-writer.js';
import type { RespValue } from './resp-value.js';

function parse(s: string): [ReplyValue, number] | null {
  return parseReply(Buffer.from(s, 'latin1'));
}

function value(s: string): ReplyValue {
  const r = parse(s);
  assert.ok(r !== null, `incomplete: ${JSON.stringify(s)}`);
  assert.equal(r[1], Buffer.byteLength(s, 'latin1'), 'consumed everything');
  return r[0];
}

describe('reply parser', () => {
  test('RESP2 types', () => {
    assert.deepEqual(value('+OK\r\n'), { simple: 'OK' });
    assert.deepEqual(value('-ERR bad thing\r\n'), { error: 'ERR bad thing' });
    assert.equal(value(':42\r\n'), 42);
    assert.equal(value(':-7\r\n'), -7);
    assert.equal(value('$3\r\nfoo\r\n'), 'foo');
    assert.equal(value('$0\r\n\r\n'), '');
    assert.equal(value('$4\r\na\r\nb\r\n'), 'a\r\nb');
    assert.equal(value('$-1\r\n'), null);
    assert.equal(value('*-1\r\n'), null);
    assert.deepEqual(value('*0\r\n'), []);
    assert.deepEqual(value('*2\r\n$1\r\na\r\n*1\r\n:1\r\n'), ['a', [1]]);
  });

  test('RESP3 types', () => {
    assert.equal(value('_\r\n'), null);
    assert.deepEqual(value(',1.5\r\n'), { double: 1.5 });
    assert.deepEqual(value(',inf\r\n'), { double: Infinity });
    assert.deepEqual(value(',-inf\r\n'), { double: -Infinity });
    assert.deepEqual(value('#t\r\n'), { bool: true });
    assert.deepEqual(value('#f\r\n'), { bool: false });
    assert.equal(value('(3492890328409238509324850943850943825024385\r\n'), '3492890328409238509324850943850943825024385');
    assert.deepEqual(value('!21\r\nSYNTAX invalid syntax\r\n'), { error: 'SYNTAX invalid syntax' });
    assert.deepEqual(value('=15\r\ntxt:Some string\r\n'), { verbatim: 'Some string', format: 'txt' });
    assert.deepEqual(value('%2\r\n+a\r\n:1\r\n+b\r\n:2\r\n'), { map: [[{ simple: 'a' }, 1], [{ simple: 'b' }, 2]] });
    assert.deepEqual(value('~2\r\n:1\r\n:2\r\n'), { set: [1, 2] });
    assert.deepEqual(value('>2\r\n$7\r\nmessage\r\n$1\r\nx\r\n'), { push: ['message', 'x'] });
  });

  test('attributes are skipped, at top level and inside aggregates', () => {
    assert.equal(value('|1\r\n+key-popularity\r\n%1\r\n$1\r\na\r\n,0.19\r\n:5\r\n'), 5);
    assert.deepEqual(value('*2\r\n|1\r\n+a\r\n+b\r\n:1\r\n:2\r\n'), [1, 2]);
  });

  test('binary bulk strings come back as latin1 strings', () => {
    const bytes = Buffer.alloc(256);
    for (let i = 0; i < 256; i++) bytes[i] = i;
    const wire = Buffer.concat([Buffer.from('$256\r\n'), bytes, Buffer.from('\r\n')]);
    assert.equal(parseReply(wire)![0], bytes.toString('latin1'));
  });

  test('every strict prefix of a reply is incomplete', () => {
    const wires = [
      '+OK\r\n',
      ':123\r\n',
      '$5\r\nhello\r\n',
      '*3\r\n$1\r\na\r\n:2\r\n*1\r\n+x\r\n',
      '%1\r\n$1\r\nk\r\n~1\r\n#t\r\n',
      '|1\r\n+a\r\n+b\r\n:1\r\n',
      '=6\r\ntxt:hi\r\n',
    ];
    for (const wire of wires) {
      for (let n = 0; n < wire.length; n++) assert.equal(parse(wire.slice(0, n)), null, JSON.stringify(wire.slice(0, n)));
      assert.notEqual(parse(wire), null);
    }
  });

  test('parses consecutive replies from offsets', () => {
    const buf = Buffer.from('+OK\r\n:1\r\n$1\r\nx\r\n');
    const a = parseReply(buf)!;
    const b = parseReply(buf, a[1])!;
    const c = parseReply(buf, b[1])!;
    assert.deepEqual([a[0], b[0], c[0], c[1]], [{ simple: 'OK' }, 1, 'x', buf.length]);
    assert.equal(parseReply(buf, c[1]), null);
  });

  test('an unknown type byte throws ReplyProtocolError', () => {
    assert.throws(() => parse('?what\r\n'), ReplyProtocolError);
  });

  test('a non-numeric length is not RESP: it throws rather than returning garbage', () => {
    for (const wire of ['$abc\r\nxyz\r\n', '*x\r\n', '%?\r\n', '$\r\n\r\n']) {
      assert.throws(() => parse(wire), ReplyProtocolError, JSON.stringify(wire));
    }
  });

  test('property: whatever the writer encodes, the parser reads back (RESP2 and RESP3)', () => {
    const leaf: fc.Arbitrary<RespValue> = fc.oneof(
      fc.constant(null),
      fc.integer(),
      fc.uint8Array({ maxLength: 20 }).map((u) => Buffer.from(u).toString('latin1')),
      fc.stringMatching(/^[a-zA-Z0-9 ]{0,10}$/).map((s) => ({ simple: s })),
      fc.stringMatching(/^ERR [a-z ]{0,10}$/).map((s) => ({ error: s })),
      fc.boolean().map((b) => ({ bool: b })),
    );
    const tree = fc.letrec<{ node: RespValue }>((tie) => ({
      node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, fc.array(tie('node'), { maxLength: 4 })),
    })).node;
    fc.assert(
      fc.property(tree, fc.constantFrom<2 | 3>(2, 3), (v, resp) => {
        const w = new ReplyWriter();
        w.resp = resp;
        w.begin();
        w.value(v);
        const buf = w.take()!;
        const r = parseReply(buf)!;
        assert.notEqual(r, null);
        assert.equal(r[1], buf.length);
        const expect = resp === 2 ? JSON.parse(JSON.stringify(v, (_k, x: unknown) => (x !== null && typeof x === 'object' && 'bool' in x ? ((x as { bool: boolean }).bool ? 1 : 0) : x))) : v;
        assert.deepEqual(r[0], expect);
      }),
      { numRuns: 300 },
    );
  });
});

describe('encodeCommand', () => {
  test('strings, numbers and buffers as a RESP multibulk', () => {
    assert.equal(encodeCommand(['SET', 'k', 12]).toString(), '*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\n12\r\n');
    assert.equal(encodeCommand([Buffer.from([0, 13, 10])]).toString('latin1'), '*1\r\n$3\r\n\0\r\n\r\n');
    assert.equal(encodeCommand([]).toString(), '*0\r\n');
    assert.equal(encodeCommand(['']).toString(), '*1\r\n$0\r\n\r\n');
  });
});
