// A RESP reply as a plain, JSON-able tree: used for static replies (command metadata) and tests.
// Encoding it for RESP2 or RESP3 is the reply writer's job (protocol/reply-writer.ts).

export type RespValue =
  | null // null bulk: $-1 in RESP2, _ in RESP3
  | number // integer; must be a safe integer
  | string // bulk string (latin1 code units = bytes)
  | RespValue[] // array
  | { simple: string }
  | { error: string }
  | { double: number }
  | { bool: boolean }
  | { map: Array<[RespValue, RespValue]> } // RESP3 %, flattened to an array in RESP2
  | { set: RespValue[] } // RESP3 ~, an array in RESP2
  | { verbatim: string; format: string }; // RESP3 =, a bulk string in RESP2
