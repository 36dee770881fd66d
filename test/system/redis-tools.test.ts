// Redis's own tools against corral: redis-cli (same output as against a real redis-server for
// the deterministic commands) and redis-benchmark (must finish with no error or warning).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startCorral, startRedis, type Started, type StartedCorral } from '../support/servers.js';

const run = promisify(execFile);

let corral: StartedCorral;
let redis: Started;

before(async () => {
  [corral, redis] = await Promise.all([startCorral(), startRedis()]);
});

after(async () => {
  await Promise.all([corral?.close(), redis?.close()]);
});

async function cli(port: number, ...args: string[]): Promise<{ stdout: string; stderr: string }> {
  const { stdout, stderr } = await run('redis-cli', ['-p', String(port), ...args], { timeout: 10_000 });
  return { stdout, stderr };
}

/** The same redis-cli invocation against both servers: identical output. */
async function sameCli(...args: string[]): Promise<string> {
  const [ours, theirs] = await Promise.all([cli(corral.port, ...args), cli(redis.port, ...args)]);
  assert.deepEqual(ours, theirs, `redis-cli ${args.join(' ')}`);
  return ours.stdout;
}

test('redis-cli: ping, set/get, ttl, errors print as with redis-server', async () => {
  assert.equal(await sameCli('ping'), 'PONG\n');
  assert.equal(await sameCli('set', 'tools:k', 'v'), 'OK\n');
  assert.equal(await sameCli('get', 'tools:k'), 'v\n');
  assert.equal(await sameCli('--no-raw', 'ttl', 'tools:k'), '(integer) -1\n');
  assert.equal(await sameCli('--no-raw', 'ttl', 'tools:nosuch'), '(integer) -2\n');
  assert.equal(await sameCli('--no-raw', 'get', 'tools:nosuch'), '(nil)\n');
  assert.equal(await sameCli('sett', 'a', 'b'), "ERR unknown command 'sett', with args beginning with: 'a' 'b' \n\n");
  assert.equal(await sameCli('--no-raw', 'client', 'setname', 'a b'), '(error) ERR Client names cannot contain spaces, newlines or special characters.\n');
  assert.equal(await sameCli('--no-raw', 'config', 'get', 'appendonly'), '1) "appendonly"\n2) "no"\n');
  assert.equal(await sameCli('-3', '--no-raw', 'config', 'get', 'save'), '1# "save" => ""\n');
  await sameCli('--no-raw', 'command', 'info', 'get');
});

test('redis-cli: info', async () => {
  const { stdout, stderr } = await cli(corral.port, 'info');
  assert.equal(stderr, '');
  assert.match(stdout, /^# Server\r?\nredis_version:7\.0\.15\r?\n/);
  assert.match(stdout, /\r?\n# Keyspace\r?\n/);
  const { stdout: server } = await cli(corral.port, 'info', 'server');
  assert.doesNotMatch(server, /# Clients/);
});

test('redis-benchmark: get,set,incr,mset with no error or warning', async () => {
  const { stdout, stderr } = await run(
    'redis-benchmark',
    ['-p', String(corral.port), '-q', '-n', '2000', '-t', 'get,set,incr,mset'],
    { timeout: 60_000 },
  );
  const out = `${stdout}\n${stderr}`;
  assert.doesNotMatch(out, /ERR|WARNING|error/i, out);
  for (const name of ['SET', 'GET', 'INCR', 'MSET \\(10 keys\\)']) {
    assert.match(out, new RegExp(`(^|\\r|\\n)${name}: [\\d.]+ requests per second`), `${name} line in:\n${out}`);
  }
});
