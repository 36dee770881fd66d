// Byte-for-byte comparison with a real redis-server 7.0.15, in RESP2 and RESP3, of ACL users
// and their enforcement: ACL SETUSER / GETUSER / LIST rendering for many rule strings (the
// canonical form and its command-rule compaction), errors for bad rules, AUTH and HELLO AUTH,
// requirepass as the default user's password, NOPERM replies for commands, subcommands, first
// arguments, keys (read/write patterns) and channels, selectors, MULTI/EXEC, and scripts
// (redis.call and redis.acl_check_cmd). ACL CAT, DRYRUN, LOG, LOAD/SAVE and disconnections are
// in compat-acl-admin.test.ts.
//
// Redis walks its command table in a per-process random order, so where a rule string names
// several single commands ("+get +set") their order differs between runs: such runs of single
// command rules are sorted on both sides before comparing (support/acl-compare.ts).

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { RawConnection, startCorral, startRedis, type Started, type StartedCorral } from '../support/servers.js';
import { showBytes, splitCommands as split, type Cmd } from '../support/compare.js';
import { aclComparer, normalizeRules } from '../support/acl-compare.js';

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

describe('ACL SETUSER, GETUSER and LIST render users as redis 7.0', () => {
  test('flags, passwords, keys, channels, commands and selectors', async () => {
    await same(`
      ACL DELUSER r1 r2 r3 r4 r5 r6 r7 r8 r9 r10 r11 r12
      ACL SETUSER r1
      ACL GETUSER r1
      ACL SETUSER r2 reset
      ACL GETUSER r2
      ACL SETUSER r3 on >secret >other <other nopass resetpass >again #e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
      ACL GETUSER r3
      ACL SETUSER r4 ~a* %R~b* %W~c* %RW~d* ~b* %r~e &ch1 &ch* allchannels
      ACL GETUSER r4
      ACL SETUSER r5 +@all -@dangerous -@admin +config|get +client|getname
      ACL GETUSER r5
      ACL SETUSER r6 -@all +@read -get +select|0 +select|1 +debug|object
      ACL GETUSER r6
      ACL SETUSER r7 +@hash +@list -lpush +@string allkeys allcommands
      ACL GETUSER r7
      ACL SETUSER r8 nocommands +config -config|set +acl|whoami
      ACL GETUSER r8
      ACL SETUSER r9 on (~x* +get) (%R~y* &news +@read) ~z*
      ACL GETUSER r9
      ACL SETUSER r9 clearselectors
      ACL GETUSER r9
      ACL SETUSER r10 skip-sanitize-payload +@all -@slow
      ACL GETUSER r10
      ACL SETUSER r11 +@all -@write -@read
      ACL GETUSER r11
      ACL SETUSER r12 -@all +@pubsub +@connection +@transaction +@scripting +@fast -@keyspace +@geo +@stream +@bitmap
      ACL GETUSER r12
      ACL SETUSER r12 ON OFF resetkeys ~k1 ~k2 resetkeys RESETCHANNELS &c +GET
      ACL GETUSER r12
      ACL GETUSER default
      ACL GETUSER nosuchuser
      ACL LIST
      ACL USERS
      ACL DELUSER r1 r2 r3 r4 r5 r6 r7 r8 r9 r10 r11 r12 nosuchuser
      ACL USERS
    `);
  });

  test('selectors spread over arguments, quoted, and from one argument', async () => {
    await sameWith([
      ['ACL', 'DELUSER', 's1'],
      ['ACL', 'SETUSER', 's1', '(~a*', '+get', '&c)', '(%R~"b*" +set)'],
      ['ACL', 'GETUSER', 's1'],
      ['ACL', 'SETUSER', 's1', '(', ')'],
      ['ACL', 'LIST'],
      ['ACL', 'DELUSER', 's1'],
    ]);
  });

  test('errors for bad rules, and nothing applied when one fails', async () => {
    await same(`
      ACL DELUSER e1
      ACL SETUSER e1 on >p +nosuchcommand
      ACL GETUSER e1
      ACL SETUSER e1 +@nosuchcategory
      ACL SETUSER e1 #abc
      ACL SETUSER e1 !0000
      ACL SETUSER e1 <never
      ACL SETUSER e1 ~* ~a
      ACL SETUSER e1 &* &a
      ACL SETUSER e1 +config|get|x
      ACL SETUSER e1 +get|
      ACL SETUSER e1 %X~a
      ACL SETUSER e1 %RR~a
      ACL SETUSER e1 whatever
      ACL SETUSER e1 (~a +nosuch)
      ACL SETUSER e1 (~a +get
      ACL SETUSER e1 -get|x
      ACL GETUSER e1
      ACL SETUSER e1 on
      ACL SETUSER e1 <never
      ACL SETUSER e1 !0000000000000000000000000000000000000000000000000000000000000000
      ACL DELUSER default
      ACL DELUSER e1 default
      ACL GETUSER e1
      ACL DELUSER e1
    `);
    await sameWith([['ACL', 'SETUSER', 'has space', 'on'], ['ACL', 'SETUSER', 'x', '~a b']]);
  });
});

describe('authentication and permissions match redis 7.0', () => {
  test('AUTH, HELLO AUTH, WHOAMI, CLIENT LIST user=', async () => {
    await same(`
      ACL DELUSER a1 a2
      AUTH onlypass
      ACL SETUSER a1 on >pw +@all ~*
      ACL SETUSER a2 off >pw +@all ~*
      AUTH a1 wrong
      AUTH a2 pw
      AUTH nosuch pw
      AUTH a1 pw
      ACL WHOAMI
      AUTH a1 pw extra
      HELLO 3 AUTH a2 pw
      HELLO 2 AUTH a1 pw SETNAME n
      ACL WHOAMI
      RESET
      ACL WHOAMI
      ACL DELUSER a1 a2
    `);
  });

  test('NOPERM for commands, subcommands, first args, keys and channels', async () => {
    await same(`
      ACL DELUSER p1
      ACL SETUSER p1 on >pw ~k* %R~r* %W~w* &news* +@read +@write +publish +subscribe +psubscribe -hget +select|0 +config|get +client|getname
      AUTH p1 pw
      GET k1
      GET zz
      HGET k1 f
      SET r1 x
      GET r1
      SET w1 x
      SET w1 x GET
      GET w1
      BITFIELD r1 GET u8 0
      BITFIELD r1 SET u8 0 1
      MSET k1 a r2 b
      MSET k1 a k2 b
      COPY k1 w2
      COPY k1 r2
      PUBLISH news1 x
      PUBLISH other x
      SELECT 0
      SELECT 1
      CONFIG GET maxmemory
      CONFIG SET maxmemory 0
      CLIENT GETNAME
      CLIENT SETNAME x
      ACL WHOAMI
      PING
      MULTI
      SUBSCRIBE news1 other
      PSUBSCRIBE news* other*
      PSUBSCRIBE news1
    `);
  });

  test('selectors: any selector allowing all of the call runs it', async () => {
    await same(`
      ACL DELUSER p2
      ACL SETUSER p2 on nopass ~a* +get (~b* +set) (%R~c* +@string)
      AUTH p2 x
      GET a1
      GET b1
      SET b1 x
      SET a1 x
      GET c1
      SET c1 x
      APPEND b1 x
      MGET a1 b1
    `);
  });

  test('SORT BY and GET need a user that may read every key', async () => {
    await same(`
      ACL DELUSER p3 p4
      DEL l1
      RPUSH l1 2 1 3
      ACL SETUSER p3 on nopass ~l* +@all
      ACL SETUSER p4 on nopass %R~* ~l* +@all
      AUTH p3 x
      SORT l1
      SORT l1 BY nosort
      SORT l1 BY w_*
      SORT l1 GET #
      SORT_RO l1 GET o_*
      AUTH p4 x
      SORT l1 BY w_* GET #
      SORT_RO l1 GET o_*
    `);
  });

  test('MULTI queues NOPERM errors; EXEC rechecks rules changed since', async () => {
    await same(`
      ACL DELUSER m1
      ACL SETUSER m1 on nopass ~* +@all -hget
      AUTH m1 x
      MULTI
      SET a 1
      HGET h f
      EXEC
      MULTI
      SET a 1
      ACL SETUSER m1 -set
      EXEC
      MULTI
      GET a
      SET a 2
      EXEC
      ACL SETUSER m1 +acl
      ACL DELUSER m1
    `);
  });

  test('scripts: redis.call of a denied command, redis.acl_check_cmd', async () => {
    const evalCmd = (script: string, ...rest: string[]): Cmd => ['EVAL', script, ...rest];
    await sameWith([
      ['ACL', 'DELUSER', 'bob'],
      ['ACL', 'SETUSER', 'bob', 'on', '>123', '+@scripting', '+set', '~x*'],
      ['AUTH', 'bob', '123'],
      evalCmd("return redis.acl_check_cmd('set','xx',1)", '1', 'xx'),
      evalCmd("return redis.acl_check_cmd('hset','xx','f',1)", '1', 'xx'),
      evalCmd("return redis.acl_check_cmd('set','yy',1)", '0'),
      evalCmd("return redis.acl_check_cmd('invalid-cmd','arg')", '0'),
      evalCmd("return redis.call('set','xx',1)", '1', 'xx'),
      evalCmd("return redis.call('get','xx')", '1', 'xx'),
      evalCmd("return redis.call('set','yy',1)", '0'),
      evalCmd("return redis.pcall('get','xx')", '1', 'xx'),
      evalCmd("return redis.call('set','xx',1)", '1', 'yy'),
      ['AUTH', 'default', 'x'],
      ['ACL', 'DELUSER', 'bob'],
    ]);
  });

  test('requirepass is the default user password', async () => {
    const cmds: Cmd[] = split(`
      CONFIG SET requirepass pw1
      ACL LIST
      AUTH pw1
      AUTH default pw1
      AUTH default nope
      CONFIG SET requirepass ""
      ACL GETUSER default
      AUTH x
    `).map((c) => c.map((a) => (a === '""' ? '' : a)));
    await sameWith(cmds, normalizeRules, [[]]);
    // A new connection needs AUTH while the default user has a password.
    for (const port of [corral.port, redis.port]) {
      const admin = await RawConnection.connect(port);
      await admin.call('ACL', 'SETUSER', 'default', '>pw2', 'resetpass', '>pw2');
      const fresh = await RawConnection.connect(port);
      assert.equal(showBytes(await fresh.callRaw('GET', 'x')), showBytes(Buffer.from('-NOAUTH Authentication required.\r\n')));
      assert.equal(showBytes(await fresh.callRaw('AUTH', 'pw2')), showBytes(Buffer.from('+OK\r\n')));
      assert.equal(showBytes(await admin.callRaw('ACL', 'SETUSER', 'default', 'nopass')), showBytes(Buffer.from('+OK\r\n')));
      fresh.close();
      admin.close();
    }
  });
});

