// Test support: a one-node Redis Cluster (redis-server --cluster-enabled, every slot added) and a
// one-node corral cluster (epoch 0, as a fresh Redis node given its slots by ADDSLOTS), for
// comparing cluster-mode replies byte for byte. Needs Debian's redis-server (system tests only).

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CorralNode } from '../../src/server/node.js';
import { planTopology } from '../../src/cluster/plan.js';
import { RawConnection, freePort } from './servers.js';

export interface OneNodeClusters {
  redisPort: number;
  corralPort: number;
  corral: CorralNode;
  close(): Promise<void>;
}

export async function startOneNodeClusters(name: string): Promise<OneNodeClusters> {
  const dir = mkdtempSync(path.join(tmpdir(), `corral-${name}-`));
  const redisPort = await freePort();
  const redis: ChildProcess = spawn(
    'redis-server',
    ['--port', String(redisPort), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-config-file', path.join(dir, 'nodes.conf'), '--save', '', '--appendonly', 'no', '--dir', dir],
    { stdio: 'ignore' },
  );
  for (let i = 0; ; i++) {
    try {
      const c = await RawConnection.connect(redisPort);
      await c.call('CLUSTER', 'ADDSLOTSRANGE', '0', '16383');
      for (let j = 0; !String(await c.call('CLUSTER', 'INFO')).startsWith('cluster_state:ok'); j++) {
        if (j > 200) throw new Error('redis cluster_state not ok');
        await new Promise((r) => setTimeout(r, 25));
      }
      c.close();
      break;
    } catch (err) {
      if (i > 100) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  const corral = new CorralNode({ config: { port: '0', 'cluster-enabled': 'yes' } });
  const corralPort = await corral.listen();
  corral.cluster!.apply(planTopology([{ nodes: [{ host: '127.0.0.1', port: corralPort }] }], { epoch: 0 }));
  return {
    redisPort,
    corralPort,
    corral,
    close: async () => {
      await corral.close();
      redis.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
