// Tests for the request parser: RESP multibulk and inline framing, chunk boundaries (property
// tests), pipelining, empty-request floods, every Redis 7.0 protocol error and the size limits.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import v8 from 'node:v8';
import vm from 'node:vm';
import {
  COMMAND_READY,
  NEED_MORE,
  PROTOCOL_ERROR,
  QUERY_BUFFER_FULL,
  RequestParser,
  argString,
  type ParseResult,
  type ParserLimits,
} from './request-parser.js';

const DEFAULT_LIMITS: ParserLimits = { maxBulkLength: 512 * 1024 * 1024, maxQueryBuffer: 1024 * 1024 * 1024 };

interface Outcome {
  cmds: string[][];
  result: ParseResult;
  error: string;
}

/**
 * Feeds chunks the way the node does: each chunk is copied into one shared read buffer that is
 * scribbled over after the parser has seen it, so a parser that kept a reference to a consumed
 * chunk (instead of copying an incomplete request) produces wrong arguments.
 */
function parseChunks(chunks: Buffer[], limits: Partial<ParserLimits> = {}, unauthenticated = false): Outcome {
  const p = new RequestParser({ ...DEFAULT_LIMITS, ...limits });
  p.unauthenticated = unauthenticated;
  const cmds: string[][] = [];
  const largest = chunks.reduce((m, c) => Math.max(m, c.length), 1);
  const shared = Buffer.alloc(Math.max(largest, 64 * 1024));
  for (const chunk of chunks) {
    chunk.copy(shared, 0);
    p.feed(shared, chunk.length);
    for (;;) {
      const r = p.next();
      if (r === COMMAND_READY) {
        const args: string[] = [];
        for (let i = 0; i < p.argc; i++) args.push(argString(p, i));
        cmds.push(args);
        continue;
      }
      if (r !== NEED_MORE) return { cmds, result: r, error: p.error };
      break;
    }
    shared.fill(0xee);
  }
  return { cmds, result: NEED_MORE, error: '' };
}

function parseOne(input: string | Buffer, limits: Partial<ParserLimits> = {}, unauthenticated = false): Outcome {
  return parseChunks([typeof input === 'string' ? Buffer.from(input, 'latin1') : input], limits, unauthenticated);
}

function encode(cmd: string[]): Buffer {
  let s = `*${cmd.length}\r\n`;
  for (const a of cmd) s += `$${a.length}\r\n${a}\r\n`;
  return Buffer.from(s, 'latin1');
}

/** Splits buf at the given cut points (sorted, deduplicated, inside the buffer). */
function splitAt(buf: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const c of points) {
    if (c > prev) out.push(buf.subarray(prev, c));
    prev = Math.max(prev, c);
  }
  if (prev < buf.length) out.push(buf.subarray(prev));
  return out;
}

function bytesOneByOne(buf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < buf.length; i++) out.push(buf.subarray(i, i + 1));
  return out;
}

/** Binary arguments biased towards the bytes that matter to the framing: \r \n \0 * $ and digits. */
const argArb = fc.oneof(
  { weight: 3, arbitrary: fc.uint8Array({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.array(fc.constantFrom(13, 10, 0, 42, 36, 48, 49, 32, 34, 39), { maxLength: 12 }).map((a) => Uint8Array.from(a)) },
  { weight: 1, arbitrary: fc.constant(new Uint8Array(0)) },
  { weight: 1, arbitrary: fc.integer({ min: 1000, max: 70000 }).map((n) => new Uint8Array(n).fill(13)) },
).map((u) => Buffer.from(u).toString('latin1'));
const commandArb = fc.array(argArb, { minLength: 1, maxLength: 6 });

describe('request parser: RESP framing', () => {
  test('a simple command', () => {
    assert.deepEqual(parseOne('*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n'), { cmds: [['GET', 'key']], result: NEED_MORE, error: '' });
  });

  test('property: any commands split at arbitrary byte boundaries parse to the same commands', () => {
    fc.assert(
      fc.property(fc.array(commandArb, { minLength: 1, maxLength: 8 }), fc.array(fc.nat(), { maxLength: 20 }), (cmds, cuts) => {
        const wire = Buffer.concat(cmds.map(encode));
        const out = parseChunks(splitAt(wire, cuts));
        assert.equal(out.result, NEED_MORE, out.error);
        assert.deepEqual(out.cmds, cmds);
      }),
      { numRuns: 300 },
    );
  });

  test('property: one byte at a time parses to the same commands', () => {
    const smallArg = fc.uint8Array({ maxLength: 20 }).map((u) => Buffer.from(u).toString('latin1'));
    fc.assert(
      fc.property(fc.array(fc.array(smallArg, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 5 }), (cmds) => {
        const wire = Buffer.concat(cmds.map(encode));
        const out = parseChunks(bytesOneByOne(wire));
        assert.equal(out.result, NEED_MORE, out.error);
        assert.deepEqual(out.cmds, cmds);
      }),
      { numRuns: 100 },
    );
  });

  test('a 200 KB argument split into 1000-byte chunks', () => {
    const big = Buffer.alloc(200 * 1024, 'x').toString('latin1');
    const wire = encode(['SET', 'k', big]);
    const chunks: Buffer[] = [];
    for (let i = 0; i < wire.length; i += 1000) chunks.push(wire.subarray(i, i + 1000));
    const out = parseChunks(chunks);
    assert.equal(out.cmds.length, 1);
    assert.equal(out.cmds[0][2], big);
  });

  test('10k pipelined commands in one buffer come out in order', () => {
    const cmds: string[][] = [];
    for (let i = 0; i < 10000; i++) cmds.push(['SET', `key:${i}`, `value\r\n${i}`]);
    const out = parseOne(Buffer.concat(cmds.map(encode)));
    assert.equal(out.result, NEED_MORE);
    assert.equal(out.cmds.length, 10000);
    assert.deepEqual(out.cmds, cmds);
  });

  test('*0, *-1, negative counts and blank lines run nothing and are skipped', () => {
    const out = parseOne('*0\r\n*-1\r\n*-7\r\n\r\n\n   \r\n*1\r\n$4\r\nPING\r\n');
    assert.deepEqual(out.cmds, [['PING']]);
    assert.equal(out.result, NEED_MORE);
  });

  test('the two bytes after a bulk are skipped unchecked, as Redis does', () => {
    assert.deepEqual(parseOne('*1\r\n$4\r\nPINGxx*1\r\n$4\r\nPING\r\n').cmds, [['PING'], ['PING']]);
    // The byte after a count line's \r is taken as its \n without looking at it.
    assert.deepEqual(parseOne('*1\rX$4\r\nPING\r\n').cmds, [['PING']]);
  });

  test('a flood of 100k blank lines or *0 in one chunk neither overflows the stack nor runs anything', () => {
    for (const unit of ['\r\n', '\n', '*0\r\n', '*-1\r\n']) {
      const out = parseOne(unit.repeat(100_000) + '*1\r\n$4\r\nPING\r\n');
      assert.equal(out.result, NEED_MORE, unit);
      assert.deepEqual(out.cmds, [['PING']], JSON.stringify(unit));
    }
  });

  test('a flood of empty requests arriving one chunk each', () => {
    const chunks: Buffer[] = [];
    for (let i = 0; i < 20_000; i++) chunks.push(Buffer.from(i % 2 === 0 ? '*0\r\n' : '\r\n'));
    chunks.push(Buffer.from('PING\r\n'));
    assert.deepEqual(parseChunks(chunks).cmds, [['PING']]);
  });

  test('a count line split right after its \\r waits for the \\n', () => {
    const out = parseChunks([Buffer.from('*1\r'), Buffer.from('\n$4\r'), Buffer.from('\nPING\r'), Buffer.from('\n')]);
    assert.deepEqual(out.cmds, [['PING']]);
  });

  test('arguments stay valid after a later chunk overwrote the first one', () => {
    // A command whose beginning was read in one chunk and its end in the next.
    const wire = encode(['SET', 'alpha', 'omega']);
    const out = parseChunks([wire.subarray(0, 17), wire.subarray(17)]);
    assert.deepEqual(out.cmds, [['SET', 'alpha', 'omega']]);
  });
});

describe('request parser: reset', () => {
  test('a reused parser forgets a half-received request and keeps its accumulation buffer', () => {
    const p = new RequestParser(DEFAULT_LIMITS);
    const first = encode(['SET', 'k', 'x'.repeat(100_000)]);
    p.feed(first.subarray(0, 60_000));
    assert.equal(p.next(), NEED_MORE);
    const grown = p.accumulatorCapacity;
    assert.ok(grown >= 60_000);
    p.reset();
    assert.equal(p.accumulatorCapacity, grown);
    assert.equal(p.pendingBytes, 0);
    const second = encode(['GET', 'other']);
    p.feed(second.subarray(0, 9));
    assert.equal(p.next(), NEED_MORE);
    p.feed(second.subarray(9));
    assert.equal(p.next(), COMMAND_READY);
    assert.deepEqual([argString(p, 0), argString(p, 1)], ['GET', 'other']);
    assert.equal(p.next(), NEED_MORE);
  });
});

describe('request parser: inline commands', () => {
  test('words separated by spaces and tabs, with \\n or \\r\\n endings', () => {
    assert.deepEqual(parseOne('SET a b\r\nGET\ta\nPING   \r\n').cmds, [['SET', 'a', 'b'], ['GET', 'a'], ['PING']]);
  });

  test('quotes and escapes as sdssplitargs', () => {
    assert.deepEqual(parseOne(`set "a b" 'c d'\r\n`).cmds, [['set', 'a b', 'c d']]);
    assert.deepEqual(parseOne('echo "\\x41\\x4g\\n"\r\n').cmds, [['echo', 'Ax4g\n']]);
    assert.deepEqual(parseOne(`echo 'it\\'s' "q\\"q"\r\n`).cmds, [['echo', "it's", 'q"q']]);
    assert.deepEqual(parseOne('echo "" \'\'\r\n').cmds, [['echo', '', '']]);
    assert.deepEqual(parseOne('echo a"b c"\r\n').cmds, [['echo', 'ab c']]);
  });

  test('unbalanced quotes are a protocol error', () => {
    for (const line of ['echo "a\r\n', "echo 'a\r\n", 'echo "a"b\r\n', "echo 'a'b\r\n", 'echo "a\\\r\n']) {
      const out = parseOne(line);
      assert.equal(out.result, PROTOCOL_ERROR, line);
      assert.equal(out.error, 'Protocol error: unbalanced quotes in request', line);
    }
  });

  test('an inline command split across chunks, one byte at a time', () => {
    assert.deepEqual(parseChunks(bytesOneByOne(Buffer.from('SET "k 1" v\r\nGET x\n'))).cmds, [['SET', 'k 1', 'v'], ['GET', 'x']]);
  });

  test('inline and multibulk requests mixed in one buffer', () => {
    assert.deepEqual(parseOne('PING\r\n*2\r\n$4\r\nECHO\r\n$1\r\nx\r\nECHO y\r\n').cmds, [['PING'], ['ECHO', 'x'], ['ECHO', 'y']]);
  });

  test('"too big inline request" past 64 KB without a newline; exactly 64 KB still waits', () => {
    assert.equal(parseOne('a'.repeat(64 * 1024)).result, NEED_MORE);
    const out = parseOne('a'.repeat(64 * 1024 + 1));
    assert.equal(out.result, PROTOCOL_ERROR);
    assert.equal(out.error, 'Protocol error: too big inline request');
    const chunked = parseChunks(Array.from({ length: 70 }, () => Buffer.alloc(1024, 'a')));
    assert.equal(chunked.error, 'Protocol error: too big inline request');
  });
});

describe('request parser: protocol errors', () => {
  const cases: Array<[string, string]> = [
    ['*2147483648\r\n', 'Protocol error: invalid multibulk length'],
    ['*99999999999999999999\r\n', 'Protocol error: invalid multibulk length'],
    ['*123456789012345678901234\r\n', 'Protocol error: invalid multibulk length'],
    ['*abc\r\n', 'Protocol error: invalid multibulk length'],
    ['*\r\n', 'Protocol error: invalid multibulk length'],
    ['*-0\r\n', 'Protocol error: invalid multibulk length'],
    ['*01\r\n', 'Protocol error: invalid multibulk length'],
    ['*+1\r\n', 'Protocol error: invalid multibulk length'],
    ['* 1\r\n', 'Protocol error: invalid multibulk length'],
    ['*1\r\nx\r\n', "Protocol error: expected '$', got 'x'"],
    ['*1\r\n\xff\r\n', "Protocol error: expected '$', got '\xff'"],
    ['*2\r\n$4\r\nECHO\r\n:1\r\n', "Protocol error: expected '$', got ':'"],
    ['*1\r\n$-1\r\n', 'Protocol error: invalid bulk length'],
    ['*1\r\n$+4\r\nPING\r\n', 'Protocol error: invalid bulk length'],
    ['*1\r\n$04\r\nPING\r\n', 'Protocol error: invalid bulk length'],
    ['*1\r\n$\r\n', 'Protocol error: invalid bulk length'],
    ['*1\r\n$4x\r\nPING\r\n', 'Protocol error: invalid bulk length'],
    ['*1\r\n$536870913\r\n', 'Protocol error: invalid bulk length'],
    ['*1\r\n$99999999999999999999\r\n', 'Protocol error: invalid bulk length'],
  ];
  for (const [input, message] of cases) {
    test(`${JSON.stringify(input)} -> ${message}`, () => {
      const out = parseOne(input);
      assert.equal(out.result, PROTOCOL_ERROR);
      assert.equal(out.error, message);
    });
  }

  test('commands before the bad one in the same buffer are still returned', () => {
    const out = parseOne('PING\r\n*1\r\n$4\r\nPING\r\n*x\r\n*1\r\n$4\r\nPING\r\n');
    assert.deepEqual(out.cmds, [['PING'], ['PING']]);
    assert.equal(out.result, PROTOCOL_ERROR);
  });

  test('2147483647 arguments is a valid count (it waits for them)', () => {
    assert.equal(parseOne('*2147483647\r\n').result, NEED_MORE);
  });

  test('"too big mbulk count string" past 64 KB without a \\r', () => {
    const out = parseOne('*' + '1'.repeat(64 * 1024 + 10));
    assert.equal(out.error, 'Protocol error: too big mbulk count string');
  });

  test('"too big bulk count string" past 64 KB without a \\r', () => {
    const out = parseOne('*1\r\n$' + '1'.repeat(64 * 1024 + 10));
    assert.equal(out.error, 'Protocol error: too big bulk count string');
    const chunked = parseChunks([Buffer.from('*1\r\n$'), ...Array.from({ length: 70 }, () => Buffer.alloc(1024, '1'))]);
    assert.equal(chunked.error, 'Protocol error: too big bulk count string');
  });

  test('a bulk length over proto-max-bulk-len is refused at once, without allocating it', () => {
    const before = process.memoryUsage().arrayBuffers;
    const over = parseOne('*1\r\n$536870913\r\n');
    assert.equal(over.error, 'Protocol error: invalid bulk length');
    // Exactly at the limit the parser waits, but must not reserve 512 MB up front.
    const p = new RequestParser(DEFAULT_LIMITS);
    p.feed(Buffer.from('*1\r\n$536870912\r\nabc'));
    assert.equal(p.next(), NEED_MORE);
    assert.ok(p.pendingBytes < 1024, `pending ${p.pendingBytes}`);
    assert.ok(process.memoryUsage().arrayBuffers - before < 64 * 1024 * 1024);
  });

  test('a configured proto-max-bulk-len is honoured', () => {
    const limits = { maxBulkLength: 1024 * 1024 };
    assert.equal(parseOne(`*1\r\n$${1024 * 1024 + 1}\r\n`, limits).error, 'Protocol error: invalid bulk length');
    const ok = parseOne(encode(['x'.repeat(1024 * 1024)]), limits);
    assert.equal(ok.cmds.length, 1);
  });
});

describe('request parser: unauthenticated limits (Redis 7.0: CVE-2021-32675)', () => {
  test('more than 10 arguments before AUTH: "unauthenticated multibulk length"', () => {
    assert.equal(parseOne('*10\r\n', {}, true).result, NEED_MORE);
    const out = parseOne('*11\r\n', {}, true);
    assert.equal(out.result, PROTOCOL_ERROR);
    // Checked against redis-server 7.0.15 with requirepass set.
    assert.equal(out.error, 'Protocol error: unauthenticated multibulk length');
  });

  test('a bulk over 16 KB before AUTH: "unauthenticated bulk length"', () => {
    assert.equal(parseOne('*1\r\n$16384\r\n', {}, true).result, NEED_MORE);
    const out = parseOne('*1\r\n$16385\r\n', {}, true);
    assert.equal(out.result, PROTOCOL_ERROR);
    assert.equal(out.error, 'Protocol error: unauthenticated bulk length');
  });

  test('invalid counts are still "invalid ..." for unauthenticated clients', () => {
    assert.equal(parseOne('*2147483648\r\n', {}, true).error, 'Protocol error: invalid multibulk length');
    assert.equal(parseOne('*1\r\n$-1\r\n', {}, true).error, 'Protocol error: invalid bulk length');
  });

  test('the limits lift once authenticated', () => {
    const p = new RequestParser(DEFAULT_LIMITS);
    p.unauthenticated = true;
    p.feed(encode(['AUTH', 'pw']));
    assert.equal(p.next(), COMMAND_READY);
    p.unauthenticated = false;
    p.feed(encode(['MSET', ...Array.from({ length: 20 }, (_, i) => (i === 1 ? 'v'.repeat(20000) : `k${i}`))]));
    assert.equal(p.next(), COMMAND_READY);
    assert.equal(p.argc, 21);
    assert.equal(p.end[2] - p.start[2], 20000);
  });
});

describe('request parser: query buffer limit', () => {
  test('an incomplete request past client-query-buffer-limit returns QUERY_BUFFER_FULL', () => {
    const limits = { maxQueryBuffer: 1024 * 1024 };
    const chunks = [Buffer.from(`*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$${4 * 1024 * 1024}\r\n`)];
    for (let i = 0; i < 20; i++) chunks.push(Buffer.alloc(64 * 1024, 'v'));
    const out = parseChunks(chunks, limits);
    assert.equal(out.result, QUERY_BUFFER_FULL);
  });

  test('*2147483647 followed by empty bulks: what the parser retains stays within ~2x its cap', () => {
    // Each parsed argument costs two array slots (16 bytes) for 6 bytes of input, so counting
    // only input bytes lets the bookkeeping grow to several times the limit. At the default
    // 1 GB limit a client reaches V8's array size cap (~128M arguments, ~750 MB of input) and
    // the whole process aborts: "Fatal JavaScript invalid size error".
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const limit = 32 * 1024 * 1024;
    gc();
    const before = process.memoryUsage();
    // The cap on what one request retains is the query buffer limit plus one maximal argument.
    const p = new RequestParser({ ...DEFAULT_LIMITS, maxQueryBuffer: limit, maxBulkLength: 1024 * 1024 });
    p.feed(Buffer.from('*2147483647\r\n'));
    assert.equal(p.next(), NEED_MORE);
    const chunk = Buffer.from('$0\r\n\r\n'.repeat(10922));
    let fed = 0;
    let r: ParseResult = NEED_MORE;
    while (fed < 4 * limit && r === NEED_MORE) {
      p.feed(chunk);
      r = p.next();
      fed += chunk.length;
    }
    assert.equal(r, QUERY_BUFFER_FULL);
    gc();
    const after = process.memoryUsage();
    const retained = after.heapUsed - before.heapUsed + (after.arrayBuffers - before.arrayBuffers);
    assert.ok(retained < 2 * limit, `the parser retains ${retained >> 20} MB under a ${limit >> 20} MB query buffer limit (${p.argc} arguments)`);
  });

  test('complete requests do not count against it, however many arrive', () => {
    const limits = { maxQueryBuffer: 1024 * 1024 };
    const cmd = encode(['SET', 'k', 'v'.repeat(60 * 1024)]);
    const out = parseChunks(Array.from({ length: 40 }, () => cmd), limits);
    assert.equal(out.result, NEED_MORE);
    assert.equal(out.cmds.length, 40);
  });
});
