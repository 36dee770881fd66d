// Structured logs (docs/operations.md#logs): the pino logger every corral process writes its
// events through, the readable one-line format a person sees on a terminal, Redis's loglevel
// names, and the helpers that keep secrets and values out of log records.
//
// A record is one JSON object per line: level (a label), time (epoch ms), pid, an `event` name
// for the events operators act on (topology.changed, failover.promoted, client.limit...), msg,
// and the event's fields. On a TTY the same record is printed as
//   HH:MM:SS.mmm LEVEL event message key=value ...
// (formatRecord), coloured when asked. Everything is written synchronously (no pino transport,
// no worker thread): a line logged before a kill -9 is in the kernel's hands already.
//
// What never goes in a record: command arguments, key values, passwords. Client events carry
// clientFields() (id, addr, name, user); protocol errors carry safeProtocolReason(), the
// parser's reason without the offending bytes. The pino redaction list below is a second line
// of defence for fields that must never appear under any event.

import fs from 'node:fs';
import path from 'node:path';
import pino from 'pino';

/** pino's level numbers, with Redis's `verbose` between debug and info. */
const CUSTOM_LEVELS = { verbose: 25 } as const;

export type Logger = pino.Logger<keyof typeof CUSTOM_LEVELS>;

/** Where records go: anything with a synchronous write(line) (pino's DestinationStream). */
export interface LogSink {
  write(line: string): void;
}

/** Redis's loglevel values (7.0: debug, verbose, notice, warning; `nothing` is 7.2's, accepted here). */
export type RedisLogLevel = 'debug' | 'verbose' | 'notice' | 'warning' | 'nothing';

/**
 * The pino level for a Redis loglevel (notice: info, warning: warn, nothing: silent); pino's
 * own names pass through; anything else is info.
 */
export function pinoLevel(level: string): string {
  switch (level) {
    case 'notice':
      return 'info';
    case 'warning':
      return 'warn';
    case 'nothing':
      return 'silent';
    case 'debug':
    case 'verbose':
    case 'info':
    case 'warn':
    case 'error':
    case 'fatal':
    case 'trace':
    case 'silent':
      return level;
    default:
      return 'info';
  }
}

export interface LoggerOptions {
  /** A Redis loglevel or a pino level (default notice = info). */
  level?: string;
  /** Readable lines instead of JSON (default: whether the destination is a TTY). */
  pretty?: boolean;
  /** Colour in readable lines (default: pretty on a TTY, unless NO_COLOR is set). */
  colour?: boolean;
  /**
   * stdout (default), a file path (appended to, JSON, as Redis's logfile), or a sink of
   * lines (tests, `corral up`'s relay).
   */
  destination?: 'stdout' | 'stderr' | string | LogSink;
  /** Fields every record carries (default: pid). */
  base?: Record<string, unknown>;
}

/** Fields no record may carry, at the top level or one object down (pino redaction paths). */
export const REDACTED_FIELDS = ['password', 'pass', 'auth', 'args', 'argv', 'value', 'values', 'payload'] as const;

/** Creates a logger: JSON lines, or readable lines on a TTY, written synchronously. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const dest = options.destination ?? 'stdout';
  let sink: LogSink;
  let isTty = false;
  if (typeof dest === 'object') {
    sink = dest;
  } else if (dest === 'stdout' || dest === 'stderr' || dest === '') {
    const fd = dest === 'stderr' ? 2 : 1;
    isTty = (fd === 1 ? process.stdout : process.stderr).isTTY === true;
    sink = pino.destination({ dest: fd, sync: true });
  } else {
    fs.mkdirSync(path.dirname(path.resolve(dest)), { recursive: true });
    sink = pino.destination({ dest, sync: true, append: true });
  }
  const pretty = options.pretty ?? isTty;
  if (pretty) sink = prettySink(sink, { colour: options.colour ?? (isTty && process.env.NO_COLOR === undefined) });
  return pino<keyof typeof CUSTOM_LEVELS>(
    {
      level: pinoLevel(options.level ?? 'notice'),
      customLevels: CUSTOM_LEVELS,
      base: options.base ?? { pid: process.pid },
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACTED_FIELDS.flatMap((f) => [f, `*.${f}`]), censor: '[redacted]' },
    },
    sink,
  );
}

/** A logger that drops every record (a node made without one). */
export function silentLogger(): Logger {
  return createLogger({ level: 'silent', destination: { write: () => {} }, pretty: false });
}

/**
 * A logger whose records reach `fn` as readable lines without time and level (`event message
 * key=value ...`): for callers that take log lines as text (tests, embedded nodes).
 */
export function lineLogger(fn: (line: string) => void, level = 'notice'): Logger {
  return createLogger({ level, pretty: false, destination: { write: (json) => fn(formatJsonLine(json, { time: false, level: false })) } });
}

export interface FormatOptions {
  colour?: boolean;
  /** Print the time (default yes). */
  time?: boolean;
  /** Print the level (default yes). */
  level?: boolean;
  /** Local time (default) or UTC. */
  utc?: boolean;
  /** Printed first (corral up's `[port] `). */
  prefix?: string;
}

/** Fields formatRecord prints in its own places, or not at all. */
const SHOWN_APART = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'event']);

const LEVEL_LABELS: Record<string, string> = { trace: 'TRACE', debug: 'DEBUG', verbose: 'VERB ', info: 'INFO ', warn: 'WARN ', error: 'ERROR', fatal: 'FATAL' };
const LEVEL_BY_NUMBER: Record<number, string> = { 10: 'trace', 20: 'debug', 25: 'verbose', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };
const LEVEL_COLOURS: Record<string, string> = { trace: '90', debug: '90', verbose: '36', info: '32', warn: '33', error: '31', fatal: '35' };

/** One record as a readable line: `HH:MM:SS.mmm LEVEL event message key=value ...`. */
export function formatRecord(rec: Record<string, unknown>, options: FormatOptions = {}): string {
  const colour = options.colour === true;
  const paint = (code: string, s: string): string => (colour ? `\x1b[${code}m${s}\x1b[0m` : s);
  const parts: string[] = [];
  if (options.time !== false) parts.push(clockTime(rec.time, options.utc === true));
  if (options.level !== false) {
    const level = typeof rec.level === 'number' ? (LEVEL_BY_NUMBER[rec.level] ?? String(rec.level)) : String(rec.level ?? 'info');
    parts.push(paint(LEVEL_COLOURS[level] ?? '0', LEVEL_LABELS[level] ?? level.toUpperCase().padEnd(5)));
  }
  if (typeof rec.event === 'string') parts.push(paint('1', rec.event));
  if (rec.msg !== undefined && rec.msg !== '') parts.push(String(rec.msg));
  for (const [k, v] of Object.entries(rec)) {
    if (SHOWN_APART.has(k) || v === undefined) continue;
    parts.push(`${paint('2', `${k}=`)}${fieldText(v)}`);
  }
  return (options.prefix ?? '') + parts.join(' ');
}

/** A JSON line as formatRecord prints it; a line that is not a JSON object comes back as it is. */
export function formatJsonLine(line: string, options: FormatOptions = {}): string {
  const text = line.endsWith('\n') ? line.slice(0, -1) : line;
  const rec = parseRecord(text);
  return rec === null ? (options.prefix ?? '') + text : formatRecord(rec, options);
}

/** A log line's record, or null when it is not a JSON object. */
export function parseRecord(line: string): Record<string, unknown> | null {
  if (!line.startsWith('{')) return null;
  try {
    const v = JSON.parse(line) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** A sink that writes each JSON record to `out` as a readable line. */
export function prettySink(out: LogSink, options: FormatOptions = {}): LogSink {
  return { write: (json) => out.write(`${formatJsonLine(json, options)}\n`) };
}

export interface RelayOptions {
  /** Readable lines (default: whether stdout is a TTY). */
  pretty?: boolean;
  colour?: boolean;
  /** Where lines go (default: stdout, synchronously). */
  sink?: LogSink;
}

/**
 * `corral up`'s relay of its node processes' lines (each node logs JSON to its pipe): on a TTY,
 * each record as a readable line after `[port] `; otherwise the record as it came with the
 * node's address added (`"node":"host:port"`), so the whole output stays one JSON record a line.
 * A line that is no record (a crash's stack trace) becomes one: msg, level warn from stderr.
 */
export function nodeLineRelay(options: RelayOptions = {}): (node: string, label: string, line: string, stream: 'stdout' | 'stderr') => void {
  const pretty = options.pretty ?? process.stdout.isTTY === true;
  const colour = options.colour ?? (pretty && process.stdout.isTTY === true && process.env.NO_COLOR === undefined);
  const sink = options.sink ?? pino.destination({ dest: 1, sync: true });
  return (node, label, line, stream) => {
    const isRecord = line.startsWith('{') && line.endsWith('}');
    if (pretty) {
      sink.write(`${formatJsonLine(line, { prefix: `[${label}] `, colour })}\n`);
    } else if (isRecord) {
      // Spliced, not parsed: the node's records are relayed at the cost of a string copy.
      sink.write(`{"node":${JSON.stringify(node)}${line.length > 2 ? `,${line.slice(1)}` : "}"}\n`);
    } else {
      sink.write(`${JSON.stringify({ level: stream === 'stderr' ? 'warn' : 'info', time: Date.now(), node, msg: line })}\n`);
    }
  };
}

function clockTime(time: unknown, utc: boolean): string {
  const d = new Date(typeof time === 'number' || typeof time === 'string' ? time : Date.now());
  const two = (n: number): string => String(n).padStart(2, '0');
  const h = utc ? d.getUTCHours() : d.getHours();
  const m = utc ? d.getUTCMinutes() : d.getMinutes();
  const s = utc ? d.getUTCSeconds() : d.getSeconds();
  const ms = utc ? d.getUTCMilliseconds() : d.getMilliseconds();
  return `${two(h)}:${two(m)}:${two(s)}.${String(ms).padStart(3, '0')}`;
}

/** A field's value: bare when it has no space, quote or '=', else as JSON. */
function fieldText(v: unknown): string {
  if (typeof v === 'string') return v !== '' && /^[^\s"=\\]+$/.test(v) ? v : JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return String(v);
  return JSON.stringify(v);
}

/** What a client-side event may say of the client: never what it sent, nor its password. */
export interface ClientLike {
  readonly id?: number;
  readonly addr: string;
  readonly name?: string;
  /** An ACL user object (its name is taken) or a user name. */
  readonly user?: { readonly name: string } | string;
}

export interface ClientFields {
  id?: number;
  addr: string;
  name?: string;
  user?: string;
}

/** A client's identity for an event: id, addr=ip:port, name and user when set. */
export function clientFields(client: ClientLike): ClientFields {
  const out: ClientFields = { addr: client.addr };
  if (client.id !== undefined) out.id = client.id;
  if (client.name !== undefined && client.name !== '') out.name = client.name;
  const user = typeof client.user === 'string' ? client.user : client.user?.name;
  if (user !== undefined && user !== '') out.user = user;
  return out;
}

/**
 * A parser error as an event may carry it: the reason, without the bytes the client sent
 * (Redis's "expected '$', got 'x'" names one: it is cut off).
 */
export function safeProtocolReason(error: string): string {
  const i = error.indexOf(', got ');
  return (i >= 0 ? error.slice(0, i) : error).slice(0, 120);
}

/**
 * At most `perSecond` records of one kind a second (a client that reconnects to send garbage
 * must not flood the log): allow() returns how many were suppressed since the last one it let
 * through, or -1 to suppress this one.
 */
export class EventThrottle {
  private windowStart = -Infinity;
  private inWindow = 0;
  private suppressed = 0;

  constructor(
    private readonly perSecond = 10,
    private readonly now: () => number = Date.now,
  ) {}

  allow(): number {
    const t = this.now();
    if (t - this.windowStart >= 1000) {
      this.windowStart = t;
      this.inWindow = 0;
    }
    if (this.inWindow >= this.perSecond) {
      this.suppressed++;
      return -1;
    }
    this.inWindow++;
    const n = this.suppressed;
    this.suppressed = 0;
    return n;
  }
}
