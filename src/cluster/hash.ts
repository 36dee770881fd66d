// MurmurHash3 x86_32 (Austin Appleby's public-domain MurmurHash3_x86_32), the 32-bit hash the
// placement ring uses for virtual-node points and the ring report uses for `hash % N` placement.
//
// The algorithm: the input is read as little-endian 32-bit blocks; each block k is scrambled
// (k *= c1, rotl 15, k *= c2) and folded into the state h (h ^= k, rotl 13, h = h*5 + 0xe6546b64);
// the 1-3 tail bytes are scrambled the same way and xored in without the rotate-multiply step;
// finally h ^= length and the fmix32 avalanche (xorshift 16, *0x85ebca6b, xorshift 13,
// *0xc2b2ae35, xorshift 16) spreads every input bit over every output bit. All arithmetic is
// mod 2^32 (Math.imul, >>> 0). Results are unsigned, as the reference C code returns them.
//
// A string is hashed as its UTF-8 bytes, so results match every other implementation (and the
// published vectors, including non-ASCII ones). Keys elsewhere in corral are latin1 strings (one
// char per byte); hash those as bytes with `murmur3_32Bytes(Buffer.from(key, 'latin1'))`.

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

function scramble(k: number): number {
  k = Math.imul(k, C1);
  k = (k << 15) | (k >>> 17);
  return Math.imul(k, C2);
}

function mixBlock(h: number, k: number): number {
  h ^= scramble(k);
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

function finish(h: number, tail: number, tailBytes: number, length: number): number {
  if (tailBytes > 0) h ^= scramble(tail);
  h ^= length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** MurmurHash3 x86_32 of bytes [start, end) of `data`, unsigned. */
export function murmur3_32Bytes(data: Uint8Array, seed = 0, start = 0, end = data.length): number {
  let h = seed | 0;
  let i = start;
  for (; i + 4 <= end; i += 4) {
    h = mixBlock(h, data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24));
  }
  let tail = 0;
  const tailBytes = end - i;
  for (let b = 0; b < tailBytes; b++) tail |= data[i + b] << (8 * b);
  return finish(h, tail, tailBytes, end - start);
}

/**
 * MurmurHash3 x86_32 of the UTF-8 encoding of `s`, unsigned. Encodes on the fly (no buffer):
 * each UTF-8 byte is shifted into a 4-byte block, and a full block is mixed at once. Lone
 * surrogates encode as U+FFFD, as TextEncoder does.
 */
export function murmur3_32(s: string, seed = 0): number {
  let h = seed | 0;
  let block = 0;
  let filled = 0;
  let length = 0;
  const put = (byte: number): void => {
    block |= byte << (8 * filled);
    length++;
    if (++filled === 4) {
      h = mixBlock(h, block);
      block = 0;
      filled = 0;
    }
  };
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      put(c);
      continue;
    }
    if (c < 0x800) {
      put(0xc0 | (c >> 6));
      put(0x80 | (c & 0x3f));
      continue;
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      const low = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && low >= 0xdc00 && low <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00);
        i++;
        put(0xf0 | (c >> 18));
        put(0x80 | ((c >> 12) & 0x3f));
        put(0x80 | ((c >> 6) & 0x3f));
        put(0x80 | (c & 0x3f));
        continue;
      }
      c = 0xfffd;
    }
    put(0xe0 | (c >> 12));
    put(0x80 | ((c >> 6) & 0x3f));
    put(0x80 | (c & 0x3f));
  }
  return finish(h, block, filled, length);
}
