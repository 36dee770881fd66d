// Server-level commands through real clients against in-process corral nodes: ioredis (RESP2)
// and node-redis v5 in RESP2 and RESP3; AUTH/HELLO with a password; SHUTDOWN over a raw socket.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { RawConnection, startCorral, type StartedCorral } from '../support/servers.js';
import { ManualClock } from '../../src/util/clock.js';

const clock = new ManualClock(1_700_000_000_000);
const corral: StartedCorral = await startCorral({}, clock);
const secured: StartedCorral = await startCorral({ requirepass: 's3cret' });

after(async () => {
  await corral.close();
  await secured.close();
});

/** INFO text as name -> value. */
function infoFields(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0 && !line.startsWith('#')) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

describe('ioredis (RESP2)', () => {
  let r: Redis;
  before(() => {
    r = new Redis({ port: corral.port, host: '127.0.0.1', maxRetriesPerRequest: 0, connectionName: 'io-conn' });
  });
  after(() => {
    r.disconnect();
  });

  test('PING ECHO SELECT, and the name given at connect', async () => {
    assert.equal(await r.ping(), 'PONG');
    assert.equal(await r.ping('hi'), 'hi');
    assert.equal(await r.echo('x y'), 'x y');
    assert.equal(await r.client('GETNAME'), 'io-conn');
    assert.equal(await r.select(2), 'OK');
    await assert.rejects(r.select(99), /ERR DB index is out of range/);
    assert.equal(await r.select(0), 'OK');
  });

  test('CLIENT ID LIST INFO SETNAME KILL', async () => {
    const id = (await r.client('ID')) as number;
    assert.ok(id > 0);
    assert.equal(await r.client('SETNAME', 'renamed'), 'OK');
    const list = (await r.client('LIST')) as string;
    assert.match(list, new RegExp(`^id=${id} addr=127\\.0\\.0\\.1:\\d+ laddr=127\\.0\\.0\\.1:${corral.port} fd=\\d+ name=renamed `, 'm'));
    assert.match((await r.client('INFO')) as string, /cmd=client\|info user=default redir=-1 resp=2\n$/);
    await assert.rejects(r.client('SETNAME', 'a b'), /ERR Client names cannot contain spaces, newlines or special characters\./);
    const victim = new Redis({ port: corral.port, host: '127.0.0.1', maxRetriesPerRequest: 0, retryStrategy: () => null });
    const victimId = (await victim.client('ID')) as number;
    const closed = new Promise((resolve) => victim.once('end', resolve));
    assert.equal(await r.client('KILL', 'ID', String(victimId)), 1);
    await closed;
  });

  test('INFO sections and fields', async () => {
    await r.set('info:k', 'v');
    const f = infoFields(await r.info());
    assert.equal(f.redis_version, '7.0.15');
    assert.equal(f.role, 'master');
    assert.equal(f.tcp_port, String(corral.port));
    assert.match(f.db0, /^keys=\d+,expires=\d+,avg_ttl=0$/);
    const mem = await r.info('memory');
    assert.match(mem, /^# Memory\r\nused_memory:\d+\r\nused_memory_human:/);
    assert.doesNotMatch(mem, /# Server/);
  });

  test('CONFIG GET/SET/RESETSTAT', async () => {
    assert.deepEqual(await r.config('GET', 'maxmemory-policy'), ['maxmemory-policy', 'allkeys-tinylfu']); // corral's default (docs/benchmarks.md)
    assert.equal(await r.config('SET', 'maxmemory', '64mb', 'maxmemory-policy', 'allkeys-lru'), 'OK');
    assert.equal(corral.node.store.maxmemory, 64 * 1024 * 1024);
    assert.equal(corral.node.store.evictionPolicy, 'allkeys-lru');
    await assert.rejects(r.config('SET', 'maxmemory', 'lots'), /argument must be a memory value/);
    assert.equal(await r.config('SET', 'maxmemory', '0', 'maxmemory-policy', 'noeviction'), 'OK');
    assert.equal(await r.config('RESETSTAT'), 'OK');
    assert.equal(infoFields(await r.info('stats')).keyspace_hits, '0');
  });

  test('COMMAND COUNT/INFO, TIME, MEMORY USAGE, OBJECT ENCODING, SLOWLOG', async () => {
    assert.equal(await r.command('COUNT'), corral.node.table.size);
    const [get] = (await r.command('INFO', 'get')) as unknown[][];
    assert.deepEqual(get.slice(0, 6), ['get', 2, ['readonly', 'fast'], 1, 1, 1]);
    assert.deepEqual(await r.time(), [String(clock.now() / 1000), '0']);
    await r.set('num', '42');
    assert.equal(await r.memory('USAGE', 'num'), corral.node.store.dbs[0].peek('num')!.bytes);
    assert.equal(await r.object('ENCODING', 'num'), 'int');
    assert.equal(await r.slowlog('RESET'), 'OK');
    assert.equal(await r.slowlog('LEN'), 0);
  });
});

for (const RESP of [2, 3] as const) {
  describe(`node-redis v5 (RESP${RESP})`, () => {
    let c: ReturnType<typeof createClient>;
    before(async () => {
      c = createClient({ socket: { port: corral.port, host: '127.0.0.1', reconnectStrategy: false }, RESP, name: `nr${RESP}` });
      await c.connect();
    });
    after(async () => {
      c.destroy();
    });

    test('HELLO reports Redis 7.0.15 and the protocol in use', async () => {
      const hello = (await c.sendCommand(['HELLO'])) as unknown;
      const entries = hello instanceof Map ? [...hello.entries()] : Array.isArray(hello) ? pairs(hello) : Object.entries(hello as object);
      const h = Object.fromEntries(entries.map(([k, v]) => [String(k), v]));
      assert.equal(h.server, 'redis');
      assert.equal(h.version, '7.0.15');
      assert.equal(Number(h.proto), RESP);
      assert.equal(h.mode, 'standalone');
    });

    test('CLIENT GETNAME/INFO, PING', async () => {
      assert.equal(await c.clientGetName(), `nr${RESP}`);
      const info = await c.clientInfo();
      assert.equal(info.name, `nr${RESP}`);
      assert.equal(info.resp, RESP);
      assert.equal(info.user, 'default');
      assert.equal(await c.ping(), 'PONG');
    });

    test('INFO is text in both protocols', async () => {
      const text = await c.info('server');
      assert.match(String(text), /^# Server\r\nredis_version:7\.0\.15\r\ncorral_version:0\.1\.0\r\n/);
    });

    test('CONFIG GET: pairs in RESP2, a map in RESP3', async () => {
      const got = (await c.configGet('save')) as unknown;
      const entries = got instanceof Map ? Object.fromEntries(got) : got;
      assert.deepEqual({ ...(entries as object) }, { save: '' });
      const raw = await c.sendCommand(['CONFIG', 'GET', 'appendonly']);
      if (RESP === 2) assert.deepEqual(raw, ['appendonly', 'no']);
      else assert.ok(!Array.isArray(raw));
    });

    test('COMMAND DOCS and errors', async () => {
      const docs = (await c.sendCommand(['COMMAND', 'DOCS', 'echo'])) as unknown;
      const flat = docs instanceof Map ? [...docs.keys()] : Array.isArray(docs) ? docs : Object.keys(docs as object);
      assert.equal(String(flat[0]), 'echo');
      await assert.rejects(c.sendCommand(['CLIENT', 'NOPE']), /ERR unknown subcommand 'NOPE'\. Try CLIENT HELP\./);
      await assert.rejects(c.sendCommand(['HELLO', '4']), /NOPROTO unsupported protocol version/);
    });
  });
}

function pairs(a: unknown[]): Array<[unknown, unknown]> {
  const out: Array<[unknown, unknown]> = [];
  for (let i = 0; i < a.length; i += 2) out.push([a[i], a[i + 1]]);
  return out;
}

describe('requirepass', () => {
  test('ioredis authenticates with AUTH; a wrong password is WRONGPASS', async () => {
    const good = new Redis({ port: secured.port, host: '127.0.0.1', password: 's3cret', maxRetriesPerRequest: 0 });
    assert.equal(await good.ping(), 'PONG');
    good.disconnect();
    const none = new Redis({ port: secured.port, host: '127.0.0.1', maxRetriesPerRequest: 0, enableReadyCheck: false });
    await assert.rejects(none.get('k'), /NOAUTH Authentication required\./);
    await assert.rejects(none.auth('wrong'), /WRONGPASS invalid username-password pair or user is disabled\./);
    assert.equal(await none.auth('default', 's3cret'), 'OK');
    assert.equal(await none.ping(), 'PONG');
    none.disconnect();
  });

  for (const RESP of [2, 3] as const) {
    test(`node-redis RESP${RESP} authenticates (HELLO AUTH in RESP3)`, async () => {
      const c = createClient({ socket: { port: secured.port, host: '127.0.0.1', reconnectStrategy: false }, RESP, password: 's3cret' });
      await c.connect();
      assert.equal(await c.ping(), 'PONG');
      c.destroy();
      const bad = createClient({ socket: { port: secured.port, host: '127.0.0.1', reconnectStrategy: false }, RESP, password: 'nope' });
      bad.on('error', () => {});
      await assert.rejects(bad.connect(), /WRONGPASS/);
      if (bad.isOpen) bad.destroy();
    });
  }
});

test('SHUTDOWN closes the node without a reply', async () => {
  const doomed = await startCorral();
  const conn = await RawConnection.connect(doomed.port);
  assert.equal((await conn.callRaw('SHUTDOWN', 'FOO')).toString(), '-ERR syntax error\r\n');
  conn.socket.write('*2\r\n$8\r\nSHUTDOWN\r\n$6\r\nNOSAVE\r\n');
  await conn.waitClosed();
  assert.equal(conn.pending.length, 0);
  await doomed.node.stopped;
});
