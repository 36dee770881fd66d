// RESTORE's errors (Redis's reply texts), in a leaf of their own so that every payload codec
// (dump.ts, rdb-codec.ts, rdb.ts, stream-rdb.ts) can throw them without importing dump.ts;
// dump.ts re-exports them.

export const ERR_DUMP_PAYLOAD = 'ERR DUMP payload version or checksum are wrong';
export const ERR_BAD_DATA_FORMAT = 'ERR Bad data format';
export const ERR_BUSYKEY = 'BUSYKEY Target key name already exists.';

/** A RESTORE that cannot go ahead; `message` is Redis's reply text for it. */
export abstract class RestoreError extends Error {
  abstract readonly code: string;
}

/** Too short, or the version or checksum is wrong. */
export class DumpPayloadError extends RestoreError {
  readonly code = 'E_DUMP_PAYLOAD';
  constructor() {
    super(ERR_DUMP_PAYLOAD);
  }
}

/** Well framed, but the content is not a value dumpKey could have produced. */
export class DumpFormatError extends RestoreError {
  readonly code = 'E_DUMP_FORMAT';
  constructor() {
    super(ERR_BAD_DATA_FORMAT);
  }
}

/** The key exists and REPLACE was not given. */
export class BusyKeyError extends RestoreError {
  readonly code = 'E_BUSYKEY';
  constructor() {
    super(ERR_BUSYKEY);
  }
}
