// What a keyspace reports to its owner, and what it is given: the hook types the Store installs
// on every database (WATCH's modified-key hook, the replication hook for expiry and eviction
// removals, keyspace notifications' key events and their KEY_EVENT_ codes) and the injected
// cluster slot function. keyspace-core.ts calls them; keyspace.ts re-exports them.

/** Called with a key whose value changed, for WATCH. */
export type KeyModifiedHook = (db: number, key: string) => void;

/**
 * Called when a key is removed by lazy or active expiry or by eviction (never by a command), so
 * the node can send replicas a DEL. `key` is a view of the key's bytes in the key table, valid
 * only during the call (copy it to keep it); the hook must not touch the store.
 */
export type KeyRemovedHook = (db: number, key: Buffer) => void;

/** The store's own key events (keyspace notifications; see KeyEventHook). */
export const KEY_EVENT_NEW = 0;
export const KEY_EVENT_EXPIRED = 1;
export const KEY_EVENT_EVICTED = 2;
export const KEY_EVENT_MISS = 3;

/**
 * Called, while keyspace notifications want them, when a key is added (by any write that creates
 * it: Redis's dbAdd), expires (lazily or by the active cycle: never on a replica, where keys do
 * not expire by themselves), is evicted, or a read misses (findRead, lookupRead). `event` is a
 * KEY_EVENT_ constant; `key` is latin1. Called after the change; the hook must not touch the
 * store.
 */
export type KeyEventHook = (db: number, event: number, key: string) => void;

/** The cluster hash slot of key bytes (injected: the store knows nothing of clusters). */
export type SlotOf = (buf: Buffer, start: number, end: number) => number;
