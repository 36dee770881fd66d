// The HTTP side of metrics: a node's `/metrics` endpoint on its metrics-port (started by
// `corral server` next to the node), and the small HTTP server both it and `corral up`'s
// aggregated endpoint use. GET /metrics only; anything else is 404.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { CorralNode } from '../server/node.js';
import { createNodeRegistry } from './node-metrics.js';

export interface MetricsServer {
  readonly port: number;
  close(): Promise<void>;
}

/** The Prometheus text format's content type (version 0.0.4), as prom-client writes it. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** Serves `render()` at GET /metrics on host:port (port 0: an ephemeral one). */
export async function serveMetrics(host: string, port: number, render: () => Promise<string>, contentType = PROMETHEUS_CONTENT_TYPE): Promise<MetricsServer> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' || path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: GET /metrics\n');
      return;
    }
    render().then(
      (text) => res.writeHead(200, { 'content-type': contentType }).end(text),
      (err: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${err.message}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Starts the node's /metrics endpoint if its metrics-port is set (else null), on the first
 * address of its bind list, as the node's own listener. `portOverride` replaces the configured port (0: an ephemeral one).
 */
export async function serveNodeMetrics(node: CorralNode, portOverride?: number): Promise<(MetricsServer & { registry: Registry }) | null> {
  const port = portOverride ?? node.config.int('metrics-port');
  if (portOverride === undefined && port === 0) return null;
  // The node's own listener address (server/listeners.ts: the first of the bind list).
  const host = node.config.str('bind').split(' ')[0];
  const registry = createNodeRegistry(node);
  const server = await serveMetrics(host, port, () => registry.metrics(), registry.contentType);
  return { ...server, registry };
}
