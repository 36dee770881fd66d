// The dashboard's web server (node:http, no framework): GET / is the page (page.ts, everything
// inline, nothing from a CDN), GET /events a Server-Sent Events stream (an `init` message with the
// history, the timeline and the current snapshot, then one `tick` message per poll), GET
// /api/state the current snapshot as JSON. Bound to 127.0.0.1 unless told otherwise: the page
// shows the cluster's addresses and keys and has no authentication of its own.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Collector, type CollectorOptions, type Tick } from './collector.js';
import { DASHBOARD_HTML } from './page.js';

export interface DashboardOptions extends CollectorOptions {
  /** 0: any free port. */
  port: number;
  host?: string;
}

export interface Dashboard {
  port: number;
  url: string;
  collector: Collector;
  close(): Promise<void>;
}

// The page loads nothing from elsewhere; the policy makes sure of it.
const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'content-security-policy': "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:",
  'x-content-type-options': 'nosniff',
};

/** Starts the collector and serves the dashboard; rejects when the port cannot be bound. */
export async function startDashboard(opts: DashboardOptions): Promise<Dashboard> {
  const collector = new Collector(opts);
  const streams = new Set<http.ServerResponse>();
  const send = (res: http.ServerResponse, event: string, data: unknown): void => {
    res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  collector.onTick((t: Tick) => {
    for (const res of streams) send(res, 'tick', t);
  });

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://dashboard');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    switch (url.pathname) {
      case '/':
      case '/index.html':
        res.writeHead(200, PAGE_HEADERS).end(DASHBOARD_HTML);
        return;
      case '/events':
        res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
        res.write('retry: 2000\n\n');
        send(res, 'init', { points: collector.points, events: collector.events, state: collector.state });
        streams.add(res);
        req.socket.setNoDelay(true);
        res.once('close', () => streams.delete(res));
        return;
      case '/api/state':
        res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(collector.state));
        return;
      case '/favicon.ico':
        res.writeHead(204).end();
        return;
      default:
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  collector.start();
  const port = (server.address() as AddressInfo).port;
  const host = opts.host ?? '127.0.0.1';
  const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return {
    port,
    url: `http://${shown}:${port}/`,
    collector,
    close: async () => {
      collector.stop();
      for (const res of streams) res.end();
      streams.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
