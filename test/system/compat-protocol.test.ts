// Protocol compatibility with a real redis-server 7.0: the same raw bytes (malformed requests,
// inline commands, unknown commands, wrong arity, empty arguments) sent to both must get
// byte-identical replies and the same close/keep-open outcome. Also glob matching vs KEYS.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { RawConnection, startCorral, startRedis, type Started, type StartedCorral } from '../support/servers.js';
import { encodeCommand } from '../../src/protocol/reply-parser.js';
import { globMatch } from '../../src/util/glob.js';

interface Exchange {
  reply: string;
  closed: boolean;
}

/** Sends bytes on a fresh connection; collects replies until the server closes or 250 ms pass quietly. */
function exchange(port: number, bytes: Buffer, quietMs = 250): Promise<Exchange> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let timer: NodeJS.Timeout | null = null;
    const done = (closed: boolean): void => {
      if (timer !== null) clearTimeout(timer);
      timer = null;
      s.removeAllListeners();
      s.on('error', () => {});
      s.destroy();
      resolve({ reply: Buffer.concat(chunks).toString('latin1'), closed });
    };
    const arm = (): void => {
      if (timer !== null) clearTimeout(timer);
      timer = setTimeout(() => done(false), quietMs);
    };
    s.on('connect', () => {
      s.write(bytes);
      arm();
    });
    s.on('data', (d: Buffer) => {
      chunks.push(d);
      arm();
    });
    s.on('close', () => done(true));
    s.on('error', () => {});
  });
}

const b = (s: string): Buffer => Buffer.from(s, 'latin1');
const enc = (...args: string[]): Buffer => encodeCommand(args.map(b));

const CASES: Array<[string, Buffer]> = [
  // Multibulk framing errors.
  ['expected $ got x', b('*1\r\nx\r\n')],
  ['expected $ got CR', b('*1\r\n\r\n')],
  ['expected $ got LF', b('*1\r\n\n\r\n')],
  ['expected $ got 0xff', b('*1\r\n\xff\r\n')],
  ['expected $ got :', b('*2\r\n$4\r\nECHO\r\n:1\r\n')],
  ['count abc', b('*abc\r\n')],
  ['count empty', b('*\r\n')],
  ['count -0', b('*-0\r\n')],
  ['count 01', b('*01\r\n')],
  ['count +1', b('*+1\r\n')],
  ['count > INT_MAX', b('*2147483648\r\n')],
  ['count 20 digits', b('*99999999999999999999\r\n')],
  ['bulk -1', b('*1\r\n$-1\r\n')],
  ['bulk empty', b('*1\r\n$\r\n')],
  ['bulk +4', b('*1\r\n$+4\r\nPING\r\n')],
  ['bulk 04', b('*1\r\n$04\r\nPING\r\n')],
  ['bulk over 512 MB', b('*1\r\n$536870913\r\n')],
  ['too big inline request', Buffer.alloc(70 * 1024, 'a')],
  ['too big mbulk count string', b('*' + '1'.repeat(70 * 1024))],
  ['too big bulk count string', b('*1\r\n$' + '1'.repeat(70 * 1024))],
  ['replies before the error, nothing after', b('PING\r\nECHO x\r\n*1\r\n:1\r\nPING\r\n')],
  // Framing quirks Redis tolerates.
  ['bytes after a bulk are not checked', b('*1\r\n$4\r\nPINGxx*1\r\n$4\r\nPING\r\n')],
  ['byte after count CR not checked', b('*1\rX$4\r\nPING\r\n')],
  ['empty requests skipped', b('*0\r\n*-1\r\n*-5\r\n\r\n\n   \r\nPING\r\n')],
  ['incomplete request waits', b('*2\r\n$4\r\nECHO\r\n$5\r\nhel')],
  // Inline commands.
  ['inline LF only', b('PING\n')],
  ['inline quotes', b(`SET "a b" 'c d'\r\nGET "a b"\r\n`)],
  ['inline hex escapes', b('ECHO "\\x41\\x4g\\n\\t\\\\"\r\n')],
  ['inline single-quote escape', b("ECHO 'it\\'s'\r\n")],
  ['inline quote inside word', b('ECHO a"b c"\r\n')],
  ['inline empty quoted args', b('ECHO ""\r\nECHO \'\'\r\nECHO "" x\r\n')],
  ['inline \\v inside a word', b('ECHO a\x0bb\r\n')],
  ['inline \\f inside a word', b('ECHO a\x0cb\r\n')],
  ['inline leading \\v', b('\x0bECHO\x0ba\r\n')],
  ['inline unbalanced double quote', b('ECHO "a\r\n')],
  ['inline unbalanced single quote', b("ECHO 'a'b\r\n")],
  ['inline closing quote glued', b('ECHO "a"b\r\n')],
  ['inline trailing backslash in quotes', b('ECHO "a\\\r\n')],
  // Unknown commands: name and argument excerpts.
  ['unknown inline', b('FOO\r\nFOO a b\r\n')],
  ['unknown, 300-byte arg', enc('FOO', 'x'.repeat(300))],
  ['unknown, args past 128 bytes', enc('FOO', 'a'.repeat(100), 'b'.repeat(100), 'c')],
  ['unknown, 300-byte name', enc('N'.repeat(300), 'a')],
  ['unknown, CRLF in name and args', enc('F\r\nOO', 'a\r\nb')],
  ['unknown, empty name', enc('')],
  ['unknown, NUL in an arg (C string: cut at NUL)', enc('FOO', 'a\0b', 'c')],
  ['unknown, NUL in the name', enc('F\0OO', 'x')],
  ['unknown subcommand with NUL', enc('CLIENT', 'no\0such')],
  ['unknown, empty args', enc('FOO', '', '')],
  ['unknown subcommand', enc('CLIENT', 'NOSUCH')],
  ['unknown subcommand, 300 bytes', enc('CLIENT', 'y'.repeat(300))],
  ['unknown subcommand lowercase container', enc('client', 'nosuch', 'x')],
  // Wrong arity.
  ['arity GET', enc('GET')],
  ['arity GET 2', enc('GET', 'a', 'b')],
  ['arity SET', enc('SET', 'a')],
  ['arity ECHO', b('ECHO\r\n')],
  ['arity subcommand', enc('CLIENT', 'SETNAME')],
  ['arity mixed case', enc('gEt')],
  // Empty bulk arguments.
  ['empty key and value', Buffer.concat([enc('SET', '', ''), enc('GET', ''), enc('ECHO', ''), enc('DEL', '')])],
  ['QUIT with args', b('QUIT a b\r\nPING\r\n')],
  ['QUIT multibulk then more', Buffer.concat([enc('quit'), enc('PING')])],
];

describe('protocol compatibility with redis-server', { concurrency: 16 }, () => {
  let corral: StartedCorral;
  let redis: Started;
  before(async () => {
    [corral, redis] = await Promise.all([startCorral(), startRedis()]);
  });
  after(async () => {
    await Promise.all([corral.close(), redis.close()]);
  });

  for (const [name, bytes] of CASES) {
    test(name, async () => {
      const [ours, theirs] = await Promise.all([exchange(corral.port, bytes), exchange(redis.port, bytes)]);
      assert.equal(JSON.stringify(ours.reply), JSON.stringify(theirs.reply), 'reply bytes');
      assert.equal(ours.closed, theirs.closed, theirs.closed ? 'redis closed the connection' : 'redis kept the connection open');
    });
  }

  test('the unauthenticated limits match (requirepass)', async () => {
    const [c, r] = await Promise.all([startCorral({ requirepass: 'pw' }), startRedis(['--requirepass', 'pw'])]);
    try {
      for (const bytes of [b('*11\r\n'), b('*1\r\n$16385\r\n'), b('*10\r\n'), b('GET x\r\n'), b('*2147483648\r\n'), b('*1\r\n$-1\r\n')]) {
        const [ours, theirs] = await Promise.all([exchange(c.port, bytes), exchange(r.port, bytes)]);
        assert.equal(JSON.stringify(ours.reply), JSON.stringify(theirs.reply), JSON.stringify(bytes.toString('latin1')));
        assert.equal(ours.closed, theirs.closed);
      }
    } finally {
      await Promise.all([c.close(), r.close()]);
    }
  });
});

describe('size limits match redis-server', () => {
  test('proto-max-bulk-len 1mb and client-query-buffer-limit 1mb', async () => {
    const [c, r] = await Promise.all([
      startCorral({ 'proto-max-bulk-len': '1mb', 'client-query-buffer-limit': '1mb' }),
      startRedis(['--proto-max-bulk-len', '1mb', '--client-query-buffer-limit', '1mb']),
    ]);
    try {
      const inputs = [
        // Over proto-max-bulk-len: refused from the header alone.
        b(`*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$${2 * 1024 * 1024}\r\n`),
        // A single bulk over client-query-buffer-limit still arriving: closed without a reply.
        Buffer.concat([b(`*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$${1024 * 1024}\r\n`), Buffer.alloc(1024 * 1024 + 1, 'q')]).subarray(0, 1024 * 1024 + 40),
        // Redis 7.0 counts only the bytes not parsed yet (its query buffer is trimmed past each
        // argument): whole commands larger than the limit are fine as long as each part fits.
        encodeCommand([b('SET'), b('k'), Buffer.alloc(1024 * 1024 - 10, 'v')]),
        encodeCommand([b('MSET'), b('a'), Buffer.alloc(700_000, 'x'), b('b'), Buffer.alloc(700_000, 'y')]),
        encodeCommand([b('MSET'), ...Array.from({ length: 60 }, (_, i) => [b(`k${i}`), Buffer.alloc(20_000, 'z')]).flat()]),
      ];
      const mismatches: string[] = [];
      for (const bytes of inputs) {
        const [ours, theirs] = await Promise.all([exchange(c.port, bytes, 500), exchange(r.port, bytes, 500)]);
        if (ours.reply !== theirs.reply || ours.closed !== theirs.closed) {
          const head = JSON.stringify(bytes.subarray(0, 24).toString('latin1'));
          mismatches.push(`${head}... (${bytes.length} bytes): corral ${JSON.stringify(ours)} redis ${JSON.stringify(theirs)}`);
        }
      }
      assert.deepEqual(mismatches, []);
    } finally {
      await Promise.all([c.close(), r.close()]);
    }
  });
});

describe('glob matching vs redis-server KEYS', () => {
  let corral: StartedCorral;
  let redis: Started;
  const keys = [
    '', 'a', 'b', 'A', 'ab', 'abc', 'aXc', 'a*c', 'a?c', 'a[c', 'a]c', ']', '[', '\\', '-', '^', 'a\\c', 'hello', 'hallo', 'hxllo',
    'hllo', 'heeeello', 'user:1', 'user:10', 'user:2:name', 'a-z', 'z', 'aaa', 'aab', '\xff', '\x00x',
  ];
  const patterns = [
    '*', '**', '?', '*?', '?*', 'a*', '*a', 'a*c', 'a?c', 'a\\*c', 'a\\?c', 'a[bX]c', 'a[^b]c', 'a[a-z]c', 'a[z-a]c', 'h[ae]llo', 'h[^e]llo',
    'h*llo', 'h?llo', '[\\]', '[\\', '[^', '[', 'a[', '[a-', '[]a]', '[a\\', '\\', 'a\\', '[^]]', '[]]', 'user:*', 'user:?', 'user:[0-9]*',
    '*:*:*', '[\\-]', '[a-]', '[-a]', '*[', 'aa*', '*b', '\xff', '[\x00-\x01]x', '[A-Z]', '[a-c-z]', '\\[', '*\\', 'a**c', '***',
  ];
  before(async () => {
    [corral, redis] = await Promise.all([startCorral(), startRedis()]);
    for (const port of [corral.port, redis.port]) {
      const c = await RawConnection.connect(port);
      for (const k of keys) await c.callRaw('SET', b(k), '1');
      c.close();
    }
  });
  after(async () => {
    await Promise.all([corral.close(), redis.close()]);
  });

  async function keysOf(port: number, pattern: string): Promise<string[]> {
    const c = await RawConnection.connect(port);
    try {
      const reply = (await c.call('KEYS', b(pattern))) as string[];
      return reply.sort();
    } finally {
      c.close();
    }
  }

  test('globMatch agrees with redis-server KEYS on every pattern', async () => {
    for (const p of patterns) {
      const want = await keysOf(redis.port, p);
      // KEYS short-cuts "*" to "every key": globMatch itself follows stringmatchlen.
      const ours = keys.filter((k) => p === '*' || globMatch(p, k)).sort();
      assert.deepEqual(ours, want, `pattern ${JSON.stringify(p)}`);
    }
  });

  test("corral's KEYS agrees with redis-server's", async () => {
    for (const p of patterns) {
      assert.deepEqual(await keysOf(corral.port, p), await keysOf(redis.port, p), `pattern ${JSON.stringify(p)}`);
    }
  });

  test('the 1000-level nesting cap is the same', async () => {
    const key = 'a'.repeat(1001);
    for (const port of [corral.port, redis.port]) {
      const c = await RawConnection.connect(port);
      await c.callRaw('SET', key, '1');
      c.close();
    }
    for (const n of [999, 1000, 1001]) {
      const p = '*a'.repeat(n);
      assert.deepEqual(await keysOf(corral.port, p), await keysOf(redis.port, p), `${n} stars`);
    }
  });
});
