// The cache-aside SDK's Prometheus series: createCache({ metrics: registry }) registers them in
// the application's own prom-client Registry (docs/operations.md#metrics). Like the node's, they read
// the plain counters (cache.stats, the client's near-cache stats) at scrape time; the only
// per-event work is the loader-latency histogram, fed from the 'load' event (one per loader
// call, a database round trip, never per cache hit).
//
// prom-client stays optional for the library: this file imports it only for its types, and
// loads it (createRequire, synchronously) the first time a cache is given a registry. The
// registry may come from the application's own copy of prom-client: metrics register into it
// through its registerMetric(), and it reads them through their get() (tested with v15).
//
// Several caches may share one registry: each registry gets one set of series, labelled
// cache="<metricsName>", and every cache registered in it adds its label values.

import { createRequire } from 'node:module';
import type * as PromClient from 'prom-client';
import type { Cache } from './cache.js';
import type { CacheClient } from './options.js';
import type { ClientStats } from '../client/stats.js';

/** What `metrics` accepts: a prom-client Registry (any version with registerMetric). */
export interface MetricsRegistry {
  registerMetric(metric: never): void;
}

interface Member {
  cache: Cache;
  name: string;
  client: CacheClient;
}

interface RegistrySeries {
  members: Set<Member>;
  loadSeconds: PromClient.Histogram<'cache'>;
}

const byRegistry = new WeakMap<MetricsRegistry, RegistrySeries>();
let prom: typeof PromClient | null = null;

function promClient(): typeof PromClient {
  prom ??= createRequire(import.meta.url)('prom-client') as typeof PromClient;
  return prom;
}

/** Loader latency buckets, in seconds: 1 ms to 10 s. */
export const LOAD_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const BREAKER_STATES = ['closed', 'open', 'half-open'] as const;

function nearStats(client: CacheClient): ClientStats | null {
  const stats = (client as { stats?: ClientStats }).stats;
  return stats !== undefined && typeof stats.nearHits === 'number' && client.nearCache !== undefined && client.nearCache !== null ? stats : null;
}

function createSeries(registry: MetricsRegistry): RegistrySeries {
  const p = promClient();
  const registers = [registry as unknown as PromClient.Registry];
  const members = new Set<Member>();
  const counter = (name: string, help: string, read: (m: Member) => number): void => {
    new p.Counter({
      name,
      help,
      labelNames: ['cache'],
      registers,
      collect() {
        this.reset();
        for (const m of members) this.inc({ cache: m.name }, read(m));
      },
    });
  };
  const gauge = (name: string, help: string, labelNames: string[], read: (m: Member, set: (labels: Record<string, string>, v: number) => void) => void): void => {
    new p.Gauge({
      name,
      help,
      labelNames,
      registers,
      collect() {
        this.reset();
        for (const m of members) read(m, (labels, v) => this.set(labels, v));
      },
    });
  };
  counter('corral_cache_hits_total', 'getOrLoad/get calls served a fresh value from the cache.', (m) => m.cache.stats.hits);
  counter('corral_cache_misses_total', 'getOrLoad/get calls that found nothing usable in the cache.', (m) => m.cache.stats.misses);
  counter('corral_cache_loads_total', 'Loader calls (foreground, background and fail-open).', (m) => m.cache.stats.loads);
  counter('corral_cache_load_errors_total', 'Loader calls that threw or timed out.', (m) => m.cache.stats.loadErrors);
  counter('corral_cache_coalesced_total', 'getOrLoad calls that joined a load already in flight in this process.', (m) => m.cache.stats.joined);
  counter('corral_cache_lease_waits_total', "Calls that found another caller's lease and waited for its value.", (m) => m.cache.stats.leaseWaits);
  counter('corral_cache_wait_timeouts_total', 'Lease waits that ran out and loaded without a lease.', (m) => m.cache.stats.waitTimeouts);
  counter('corral_cache_stale_served_total', 'Stale values served (grace window, soft timeout, loader error).', (m) => m.cache.stats.staleServed);
  counter('corral_cache_background_refreshes_total', 'Background refreshes started (stale value served, XFetch, soft timeout).', (m) => m.cache.stats.backgroundRefreshes);
  counter('corral_cache_early_refreshes_total', 'XFetch early refreshes started.', (m) => m.cache.stats.earlyRefreshes);
  counter('corral_cache_sets_refused_total', 'Loaded values the node refused to store (lease voided by an invalidation).', (m) => m.cache.stats.setsRefused);
  counter('corral_cache_fail_open_loads_total', 'Loads that ran without the cache (breaker open or a cache command failed).', (m) => m.cache.stats.failOpenLoads);
  counter('corral_cache_bulkhead_rejected_total', 'Loads refused by the bulkhead (too many loads in flight).', (m) => m.cache.stats.bulkheadRejected);
  counter('corral_cache_breaker_opened_total', 'Times the circuit breaker opened.', (m) => m.cache.stats.breakerOpened);
  gauge('corral_cache_breaker_state', 'The circuit breaker: 1 on the series of its current state.', ['cache', 'state'], (m, set) => {
    for (const s of BREAKER_STATES) set({ cache: m.name, state: s }, m.cache.stats.breakerState === s ? 1 : 0);
  });
  gauge('corral_cache_bulkhead_active', 'Loads running now under the bulkhead.', ['cache'], (m, set) => set({ cache: m.name }, m.cache.bulkhead.active));
  gauge('corral_cache_bulkhead_queued', 'Loads waiting for a bulkhead slot.', ['cache'], (m, set) => set({ cache: m.name }, m.cache.bulkhead.queued));
  // The near-cache figures belong to the client; a cache over a client without one has none.
  counter('corral_cache_near_hits_total', "Reads served from the client's near-cache (in this process).", (m) => nearStats(m.client)?.nearHits ?? 0);
  counter('corral_cache_near_misses_total', 'Near-cache lookups that went to a node.', (m) => nearStats(m.client)?.nearMisses ?? 0);
  counter('corral_cache_near_invalidations_total', 'Near-cache invalidations received from the nodes.', (m) => nearStats(m.client)?.nearInvalidations ?? 0);
  gauge('corral_cache_near_entries', 'Entries held in the near-cache.', ['cache'], (m, set) => set({ cache: m.name }, nearStats(m.client)?.nearEntries ?? 0));
  gauge('corral_cache_near_bytes', 'Bytes held in the near-cache.', ['cache'], (m, set) => set({ cache: m.name }, nearStats(m.client)?.nearBytes ?? 0));
  // Frozen values (createCache's freeze; 0 without it).
  counter('corral_cache_frozen_reused_total', 'Hits that returned a value already decoded (freeze: true): a JSON.parse saved each.', (m) => m.cache.frozen?.reused ?? 0);
  gauge('corral_cache_frozen_entries', 'Frozen values kept for reuse (freeze: true).', ['cache'], (m, set) => set({ cache: m.name }, m.cache.frozen?.entries ?? 0));
  gauge('corral_cache_frozen_bytes', 'Stored bytes of the frozen values kept (freeze: true; at most freezeMaxBytes).', ['cache'], (m, set) => set({ cache: m.name }, m.cache.frozen?.bytes ?? 0));
  const loadSeconds = new p.Histogram({
    name: 'corral_cache_load_duration_seconds',
    help: 'Loader latency, in seconds (successful loads).',
    labelNames: ['cache'],
    buckets: LOAD_BUCKETS,
    registers,
  });
  return { members, loadSeconds };
}

/**
 * Registers `cache` in `registry` under cache="<name>"; returns the function that removes it
 * (Cache.close calls it). A name already registered in that registry is refused.
 */
export function registerCacheMetrics(cache: Cache, registry: MetricsRegistry, name: string, client: CacheClient): () => void {
  if (typeof registry?.registerMetric !== 'function') throw new TypeError('metrics must be a prom-client Registry');
  let series = byRegistry.get(registry);
  if (series === undefined) {
    series = createSeries(registry);
    byRegistry.set(registry, series);
  }
  for (const m of series.members) if (m.name === name) throw new TypeError(`a cache named "${name}" already has metrics in this registry (set metricsName)`);
  const member: Member = { cache, name, client };
  series.members.add(member);
  const histogram = series.loadSeconds;
  const onLoad = ({ duration }: { duration: number }): void => histogram.observe({ cache: name }, duration / 1000);
  cache.on('load', onLoad);
  return () => {
    cache.off('load', onLoad);
    series.members.delete(member);
  };
}
