#!/usr/bin/env node
// The `corral` command: `corral server` runs one node (options as flags or a Redis-style config
// file), `corral up` a whole local cluster (one node process per shard), `corral ring` shows how
// the consistent-hash ring places slots, `corral demo flash-sale` runs the stampede demo.

import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { CorralNode } from '../server/node.js';
import { ConfigError, PARAMS, parseConfigFile } from '../server/config.js';
import { runUp } from './up.js';
import { ringReport } from '../cluster/ring-report.js';
import { FLASH_SALE_FLAGS, runFlashSaleDemo } from '../demo/index.js';

const program = new Command();
program.name('corral').description('A distributed in-memory cache that speaks the Redis protocol').version('0.1.0');

const server = program
  .command('server')
  .description('run one cache node')
  .argument('[config-file]', "a config file of Redis-style 'name value' lines")
  .allowExcessArguments(false);
for (const p of PARAMS) {
  server.option(`--${p.name} <value>`, `${p.name} (default: ${p.kind === 'bool' ? (p.default ? 'yes' : 'no') : JSON.stringify(p.default)})`);
}
server.action(async (configFile: string | undefined, opts: Record<string, string>) => {
  const config: Record<string, string> = { port: '7379' };
  try {
    if (configFile !== undefined) Object.assign(config, parseConfigFile(readFileSync(configFile, 'utf8')));
    for (const p of PARAMS) {
      const v = opts[camel(p.name)];
      if (v !== undefined) config[p.name] = v;
    }
    const node = new CorralNode({ config, log: (line) => console.log(line) });
    const port = await node.listen();
    console.log(`corral node listening on ${node.config.str('bind')}:${port} (pid ${process.pid}); connect with: redis-cli${node.cluster !== null ? " -c" : ""} -p ${port}`);
    const stop = (signal: string) => {
      console.log(`${signal} received: shutting down`);
      void node.close().then(() => process.exit(0));
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
    await node.stopped;
    process.exit(0);
  } catch (err) {
    const message = err instanceof ConfigError || (err as NodeJS.ErrnoException).code !== undefined ? (err as Error).message : String(err);
    console.error(`corral: ${message}`);
    process.exit(1);
  }
});

program
  .command('up')
  .description('run a local cluster: one node process per shard on consecutive ports')
  .option('--shards <n>', 'number of shards (one node each)', '3')
  .option('--port <port>', 'port of the first node', '7000')
  .option('--bind <address>', 'address every node listens on', '127.0.0.1')
  .option('--maxmemory <bytes>', 'memory limit of each node (e.g. 100mb)')
  .option('--maxmemory-policy <policy>', 'eviction policy of each node')
  .option('--vnodes <k>', 'virtual nodes per shard on the ring')
  .allowExcessArguments(false)
  .action(async (opts: Record<string, string | undefined>) => {
    process.exitCode = await runUp(opts);
  });

program
  .command('ring')
  .description('show slot balance and how many slots and keys move when a shard is added, beside hash % N')
  .option('--shards <n>', 'number of shards', '3')
  .option('--vnodes <k>', 'virtual nodes per shard (default: the ring default)')
  .option('--keys <n>', 'sample keys for the movement figures', '100000')
  .allowExcessArguments(false)
  .action((opts: { shards: string; vnodes?: string; keys: string }) => {
    const shards = positiveInt(opts.shards, '--shards');
    const vnodes = opts.vnodes === undefined ? undefined : positiveInt(opts.vnodes, '--vnodes');
    console.log(ringReport({ shards, vnodes, sampleKeys: positiveInt(opts.keys, '--keys') }));
  });

const demo = program.command('demo').description('demos that run against a local cluster');
const flashSale = demo
  .command('flash-sale')
  .description('a hot product expiring under load: naive cache-aside vs the SDK, against a real SQL database (PGlite, or PostgreSQL with DATABASE_URL)')
  .allowExcessArguments(false);
for (const f of FLASH_SALE_FLAGS) flashSale.option(f.flags, f.description);
flashSale.action(async (opts: Record<string, string | boolean | undefined>) => {
  process.exitCode = await runFlashSaleDemo(opts);
});

function positiveInt(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`corral: ${flag} must be a positive integer`);
    process.exit(1);
  }
  return n;
}

function camel(name: string): string {
  return name.replace(/-([a-z])/g, (_, ch: string) => ch.toUpperCase());
}

await program.parseAsync(process.argv);
