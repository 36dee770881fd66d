// A cluster on etcd, as an operator starts one across machines (here: processes on loopback and a
// real etcd from Debian's etcd-server): three `corral server --etcd ... --cluster NAME` nodes
// started one by one form the cluster (its first three members become primaries), then three more
// join as replicas;
// the controller's node is killed with kill -9 (another node takes over as controller and its
// shard fails over; restarted, it rejoins as a replica); etcd stopped (the cluster keeps serving
// with the topology it has) and started again (failovers work again).

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { EtcdServer } from '../support/etcd.js';
import { CORRAL_MAIN, callOnce, freeRun, nodeView, sleep, until } from '../support/corral-up.js';
import { RawConnection } from '../support/servers.js';

const procs = new Map<number, ChildProcess>();
const logs: string[] = [];
let etcd: EtcdServer | null = null;

after(async () => {
  for (const p of procs.values()) if (p.exitCode === null) p.kill('SIGKILL');
  await etcd?.remove();
});

function startNode(port: number, endpoint: string): ChildProcess {
  const child = spawn(process.execPath, [CORRAL_MAIN, 'server', '--port', String(port), '--etcd', endpoint, '--cluster', 'systest'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const tag = `[${port}] `;
  const keep = (d: Buffer): void => {
    for (const line of d.toString().split('\n')) if (line !== '') logs.push(tag + line);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  procs.set(port, child);
  return child;
}

async function controllerPort(ports: number[]): Promise<number> {
  for (const p of ports) {
    const r = await callOnce(p, 'CORRAL', 'CONTROL');
    if (Array.isArray(r)) {
      const i = r.indexOf('is_controller');
      if (r[i + 1] === '1') return p;
    }
  }
  return 0;
}

test('three nodes plus three replicas on etcd; the controller\'s node killed; etcd stopped and restarted', { timeout: 180_000 }, async () => {
  etcd = await EtcdServer.start();
  const base = await freeRun(6);
  const ports = Array.from({ length: 6 }, (_, i) => base + i);
  // The first three form the cluster (cluster-shards 3: the first three members to register
  // become primaries); the next three, started once it serves, join as replicas.
  for (const p of ports.slice(0, 3)) {
    startNode(p, etcd.endpoint);
    await sleep(300);
  }
  await until('the first three to form the cluster', async () => /cluster_state:ok/.test(String(await callOnce(base, 'CLUSTER', 'INFO'))), 30_000);
  for (const p of ports.slice(3)) {
    startNode(p, etcd.endpoint);
    await sleep(300);
  }
  const whole = async (): Promise<boolean> => {
    const v = await Promise.all(ports.map((p) => nodeView(p)));
    return v.filter((n) => n.role === 'master').length === 3 && v.filter((n) => n.role === 'slave' && n.linkUp).length === 3;
  };
  await until('3 primaries and 3 replicas in sync', whole, 30_000);
  const views = await Promise.all(ports.map((p) => nodeView(p)));
  assert.deepEqual(views.slice(0, 3).map((v) => v.role), ['master', 'master', 'master'], `the first three are primaries\n${logs.join('\n')}`);

  const client = await RawConnection.connect(base);
  const setOn = async (key: string, value: string): Promise<unknown> => {
    // Follow MOVED and retry CLUSTERDOWN by hand, as a cluster client does: this test checks the
    // nodes, not a client library.
    let port = base;
    let r: unknown = null;
    for (let i = 0; i < 40; i++) {
      r = await callOnce(port, 'SET', key, value);
      if (typeof r === 'object' && r !== null && 'error' in r) {
        const e = (r as { error: string }).error;
        if (/^MOVED /.test(e)) port = Number(e.split(':').pop());
        else if (/^CLUSTERDOWN/.test(e)) await sleep(50);
        else return r;
        continue;
      }
      if (r === null) {
        port = base + ((i + 1) % 6);
        continue;
      }
      return r;
    }
    return r;
  };
  for (let i = 0; i < 50; i++) assert.deepEqual(await setOn(`e${i}`, String(i)), { simple: 'OK' });

  // kill -9 of the controller's node.
  const ctl = await controllerPort(ports);
  assert.ok(ctl > 0, 'a controller was elected');
  const ctlView = await nodeView(ctl);
  procs.get(ctl)!.kill('SIGKILL');
  await until('another controller', async () => {
    const p = await controllerPort(ports.filter((x) => x !== ctl));
    return p > 0;
  }, 30_000);
  await until('three primaries again', async () => (await Promise.all(ports.filter((p) => p !== ctl).map((p) => nodeView(p)))).filter((v) => v.role === 'master').length === 3, 30_000);
  for (let i = 0; i < 50; i++) assert.deepEqual(await setOn(`e${i}`, `again${i}`), { simple: 'OK' });
  // Restarted, it rejoins as a replica.
  startNode(ctl, etcd.endpoint);
  await until('the killed node to rejoin as a replica', async () => {
    const v = await nodeView(ctl);
    return v.role === 'slave' && v.linkUp && v.pid !== ctlView.pid;
  }, 30_000);

  // etcd stopped: the cluster keeps serving with the topology it has.
  await etcd.stop();
  let ok = 0;
  for (let i = 0; i < 30; i++) {
    const r = await setOn(`down${i}`, String(i));
    if (typeof r === 'object' && r !== null && 'simple' in r) ok++;
    await sleep(50);
  }
  assert.ok(ok >= 28, `writes while etcd is down: ${ok} of 30`);
  const epochDown = await callOnce(base + 1, 'CLUSTER', 'INFO');
  // etcd back: a failover works again.
  await etcd.startAgain();
  await sleep(1000);
  const victim = (await Promise.all(ports.map((p) => nodeView(p)))).find((v) => v.role === 'master' && v.port !== (0))!;
  const victimCtl = await controllerPort(ports);
  const target = victim.port === victimCtl ? (await Promise.all(ports.map((p) => nodeView(p)))).filter((v) => v.role === 'master')[1] : victim;
  process.kill(target.pid, 'SIGKILL');
  await until('a failover after etcd came back', async () => (await Promise.all(ports.filter((p) => p !== target.port).map((p) => nodeView(p)))).filter((v) => v.role === 'master').length === 3, 30_000);
  assert.ok(epochDown !== null);
  client.close();
});
