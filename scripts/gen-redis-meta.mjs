#!/usr/bin/env node
// Generates src/commands/redis-meta.ts: the COMMAND INFO / COMMAND DOCS replies of a real
// redis-server (7.0.x) for the commands corral implements, as RespValue trees.
//
// Usage: node scripts/gen-redis-meta.mjs [path-to-redis-server]
// Needs redis-server on PATH (or given). No dependencies.

import { spawn } from 'node:child_process';
import net from 'node:net';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './redis-suite/common.mjs';

const COMMANDS = `
get set setnx setex psetex getset getdel getex mget mset msetnx append strlen incr decr incrby
decrby incrbyfloat getrange setrange substr del unlink exists type touch expire pexpire expireat
pexpireat ttl pttl expiretime pexpiretime persist rename renamenx copy keys scan randomkey dbsize
flushdb flushall hset hsetnx hget hmget hmset hgetall hdel hexists hlen hincrby hincrbyfloat hkeys
hvals hstrlen hscan hrandfield lpush rpush lpushx rpushx lpop rpop lrange llen lindex lset lrem ltrim sadd srem spop scard smembers sismember srandmember zadd zrem zcard zscore zincrby zrange zrank zrevrank zpopmin zpopmax zcount zrevrange zmscore zlexcount zrangebyscore zrevrangebyscore zrangebylex zrevrangebylex zremrangebyrank zremrangebyscore zremrangebylex smismember linsert lpos rpoplpush lmove smove sinter sunion sdiff sinterstore sunionstore sdiffstore multi exec discard watch unwatch ping echo hello auth select quit
reset client command info config time memory slowlog shutdown object lastsave save bgsave swapdb
move readonly readwrite asking cluster dump restore replicaof slaveof role wait psync sync replconf
setbit getbit bitcount bitpos bitop bitfield bitfield_ro pfadd pfcount pfmerge pfdebug pfselftest
subscribe unsubscribe psubscribe punsubscribe publish pubsub ssubscribe sunsubscribe spublish
sscan zscan sort sort_ro eval evalsha eval_ro evalsha_ro script fcall fcall_ro function
zunion zinter zdiff zunionstore zinterstore zdiffstore zintercard zrangestore zrandmember
sintercard lcs
geoadd geodist geohash geopos georadius georadius_ro georadiusbymember georadiusbymember_ro geosearch geosearchstore
debug
blpop brpop brpoplpush blmove blmpop lmpop bzpopmin bzpopmax bzmpop zmpop
xadd xrange xrevrange xlen xdel xtrim xsetid xread xgroup xreadgroup xack xpending xclaim xautoclaim xinfo acl
latency
`
  .split(/\s+/)
  .filter(Boolean)
  .filter((n, i, a) => a.indexOf(n) === i);

const here = dirname(fileURLToPath(import.meta.url));
const outPath = join(here, '..', 'src', 'commands', 'redis-meta.ts');
const redisBin = process.argv[2] ?? 'redis-server';

// ---- RESP3 parser ---------------------------------------------------------------------------
class Incomplete extends Error {}

/** Parses one RESP3 value from buf at pos. Returns [value, nextPos]; throws Incomplete. */
function parse(buf, pos) {
  const lineEnd = (p) => {
    const i = buf.indexOf('\r\n', p, 'latin1');
    if (i < 0) throw new Incomplete();
    return i;
  };
  if (pos >= buf.length) throw new Incomplete();
  const type = String.fromCharCode(buf[pos]);
  const e = lineEnd(pos + 1);
  const line = buf.toString('latin1', pos + 1, e);
  let p = e + 2;
  const readBlob = (len) => {
    if (p + len + 2 > buf.length) throw new Incomplete();
    const s = buf.toString('latin1', p, p + len);
    return [s, p + len + 2];
  };
  const readN = (n) => {
    const items = [];
    for (let i = 0; i < n; i++) {
      const [v, np] = parse(buf, p);
      items.push(v);
      p = np;
    }
    return items;
  };
  switch (type) {
    case '+':
      return [{ simple: line }, p];
    case '-':
      return [{ error: line }, p];
    case ':': {
      const n = Number(line);
      if (!Number.isSafeInteger(n)) throw new Error(`unsafe integer ${line}`);
      return [n, p];
    }
    case '$': {
      const len = Number(line);
      if (len < 0) return [null, p];
      return readBlob(len);
    }
    case '=': {
      const [s, np] = readBlob(Number(line));
      return [{ verbatim: s.slice(4), format: s.slice(0, 3) }, np];
    }
    case '!': {
      const [s, np] = readBlob(Number(line));
      return [{ error: s }, np];
    }
    case '*':
    case '>': {
      const n = Number(line);
      if (n < 0) return [null, p];
      const items = readN(n);
      return [items, p];
    }
    case '~': {
      const items = readN(Number(line));
      return [{ set: items }, p];
    }
    case '%': {
      const flat = readN(Number(line) * 2);
      const pairs = [];
      for (let i = 0; i < flat.length; i += 2) pairs.push([flat[i], flat[i + 1]]);
      return [{ map: pairs }, p];
    }
    case '|': {
      // attribute: skip it, return the value that follows
      readN(Number(line) * 2);
      return parse(buf, p);
    }
    case '_':
      return [null, p];
    case ',': {
      const d =
        line === 'inf' ? Infinity : line === '-inf' ? -Infinity : line === 'nan' ? NaN : Number(line);
      return [{ double: d }, p];
    }
    case '#':
      return [{ bool: line === 't' }, p];
    case '(':
      throw new Error(`big number not supported: ${line}`);
    default:
      throw new Error(`unknown RESP type byte ${JSON.stringify(type)} at ${pos}`);
  }
}

// ---- client ---------------------------------------------------------------------------------
function encodeCommand(args) {
  let s = `*${args.length}\r\n`;
  for (const a of args) s += `$${Buffer.byteLength(a, 'latin1')}\r\n${a}\r\n`;
  return Buffer.from(s, 'latin1');
}

class Client {
  constructor(sock) {
    this.sock = sock;
    this.buf = Buffer.alloc(0);
    this.waiters = [];
    sock.on('data', (d) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.drain();
    });
  }
  drain() {
    while (this.waiters.length) {
      let v, np;
      try {
        [v, np] = parse(this.buf, 0);
      } catch (err) {
        if (err instanceof Incomplete) return;
        this.waiters.shift().reject(err);
        return;
      }
      this.buf = this.buf.subarray(np);
      this.waiters.shift().resolve(v);
    }
  }
  call(...args) {
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      this.sock.write(encodeCommand(args));
      this.drain();
    });
  }
}

function connect(port) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    sock.once('connect', () => resolve(sock));
    sock.once('error', reject);
  });
}

async function connectRetry(port, tries = 100) {
  for (let i = 0; ; i++) {
    try {
      return await connect(port);
    } catch (err) {
      if (i >= tries) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

// ---- main -----------------------------------------------------------------------------------
const port = await freePort();
const dir = mkdtempSync(join(tmpdir(), 'gen-redis-meta-'));
const server = spawn(
  redisBin,
  ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
  { stdio: ['ignore', 'ignore', 'inherit'] },
);
let serverExited = false;
server.on('exit', () => (serverExited = true));

try {
  const sock = await connectRetry(port);
  const c = new Client(sock);
  await c.call('HELLO', '3');
  const info = await c.call('INFO', 'server');
  const version = /redis_version:([^\r\n]+)/.exec(typeof info === 'string' ? info : info.verbatim)[1];

  const entries = [];
  const skipped = [];
  for (const name of COMMANDS) {
    const inf = await c.call('COMMAND', 'INFO', name);
    if (!Array.isArray(inf) || inf.length !== 1 || inf[0] === null) {
      skipped.push(name);
      continue;
    }
    const docsReply = await c.call('COMMAND', 'DOCS', name);
    if (!docsReply || !docsReply.map || docsReply.map.length !== 1) {
      throw new Error(`unexpected COMMAND DOCS reply for ${name}: ${JSON.stringify(docsReply)}`);
    }
    const [docName, docs] = docsReply.map[0];
    if (docName !== name) throw new Error(`COMMAND DOCS ${name} returned ${docName}`);
    if (inf[0][0] !== name) throw new Error(`COMMAND INFO ${name} returned ${inf[0][0]}`);
    sortSubcommands(inf[0], docs);
    entries.push([name, { info: inf[0], docs }]);
  }
  sock.end();

  let out = '';
  out += `// GENERATED by scripts/gen-redis-meta.mjs from redis-server ${version}. Do not edit by hand:\n`;
  out += `// rerun \`node scripts/gen-redis-meta.mjs\` instead.\n`;
  out += `// Per command: the COMMAND INFO entry and the COMMAND DOCS map, as redis-server replies (RESP3).\n`;
  out += `/* eslint-disable */\n\n`;
  out += `import type { RespValue } from '../protocol/resp-value.js';\n\n`;
  out += `export interface RedisCommandMeta {\n  info: RespValue;\n  docs: RespValue;\n}\n\n`;
  out += `export const REDIS_META_VERSION = ${JSON.stringify(version)};\n\n`;
  out += `// key: lowercase command name (container commands like "client" include their subcommands in info/docs as Redis does)\n`;
  out += `export const REDIS_COMMAND_META: Record<string, RedisCommandMeta> = {\n`;
  for (const [name, meta] of entries) {
    out += `  ${JSON.stringify(name)}: {info:${literal(meta.info)},docs:${literal(meta.docs)}},\n`;
  }
  out += `};\n`;
  writeFileSync(outPath, out);
  console.log(`wrote ${outPath}: ${entries.length} commands, ${out.length} bytes (redis ${version})`);
  if (skipped.length) console.log(`skipped (unknown to redis ${version}): ${skipped.join(' ')}`);
  else console.log('skipped: none');
} finally {
  if (!serverExited) {
    server.kill('SIGTERM');
    await new Promise((r) => (serverExited ? r() : server.once('exit', r)));
  }
  rmSync(dir, { recursive: true, force: true });
}

/**
 * Redis keeps subcommands in a dict hashed with a per-process random seed, so their order in
 * COMMAND INFO (element 10) and COMMAND DOCS ("subcommands" map) changes from run to run. Sort
 * them by name so the generated file is stable; any order is one Redis could reply with.
 */
function sortSubcommands(info, docs) {
  const subs = info[9];
  if (Array.isArray(subs)) subs.sort((a, b) => cmp(a[0], b[0]));
  const entry = docs.map.find(([k]) => k === 'subcommands');
  if (entry) {
    entry[1].map.sort((a, b) => cmp(a[0], b[0]));
    for (const [, d] of entry[1].map) sortSubcommands([], d);
  }
}

function cmp(a, b) {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A TS literal for a RespValue tree (JSON, with non-finite doubles spelled out). */
function literal(v) {
  if (v === null) return 'null';
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(literal).join(',')}]`;
  if ('double' in v) {
    const d = v.double;
    const s = Number.isNaN(d) ? 'NaN' : d === Infinity ? 'Infinity' : d === -Infinity ? '-Infinity' : String(d);
    return `{double:${s}}`;
  }
  if ('map' in v) return `{map:[${v.map.map(([k, x]) => `[${literal(k)},${literal(x)}]`).join(',')}]}`;
  if ('set' in v) return `{set:[${v.set.map(literal).join(',')}]}`;
  if ('verbatim' in v) return `{verbatim:${JSON.stringify(v.verbatim)},format:${JSON.stringify(v.format)}}`;
  if ('simple' in v) return `{simple:${JSON.stringify(v.simple)}}`;
  if ('error' in v) return `{error:${JSON.stringify(v.error)}}`;
  if ('bool' in v) return `{bool:${v.bool}}`;
  throw new Error(`not a RespValue: ${JSON.stringify(v)}`);
}
