// Unit tests for the HyperLogLog codec and commands: MurmurHash64A and estimates against values
// from Redis's own C code / a real redis-server 7.0.15, the sparse opcodes and the dense
// registers, promotion, the cache byte, corrupted values, dirty / WATCH / TTL behaviour, replica
// mode, and metadata. (Byte-for-byte comparisons with redis-server: test/system/compat-hyperloglog.)

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { hyperloglogCommands } from './hyperloglog.js';
import { stringCommands } from './strings.js';
import { keyCommands } from './keys.js';
import { listCommands } from './lists.js';
import {
  HLL_DENSE_SIZE,
  HLL_REGISTERS,
  denseGet,
  denseSet,
  hashHi,
  hashLo,
  hllEstimate,
  hllHisto,
  hllPatLen,
  murmurHash64A,
  patIndex,
} from './hll-codec.js';
import { HllValue } from './hll-value.js';
import { REDIS_COMMAND_META } from './redis-meta.js';
import { Command, flagNames } from './table.js';
import { commandHarness } from '../../test/support/command-harness.js';
import { assertMatchesRedis } from '../../test/support/redis-meta-check.js';

function harness() {
  return commandHarness([...hyperloglogCommands, ...stringCommands, ...keyCommands, ...listCommands]);
}

const bytes = (v: unknown): Buffer => Buffer.from(v as string, 'latin1');
const els = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
const CORRUPT = { error: 'INVALIDOBJ Corrupted HLL object detected' };
const NOT_HLL = { error: 'WRONGTYPE Key is not a valid HyperLogLog string value.' };

/** A dense HLL string whose registers all hold v (cache invalid). */
function denseOf(v: number): Buffer {
  const b = Buffer.alloc(HLL_DENSE_SIZE);
  b.write('HYLL', 'latin1');
  b[15] = 0x80;
  for (let i = 0; i < HLL_REGISTERS; i++) denseSet(b, 16, i, v);
  return b;
}

describe('codec', () => {
  test('MurmurHash64A equals Redis C code (seed 0xadc83b19)', () => {
    // Computed by hyperloglog.c's MurmurHash64A compiled with gcc.
    const cases: Array<[Buffer, string]> = [
      [Buffer.from(''), 'd8dfea6585bc9732'],
      [Buffer.from('a'), '53d2470a9b43b1a7'],
      [Buffer.from('ab'), '0eaed676437142cf'],
      [Buffer.from('abc'), '77ec90aeb374e502'],
      [Buffer.from('abcdefg'), '22fe613bb08c9602'],
      [Buffer.from('abcdefgh'), 'f3a65df559914567'],
      [Buffer.from('abcdefghi'), '834fba4d9152daf7'],
      [Buffer.from('hello world, this is a test of murmur'), 'aaee9538de9e8275'],
      [Buffer.from([0xff, 0xfe, 0xfd, 0x80, 0x00, 0x01, 0x7f, 0x81, 0x90]), 'f84467a3ca341c12'],
      [Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 7 + 3) & 0xff)), '9c6de3f69ff7e6d3'],
    ];
    for (const [input, hex] of cases) {
      // At an offset inside a larger buffer, as elements are hashed in the request buffer.
      const buf = Buffer.concat([Buffer.from('xyz'), input, Buffer.from('!')]);
      murmurHash64A(buf, 3, 3 + input.length, 0xadc83b19);
      const got = hashHi.toString(16).padStart(8, '0') + hashLo.toString(16).padStart(8, '0');
      assert.equal(got, hex, `hash of ${input.length} bytes`);
    }
  });

  test('hllPatLen: index from the low 14 bits, run of zeros above them + 1', () => {
    // "a" hashes to 53d2470a9b43b1a7: index 0x31a7, then bits 14.. of 0x...9b43b1a7 = ...10, so 2.
    assert.equal(hllPatLen(Buffer.from('a'), 0, 1), 2);
    assert.equal(patIndex, 0x31a7);
    for (let i = 0; i < 2000; i++) {
      const b = Buffer.from(`e${i}`);
      const count = hllPatLen(b, 0, b.length);
      const h = (BigInt(hashHi) << 32n) | BigInt(hashLo);
      let rest = (h >> 14n) | (1n << 50n);
      let want = 1;
      while ((rest & 1n) === 0n) {
        want++;
        rest >>= 1n;
      }
      assert.equal(count, want);
      assert.equal(patIndex, Number(h & 16383n));
    }
  });

  test('dense registers: 6 bits each, neighbours untouched, the last one in bounds', () => {
    const b = Buffer.alloc(HLL_DENSE_SIZE);
    const want = new Uint8Array(HLL_REGISTERS);
    for (let i = 0; i < HLL_REGISTERS; i++) {
      want[i] = (i * 37 + 11) & 63;
      denseSet(b, 16, i, want[i]);
    }
    for (let i = 0; i < HLL_REGISTERS; i++) assert.equal(denseGet(b, 16, i), want[i]);
    // Register 0 is the low 6 bits of the first byte; register 1 its top 2 bits and 4 of the next.
    const c = Buffer.alloc(HLL_DENSE_SIZE);
    denseSet(c, 16, 1, 63);
    assert.deepEqual([c[16], c[17]], [0xc0, 0x0f]);
    denseSet(c, 16, HLL_REGISTERS - 1, 63);
    assert.equal(c[HLL_DENSE_SIZE - 1], 0xfc);
  });

  test('estimates equal redis-server for synthetic dense HLLs', () => {
    const histo = new Int32Array(64);
    const expect: Array<[number, number]> = [[0, 0], [1, 23637], [30, 12690079782337], [40, 12994641697113596], [49, 6653256548922161152], [50, -(2 ** 63)], [63, -(2 ** 63)]];
    for (const [v, card] of expect) {
      const b = denseOf(v);
      assert.ok(hllHisto(b, 0, b.length, histo));
      assert.equal(hllEstimate(histo), card, `all registers ${v}`);
    }
  });

  test('sparse edits: ZERO/XZERO/VAL splits and merges, promotion past the size limit', () => {
    const h = new HllValue(32);
    h.initEmpty();
    assert.deepEqual([...h.buf.subarray(16, h.len)], [0x7f, 0xff]); // XZERO:16384
    assert.equal(h.sparseSet(1000, 2, 3000), 1);
    assert.deepEqual([...h.buf.subarray(16, h.len)], [0x43, 0xe7, 0x84, 0x7c, 0x16]); // XZERO:1000 VAL:2,1 XZERO:15383
    assert.equal(h.buf[15] & 0x80, 0x80);
    assert.equal(h.sparseSet(1000, 2, 3000), 0);
    assert.equal(h.sparseSet(1001, 2, 3000), 1); // merged into VAL:2,2
    assert.deepEqual([...h.buf.subarray(16, h.len)], [0x43, 0xe7, 0x85, 0x7c, 0x15]);
    assert.equal(h.sparseSet(1002, 33, 3000), 1); // over 32: dense
    assert.equal(h.encoding, 0);
    assert.equal(h.len, HLL_DENSE_SIZE);
    assert.deepEqual([denseGet(h.buf, 16, 1000), denseGet(h.buf, 16, 1001), denseGet(h.buf, 16, 1002)], [2, 2, 33]);
    const g = new HllValue(32);
    g.initEmpty();
    assert.equal(g.sparseSet(500, 1, 20), 1); // 18 + 3 > 20: promoted
    assert.equal(g.encoding, 0);
  });
});

describe('commands', () => {
  test('metadata: Redis 7.0.15 arity, flags and key positions', () => {
    // COMMAND INFO of redis-server 7.0.15 (PFCOUNT's may_replicate is not listed there).
    const want: Record<string, [number, string[], number, number, number]> = {
      pfadd: [-2, ['denyoom', 'fast', 'write'], 1, 1, 1],
      pfcount: [-2, ['readonly'], 1, -1, 1],
      pfmerge: [-2, ['denyoom', 'write'], 1, -1, 1],
      pfdebug: [3, ['admin', 'denyoom', 'write'], 2, 2, 1],
      pfselftest: [1, ['admin'], 0, 0, 0],
    };
    for (const def of hyperloglogCommands) {
      const cmd = new Command(def);
      assert.deepEqual([cmd.arity, flagNames(cmd.flags).sort(), cmd.firstKey, cmd.lastKey, cmd.keyStep], want[def.name], def.name);
    }
    if (hyperloglogCommands.every((d) => REDIS_COMMAND_META[d.name] !== undefined)) assertMatchesRedis(hyperloglogCommands);
  });

  test('PFADD creates a sparse HLL and returns 1 only when a register changes', () => {
    const { run, store } = harness();
    assert.equal(run('PFADD', 'h'), 1);
    assert.equal(run('GET', 'h'), 'HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xff');
    assert.equal(run('PFADD', 'h'), 0);
    assert.equal(run('PFADD', 'h', 'a', 'b', 'c'), 1);
    // Redis's bytes for PFADD h a b c.
    assert.equal(run('GET', 'h'), 'HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80`\xf3\x80P\xb1\x84K\xfb\x80BZ');
    const before = store.dirty;
    assert.equal(run('PFADD', 'h', 'c', 'b', 'a'), 0);
    assert.equal(store.dirty, before);
    assert.equal(run('PFCOUNT', 'h'), 3);
    assert.equal(run('GET', 'h'), 'HYLL\x01\x00\x00\x00\x03\x00\x00\x00\x00\x00\x00\x00`\xf3\x80P\xb1\x84K\xfb\x80BZ');
  });

  test('PFCOUNT caches the count in the header and reuses it; several keys never do', () => {
    const { run, modified } = harness();
    run('PFADD', 'h', ...els('x', 1000));
    run('PFADD', 'g', ...els('y', 10));
    modified.length = 0;
    const n = run('PFCOUNT', 'h') as number;
    assert.ok(Math.abs(n - 1000) < 30, `${n}`);
    assert.deepEqual(modified, ['0:h']);
    const head = bytes(run('GETRANGE', 'h', '8', '15'));
    assert.equal(head.readBigUInt64LE(0), BigInt(n));
    modified.length = 0;
    assert.equal(run('PFCOUNT', 'h'), n);
    assert.deepEqual(modified, []);
    const u = run('PFCOUNT', 'h', 'g', 'missing') as number;
    assert.ok(u > n);
    assert.deepEqual(modified, []);
    assert.equal(bytes(run('GETRANGE', 'g', '15', '15'))[0], 0x80);
  });

  test('promotion to dense keeps counts and follows hll-sparse-max-bytes from the node config', () => {
    const h = harness();
    let max = 100;
    h.c.owner = { config: { get: (name: string) => (name === 'hll-sparse-max-bytes' ? max : undefined) } };
    h.run('PFADD', 's', ...els('e', 20));
    assert.deepEqual(h.run('PFDEBUG', 'ENCODING', 's'), { simple: 'sparse' });
    h.run('PFADD', 's', ...els('f', 40));
    assert.deepEqual(h.run('PFDEBUG', 'ENCODING', 's'), { simple: 'dense' });
    assert.equal(h.run('STRLEN', 's'), HLL_DENSE_SIZE);
    max = 3000;
    h.run('PFADD', 't', ...els('e', 20), ...els('f', 40));
    assert.deepEqual(h.run('PFDEBUG', 'ENCODING', 't'), { simple: 'sparse' });
    assert.equal(h.run('PFCOUNT', 's'), h.run('PFCOUNT', 't'));
    h.accounted();
  });

  test('dense PFADD edits the stored registers in place, keeps the TTL, signals and moves dirty', () => {
    const { run, store, modified, clock, accounted } = harness();
    run('PFADD', 'd', ...els('e', 5000));
    assert.deepEqual(run('PFDEBUG', 'ENCODING', 'd'), { simple: 'dense' });
    run('PEXPIRE', 'd', '10000');
    run('PFCOUNT', 'd');
    modified.length = 0;
    const before = store.dirty;
    assert.equal(run('PFADD', 'd', 'new-1', 'new-2', 'new-3'), 1);
    assert.ok(store.dirty > before);
    assert.deepEqual(modified, ['0:d']);
    assert.equal(bytes(run('GETRANGE', 'd', '15', '15'))[0] & 0x80, 0x80);
    assert.equal(run('PTTL', 'd'), 10000);
    clock.advance(10000);
    assert.equal(run('EXISTS', 'd'), 0);
    accounted();
  });

  test('PFMERGE: union of registers, dense if any input is, dest created when missing', () => {
    const { run } = harness();
    run('PFADD', 'a', 'a', 'b', 'c');
    run('PFADD', 'b', 'b', 'c', 'd');
    run('PFADD', 'c', 'c', 'd', 'e');
    assert.deepEqual(run('PFMERGE', 'u', 'a', 'b', 'c'), { simple: 'OK' });
    assert.equal(run('PFCOUNT', 'u'), 5);
    assert.deepEqual(run('PFDEBUG', 'ENCODING', 'u'), { simple: 'sparse' });
    run('PFADD', 'd', 'z');
    assert.equal(run('PFDEBUG', 'TODENSE', 'd'), 1);
    assert.equal(run('PFDEBUG', 'TODENSE', 'd'), 0);
    assert.deepEqual(run('PFMERGE', 'u', 'd'), { simple: 'OK' });
    assert.deepEqual(run('PFDEBUG', 'ENCODING', 'u'), { simple: 'dense' });
    assert.equal(run('PFCOUNT', 'u'), 6);
    assert.deepEqual(run('PFMERGE', 'empty'), { simple: 'OK' });
    assert.equal(run('GET', 'empty'), 'HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xff');
  });

  test('errors: wrong types, strings that are not HLLs, corrupted sparse opcodes', () => {
    const { run } = harness();
    run('SET', 's', 'bar');
    assert.deepEqual(run('PFADD', 's', 'a'), NOT_HLL);
    assert.deepEqual(run('PFCOUNT', 's'), NOT_HLL);
    assert.deepEqual(run('PFMERGE', 'x', 's'), NOT_HLL);
    assert.equal(run('EXISTS', 'x'), 0);
    run('RPUSH', 'l', 'a');
    assert.deepEqual(run('PFCOUNT', 'l'), { error: 'WRONGTYPE Operation against a key holding the wrong kind of value' });
    run('PFADD', 'h', 'a', 'b', 'c');
    run('APPEND', 'h', 'hello');
    assert.deepEqual(run('PFCOUNT', 'h'), CORRUPT);
    assert.deepEqual(run('PFCOUNT', 'h', 'h'), CORRUPT);
    run('SET', 'd', denseOf(1).subarray(0, HLL_DENSE_SIZE - 1));
    assert.deepEqual(run('PFCOUNT', 'd'), NOT_HLL);
    assert.deepEqual(run('PFDEBUG', 'GETREG', 'nokey'), { error: 'ERR The specified key does not exist' });
    assert.deepEqual(run('PFDEBUG', 'nope', 'h'), { error: "ERR Unknown PFDEBUG subcommand 'nope'" });
  });

  test('PFADD on a corrupted sparse HLL keeps the registers set before the error, as Redis', () => {
    const { run } = harness();
    // XZERO:16383 and nothing after: registers 0..16382 exist, 16383 does not.
    run('SET', 'c', Buffer.from('HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xfe', 'latin1'));
    const ok = els('k', 200).find((e) => (hllPatLen(Buffer.from(e), 0, e.length), patIndex) < 16383)!;
    const bad = els('k', 200000).find((e) => (hllPatLen(Buffer.from(e), 0, e.length), patIndex) === 16383)!;
    assert.deepEqual(run('PFADD', 'c', ok, bad), CORRUPT);
    const v = bytes(run('GET', 'c'));
    assert.ok(v.length > 18, 'the first register was set');
    assert.equal(v[15], 0x80, 'hllSparseSet invalidated the cache');
  });

  test('PFCOUNT on a replica: not stored for a client, stored when applying the primary stream', () => {
    const { run, store } = harness();
    run('PFADD', 'h', 'a', 'b');
    store.replicaMode = true;
    assert.equal(run('PFCOUNT', 'h'), 2);
    assert.equal(bytes(run('GETRANGE', 'h', '15', '15'))[0], 0x80);
    store.ignoreExpiry = true;
    assert.equal(run('PFCOUNT', 'h'), 2);
    assert.equal(bytes(run('GETRANGE', 'h', '8', '15')).readBigUInt64LE(0), 2n);
  });

  test('PFDEBUG GETREG and DECODE', () => {
    const { run } = harness();
    run('PFADD', 'h', 'a');
    assert.equal(run('PFDEBUG', 'DECODE', 'h'), 'Z:12711 v:2,1 Z:3672');
    const regs = run('PFDEBUG', 'GETREG', 'h') as number[];
    assert.equal(regs.length, HLL_REGISTERS);
    assert.equal(regs[0x31a7], 2);
    assert.equal(regs.reduce((a, b) => a + b, 0), 2);
    assert.deepEqual(run('PFDEBUG', 'ENCODING', 'h'), { simple: 'dense' });
    assert.deepEqual(run('PFDEBUG', 'DECODE', 'h'), { error: 'ERR HLL encoding is not sparse' });
  });

  test('dirty: each write that changes the value moves it, a no-op does not', () => {
    const cases: Array<[string[][], string[], boolean]> = [
      [[], ['PFADD', 'h', 'a'], true],
      [[['PFADD', 'h', 'a']], ['PFADD', 'h', 'a'], false],
      [[['PFADD', 'h', 'a']], ['PFADD', 'h'], false],
      [[['SET', 's', 'x']], ['PFADD', 's', 'a'], false],
      [[], ['PFMERGE', 'm', 'nope'], true],
      [[['SET', 's', 'x']], ['PFMERGE', 'm', 's'], false],
      [[['PFADD', 'h', 'a']], ['PFDEBUG', 'TODENSE', 'h'], true],
      [[['PFADD', 'h', 'a'], ['PFDEBUG', 'TODENSE', 'h']], ['PFDEBUG', 'TODENSE', 'h'], false],
      [[['PFADD', 'h', 'a']], ['PFDEBUG', 'ENCODING', 'h'], false],
      [[['PFADD', 'h', 'a'], ['PFCOUNT', 'h']], ['PFCOUNT', 'h'], false],
      [[['PFADD', 'h', 'a']], ['PFCOUNT', 'h', 'h'], false],
    ];
    for (const [setup, argv, moves] of cases) {
      const h = harness();
      for (const s of setup) h.run(...s);
      const before = h.store.dirty;
      h.run(...argv);
      assert.equal(h.store.dirty > before, moves, argv.join(' '));
    }
  });
});
