#!/usr/bin/env node
// The `corral` command: `corral server` runs one node (options as flags or a Redis-style config
// file). Later subcommands (up, ring, demo) hang off the same program.

import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { CorralNode } from '../server/node.js';
import { ConfigError, PARAMS, parseConfigFile } from '../server/config.js';

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
    console.log(`corral node listening on ${node.config.str('bind')}:${port} (pid ${process.pid}); connect with: redis-cli -p ${port}`);
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

function camel(name: string): string {
  return name.replace(/-([a-z])/g, (_, ch: string) => ch.toUpperCase());
}

await program.parseAsync(process.argv);
