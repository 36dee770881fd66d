// `corral dashboard --cluster HOST:PORT`: serves the web dashboard (src/dashboard) for any running
// cluster until Ctrl-C, connecting with the --user / --password / --tls flags of `corral
// cluster` (node-call.ts linkSecurityFromFlags). `corral up` starts the same dashboard itself.

import { startDashboard } from '../dashboard/server.js';
import { linkSecurityFromFlags, type LinkFlags } from './node-call.js';

export const DEFAULT_DASHBOARD_PORT = 7080;

export interface DashboardCliOptions extends LinkFlags {
  cluster: string;
  port?: string;
  bind?: string;
}

export async function runDashboard(opts: DashboardCliOptions): Promise<number> {
  const port = Number(opts.port ?? DEFAULT_DASHBOARD_PORT);
  let dashboard;
  try {
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error('--port is a port number');
    dashboard = await startDashboard({ entry: opts.cluster, port, host: opts.bind ?? '127.0.0.1', security: linkSecurityFromFlags(opts) });
  } catch (err) {
    console.error(`corral: ${(err as Error).message}`);
    return 1;
  }
  console.log(`dashboard: ${dashboard.url} (cluster ${opts.cluster}; Ctrl-C stops it)`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await dashboard.close();
  return 0;
}
