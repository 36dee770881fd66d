// The encoding thresholds a node's CONFIG sets (hash-max-listpack-entries / -value,
// zset-max-listpack-entries / -value, set-max-intset-entries): past them Redis converts a small
// value (listpack, intset) to its large encoding, and OBJECT ENCODING reports it. Also
// stream-node-max-bytes / -entries, where a stream starts a new node (store/stream.ts), which
// decides what approximate trimming removes. Each Store holds
// its own (store.limits, updated by the node when its config changes); values take them at the
// point where Redis would convert (HashValue.set, SortedSet.set, SetValue.add, the loaders), so
// nodes sharing a process keep their own settings. The encodings are what is reported: corral's
// data structures need not follow them (hash-value.ts keeps its packed form within its own
// bounds whatever the limits).

export interface EncodingLimits {
  hashEntries: number;
  hashValue: number;
  zsetEntries: number;
  zsetValue: number;
  intsetEntries: number;
  /** stream-node-max-bytes / -entries: when a stream starts a new node (0: no limit). */
  streamNodeMaxBytes: number;
  streamNodeMaxEntries: number;
}

/** Redis 7.0's defaults (config.c). */
export const DEFAULT_LIMITS: Readonly<EncodingLimits> = Object.freeze({
  hashEntries: 512,
  hashValue: 64,
  zsetEntries: 128,
  zsetValue: 64,
  intsetEntries: 512,
  streamNodeMaxBytes: 4096,
  streamNodeMaxEntries: 100,
});

/** No limit: values built under it keep their small encoding (loaders that decide it themselves). */
export const NO_LIMITS: Readonly<EncodingLimits> = Object.freeze({
  hashEntries: Infinity,
  hashValue: Infinity,
  zsetEntries: Infinity,
  zsetValue: Infinity,
  intsetEntries: Infinity,
  streamNodeMaxBytes: 4096,
  streamNodeMaxEntries: 100,
});

const FIELD_OF_PARAM: Readonly<Record<string, keyof EncodingLimits>> = {
  'hash-max-listpack-entries': 'hashEntries',
  'hash-max-listpack-value': 'hashValue',
  'zset-max-listpack-entries': 'zsetEntries',
  'zset-max-listpack-value': 'zsetValue',
  'set-max-intset-entries': 'intsetEntries',
  'stream-node-max-bytes': 'streamNodeMaxBytes',
  'stream-node-max-entries': 'streamNodeMaxEntries',
};

/** The config parameters (canonical names) that set a limit. */
export const LIMIT_PARAMS: readonly string[] = Object.keys(FIELD_OF_PARAM);

/** Sets the limit config parameter `name` stands for; false if it names none. */
export function setEncodingLimit(limits: EncodingLimits, name: string, value: number): boolean {
  const field = FIELD_OF_PARAM[name];
  if (field === undefined) return false;
  limits[field] = value;
  return true;
}
