// The flash-sale demo's source of truth: a `products` table in a real SQL database, embedded
// PGlite (Postgres compiled to WASM, in this process) by default, or a real PostgreSQL through a
// pg.Pool when DATABASE_URL is set. It owns the schema and seed, and the *load model*: every
// product read goes through a gate of `connections` slots (a connection pool) and holds its slot
// for `latencyMs` (the real query time included), so the database can serve at most
// connections / latency reads per second and a burst of reads queues, as a loaded database does.
// The gate counts every read exactly (all reads of every worker process come through here).
//
// PGlite is a single in-process instance, so worker processes cannot open it: the demo's main
// process owns the database and the workers send it their reads over IPC (flash-sale.ts). The
// same path is used with PostgreSQL so the count stays exact without pg_stat sampling.
//
// The drivers are not dependencies of the corral package (`npm install corral` installs no
// database driver): they are devDependencies, present in a clone after `npm install`, and are
// imported here only when the demo opens its database. Elsewhere the demo says how to add them.

import type { PGlite } from '@electric-sql/pglite';
import type pg from 'pg';

export interface Product {
  id: number;
  name: string;
  /** numeric(10,2) as text, exactly as the database returns it. */
  price: string;
  stock: number;
}

/** What a statement returns, whichever engine ran it. */
interface Engine {
  query(sql: string, params?: unknown[]): Promise<Array<Record<string, unknown>>>;
  close(): Promise<void>;
}

function pgliteEngine(db: PGlite): Engine {
  return {
    query: async (sql, params) => (await db.query<Record<string, unknown>>(sql, params)).rows,
    close: () => db.close(),
  };
}

/** Thrown when the demo's database driver is not installed (an `npm install corral` without it). */
export class DemoDriverMissingError extends Error {
  readonly code = 'DEMO_DRIVER_MISSING';
  constructor(readonly driver: string) {
    super(`the flash-sale demo needs the ${driver} package, which corral does not install for you: run \`npm install ${driver}\` (a clone of corral's repository has it after \`npm install\`)`);
    this.name = 'DemoDriverMissingError';
  }
}

/** Imports a driver by name when the demo runs; a missing package becomes DemoDriverMissingError. */
async function importDriver<T>(name: string): Promise<T> {
  try {
    return (await import(name)) as T;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') throw new DemoDriverMissingError(name);
    throw err;
  }
}

function postgresEngine(pool: pg.Pool): Engine {
  return {
    query: async (sql, params) => (await pool.query(sql, params)).rows as Array<Record<string, unknown>>,
    close: () => pool.end(),
  };
}

export interface DbOptions {
  /** Rows to seed (product ids 1..products). */
  products: number;
  /** Every product read holds a connection this long (ms), modelling a loaded database. */
  latencyMs: number;
  /** Concurrent reads the database serves; more wait for a slot. */
  connections: number;
  /** A PostgreSQL connection string; PGlite in this process when absent. */
  databaseUrl?: string;
}

export interface DbCounters {
  /** Product reads started (through the gate). */
  queries: number;
  /** Reads holding or waiting for a slot right now, and the most seen at once. */
  inFlight: number;
  peakInFlight: number;
}

/** The table (a name of its own: with DATABASE_URL it is created, and dropped, in your database). */
export const TABLE = 'corral_demo_products';

function toProduct(r: Record<string, unknown>): Product {
  return { id: Number(r.id), name: String(r.name), price: String(r.price), stock: Number(r.stock) };
}

export class ProductDb {
  readonly counters: DbCounters = { queries: 0, inFlight: 0, peakInFlight: 0 };
  /** Called at the start of every counted read (the demo bins them per time slot). */
  onQuery: ((id: number) => void) | null = null;
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  private constructor(
    private readonly engine: Engine,
    readonly kind: 'pglite' | 'postgres',
    private readonly opts: DbOptions,
  ) {}

  /** Opens the database, (re)creates the table and seeds it. PGlite takes ~2-3 s to start. */
  static async open(opts: DbOptions): Promise<ProductDb> {
    let engine: Engine;
    let kind: 'pglite' | 'postgres';
    if (opts.databaseUrl !== undefined && opts.databaseUrl !== '') {
      // The pool can hold the gate's slots plus one for seeding/updates outside the gate.
      const { default: pgDriver } = await importDriver<{ default: typeof pg }>('pg');
      engine = postgresEngine(new pgDriver.Pool({ connectionString: opts.databaseUrl, max: opts.connections + 1 }));
      kind = 'postgres';
    } else {
      const { PGlite: PGliteClass } = await importDriver<{ PGlite: typeof PGlite }>('@electric-sql/pglite');
      const db = new PGliteClass();
      await db.waitReady;
      engine = pgliteEngine(db);
      kind = 'pglite';
    }
    const self = new ProductDb(engine, kind, opts);
    await self.seed();
    return self;
  }

  private async seed(): Promise<void> {
    const e = this.engine;
    await e.query(`DROP TABLE IF EXISTS ${TABLE}`);
    await e.query(`CREATE TABLE ${TABLE} (id integer PRIMARY KEY, name text NOT NULL, price numeric(10,2) NOT NULL, stock integer NOT NULL)`);
    // Deterministic prices so two runs print the same figures: 5.00 .. 504.99.
    await e.query(
      `INSERT INTO ${TABLE} (id, name, price, stock)
       SELECT g, 'product ' || g, round(((g * 7919) % 50000) / 100.0 + 5, 2), 100 + (g % 900)
       FROM generate_series(1, $1::integer) AS g`,
      [this.opts.products],
    );
    await e.query(`UPDATE ${TABLE} SET name = 'Flash-sale sneakers', price = 59.99, stock = 1000 WHERE id = 1`);
  }

  /**
   * One counted product read through the gate: wait for a slot, run the SELECT, hold the slot
   * until latencyMs has passed since the slot was taken, release it to the next waiter (FIFO).
   */
  async getProduct(id: number): Promise<Product | null> {
    const c = this.counters;
    c.queries++;
    c.inFlight++;
    if (c.inFlight > c.peakInFlight) c.peakInFlight = c.inFlight;
    this.onQuery?.(id);
    await this.acquire();
    const started = performance.now();
    try {
      const rows = await this.engine.query(`SELECT id, name, price, stock FROM ${TABLE} WHERE id = $1`, [id]);
      const rest = this.opts.latencyMs - (performance.now() - started);
      if (rest > 0) await new Promise((r) => setTimeout(r, rest));
      return rows.length === 0 ? null : toProduct(rows[0]!);
    } finally {
      this.release();
      c.inFlight--;
    }
  }

  private acquire(): Promise<void> {
    if (this.active < this.opts.connections) {
      this.active++;
      return Promise.resolve();
    }
    // The slot is handed over directly by release(), so `active` never dips in between and a
    // newcomer cannot overtake a waiter.
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next !== undefined) next();
    else this.active--;
  }

  /** Every row, outside the gate and uncounted: for warming the cache before a phase. */
  async allProducts(): Promise<Product[]> {
    return (await this.engine.query(`SELECT id, name, price, stock FROM ${TABLE} ORDER BY id`)).map(toProduct);
  }

  /** An uncounted read outside the gate, to show what the database holds. */
  async peekPrice(id: number): Promise<string | null> {
    const rows = await this.engine.query(`SELECT price FROM ${TABLE} WHERE id = $1`, [id]);
    return rows.length === 0 ? null : String(rows[0]!.price);
  }

  async updatePrice(id: number, price: string): Promise<void> {
    await this.engine.query(`UPDATE ${TABLE} SET price = $2 WHERE id = $1`, [id, price]);
  }

  resetCounters(): void {
    this.counters.queries = 0;
    this.counters.peakInFlight = this.counters.inFlight;
  }

  async close(): Promise<void> {
    if (this.kind === 'postgres') await this.engine.query(`DROP TABLE IF EXISTS ${TABLE}`).catch(() => undefined);
    await this.engine.close();
  }
}
