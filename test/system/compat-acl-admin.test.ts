// Byte-for-byte comparison with a real redis-server 7.0.15 of the ACL's administration: ACL CAT,
// DRYRUN (with Redis's unit/acl-v2.tcl key-permission cases), GENPASS, HELP, the ACL LOG's shape
// (ages and client lines masked), acllog-max-len, acl-pubsub-default, connections closed when
// their user is deleted or loses a channel (unit/acl.tcl's cases: that unit needs a server it
// starts itself, so they run here against both servers), and ACL LOAD / SAVE with an aclfile in
// a temporary directory.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RawConnection, startCorral, startRedis, type Started, type StartedCorral } from '../support/servers.js';
import { showBytes, splitCommands as split, type Cmd } from '../support/compare.js';
import { aclComparer, maskLog, normalizeRules } from '../support/acl-compare.js';

let corral: StartedCorral;
let redis: Started;

before(async () => {
  corral = await startCorral();
  redis = await startRedis();
});

after(async () => {
  await corral?.close();
  await redis?.close();
});

const { same, sameWith } = aclComparer(() => [corral.port, redis.port]);

describe('ACL CAT, DRYRUN, GENPASS, LOG, HELP match redis 7.0', () => {
  test('ACL CAT lists categories, and each category its commands (as sets)', async () => {
    await same(`
      ACL CAT
      ACL CAT nosuch
      ACL CAT read extra
    `);
    const cats = ['keyspace', 'read', 'write', 'set', 'sortedset', 'list', 'hash', 'string', 'bitmap', 'hyperloglog', 'geo', 'stream', 'pubsub', 'admin', 'fast', 'slow', 'blocking', 'dangerous', 'connection', 'transaction', 'scripting'];
    const a = await RawConnection.connect(corral.port);
    const b = await RawConnection.connect(redis.port);
    for (const cat of cats) {
      const ours = (await a.call('ACL', 'CAT', cat.toUpperCase())) as string[];
      const theirs = (await b.call('ACL', 'CAT', cat)) as string[];
      assert.deepEqual([...ours].sort(), [...theirs].sort(), cat);
    }
    a.close();
    b.close();
  });

  test('DRYRUN', async () => {
    await same(`
      ACL DELUSER d1
      ACL SETUSER d1 on nopass ~k* &ch +get +publish +config|get
      ACL DRYRUN d1 get k1
      ACL DRYRUN d1 get x1
      ACL DRYRUN d1 set k1 v
      ACL DRYRUN d1 publish ch x
      ACL DRYRUN d1 publish other x
      ACL DRYRUN d1 config get maxmemory
      ACL DRYRUN d1 config set maxmemory 0
      ACL DRYRUN d1 get
      ACL DRYRUN d1 nosuchcmd a
      ACL DRYRUN nosuchuser get k
      ACL DELUSER d1
    `);
  });

  test('GENPASS lengths and errors, HELP, unknown subcommands', async () => {
    await same(`
      ACL GENPASS 0
      ACL GENPASS 4097
      ACL GENPASS x
      ACL GENPASS 1 2
      ACL HELP
      ACL NOSUCH
      ACL WHOAMI extra
    `);
    const c = await RawConnection.connect(corral.port);
    assert.equal(((await c.call('ACL', 'GENPASS')) as string).length, 64);
    assert.equal(((await c.call('ACL', 'GENPASS', '5')) as string).length, 2);
    assert.match((await c.call('ACL', 'GENPASS', '4096')) as string, /^[0-9a-f]{1024}$/);
    c.close();
  });

  test('ACL LOG entries: reasons, contexts, grouping, count and RESET', async () => {
    await sameWith(
      split(`
        ACL LOG RESET
        ACL DELUSER l1
        ACL SETUSER l1 on >pw ~k* &c +get +publish +multi +exec +eval
        AUTH l1 bad
        AUTH l1 pw
        GET x
        GET x
        SET k v
        PUBLISH d m
        MULTI
        GET y
        EXEC
        EVAL "return redis.call('get','z')" 0
        AUTH default x
        ACL LOG
        ACL LOG 2
        ACL LOG -1
        ACL LOG x
        ACL LOG RESET
        ACL LOG
        ACL DELUSER l1
      `).map((c) => (c[0] === 'EVAL' ? ['EVAL', "return redis.call('get','z')", '0'] : c)),
      (s) => maskLog(s),
    );
  });
});

describe('users deleted or reloaded lose their connections', () => {
  test('DELUSER closes the clients authenticated as the user', async () => {
    for (const port of [corral.port, redis.port]) {
      const admin = await RawConnection.connect(port);
      await admin.call('ACL', 'SETUSER', 'gone', 'on', '>pw', '+@all', '~*');
      const c = await RawConnection.connect(port);
      assert.deepEqual(await c.call('AUTH', 'gone', 'pw'), { simple: 'OK' });
      assert.equal(await admin.call('ACL', 'DELUSER', 'gone'), 1);
      await c.waitClosed();
      admin.close();
    }
  });

  test('ACL LOAD and ACL SAVE with an aclfile', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'corral-acl-'));
    const fileA = join(dir, 'a.acl');
    const fileB = join(dir, 'b.acl');
    const initial = 'user default on nopass ~* &* +@all\nuser alice on #e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 ~a* +@read\n';
    writeFileSync(fileA, initial);
    writeFileSync(fileB, initial);
    const c2 = await startCorral({ aclfile: fileA });
    const r2 = await startRedis(['--aclfile', fileB]);
    try {
      const run = async (port: number, file: string): Promise<string[]> => {
        const c = await RawConnection.connect(port);
        const out: string[] = [];
        const say = async (...args: string[]): Promise<void> => {
          out.push(showBytes(await c.callRaw(...args)).split(file).join('FILE'));
        };
        await say('ACL', 'LIST');
        await say('ACL', 'SETUSER', 'bob', 'on', '>x', '+@hash', '-hset', '(~b* +get)');
        await say('ACL', 'SAVE');
        out.push(readFileSync(file, 'latin1'));
        writeFileSync(file, 'user carol on nopass +ping\nuser default on nopass ~* &* +@all\n');
        await say('ACL', 'LOAD');
        await say('ACL', 'LIST');
        writeFileSync(file, 'user dave on +nosuch\nnotuser x\nuser dave on\nuser e!x on\nuser f on %X~k\n# comment\n');
        await say('ACL', 'LOAD');
        await say('ACL', 'LIST');
        writeFileSync(file, 'user (x on\n');
        await say('ACL', 'LOAD');
        rmSync(file);
        await say('ACL', 'LOAD');
        await say('CONFIG', 'SET', 'aclfile', '/tmp/x');
        c.close();
        return out;
      };
      const ours = await run(c2.port, fileA);
      const theirs = await run(r2.port, fileB);
      assert.deepEqual(ours.map(normalizeRules), theirs.map(normalizeRules));
    } finally {
      await c2.close();
      await r2.close();
      rmSync(dir, { recursive: true, force: true });
    }
    await same(`
      ACL LOAD
      ACL SAVE
    `);
  });

  test('a node whose aclfile cannot be loaded does not start (redis-server exits)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'corral-acl-'));
    try {
      const bad = join(dir, 'bad.acl');
      writeFileSync(bad, 'user default on nopass ~* +@all\nuser dave on +nosuch\n');
      await assert.rejects(startCorral({ aclfile: bad }), /^Error: Aborting startup because of ACL errors: .*nosuch/);
      await assert.rejects(startCorral({ aclfile: join(dir, 'missing.acl') }), /Aborting startup because of ACL errors: Error loading ACLs, opening file/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// Redis's unit/acl-v2.tcl key-permission cases (that unit needs a server it starts itself, so
// it runs here, against both servers). MIGRATE is left out: corral has no MIGRATE.
describe('DRYRUN key permissions by key specs match redis 7.0 (acl-v2.tcl)', () => {
  test('odd commands, existence and cardinality commands, SET and BITFIELD flags, shard channels', async () => {
    const dry = (...args: string[]): Cmd => ['ACL', 'DRYRUN', 'command-test', ...args];
    const cmds: Cmd[] = [
      ['ACL', 'DELUSER', 'command-test', 'test-channels'],
      ['ACL', 'SETUSER', 'command-test', '+@all', '%R~read*', '%W~write*', '%RW~rw*'],
      dry('SORT', 'read', 'STORE', 'write'),
      dry('SORT', 'read', 'STORE', 'read'),
      dry('SORT', 'write', 'STORE', 'write'),
      dry('SORT', 'read', 'BY', 'x', 'GET', 'y', 'LIMIT', '0', '1', 'STORE', 'write'),
      dry('SORT', 'read', 'STORE', 'write', 'STORE', 'read'),
      dry('SORT_RO', 'read', 'BY', 'write'),
      dry('EVAL', '', '1', 'rw1'),
      dry('EVAL', '', '1', 'read'),
      dry('EVAL_RO', '', '1', 'rw1'),
      dry('EVAL_RO', '', '1', 'read'),
      dry('EVAL', '', '0', 'read'),
      dry('EVAL', '', '-1', 'read'),
      dry('EVAL', '', '3', 'rw', 'rw'),
      dry('EVAL', '', '3', 'rw', 'read'),
      dry('GEORADIUS', 'read', 'longitude', 'latitude', 'radius', 'M', 'STOREDIST', 'write'),
      dry('GEORADIUS', 'read', 'longitude', 'latitude', 'radius', 'M'),
      dry('GEORADIUS', 'read1', 'longitude', 'latitude', 'radius', 'M', 'STOREDIST', 'read2'),
      dry('GEORADIUS', 'write1', 'longitude', 'latitude', 'radius', 'M', 'STOREDIST', 'write2'),
      dry('GEORADIUS', 'read', 'longitude', 'latitude', 'radius', 'M', 'STORE', 'write'),
      dry('GEORADIUS', 'read1', 'longitude', 'latitude', 'radius', 'M', 'STORE', 'read2'),
      dry('GEORADIUS', 'write1', 'longitude', 'latitude', 'radius', 'M', 'STORE', 'write2'),
      dry('SET', 'read', 'x'),
      dry('SET', 'write', 'x'),
      dry('SET', 'write', 'x', 'GET'),
      dry('SET', 'rw', 'x', 'get'),
      dry('BITFIELD', 'read', 'GET', 'u8', '0'),
      dry('BITFIELD', 'read', 'SET', 'u8', '0', '1'),
      dry('BITFIELD', 'write', 'SET', 'u8', '0', '1'),
      dry('BITFIELD', 'write', 'OVERFLOW', 'SAT', 'GET', 'u8', '0'),
      dry('BITFIELD', 'rw', 'INCRBY', 'u8', '0', '1'),
      dry('BITFIELD_RO', 'read', 'GET', 'u8', '0'),
      dry('LMOVE', 'read', 'write', 'LEFT', 'RIGHT'),
      dry('LMOVE', 'rw', 'read', 'LEFT', 'RIGHT'),
      dry('RENAME', 'rw', 'write'),
      dry('COPY', 'read', 'write'),
      dry('DEL', 'write', 'read'),
      dry('ZUNIONSTORE', 'write', '2', 'read', 'read2'),
      dry('ZUNIONSTORE', 'write', '2', 'read', 'write2'),
      dry('XREAD', 'STREAMS', 'read', 'write', '0', '0'),
      dry('OBJECT', 'ENCODING', 'write'),
      dry('MEMORY', 'USAGE', 'nothing'),
      dry('SET', 'v'),
      dry('SET'),
      ...['HEXISTS', 'HSTRLEN', 'SISMEMBER'].flatMap((c) => ['read', 'write', 'nothing'].map((k) => dry(c, k, 'foo'))),
      ...['SINTERCARD', 'ZINTERCARD'].flatMap((c) => ['read', 'write', 'nothing'].map((k) => dry(c, '2', k, 'read'))),
      ...['PFCOUNT'].flatMap((c) => ['read', 'write', 'nothing'].map((k) => dry(c, k, 'read'))),
      ...['ZCOUNT'].flatMap((c) => ['read', 'write', 'nothing'].map((k) => dry(c, k, '0', '1'))),
      ...['TOUCH', 'EXISTS', 'TYPE', 'STRLEN', 'HLEN', 'LLEN', 'SCARD', 'ZCARD', 'XLEN'].flatMap((c) => ['read', 'write', 'rw', 'nothing'].map((k) => dry(c, k))),
      ['ACL', 'SETUSER', 'test-channels', '+@all', 'resetchannels', '&channel'],
      ['ACL', 'DRYRUN', 'test-channels', 'spublish', 'channel', 'foo'],
      ['ACL', 'DRYRUN', 'test-channels', 'ssubscribe', 'channel'],
      ['ACL', 'DRYRUN', 'test-channels', 'sunsubscribe'],
      ['ACL', 'DRYRUN', 'test-channels', 'sunsubscribe', 'otherchannel'],
      ['ACL', 'DRYRUN', 'test-channels', 'spublish', 'otherchannel', 'foo'],
      ['ACL', 'DRYRUN', 'test-channels', 'ssubscribe', 'otherchannel', 'foo'],
      ['ACL', 'DRYRUN', 'test-channels', 'psubscribe', 'chan*'],
      ['ACL', 'DELUSER', 'command-test', 'test-channels'],
    ];
    await sameWith(cmds);
  });
});

// Redis's unit/acl.tcl cases about connections, run on both servers with the same outcome.
describe('connections follow the rules as in redis 7.0 (acl.tcl)', () => {
  /** Runs a scenario on each server; its results (strings) must be the same. */
  async function bothAgree(scenario: (port: number) => Promise<string[]>): Promise<void> {
    const ours = await scenario(corral.port);
    const theirs = await scenario(redis.port);
    assert.deepEqual(ours, theirs);
  }

  const text = (r: unknown): string => JSON.stringify(r);

  test('subscribers are killed when a channel is revoked, pardoned when it is kept', async () => {
    await bothAgree(async (port) => {
      const admin = await RawConnection.connect(port);
      const out: string[] = [];
      const listed = async (name: string): Promise<boolean> => ((await admin.call('CLIENT', 'LIST')) as string).includes(`name=${name} `);
      const cases: Array<[string[], (c: RawConnection) => Promise<void>, string[]]> = [
        [['resetchannels', '&foo:1'], (c) => c.sendRaw('*2\r\n$9\r\nSUBSCRIBE\r\n$5\r\nfoo:1\r\n').then(() => undefined), ['resetchannels']],
        [['resetchannels', '&foo:1'], (c) => c.sendRaw('*2\r\n$10\r\nSSUBSCRIBE\r\n$5\r\nfoo:1\r\n').then(() => undefined), ['resetchannels']],
        [['resetchannels', '&bar:*'], (c) => c.sendRaw('*2\r\n$10\r\nPSUBSCRIBE\r\n$5\r\nbar:*\r\n').then(() => undefined), ['resetchannels']],
        [['allchannels'], (c) => c.sendRaw('*2\r\n$10\r\nPSUBSCRIBE\r\n$3\r\nfoo\r\n').then(() => undefined), ['resetchannels']],
        [['resetchannels', '&foo:1', '&bar:*'], (c) => c.sendRaw('*2\r\n$9\r\nSUBSCRIBE\r\n$5\r\nfoo:1\r\n').then(() => undefined), ['resetchannels', '&foo:1', '&bar:*', '&baz']],
        [['resetchannels', '&foo:1'], (c) => c.sendRaw('*2\r\n$9\r\nSUBSCRIBE\r\n$5\r\nfoo:1\r\n').then(() => undefined), ['allchannels']],
        [['resetchannels', '&foo:*'], (c) => c.sendRaw('*2\r\n$9\r\nSUBSCRIBE\r\n$5\r\nfoo:1\r\n').then(() => undefined), ['resetchannels', '&foo:1']],
      ];
      for (let i = 0; i < cases.length; i++) {
        const [rules, subscribe, revoke] = cases[i];
        await admin.call('ACL', 'SETUSER', 'psuser', 'reset', 'on', '>pspass', '+@all', ...rules);
        const c = await RawConnection.connect(port);
        await c.call('AUTH', 'psuser', 'pspass');
        await c.call('CLIENT', 'SETNAME', `sub${i}`);
        await subscribe(c);
        await admin.call('ACL', 'SETUSER', 'psuser', ...revoke);
        out.push(`${i} ${await listed(`sub${i}`)}`);
        c.close();
      }
      await admin.call('ACL', 'DELUSER', 'psuser');
      admin.close();
      return out;
    });
  });

  test('acllog-max-len caps the log; a disabled default user needs AUTH; HELLO AUTH works for others', async () => {
    await bothAgree(async (port) => {
      const admin = await RawConnection.connect(port);
      const out: string[] = [];
      await admin.call('ACL', 'SETUSER', 'limited', 'on', 'nopass', '+@all');
      const c = await RawConnection.connect(port);
      await c.call('ACL', 'LOG', 'RESET');
      await c.call('CONFIG', 'SET', 'acllog-max-len', '5');
      out.push(text(await c.call('AUTH', 'antirez', 'foo')));
      await c.call('AUTH', 'limited', 'x');
      for (let j = 0; j < 10; j++) out.push(text(await c.call('SET', `obj:${j}`, '123')));
      await c.call('AUTH', 'default', '');
      out.push(`log ${((await c.call('ACL', 'LOG')) as unknown[]).length}`);
      out.push(text(await c.call('CONFIG', 'GET', 'acllog-max-len')));
      await c.call('CONFIG', 'SET', 'acllog-max-len', '128');
      await admin.call('ACL', 'SETUSER', 'default', 'off');
      const fresh = await RawConnection.connect(port);
      out.push(text(await fresh.call('PING')));
      out.push(text(await fresh.call('AUTH', 'default', 'x')));
      out.push(text(await fresh.call('AUTH', 'limited', 'x')));
      out.push(text(await fresh.call('ACL', 'WHOAMI')));
      fresh.close();
      await admin.call('ACL', 'SETUSER', 'default', 'on', '-@all');
      const other = await RawConnection.connect(port);
      out.push(text(await other.call('GET', 'x')));
      out.push(text(await other.call('HELLO', '2', 'AUTH', 'limited', 'x')).replace(/"id",\d+/, '"id",ID'));
      out.push(text(await other.call('GET', 'x')));
      // The admin connection runs as the default user, now without commands: restore as "limited".
      out.push(text(await admin.call('ACL', 'SETUSER', 'default', 'nopass', '+@all')));
      out.push(text(await other.call('ACL', 'SETUSER', 'default', 'nopass', '+@all')));
      other.close();
      await admin.call('ACL', 'DELUSER', 'limited');
      admin.close();
      c.close();
      return out;
    });
  });

  test('acl-pubsub-default: new users and reset take it; existing users keep their channels', async () => {
    await same(`
      ACL DELUSER mydefault onechannel
      CONFIG GET acl-pubsub-default
      CONFIG SET acl-pubsub-default allchannels
      ACL SETUSER mydefault
      ACL GETUSER mydefault
      ACL SETUSER onechannel &test
      ACL SETUSER onechannel (~x +get)
      ACL SETUSER onechannel reset
      ACL LIST
      CONFIG SET acl-pubsub-default resetchannels
      ACL GETUSER mydefault
      ACL SETUSER mydefault reset
      ACL GETUSER mydefault
      ACL SETUSER onechannel &test
      ACL GETUSER onechannel
      CONFIG SET acl-pubsub-default nope
      ACL DELUSER mydefault onechannel
    `);
  });
});

describe('secrets stay out of the SLOWLOG as in redis 7.0', () => {
  test('AUTH, HELLO AUTH, ACL SETUSER and CONFIG SET requirepass arguments are redacted', async () => {
    const argsOf = async (port: number): Promise<unknown[]> => {
      const c = await RawConnection.connect(port);
      await c.call('CONFIG', 'SET', 'slowlog-log-slower-than', '0');
      await c.call('SLOWLOG', 'RESET');
      await c.call('ACL', 'SETUSER', 'sl', 'on', '>secret', '+@all');
      await c.call('AUTH', 'sl', 'secret');
      await c.call('AUTH', 'secret');
      await c.call('AUTH', 'a', 'b', 'c');
      await c.call('HELLO', '2', 'SETNAME', 'n', 'AUTH', 'sl', 'secret');
      await c.call('HELLO', '9', 'AUTH', 'sl', 'secret');
      await c.call('CONFIG', 'SET', 'requirepass', '');
      const entries = (await c.call('SLOWLOG', 'GET', '20')) as unknown[][];
      await c.call('CONFIG', 'SET', 'slowlog-log-slower-than', '10000');
      await c.call('ACL', 'DELUSER', 'sl');
      c.close();
      return entries.map((e) => e[3]);
    };
    assert.deepEqual(await argsOf(corral.port), await argsOf(redis.port));
  });
});
