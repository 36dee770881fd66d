// `corral demo flash-sale`'s flags: their definitions (which the CLI registers as commander
// options, as `corral server` does with PARAMS), the defaults, the `--quick` preset for tests,
// and parsing/validation into the numbers the demo runs with.

export interface FlagDef {
  /** commander syntax, e.g. '--workers <n>'. */
  flags: string;
  description: string;
}

export const FLASH_SALE_FLAGS: FlagDef[] = [
  { flags: '--nodes <list>', description: 'use these cache nodes (host:port,...); default: the cluster `corral up` (npm start) runs on 127.0.0.1:7000 if any, else a local 3-shard cluster of its own' },
  { flags: '--local', description: 'start a local cluster of its own even if `corral up` runs on 127.0.0.1:7000' },
  { flags: '--shards <n>', description: 'shards of the local cluster (default 3)' },
  { flags: '--workers <n>', description: 'worker processes (default 4)' },
  { flags: '--concurrency <n>', description: 'concurrent request loops per worker (default 100)' },
  { flags: '--think <ms>', description: 'pause of each loop between its requests (default 20)' },
  { flags: '--seconds <s>', description: 'length of each run (default 10)' },
  { flags: '--products <n>', description: 'products in the table; id 1 is the hot one (default 10000)' },
  { flags: '--hot <p>', description: 'probability a request is for the hot product (default 0.5)' },
  { flags: '--zipf <s>', description: 'Zipf exponent of the cold products (default 1)' },
  { flags: '--ttl <ms>', description: 'TTL of the hot product (default 2000)' },
  { flags: '--cold-ttl <ms>', description: 'TTL of the cold products (default 30000)' },
  { flags: '--grace <ms>', description: "the SDK's stale-while-revalidate window after the TTL (default 1000)" },
  { flags: '--db-latency <ms>', description: 'time every product query holds a database connection (default 30)' },
  { flags: '--db-connections <n>', description: 'database connections: concurrent queries; more wait (default 20)' },
  { flags: '--slot <ms>', description: 'time slot of the figures and charts (default 250)' },
  { flags: '--html <file>', description: 'also write a self-contained HTML report with SVG charts' },
  { flags: '--json <file>', description: 'also write the figures as JSON' },
  { flags: '--quick', description: 'a short, small run (for tests): 2 workers x 40 loops, 4 s per run' },
];

/** What commander hands the action: camelCased flag names, string values. */
export type FlashSaleFlags = Partial<Record<string, string | boolean | undefined>>;

export interface FlashSaleSettings {
  nodes?: string;
  /** Never use a running `corral up` cluster (--local). */
  local: boolean;
  shards: number;
  workers: number;
  concurrency: number;
  think: number;
  seconds: number;
  products: number;
  hot: number;
  zipf: number;
  ttl: number;
  coldTtl: number;
  grace: number;
  dbLatency: number;
  dbConnections: number;
  slot: number;
  html?: string;
  json?: string;
  quick: boolean;
  databaseUrl?: string;
}

const DEFAULTS = {
  shards: 3,
  workers: 4,
  concurrency: 100,
  think: 20,
  seconds: 10,
  products: 10_000,
  hot: 0.5,
  zipf: 1,
  ttl: 2000,
  coldTtl: 30_000,
  grace: 1000,
  dbLatency: 30,
  dbConnections: 20,
  slot: 250,
};

/** --quick: what changes (explicit flags still win). */
const QUICK: Partial<typeof DEFAULTS> = { workers: 2, concurrency: 40, seconds: 4, products: 2000, ttl: 1000, coldTtl: 15_000, grace: 500 };

export class FlagError extends Error {}

function num(raw: FlashSaleFlags, name: keyof typeof DEFAULTS, fallback: number, check: (n: number) => boolean, what: string): number {
  const v = raw[name];
  if (v === undefined || v === true || v === false) return fallback;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || !check(n)) {
    const flag = '--' + name.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());
    throw new FlagError(`${flag} must be ${what} (got ${JSON.stringify(v)})`);
  }
  return n;
}

export function parseFlashSaleFlags(raw: FlashSaleFlags, env: NodeJS.ProcessEnv = process.env): FlashSaleSettings {
  const quick = raw.quick === true || raw.quick === 'true';
  const d = { ...DEFAULTS, ...(quick ? QUICK : {}) };
  const posInt = (n: number): boolean => Number.isInteger(n) && n >= 1;
  const nonNeg = (n: number): boolean => n >= 0;
  const str = (k: string): string | undefined => (typeof raw[k] === 'string' ? (raw[k] as string) : undefined);
  const s: FlashSaleSettings = {
    nodes: str('nodes'),
    local: raw.local === true || raw.local === 'true',
    shards: num(raw, 'shards', d.shards, posInt, 'a positive integer'),
    workers: num(raw, 'workers', d.workers, posInt, 'a positive integer'),
    concurrency: num(raw, 'concurrency', d.concurrency, posInt, 'a positive integer'),
    think: num(raw, 'think', d.think, nonNeg, 'a non-negative number (ms)'),
    seconds: num(raw, 'seconds', d.seconds, (n) => n > 0 && n <= 3600, 'a number of seconds (0-3600]'),
    products: num(raw, 'products', d.products, (n) => posInt(n) && n >= 2, 'an integer >= 2'),
    hot: num(raw, 'hot', d.hot, (n) => n >= 0 && n <= 1, 'a probability from 0 to 1'),
    zipf: num(raw, 'zipf', d.zipf, nonNeg, 'a non-negative number'),
    ttl: num(raw, 'ttl', d.ttl, posInt, 'a positive integer (ms)'),
    coldTtl: num(raw, 'coldTtl', d.coldTtl, posInt, 'a positive integer (ms)'),
    grace: num(raw, 'grace', d.grace, (n) => Number.isInteger(n) && n >= 0, 'a non-negative integer (ms)'),
    dbLatency: num(raw, 'dbLatency', d.dbLatency, nonNeg, 'a non-negative number (ms)'),
    dbConnections: num(raw, 'dbConnections', d.dbConnections, posInt, 'a positive integer'),
    slot: num(raw, 'slot', d.slot, (n) => posInt(n) && n >= 10, 'an integer >= 10 (ms)'),
    html: str('html'),
    json: str('json'),
    quick,
    databaseUrl: env.DATABASE_URL === undefined || env.DATABASE_URL === '' ? undefined : env.DATABASE_URL,
  };
  return s;
}
