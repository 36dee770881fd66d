// Redis 7's error replies, word for word (the leading '-' is added by the writer). Checked
// against a real redis-server by the system tests.

export const ERR_SYNTAX = 'ERR syntax error';
export const ERR_NOT_INTEGER = 'ERR value is not an integer or out of range';
/** A count that must not be negative (LPOP, RPOP, SPOP, ZRANDMEMBER, ...). */
export const ERR_POSITIVE = 'ERR value is out of range, must be positive';
export const ERR_NOT_FLOAT = 'ERR value is not a valid float';
export const ERR_OVERFLOW = 'ERR increment or decrement would overflow';
export const ERR_INCR_NAN = 'ERR increment would produce NaN or Infinity';
export const ERR_WRONGTYPE = 'WRONGTYPE Operation against a key holding the wrong kind of value';
export const ERR_NO_SUCH_KEY = 'ERR no such key';
export const ERR_NOAUTH = 'NOAUTH Authentication required.';
export const ERR_OOM = "OOM command not allowed when used memory > 'maxmemory'.";
/** A replica whose link is down, with replica-serve-stale-data no. */
export const ERR_MASTERDOWN = "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.";
export const ERR_DB_INDEX = 'ERR DB index is out of range';
export const ERR_INVALID_DB_INDEX = 'ERR value is not an integer or out of range';
export const ERR_STRING_TOO_LONG = 'ERR string exceeds maximum allowed size (proto-max-bulk-len)';
export const ERR_OFFSET_RANGE = 'ERR offset is out of range';
export const ERR_HASH_NOT_INT = 'ERR hash value is not an integer';
export const ERR_HASH_NOT_FLOAT = 'ERR hash value is not a float';
export const ERR_CURSOR = 'ERR invalid cursor';
export const ERR_WRONGPASS = 'WRONGPASS invalid username-password pair or user is disabled.';

export function errWrongArity(name: string): string {
  return `ERR wrong number of arguments for '${name}' command`;
}

export function errInvalidExpire(command: string): string {
  return `ERR invalid expire time in '${command}' command`;
}
