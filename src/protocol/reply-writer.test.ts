// Tests for the reply writer: the RESP2 and RESP3 encoding of every method, begin/take/discard/
// reuse bookkeeping, and slab rollover keeping buffers already taken intact.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { ReplyWriter, formatDouble, type RespVersion } from './reply-writer.js';
import type { RespValue } from './resp-value.js';

/** Runs fn against a fresh writer speaking `resp` and returns what it wrote, as latin1. */
function out(resp: RespVersion, fn: (w: ReplyWriter) => void): string {
  const w = new ReplyWriter();
  w.resp = resp;
  w.begin();
  fn(w);
  const b = w.take();
  return b === null ? '' : b.toString('latin1');
}

function both(fn: (w: ReplyWriter) => void): [string, string] {
  return [out(2, fn), out(3, fn)];
}

describe('reply writer: encodings', () => {
  test('ok, simple, error', () => {
    assert.deepEqual(both((w) => w.ok()), ['+OK\r\n', '+OK\r\n']);
    assert.deepEqual(both((w) => w.simple('PONG')), ['+PONG\r\n', '+PONG\r\n']);
    assert.deepEqual(both((w) => w.simple('')), ['+\r\n', '+\r\n']);
    assert.deepEqual(both((w) => w.error('ERR syntax error')), ['-ERR syntax error\r\n', '-ERR syntax error\r\n']);
  });

  test('error: CR and LF inside the message become spaces', () => {
    assert.equal(out(2, (w) => w.error("ERR unknown command 'a\r\nb'")), "-ERR unknown command 'a  b'\r\n");
    assert.equal(out(2, (w) => w.error('ERR x\ny\rz')), '-ERR x y z\r\n');
  });

  test('integer: small, large, negative, bigint', () => {
    assert.deepEqual(both((w) => w.integer(0)), [':0\r\n', ':0\r\n']);
    assert.equal(out(2, (w) => w.integer(9)), ':9\r\n');
    assert.equal(out(2, (w) => w.integer(1023)), ':1023\r\n');
    assert.equal(out(2, (w) => w.integer(1024)), ':1024\r\n');
    assert.equal(out(2, (w) => w.integer(-1)), ':-1\r\n');
    assert.equal(out(2, (w) => w.integer(-2)), ':-2\r\n');
    assert.equal(out(2, (w) => w.integer(Number.MAX_SAFE_INTEGER)), ':9007199254740991\r\n');
    assert.equal(out(2, (w) => w.integer(9223372036854775807n)), ':9223372036854775807\r\n');
    assert.equal(out(2, (w) => w.integer(-9223372036854775808n)), ':-9223372036854775808\r\n');
    assert.equal(out(3, (w) => w.integer(5n)), ':5\r\n');
  });

  test('bulk and bulkBytes are binary safe', () => {
    let all = '';
    for (let i = 0; i < 256; i++) all += String.fromCharCode(i);
    assert.deepEqual(both((w) => w.bulk('')), ['$0\r\n\r\n', '$0\r\n\r\n']);
    assert.equal(out(2, (w) => w.bulk('hello')), '$5\r\nhello\r\n');
    assert.equal(out(3, (w) => w.bulk(all)), `$256\r\n${all}\r\n`);
    assert.equal(out(2, (w) => w.bulk('0123456789')), '$10\r\n0123456789\r\n');
    const buf = Buffer.from('xx\r\n\0\xffyy', 'latin1');
    assert.equal(out(2, (w) => w.bulkBytes(buf, 2, 6)), '$4\r\n\r\n\0\xff\r\n');
    assert.equal(out(3, (w) => w.bulkBytes(buf)), `$8\r\n${buf.toString('latin1')}\r\n`);
    assert.equal(out(2, (w) => w.bulkBytes(buf, 3, 3)), '$0\r\n\r\n');
  });

  test('nil, bulkOrNull and nullArray: $-1 / *-1 in RESP2, _ in RESP3', () => {
    assert.deepEqual(both((w) => w.nil()), ['$-1\r\n', '_\r\n']);
    assert.deepEqual(both((w) => w.bulkOrNull(undefined)), ['$-1\r\n', '_\r\n']);
    assert.deepEqual(both((w) => w.bulkOrNull(null)), ['$-1\r\n', '_\r\n']);
    assert.deepEqual(both((w) => w.bulkOrNull('')), ['$0\r\n\r\n', '$0\r\n\r\n']);
    assert.deepEqual(both((w) => w.nullArray()), ['*-1\r\n', '_\r\n']);
  });

  test('array, map and set headers', () => {
    assert.deepEqual(both((w) => w.array(0)), ['*0\r\n', '*0\r\n']);
    assert.deepEqual(both((w) => w.array(12)), ['*12\r\n', '*12\r\n']);
    assert.deepEqual(both((w) => w.map(2)), ['*4\r\n', '%2\r\n']);
    assert.deepEqual(both((w) => w.map(0)), ['*0\r\n', '%0\r\n']);
    assert.deepEqual(both((w) => w.map(7)), ['*14\r\n', '%7\r\n']);
    assert.deepEqual(both((w) => w.set(3)), ['*3\r\n', '~3\r\n']);
    assert.deepEqual(both((w) => w.set(100000)), ['*100000\r\n', '~100000\r\n']);
  });

  test('double, bool, verbatim', () => {
    assert.deepEqual(both((w) => w.double('1.5')), ['$3\r\n1.5\r\n', ',1.5\r\n']);
    assert.deepEqual(both((w) => w.double('inf')), ['$3\r\ninf\r\n', ',inf\r\n']);
    assert.deepEqual(both((w) => w.bool(true)), [':1\r\n', '#t\r\n']);
    assert.deepEqual(both((w) => w.bool(false)), [':0\r\n', '#f\r\n']);
    assert.deepEqual(both((w) => w.verbatim('hi')), ['$2\r\nhi\r\n', '=6\r\ntxt:hi\r\n']);
    assert.deepEqual(both((w) => w.verbatim('# x\r\n', 'mkd')), ['$5\r\n# x\r\n\r\n', '=9\r\nmkd:# x\r\n\r\n']);
  });

  test('value() encodes every RespValue variant in both protocols', () => {
    const tree: RespValue = [
      null,
      42,
      'bulk',
      { simple: 'OK' },
      { error: 'ERR bad' },
      { bool: true },
      { verbatim: 'v', format: 'txt' },
      { map: [['k', 1]] },
      { set: ['a'] },
      [],
    ];
    assert.equal(
      out(2, (w) => w.value(tree)),
      '*10\r\n$-1\r\n:42\r\n$4\r\nbulk\r\n+OK\r\n-ERR bad\r\n:1\r\n$1\r\nv\r\n*2\r\n$1\r\nk\r\n:1\r\n*1\r\n$1\r\na\r\n*0\r\n',
    );
    assert.equal(
      out(3, (w) => w.value(tree)),
      '*10\r\n_\r\n:42\r\n$4\r\nbulk\r\n+OK\r\n-ERR bad\r\n#t\r\n=5\r\ntxt:v\r\n%1\r\n$1\r\nk\r\n:1\r\n~1\r\n$1\r\na\r\n*0\r\n',
    );
  });

  test('value({double}) is formatted as Redis 7.0 does (%.17g), in both protocols', () => {
    // redis-server 7.0.15: HELLO 3; ZADD z 0.1 a; ZSCORE z a -> ",0.10000000000000001"
    assert.equal(out(3, (w) => w.value({ double: 0.1 })), ',0.10000000000000001\r\n');
    assert.equal(out(2, (w) => w.value({ double: 0.1 })), '$19\r\n0.10000000000000001\r\n');
    assert.equal(out(3, (w) => w.value({ double: 1.5 })), ',1.5\r\n');
    assert.equal(out(3, (w) => w.value({ double: Infinity })), ',inf\r\n');
    assert.equal(out(3, (w) => w.value({ double: -Infinity })), ',-inf\r\n');
  });

  test('formatDouble follows printf %.17g', () => {
    assert.equal(formatDouble(1), '1');
    assert.equal(formatDouble(-2.5), '-2.5');
    assert.equal(formatDouble(0.1), '0.10000000000000001');
    assert.equal(formatDouble(1e17), '1e+17');
    assert.equal(formatDouble(1e-5), '1.0000000000000001e-05');
    assert.equal(formatDouble(1e16), '10000000000000000');
    assert.equal(formatDouble(123456789), '123456789');
  });
});

describe('reply writer: bookkeeping', () => {
  test('take() returns null when nothing was written, and each take returns only new replies', () => {
    const w = new ReplyWriter();
    w.begin();
    assert.equal(w.take(), null);
    w.ok();
    assert.equal(w.pendingBytes, 5);
    assert.equal(w.take()!.toString(), '+OK\r\n');
    assert.equal(w.take(), null);
    w.begin();
    w.integer(7);
    assert.equal(w.take()!.toString(), ':7\r\n');
  });

  test('discard() drops only what was written since begin()', () => {
    const w = new ReplyWriter();
    w.begin();
    w.simple('kept');
    const kept = w.take()!;
    w.begin();
    w.bulk('dropped');
    w.discard();
    assert.equal(w.pendingBytes, 0);
    assert.equal(w.take(), null);
    w.begin();
    w.simple('next');
    assert.equal(w.take()!.toString(), '+next\r\n');
    assert.equal(kept.toString(), '+kept\r\n');
  });

  test('reuseBatch() rewinds to the batch start only when nothing was taken since', () => {
    const w = new ReplyWriter();
    w.markBatch();
    w.begin();
    w.simple('first');
    const a = w.take()!;
    w.reuseBatch();
    w.begin();
    w.simple('again');
    const b = w.take()!;
    // The batch was reused: the next reply lands on the same bytes as the first.
    assert.equal(b.byteOffset, a.byteOffset);
    w.markBatch();
    w.begin();
    w.simple('kept');
    const c = w.take()!;
    w.begin();
    w.simple('pending');
    w.reuseBatch(); // replies collected but not taken: must not rewind under them
    assert.equal(w.take()!.toString(), '+pending\r\n');
    assert.equal(c.toString(), '+kept\r\n');
  });

  test('slab rollover: buffers taken earlier stay intact while more than 256 KB follows', () => {
    const w = new ReplyWriter();
    const taken: Array<[Buffer, string]> = [];
    for (let i = 0; i < 40; i++) {
      w.begin();
      const s = String.fromCharCode(97 + (i % 26)).repeat(10_000 + i * 997);
      w.bulk(s);
      w.integer(i);
      taken.push([w.take()!, `$${s.length}\r\n${s}\r\n:${i}\r\n`]);
    }
    // Then one reply bigger than a slab, then small ones again.
    w.begin();
    const huge = 'H'.repeat(600 * 1024);
    w.bulk(huge);
    taken.push([w.take()!, `$${huge.length}\r\n${huge}\r\n`]);
    for (let i = 0; i < 100; i++) {
      w.begin();
      w.simple(`s${i}`);
      taken.push([w.take()!, `+s${i}\r\n`]);
    }
    for (const [buf, want] of taken) assert.equal(buf.toString('latin1'), want);
  });

  test('replies pending across a rollover are carried into the new slab', () => {
    const w = new ReplyWriter();
    w.begin();
    w.bulk('x'.repeat(100 * 1024));
    const before = w.take()!;
    w.begin();
    const parts: string[] = [];
    for (let i = 0; i < 50; i++) {
      const s = String(i).repeat(3000);
      w.bulk(s);
      parts.push(`$${s.length}\r\n${s}\r\n`);
    }
    const pending = w.take()!;
    assert.equal(pending.toString('latin1'), parts.join(''));
    assert.equal(before.toString('latin1'), `$${100 * 1024}\r\n${'x'.repeat(100 * 1024)}\r\n`);
  });

  test('discard() after a rollover drops the carried replies too', () => {
    const w = new ReplyWriter();
    w.begin();
    for (let i = 0; i < 40; i++) w.bulk('y'.repeat(10_000));
    w.discard();
    assert.equal(w.take(), null);
    w.begin();
    w.ok();
    assert.equal(w.take()!.toString(), '+OK\r\n');
  });
});

describe('reply writer: spilling large output', () => {
  const big = (ch: string, n: number): Buffer => Buffer.alloc(n, ch);

  test('spill() sets aside only a region past 1 MB; offsets keep counting from begin()', () => {
    const w = new ReplyWriter();
    w.begin();
    w.simple('small');
    w.spill();
    assert.equal(w.takeSpilled(), null, 'under 1 MB nothing is spilled');
    w.bulkBytes(big('a', 1 << 20));
    const before = w.pendingBytes;
    w.spill();
    assert.equal(w.pendingBytes, before);
    w.error('ERR after');
    assert.equal(w.byteAt(0), '+'.charCodeAt(0));
    assert.equal(w.byteAt(before), '-'.charCodeAt(0));
    assert.equal(w.slabView[w.slabIndex(before)], '-'.charCodeAt(0));
    const expected = `+small\r\n$${1 << 20}\r\n${'a'.repeat(1 << 20)}\r\n-ERR after\r\n`;
    assert.equal(w.take()!.toString('latin1'), expected, 'take() joins spilled and current replies in order');
    assert.equal(w.pendingBytes, 0);
    assert.equal(w.take(), null);
  });

  test('takeSpilled() then take() give every reply once, in order', () => {
    const w = new ReplyWriter();
    w.begin();
    const parts: string[] = [];
    for (let i = 0; i < 5; i++) {
      w.bulkBytes(big(String(i), 700 * 1024));
      parts.push(`$${700 * 1024}\r\n${String(i).repeat(700 * 1024)}\r\n`);
      w.spill();
    }
    w.simple('tail');
    parts.push('+tail\r\n');
    const chunks = w.takeSpilled()!;
    assert.ok(chunks.length >= 2);
    const rest = w.take()!;
    assert.equal(Buffer.concat([...chunks, rest]).toString('latin1'), parts.join(''));
  });

  test('discard() and begin() drop spilled replies too', () => {
    const w = new ReplyWriter();
    w.begin();
    w.bulkBytes(big('x', 1 << 20));
    w.spill();
    w.discard();
    assert.equal(w.pendingBytes, 0);
    assert.equal(w.take(), null);
    w.bulkBytes(big('y', 1 << 20));
    w.spill();
    w.begin();
    w.simple('fresh');
    assert.equal(w.take()!.toString('latin1'), '+fresh\r\n');
  });
});
