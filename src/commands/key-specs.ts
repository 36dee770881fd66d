// Where a command's keys are, by Redis's key specs: the `key_specs` of the COMMAND INFO metadata
// kept in redis-meta.ts (generated from redis-server 7.0.15), for every command and subcommand
// corral has. One source for COMMAND GETKEYS (server/commands/introspection.ts) and for the
// client's router (client/router.ts), which sends a command to the node of its first key.
//
// A spec is a begin-search (the key starts at an index, or after a keyword searched from an
// index) and a find-keys (a range up to a last key with a step, or a count of keys read from an
// argument: EVAL's numkeys), as Redis's getKeysUsingKeySpecs reads them.

import { REDIS_COMMAND_META } from './redis-meta.js';
import type { RespValue } from '../protocol/resp-value.js';

export interface KeySpec {
  /** Index of the first key, or 0 with a keyword to search for from startfrom (negative: from the end). */
  index: number;
  keyword: string | null;
  startfrom: number;
  /** range: lastkey (relative to the first; negative: from the end), keystep, limit. */
  range: { lastkey: number; keystep: number; limit: number } | null;
  /** keynum: the count's index (relative to the first key's), where the keys start after it, their step. */
  keynum: { keynumidx: number; firstkey: number; keystep: number } | null;
  /** The spec's flags (RW, access...), as COMMAND GETKEYSANDFLAGS shows them. */
  flags: RespValue;
}

function isMap(v: RespValue | undefined): v is { map: Array<[RespValue, RespValue]> } {
  return v !== null && v !== undefined && typeof v === 'object' && !Array.isArray(v) && 'map' in v;
}

export function mapGet(v: RespValue | undefined, key: string): RespValue | undefined {
  if (!isMap(v)) return undefined;
  for (const [k, val] of v.map) if (k === key) return val;
  return undefined;
}

/** Lists (arrays) and sets alike, as the metadata holds either. */
export function listOf(v: RespValue | undefined): RespValue[] {
  if (Array.isArray(v)) return v;
  if (v !== null && v !== undefined && typeof v === 'object' && 'set' in v) return v.set;
  return [];
}

function parseSpec(spec: RespValue): KeySpec | null {
  const bs = mapGet(spec, 'begin_search');
  const bsSpec = mapGet(bs, 'spec');
  const fk = mapGet(spec, 'find_keys');
  const fkSpec = mapGet(fk, 'spec');
  const num = (v: RespValue | undefined): number => (typeof v === 'number' ? v : 0);
  const out: KeySpec = { index: 0, keyword: null, startfrom: 0, range: null, keynum: null, flags: mapGet(spec, 'flags') ?? { set: [] } };
  if (mapGet(bs, 'type') === 'index') out.index = num(mapGet(bsSpec, 'index'));
  else if (mapGet(bs, 'type') === 'keyword') {
    out.keyword = String(mapGet(bsSpec, 'keyword')).toLowerCase();
    out.startfrom = num(mapGet(bsSpec, 'startfrom'));
  } else return null;
  if (mapGet(fk, 'type') === 'range') {
    out.range = { lastkey: num(mapGet(fkSpec, 'lastkey')), keystep: num(mapGet(fkSpec, 'keystep')), limit: num(mapGet(fkSpec, 'limit')) };
  } else if (mapGet(fk, 'type') === 'keynum') {
    out.keynum = { keynumidx: num(mapGet(fkSpec, 'keynumidx')), firstkey: num(mapGet(fkSpec, 'firstkey')), keystep: num(mapGet(fkSpec, 'keystep')) };
  } else return null;
  return out;
}

/** Full name ("get", "object|encoding") -> its key specs ([] for a keyless command). */
const SPECS = new Map<string, KeySpec[]>();
/** Commands whose metadata lists subcommands (the router looks at argv[1]). */
const CONTAINERS = new Set<string>();

function addInfo(info: RespValue): void {
  if (!Array.isArray(info) || typeof info[0] !== 'string') return;
  const specs: KeySpec[] = [];
  for (const s of listOf(info[8])) {
    const spec = parseSpec(s);
    if (spec !== null) specs.push(spec);
  }
  SPECS.set(info[0], specs);
  const subs = listOf(info[9]);
  if (subs.length > 0) CONTAINERS.add(info[0]);
  for (const sub of subs) addInfo(sub);
}
for (const meta of Object.values(REDIS_COMMAND_META)) addInfo(meta.info);

/** A command's key specs by full name, or undefined when corral keeps no metadata for it. */
export function keySpecsOf(fullName: string): KeySpec[] | undefined {
  return SPECS.get(fullName);
}

/** Whether the metadata gives the command subcommands (argv[1] names which). */
export function hasSubcommands(name: string): boolean {
  return CONTAINERS.has(name);
}

/**
 * The argument positions of a call's keys (argv[0] is the command name), as Redis's
 * getKeysUsingKeySpecs: null when a spec does not fit the arguments. `arg(i)` gives argument i
 * as text (only keywords and key counts are read).
 */
export function keysBySpecs(specs: KeySpec[], argc: number, arg: (i: number) => string): Array<{ pos: number; spec: KeySpec }> | null {
  const out: Array<{ pos: number; spec: KeySpec }> = [];
  for (const spec of specs) {
    let first = spec.index;
    if (spec.keyword !== null) {
      const from = spec.startfrom;
      const startIdx = from > 0 ? from : argc + from;
      const endIdx = from > 0 ? argc - 1 : 0;
      first = 0;
      for (let i = startIdx; i !== endIdx; i = startIdx <= endIdx ? i + 1 : i - 1) {
        if (i >= argc || i < 1) break;
        if (arg(i).toLowerCase() === spec.keyword) {
          first = i + 1;
          break;
        }
      }
      if (first === 0) continue;
    }
    let last: number;
    let step: number;
    if (spec.range !== null) {
      const { lastkey, limit } = spec.range;
      step = spec.range.keystep;
      if (lastkey >= 0) last = first + lastkey;
      else if (limit === 0) last = argc + lastkey;
      else last = first + (Math.floor((argc - first) / limit) + lastkey);
    } else {
      const k = spec.keynum!;
      step = k.keystep;
      if (k.keynumidx >= argc - first) return null;
      const text = arg(first + k.keynumidx);
      const numkeys = /^(0|[1-9]\d*)$/.test(text) ? Number(text) : -1;
      if (numkeys < 0) return null;
      first += k.firstkey;
      last = first + numkeys - 1;
    }
    if (last >= argc || last < first || first >= argc) return null;
    for (let i = first; i <= last; i += step) out.push({ pos: i, spec });
  }
  return out;
}
