// bench/lib/fuzz-frames.ts — the seeded frame generator of the RESP fuzzer (bench/fuzz.ts).
//
// Owns: a deterministic PRNG (xorshift128+ seeded by splitmix64), the list of commands the
// fuzzer never sends (they change or stop the node itself, block the connection, or would let
// one frame allocate gigabytes), and the generator of frames: valid commands from corral's
// command table (REDIS_COMMAND_META) with random arguments, then mutations of them (wrong,
// huge and negative bulk lengths and multibulk counts, nested arrays where bulk strings are
// expected, RESP3 types as requests, inline commands with quotes, CR/LF in wrong places) and
// raw random bytes, and RESTORE of DUMP payloads (taken from redis-server 7.0.15) with mutated
// bytes and a recomputed CRC64, so the RDB value decoder itself is fuzzed.
//
// A frame is either "complete" (the server's parser ends at a frame boundary after it, or the
// server replies with a protocol error and closes) or "poison" (it leaves the parser waiting
// for more bytes: truncated frames, declared lengths larger than what follows, raw bytes). The
// fuzzer sends a poison frame only as the last one on a connection, then closes it.

import { REDIS_COMMAND_META } from '../../src/commands/redis-meta.js';
import { crc64Into } from '../../src/util/crc64.js';

/** Deterministic PRNG: xorshift128 (32-bit), its state expanded from the seed by splitmix64. */
export class Rng {
  constructor(seed: bigint) {
    const mask = (1n << 64n) - 1n;
    let z = seed & mask;
    const next = (): bigint => {
      z = (z + 0x9e3779b97f4a7c15n) & mask;
      let x = z;
      x = ((x ^ (x >> 30n)) * 0xbf58476d1ce4e5b9n) & mask;
      x = ((x ^ (x >> 27n)) * 0x94d049bb133111ebn) & mask;
      return x ^ (x >> 31n);
    };
    const s0 = next();
    const s1 = next();
    this.a = Number(s0 & 0xffffffffn) | 1;
    this.b = Number(s0 >> 32n) | 0;
    this.c = Number(s1 & 0xffffffffn) | 0;
    this.d = Number(s1 >> 32n) | 0;
  }
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  /** A uint32 (xorshift128, Marsaglia). */
  u32(): number {
    let t = this.d;
    const s = this.a;
    this.d = this.c;
    this.c = this.b;
    this.b = s;
    t ^= t << 11;
    t ^= t >>> 8;
    this.a = (t ^ s ^ (s >>> 19)) | 0;
    return this.a >>> 0;
  }
  /** An integer in [0, n). */
  int(n: number): number {
    return this.u32() % n;
  }
  chance(p: number): boolean {
    return this.u32() / 4294967296 < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  bytes(n: number): Buffer {
    const b = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) b[i] = this.u32() & 0xff;
    return b;
  }
}

/**
 * Commands never generated: they change the node itself (SHUTDOWN, FLUSHALL, FLUSHDB, SWAPDB,
 * CONFIG, CLIENT (KILL, PAUSE, REPLY OFF), ACL, DEBUG, SAVE, BGSAVE, BGREWRITEAOF, REPLICAOF,
 * SLAVEOF, FAILOVER, CLUSTER, CORRAL, SCRIPT, FUNCTION, MODULE, MIGRATE, SYNC, PSYNC, REPLCONF,
 * PFDEBUG, PFSELFTEST (seconds of CPU), MONITOR), block the connection (BLPOP, BRPOP, BRPOPLPUSH, BLMOVE, BLMPOP, BZPOPMIN,
 * BZPOPMAX, BZMPOP, WAIT, WAITAOF, XREAD, XREADGROUP), or queue commands without bound (MULTI,
 * EXEC, DISCARD, WATCH).
 */
export const EXCLUDED_COMMANDS: ReadonlySet<string> = new Set([
  'shutdown', 'flushall', 'flushdb', 'swapdb', 'config', 'client', 'acl', 'debug', 'save', 'bgsave',
  'bgrewriteaof', 'replicaof', 'slaveof', 'failover', 'cluster', 'corral', 'script', 'function',
  'module', 'migrate', 'sync', 'psync', 'replconf', 'pfdebug', 'pfselftest', 'monitor',
  'blpop', 'brpop', 'brpoplpush', 'blmove', 'blmpop', 'bzpopmin', 'bzpopmax', 'bzmpop', 'wait',
  'waitaof', 'xread', 'xreadgroup', 'multi', 'exec', 'discard', 'watch',
]);

/**
 * Commands whose numeric arguments stay small: a huge but valid offset or negative count here
 * makes even redis-server allocate gigabytes (SETRANGE/SETBIT offsets, SRANDMEMBER -N, ...).
 */
const SMALL_NUMBERS_ONLY: ReadonlySet<string> = new Set([
  'setrange', 'setbit', 'bitfield', 'bitfield_ro', 'srandmember', 'hrandfield', 'zrandmember',
]);

interface CommandShape {
  name: string;
  arity: number; // Redis arity: n exact, -n at least n
  firstKey: number; // 0: none
}

export const FUZZ_COMMANDS: readonly CommandShape[] = Object.entries(REDIS_COMMAND_META)
  .filter(([name]) => !EXCLUDED_COMMANDS.has(name))
  .map(([name, meta]) => {
    const info = meta.info as unknown[];
    return { name, arity: Number(info[1]), firstKey: Number(info[3]) };
  });

const KEYSPACE = 64;
const SMALL_INTS = ['0', '1', '2', '3', '-1', '-2', '5', '10', '100', '-100', '1.5', '-0.5', 'inf', '-inf', '+inf', 'nan'];
const HUGE_INTS = [
  '99999999999', '2147483648', '-2147483649', '9223372036854775807', '-9223372036854775808',
  '9223372036854775808', '18446744073709551616', '4294967296', '1e308', '-1e400', '0x10', '007',
];
const TOKENS = [
  'NX', 'XX', 'GT', 'LT', 'CH', 'INCR', 'EX', 'PX', 'EXAT', 'PXAT', 'KEEPTTL', 'GET', 'COUNT',
  'MATCH', 'TYPE', 'LIMIT', 'WITHSCORES', 'BYSCORE', 'BYLEX', 'REV', 'STORE', 'BY', 'ASC', 'DESC',
  'ALPHA', 'LEFT', 'RIGHT', 'BEFORE', 'AFTER', 'WEIGHTS', 'AGGREGATE', 'SUM', 'MIN', 'MAX', 'MAXLEN',
  'MINID', 'NOMKSTREAM', '*', '-', '+', '~', '=', '(1', '[a', '0-1', '$', '>', 'WITHCOORD', 'WITHDIST',
  'FROMLONLAT', 'BYRADIUS', 'BYBOX', 'm', 'km', 'REPLACE', 'ABSTTL', 'IDLETIME', 'FREQ', 'RANK',
  'MAXLEN', 'IDX', 'LEN', 'MINMATCHLEN', 'WITHMATCHLEN', 'OVERFLOW', 'SAT', 'WRAP', 'FAIL', 'u8', 'i64',
  'ENCODING', 'HELP', 'CREATE', 'SETID', 'DESTROY', 'CONSUMERS', 'GROUPS', 'STREAM', 'FULL', 'JUSTID',
  'IDLE', 'RETRYCOUNT', 'FORCE', 'LASTID', 'MKSTREAM', 'ENTRIESREAD', 'AUTH', 'SETNAME', '3', '2',
];

/** A key of the fuzz keyspace (never a witness key), sometimes with a hash tag. */
function key(r: Rng): string {
  const n = r.int(KEYSPACE);
  return r.chance(0.2) ? `{fz}${n}` : `fz:${n}`;
}

function argument(r: Rng, small: boolean): string | Buffer {
  switch (r.int(8)) {
    case 0:
    case 1:
      return key(r);
    case 2:
      return r.pick(SMALL_INTS);
    case 3:
      return small ? String(r.int(64)) : r.pick(HUGE_INTS);
    case 4:
      return r.pick(TOKENS);
    case 5:
      return r.bytes(r.int(24));
    case 6:
      return r.chance(0.02) ? Buffer.alloc(1024 + r.int(16384), 0x61) : 'v' + r.int(1000);
    default:
      return String(r.int(1000) - 500);
  }
}

/** A command from the table with plausible random arguments (its arity, a key where it wants one). */
export function randomCommand(r: Rng): (string | Buffer)[] {
  const cmd = r.pick(FUZZ_COMMANDS);
  const min = Math.abs(cmd.arity);
  let argc = cmd.arity >= 0 ? cmd.arity : min + r.int(6);
  if (r.chance(0.05)) argc = r.int(min + 3); // wrong argument count
  const small = SMALL_NUMBERS_ONLY.has(cmd.name);
  const args: (string | Buffer)[] = [r.chance(0.1) ? cmd.name.toUpperCase() : cmd.name];
  for (let i = 1; i < argc; i++) args.push(i === cmd.firstKey ? key(r) : argument(r, small));
  return args;
}

function encode(args: readonly (string | Buffer)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = typeof a === 'string' ? Buffer.from(a, 'latin1') : a;
    parts.push(Buffer.from(`$${b.length}\r\n`), b, CRLF);
  }
  return Buffer.concat(parts);
}

const CRLF = Buffer.from('\r\n');
const BAD_BULK_LENGTHS = ['-5', '99999999999', '2147483648', '-2', '536870913', 'abc', '', '+3', '3 ', '1e3'];
const BAD_COUNTS = ['0', '-1', '1048577', '99999999999', '-5', 'x', '', '2147483648'];
const RESP3_REQUESTS = [
  '%1\r\n+a\r\n:1\r\n', '~2\r\n$3\r\nget\r\n$1\r\na\r\n', '#t\r\n', ',1.5\r\n', '_\r\n', '(123\r\n',
  '=5\r\ntxt:a\r\n', '|1\r\n+a\r\n+b\r\n', '>2\r\n$4\r\nping\r\n$1\r\nx\r\n', ':5\r\n', '+PING\r\n', '-ERR\r\n',
];

/** DUMP payloads of redis-server 7.0.15: string, int, list, intset, set, hash, zset, stream, HLL. */
const DUMP_PAYLOADS = [
  '000568656c6c6f0a006372df766534200a',
  '00c139300a009d94ea2793fc08b9',
  '1201020f0f00000003008161028162020301ff0a00dca1e67d50055048',
  '0b0e02000000030000000100020003000a00a5025ce26d6e4d1b',
  '02030161016301620a000d7e8a014cfe326c',
  '10121200000004008166028176028167020201ff0a0001a64e4fc1d4e543',
  '1114140000000400816102010181620283322e3504ff0a00d44c6ea4f644d9d7',
  '130110000000000000000100000000000000011d1d0000000a0001010001010181660200010201000100018176020401ff' +
    '01010101010000010101670101010100000000000000010000000000000001ff1fca44a201000001010163ff1fca44a2' +
    '01000001000000000000000100000000000000010a000818ba331f124710',
  '001b48594c4c01000000000000000000008060f38050b1844bfb80425a0a009f590c06b6497049',
].map((h) => Buffer.from(h, 'hex'));

/** A DUMP payload with 1-4 bytes of its value changed (or cut short) and a valid trailer and CRC. */
function mutatedDump(r: Rng): Buffer {
  const orig = r.pick(DUMP_PAYLOADS);
  let body = Buffer.from(orig.subarray(0, orig.length - 10)); // value bytes, without version + CRC
  for (let i = r.int(4) + 1; i > 0; i--) {
    const at = r.int(body.length);
    body[at] = r.chance(0.5) ? r.u32() & 0xff : r.pick([0, 0xff, 0x7f, 0x80, 0xfe, 0x3f, 0x40, 0xc0]);
  }
  if (r.chance(0.15)) body = body.subarray(0, r.int(body.length));
  const out = Buffer.alloc(body.length + 10);
  body.copy(out);
  orig.copy(out, body.length, orig.length - 10, orig.length - 8); // RDB version
  crc64Into(out, 0, body.length + 2, out, body.length + 2);
  return out;
}

export interface Frame {
  bytes: Buffer;
  /** Leaves the server's parser mid-frame: send it last on a connection, then close. */
  poison: boolean;
  kind: string;
}

/** One frame: mostly valid commands, otherwise one mutation of the grammar. */
export function randomFrame(r: Rng): Frame {
  // 87% valid commands, 3% RESTOREs of mutated DUMP payloads, 2% inline commands; the rest
  // (about 7%) mostly poison frames, each ending its connection: ~13 frames per connection.
  const roll = r.int(100);
  if (roll < 87) return { bytes: encode(randomCommand(r)), poison: false, kind: 'valid' };
  if (roll < 90) {
    const args = ['RESTORE', key(r), r.pick(['0', '0', '100000', '-1']), mutatedDump(r)];
    if (r.chance(0.5)) args.push('REPLACE');
    return { bytes: encode(args), poison: false, kind: 'restore' };
  }
  const args = randomCommand(r);
  switch (roll < 92 ? 4 : r.int(11)) {
    case 0: {
      // A bulk length that does not match what follows.
      const i = r.int(args.length);
      const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
      args.forEach((a, j) => {
        const b = typeof a === 'string' ? Buffer.from(a, 'latin1') : a;
        const len = j === i ? r.pick(BAD_BULK_LENGTHS) : String(b.length);
        parts.push(Buffer.from(`$${len}\r\n`), b, CRLF);
      });
      return { bytes: Buffer.concat(parts), poison: true, kind: 'bad-bulk-length' };
    }
    case 1: {
      const count = r.pick(BAD_COUNTS);
      const body = encode(args).subarray(String(args.length).length + 3);
      return { bytes: Buffer.concat([Buffer.from(`*${count}\r\n`), body]), poison: true, kind: 'bad-count' };
    }
    case 2: {
      // A nested array where a bulk string is expected.
      const inner = encode(args.slice(0, 2));
      const head = Buffer.from(`*${args.length + 1}\r\n`);
      return { bytes: Buffer.concat([head, encode(args).subarray(String(args.length).length + 3), inner]), poison: true, kind: 'nested' };
    }
    case 3:
      return { bytes: Buffer.from(r.pick(RESP3_REQUESTS), 'latin1'), poison: true, kind: 'resp3' };
    case 4: {
      // Inline command with quotes (sometimes unbalanced) and escapes.
      const words = args.map((a) => (typeof a === 'string' ? a : a.toString('hex')));
      const quoted = words.map((w) =>
        r.chance(0.3) ? `"${w}\\x41\\n"` : r.chance(0.1) ? `'${w}` : r.chance(0.1) ? `"${w}"x` : w,
      );
      return { bytes: Buffer.from(quoted.join(' ') + '\r\n', 'latin1'), poison: false, kind: 'inline' };
    }
    case 5: {
      const full = encode(args);
      return { bytes: full.subarray(0, r.int(full.length)), poison: true, kind: 'truncated' };
    }
    case 6: {
      // CR or LF alone, or inserted at a random place.
      const full = encode(args);
      const at = r.int(full.length);
      const junk = Buffer.from(r.pick(['\r', '\n', '\r\n', '\n\r', '\r\r\n']), 'latin1');
      return { bytes: Buffer.concat([full.subarray(0, at), junk, full.subarray(at)]), poison: true, kind: 'crlf' };
    }
    case 7:
      return { bytes: r.bytes(1 + r.int(64)), poison: true, kind: 'random-bytes' };
    case 8: {
      // A byte of the frame flipped.
      const full = Buffer.from(encode(args));
      full[r.int(full.length)] = r.u32() & 0xff;
      return { bytes: full, poison: true, kind: 'bit-flip' };
    }
    case 9:
      // Empty and whitespace inline lines, and a bare '*' / '$' line.
      return { bytes: Buffer.from(r.pick(['\r\n', '   \r\n', '*\r\n', '$3\r\nget\r\n', '*1\r\n*1\r\n$4\r\nping\r\n', '\n']), 'latin1'), poison: true, kind: 'odd-line' };
    default: {
      // A huge inline line without a newline (the server must cap it, not buffer it forever).
      return { bytes: Buffer.alloc(60 * 1024 + r.int(16 * 1024), 0x61), poison: true, kind: 'long-inline' };
    }
  }
}
