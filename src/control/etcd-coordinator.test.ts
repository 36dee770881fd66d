// Unit tests: etcd credentials carried in the coordinator setting's endpoints (etcdEndpoints).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { etcdEndpoints } from './etcd-coordinator.js';

test('user:password@ in an endpoint becomes etcd auth, and leaves the endpoints', () => {
  assert.deepEqual(etcdEndpoints('http://127.0.0.1:2379'), { endpoints: ['http://127.0.0.1:2379'] });
  assert.deepEqual(etcdEndpoints(' http://a:2379 , http://b:2379 '), { endpoints: ['http://a:2379', 'http://b:2379'] });
  assert.deepEqual(etcdEndpoints('http://corral:p%40ss@a:2379,http://b:2379'), {
    endpoints: ['http://a:2379', 'http://b:2379'],
    auth: { username: 'corral', password: 'p@ss' },
  });
  assert.deepEqual(etcdEndpoints('https://u:p@[::1]:2379'), { endpoints: ['https://[::1]:2379'], auth: { username: 'u', password: 'p' } });
});
