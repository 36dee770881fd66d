// Key to slot, exactly as Redis Cluster: CRC16-XMODEM (polynomial 0x1021, initial 0) of the key,
// or of its hash tag, masked to 14 bits (16384 slots).
//
// Hash tag rule (cluster spec, keyHashSlot): find the first '{'; if a '}' follows it later and
// the bytes between them are not empty, hash only those bytes. So `foo{}{bar}` hashes the whole
// key (first tag is empty) and `foo{{bar}}zap` hashes `{bar`.

export const SLOT_COUNT = 16384;

const CRC16_TABLE = new Uint16Array(256);
for (let i = 0; i < 256; i++) {
  let crc = i << 8;
  for (let b = 0; b < 8; b++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  CRC16_TABLE[i] = crc;
}

/** CRC16-XMODEM of bytes [start, end) of a Buffer, or of a latin1 string's char codes. */
export function crc16(data: Buffer | Uint8Array | string, start = 0, end = data.length): number {
  let crc = 0;
  if (typeof data === 'string') {
    for (let i = start; i < end; i++) crc = ((crc << 8) & 0xffff) ^ CRC16_TABLE[((crc >> 8) ^ data.charCodeAt(i)) & 0xff];
  } else {
    for (let i = start; i < end; i++) crc = ((crc << 8) & 0xffff) ^ CRC16_TABLE[((crc >> 8) ^ data[i]) & 0xff];
  }
  return crc;
}

/** The slot of bytes [start, end) of a Buffer (a key as the request parser leaves it). */
export function keySlotOf(buf: Buffer | Uint8Array, start: number, end: number): number {
  let open = -1;
  for (let i = start; i < end; i++) {
    if (buf[i] === 123 /* { */) {
      open = i;
      break;
    }
  }
  if (open >= 0) {
    for (let j = open + 1; j < end; j++) {
      if (buf[j] === 125 /* } */) {
        if (j > open + 1) return crc16(buf, open + 1, j) & 0x3fff;
        break;
      }
    }
  }
  return crc16(buf, start, end) & 0x3fff;
}

/** The slot of a key given as a latin1 string (one char per byte) or a Buffer. */
export function keySlot(key: string | Buffer | Uint8Array): number {
  if (typeof key !== 'string') return keySlotOf(key, 0, key.length);
  const open = key.indexOf('{');
  if (open >= 0) {
    const close = key.indexOf('}', open + 1);
    if (close > open + 1) return crc16(key, open + 1, close) & 0x3fff;
  }
  return crc16(key, 0, key.length) & 0x3fff;
}
