// Client tracking over real sockets, for what a byte comparison with redis-server cannot pin
// down in time (test/system/compat-tracking.test.ts compares the rest): a tracked key that
// expires or is evicted is invalidated like a written one, a redirect client that goes away
// turns into a tracking-redir-broken push, and node-redis's client-side cache (RESP3, CLIENT
// TRACKING under the hood) serves a cached value until corral invalidates it.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createClient } from 'redis';
import { RawConnection, startCorral, type StartedCorral } from '../support/servers.js';

const push = (key: string): string => `>2\r\n$10\r\ninvalidate\r\n*1\r\n$${key.length}\r\n${key}\r\n`;

describe('client tracking', () => {
  let srv: StartedCorral;
  before(async () => {
    srv = await startCorral({ hz: '100' });
  });
  after(async () => {
    await srv.close();
  });

  test('expiry and eviction invalidate a tracked key', async () => {
    const c = await RawConnection.connect(srv.port);
    const w = await RawConnection.connect(srv.port);
    try {
      await c.callRaw('HELLO', '3');
      await c.callRaw('CLIENT', 'TRACKING', 'ON');
      // Long enough that the GET (which makes the key tracked) comes first on a loaded machine.
      await w.call('SET', 'short', 'v', 'PX', '500');
      assert.equal((await c.callRaw('GET', 'short')).toString(), '$1\r\nv\r\n');
      // Active expiry (hz 100) removes it: the invalidation arrives with nothing else sent.
      assert.equal((await c.readReplies(1, 3000)).toString(), push('short'));
      await w.call('SET', 'big', 'x'.repeat(1000));
      assert.equal((await c.callRaw('GET', 'big')).toString().length > 1000, true);
      await w.call('CONFIG', 'SET', 'maxmemory-policy', 'allkeys-random');
      await w.call('CONFIG', 'SET', 'maxmemory', '1');
      await w.callRaw('SET', 'other', 'y'); // evicts until under the limit: everything goes
      const got = (await c.readReplies(1, 3000)).toString();
      assert.equal(got, push('big'));
    } finally {
      await w.call('CONFIG', 'SET', 'maxmemory', '0');
      c.close();
      w.close();
    }
  });

  test('a redirect client that went away: tracking-redir-broken, and TRACKINGINFO says so', async () => {
    const c = await RawConnection.connect(srv.port);
    const target = await RawConnection.connect(srv.port);
    try {
      await c.callRaw('HELLO', '3');
      const id = (await target.call('CLIENT', 'ID')) as number;
      await c.callRaw('CLIENT', 'TRACKING', 'ON', 'REDIRECT', String(id));
      await c.callRaw('GET', 'r');
      target.close();
      await new Promise((r) => setTimeout(r, 50));
      assert.equal((await c.sendRaw('*3\r\n$3\r\nSET\r\n$1\r\nr\r\n$1\r\nv\r\n', 2)).toString(), `+OK\r\n>2\r\n$21\r\ntracking-redir-broken\r\n:${id}\r\n`);
      assert.match((await c.callRaw('CLIENT', 'TRACKINGINFO')).toString(), /broken_redirect/);
      assert.match((await c.callRaw('CLIENT', 'INFO')).toString(), new RegExp(`flags=tR .* redir=${id} resp=3`));
    } finally {
      c.close();
    }
  });

  test("node-redis's client-side cache serves a cached value until corral invalidates it", async () => {
    const cached = createClient({ url: `redis://127.0.0.1:${srv.port}`, RESP: 3, clientSideCache: { ttl: 0, maxEntries: 0 } });
    const writer = createClient({ url: `redis://127.0.0.1:${srv.port}` });
    try {
      await cached.connect();
      await writer.connect();
      await writer.set('csc', 'one');
      assert.equal(await cached.get('csc'), 'one');
      assert.equal(await cached.get('csc'), 'one');
      const cache = cached.clientSideCache!;
      assert.equal(cache.stats().hitCount, 1, 'the second GET came from the cache');
      await writer.set('csc', 'two');
      const deadline = Date.now() + 3000;
      let value = await cached.get('csc');
      while (value !== 'two' && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
        value = await cached.get('csc');
      }
      assert.equal(value, 'two');
    } finally {
      await cached.close();
      await writer.close();
    }
  });
});
