// Unit tests: `corral cluster`'s credential flags (node-call.ts) and `corral up`'s printed
// connect flags (up.ts connectFlags).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { linkSecurityFromFlags } from './node-call.js';
import { connectFlags } from './up.js';

test('flags and $CORRAL_PASSWORD become the LinkSecurity', () => {
  assert.deepEqual(linkSecurityFromFlags({}, {}), {});
  assert.deepEqual(linkSecurityFromFlags({ password: 'pw' }, {}), { password: 'pw' });
  assert.deepEqual(linkSecurityFromFlags({ user: 'ops', password: 'pw' }, {}), { user: 'ops', password: 'pw' });
  assert.deepEqual(linkSecurityFromFlags({ user: 'ops' }, {}), {}, 'a user without a password sends no AUTH');
  assert.deepEqual(linkSecurityFromFlags({}, { CORRAL_PASSWORD: 'env' }), { password: 'env' });
  assert.deepEqual(linkSecurityFromFlags({ password: 'flag' }, { CORRAL_PASSWORD: 'env' }), { password: 'flag' });
  const dir = mkdtempSync(join(tmpdir(), 'corral-node-call-'));
  try {
    writeFileSync(join(dir, 'ca.crt'), 'CA');
    const sec = linkSecurityFromFlags({ tls: true, cacert: join(dir, 'ca.crt') }, {});
    assert.equal(sec.tls?.ca?.toString(), 'CA');
    assert.equal(sec.tls?.cert, undefined);
    assert.equal(sec.tls?.rejectUnauthorized, true);
    assert.equal(linkSecurityFromFlags({ tls: true }, {}).tls?.ca, undefined, '--tls alone: the system CAs');
    assert.throws(() => linkSecurityFromFlags({ tls: true, cacert: join(dir, 'missing.crt') }, {}), /ENOENT/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('corral up prints the flags redis-cli and corral cluster need', () => {
  assert.deepEqual(connectFlags(undefined, undefined), { cli: '', corral: '' });
  assert.deepEqual(connectFlags('s3cret', undefined), { cli: ' -a s3cret --no-auth-warning', corral: ' --password s3cret' });
  assert.deepEqual(connectFlags("it's", undefined).cli, " -a 'it'\\''s' --no-auth-warning");
  const tls = { caCert: '/t/ca.crt', serverCert: '/t/server.crt', serverKey: '/t/server.key', clientCert: '/t/client.crt', clientKey: '/t/client.key' };
  assert.deepEqual(connectFlags(undefined, tls), {
    cli: ' --tls --cacert /t/ca.crt --cert /t/client.crt --key /t/client.key',
    corral: ' --tls --cacert /t/ca.crt --cert /t/client.crt --key /t/client.key',
  });
  assert.equal(connectFlags('pw', { ...tls, authClients: 'no' }).cli, ' --tls --cacert /t/ca.crt -a pw --no-auth-warning');
});
