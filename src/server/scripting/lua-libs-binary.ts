// cmsgpack, struct and bit for scripts, in Lua 5.4 (part of the libraries chunk assembled in
// lua-libs.ts, whose shared helpers it uses): lua-cmsgpack, lua-struct and LuaBitOp 1.0.2.

export const LUA_BINARY_LIBS = String.raw`
-- ===== cmsgpack =====
-- sp arguments count the Lua 5.1 stack slots lua_cmsgpack.c would be using.

local function mp_int(n)
  if n >= 0 then
    if n <= 127 then return schar(n) end
    if n <= 0xff then return schar(0xcc, n) end
    if n <= 0xffff then return spack('>BI2', 0xcd, n) end
    if n <= 0xffffffff then return spack('>BI4', 0xce, n) end
    return spack('>Bi8', 0xcf, n)
  end
  if n >= -32 then return schar(n & 0xff) end
  if n >= -128 then return spack('>Bi1', 0xd0, n) end
  if n >= -32768 then return spack('>Bi2', 0xd1, n) end
  if n >= -2147483648 then return spack('>Bi4', 0xd2, n) end
  return spack('>Bi8', 0xd3, n)
end
local function mp_len(n, fix, c16, c32)
  if n <= 15 then return schar(fix | n) end
  if n <= 0xffff then return spack('>BI2', c16, n) end
  return spack('>BI4', c32, n)
end

local function mp_encode(v, level, sp, out)
  local t = type(v)
  if t == 'string' then
    local n = #v
    out[#out + 1] = n < 32 and schar(0xa0 | n) or n <= 0xff and schar(0xd9, n) or
      n <= 0xffff and spack('>BI2', 0xda, n) or spack('>BI4', 0xdb, n)
    out[#out + 1] = v
  elseif t == 'boolean' then out[#out + 1] = v and '\xc3' or '\xc2'
  elseif t == 'number' then
    if mtype(v) == 'integer' then out[#out + 1] = mp_int(v)
    elseif v == floor(v) and v >= -0x1p63 and v < 0x1p63 then out[#out + 1] = mp_int(toint(v))
    elseif sunpack('<f', spack('<f', v)) == v then out[#out + 1] = '\xca' .. spack('>f', v)
    else out[#out + 1] = '\xcb' .. spack('>d', v) end
  elseif t ~= 'table' or level >= 16 or rawequal(v, NULL) then out[#out + 1] = '\xc0' -- nesting limit 16
  else
    if sp + 2 > MAXCSTACK then throw('stack overflow (in function table_is_an_array)') end
    local count, max = 0, 0 -- an array: keys exactly 1..n (as C ints)
    for k in next, v do
      if type(k) ~= 'number' or k <= 0 or k >= 0x80000000 or floor(k) ~= k then max = -1; break end
      if k > max then max = k end
      count = count + 1
    end
    if max == count then
      if sp + 1 > MAXCSTACK then throw('stack overflow (in function mp_encode_lua_table_as_array)') end
      out[#out + 1] = mp_len(count, 0x90, 0xdc, 0xdd)
      for i = 1, count do mp_encode(rawget(v, i), level + 1, sp + 1, out) end
    else
      if sp + 3 > MAXCSTACK then throw('stack overflow (in function mp_encode_lua_table_as_map)') end
      local keys = keys51(v)
      out[#out + 1] = mp_len(#keys, 0x80, 0xde, 0xdf)
      for i = 1, #keys do
        mp_encode(keys[i], level + 1, sp + 3, out)
        mp_encode(rawget(v, keys[i]), level + 1, sp + 2, out)
      end
    end
  end
end

local cmsgpack = { _NAME = 'cmsgpack', _VERSION = 'lua-cmsgpack 0.4.0',
  _COPYRIGHT = 'Copyright (C) 2012, Salvatore Sanfilippo', _DESCRIPTION = 'MessagePack C implementation for Lua' }

cmsgpack.pack = api(function(...)
  local nargs, out = select('#', ...), {}
  if nargs == 0 then throw('MessagePack pack needs input.', 0) end
  if nargs + nargs > MAXCSTACK then throw('Too many arguments for MessagePack pack.', 0) end
  for i = 1, nargs do mp_encode((select(i, ...)), 0, nargs + i, out) end
  return tconcat(out)
end)

local EOF, BADFMT = {}, {}
local ms, mlen -- the string being decoded
local function need(p, n) if p + n - 1 > mlen then error(EOF, 0) end end
-- uint 8/16/32/64 (64 read signed, as 5.1's lua_pushinteger casts), int 8/16/32/64, float, double
local MPNUM = { [0xcc] = 'B', [0xcd] = '>I2', [0xce] = '>I4', [0xcf] = '>i8', [0xd0] = 'b', [0xd1] = '>i2',
  [0xd2] = '>i4', [0xd3] = '>i8', [0xca] = '>f', [0xcb] = '>d' }
local MPLEN = {}
for c, w in pairs(MPNUM) do MPLEN[c] = 1 + #spack(w, 0) end

local function mp_decode(p, sp) -- the value at p: value, next position
  need(p, 1)
  if sp + 1 > MAXCSTACK then
    throw('stack overflow (too many return values at once; use unpack_one or unpack_limit instead.)')
  end
  local c, n = sbyte(ms, p), nil
  if c < 0x80 then return c, p + 1 end
  if c >= 0xe0 then return c - 256, p + 1 end
  if c == 0xc0 then return nil, p + 1 end
  if c == 0xc2 or c == 0xc3 then return c == 0xc3, p + 1 end
  local w = MPNUM[c]
  if w then
    need(p, MPLEN[c])
    local v, q = sunpack(w, ms, p + 1)
    return num51(v), q
  end
  if c >= 0xa0 and c <= 0xbf then n, p = c & 0x1f, p + 1
  elseif c == 0xd9 or c == 0xda or c == 0xdb then
    local hl = c == 0xd9 and 1 or c == 0xda and 2 or 4
    need(p, 1 + hl)
    n, p = sunpack('>I' .. hl, ms, p + 1)
  end
  if n then
    need(p, n)
    return ssub(ms, p, p + n - 1), p + n
  end
  local map = c < 0x90 or c == 0xde or c == 0xdf
  if c <= 0x9f then n, p = c & 0xf, p + 1
  elseif c >= 0xdc and c <= 0xdf then
    need(p, (c == 0xdc or c == 0xde) and 3 or 5)
    n, p = sunpack((c == 0xdc or c == 0xde) and '>I2' or '>I4', ms, p + 1)
  else
    error(BADFMT, 0)
  end
  local t, v, k = {}, nil, nil
  if not map then
    if sp + 2 > MAXCSTACK then throw('stack overflow (in function mp_decode_to_lua_array)') end
    for i = 1, n do
      v, p = mp_decode(p, sp + 2)
      t[i] = v
    end
    return t, p
  end
  local keys = {}
  ORDER[t] = keys
  for _ = 1, n do
    k, p = mp_decode(p, sp + 1)
    v, p = mp_decode(p, sp + 2)
    if k == nil then throw('table index is nil', nil, true) end
    if k ~= k then throw('table index is NaN', nil, true) end
    if v ~= nil and t[k] == nil then keys[#keys + 1] = k end
    t[k] = v
  end
  return t, p
end

local function unpack_full(s, limit, offset, base)
  local len = #s
  local all = limit == 0 and offset == 0
  if offset < 0 or limit < 0 then
    throw(sfmt('Invalid request to unpack with offset of %d and limit of %d.', int32(offset), int32(len)))
  elseif offset > len then
    throw(sfmt('Start offset %d greater than input length %d.', int32(offset), int32(len)))
  end
  if all then limit = 0x7fffffff end
  local res, cnt, p = {}, 0, offset + 1
  ms, mlen = s, len
  while p <= len and cnt < limit do
    local ok, v, np = pcall(mp_decode, p, base + cnt)
    if not ok then
      ms = nil
      if v == EOF then throw('Missing bytes in input.') end
      if v == BADFMT then throw('Bad data format in input.') end
      error(v, 0)
    end
    cnt = cnt + 1
    res[cnt], p = v, np
  end
  ms = nil
  if all then return tunpack(res, 1, cnt) end
  return (p > len and -1 or p - 1), tunpack(res, 1, cnt)
end

cmsgpack.unpack = api(function(...)
  local n = select('#', ...)
  return unpack_full(checkstr((...), 1, n >= 1), 0, 0, n)
end)
cmsgpack.unpack_one = api(function(...)
  local s, off = ...
  off = off == nil and 0 or checkint(off, 2, true)
  return unpack_full(checkstr(s, 1, select('#', ...) >= 1), 1, off, 1)
end)
cmsgpack.unpack_limit = api(function(...)
  local n, s, limit, off = select('#', ...), ...
  limit = checkint(limit, 2, n >= 2)
  off = off == nil and 0 or checkint(off, 3, true)
  return unpack_full(checkstr(s, 1, n >= 1), limit, off, 1)
end)

-- ===== struct =====
-- sizes as on x86-64 Linux: short 2, int 4, long 8, size_t 8; native order little-endian

local function getnum(fmt, i, df) -- digits at i, or df: number, next index
  local c = sbyte(fmt, i)
  if not c or c < 48 or c > 57 then return df, i end
  local a = 0
  repeat
    if a > 214748364 or a * 10 > 0x7fffffff - (c - 48) then throw('integral size overflow') end
    a, i = a * 10 + c - 48, i + 1
    c = sbyte(fmt, i)
  until not c or c < 48 or c > 57
  return a, i
end
local FIXED = { b = 1, B = 1, h = 2, H = 2, l = 8, L = 8, T = 8, f = 4, d = 8, x = 1 }
local INTOPT = { b = true, B = true, h = true, H = true, l = true, L = true, T = true, i = true, I = true }
local function optsize(opt, fmt, i)
  if FIXED[opt] then return FIXED[opt], i end
  if opt == 'c' then return getnum(fmt, i, 1) end
  if opt ~= 'i' and opt ~= 'I' then return 0, i end
  local sz
  sz, i = getnum(fmt, i, 4)
  if sz > 32 then throw(sfmt('integral size %d is larger than limit of 32', sz)) end
  return sz, i
end
local function gettoalign(len, h, opt, size)
  if size == 0 or opt == 'c' then return 0 end
  if size > h.align then size = h.align end
  return (size - (len & (size - 1))) & (size - 1)
end
local function controloptions(opt, fmt, i, h)
  if opt == '>' or opt == '<' then h.little = opt == '<'
  elseif opt == '!' then
    local a
    a, i = getnum(fmt, i, 8)
    if not (a > 0 and a & (a - 1) == 0) then throw(sfmt('alignment %d is not a power of 2', a)) end
    h.align = a
  elseif opt ~= ' ' then throw(sfmt("invalid format option '%s'", opt), 1) end
  return i
end
local function fmtarg(...) -- the format, up to a NUL as C sees it
  return smatch(checkstr((...), 1, select('#', ...) >= 1), '^[^\0]*')
end

local struct = {}
struct.pack = api(function(...)
  local fmt, nargs, h = fmtarg(...), select('#', ...), { little = true, align = 1 }
  local out, total, arg, i = {}, 0, 2, 1
  while i <= #fmt do
    local opt, size = ssub(fmt, i, i), nil
    size, i = optsize(opt, fmt, i + 1)
    local pad = gettoalign(total, h, opt, size)
    if pad > 0 then out[#out + 1] = srep('\0', pad) end
    total = total + pad
    local v, present = (select(arg, ...)), arg <= nargs + 1 -- C pushed a nil after the args
    if INTOPT[opt] then
      local n, value = checknum(v, arg, present), nil -- value: bits of the C (unsigned long) cast
      if mtype(n) == 'integer' then value = n
      elseif n < 0 then value = trunc64(n)
      elseif n ~= n then value = minint
      elseif n >= 0x1p64 then value = 0
      elseif n >= 0x1p63 then value = toint(floor(n - 0x1p63)) + minint
      else value = toint(floor(n)) end
      local bytes = {}
      for k = 1, size do
        bytes[h.little and k or size + 1 - k], value = schar(value & 0xff), value >> 8
      end
      out[#out + 1], arg = tconcat(bytes), arg + 1
    elseif opt == 'f' or opt == 'd' then
      out[#out + 1], arg = spack((h.little and '<' or '>') .. opt, checknum(v, arg, present)), arg + 1
    elseif opt == 'c' or opt == 's' then
      local str = checkstr(v, arg, present)
      arg = arg + 1
      if size == 0 then size = #str end
      if #str < size then throw('string too short', arg) end
      out[#out + 1] = ssub(str, 1, size)
      if opt == 's' then out[#out + 1], size = '\0', size + 1 end
    elseif opt == 'x' then out[#out + 1] = '\0'
    else i = controloptions(opt, fmt, i, h) end
    total = total + size
  end
  return tconcat(out)
end)

struct.unpack = api(function(...)
  local nargs, fmt = select('#', ...), fmtarg(...)
  local data, pos = checkstr((select(2, ...)), 2, nargs >= 2), select(3, ...)
  pos = pos == nil and 1 or checkint(pos, 3, true)
  if pos == 0 then throw('offset must be 1 or greater', 3) end
  pos = pos - 1 -- negative stands for a huge size_t: always "too short"
  local ld, h, res, n, i = #data, { little = true, align = 1 }, {}, 0, 1
  while i <= #fmt do
    local opt, size = ssub(fmt, i, i), nil
    size, i = optsize(opt, fmt, i + 1)
    pos = pos + gettoalign(pos, h, opt, size)
    if not (size <= ld and pos >= 0 and pos <= ld - size) then throw('data string too short', 2) end
    if nargs + n + 2 > MAXCSTACK then throw('stack overflow (too many results)') end
    if INTOPT[opt] then
      local l = 0
      for k = 1, size do l = (l << 8) | sbyte(data, pos + (h.little and size + 1 - k or k)) end
      if opt == 'i' or opt == 'b' or opt == 'h' or opt == 'l' then
        local mask = -1 << ((size * 8 - 1) & 63)
        if l & mask ~= 0 then l = l | mask end
        n = n + 1; res[n] = num51(l)
      else
        n = n + 1; res[n] = num51(u64tof(l))
      end
    elseif opt == 'f' or opt == 'd' then
      n = n + 1; res[n] = num51((sunpack((h.little and '<' or '>') .. opt, data, pos + 1)))
    elseif opt == 'c' then
      if size == 0 then
        local prev = n > 0 and tonum51(res[n])
        if not prev then throw("format 'c0' needs a previous size") end
        size, res[n], n = trunc64(prev), nil, n - 1
        if not (size >= 0 and size <= ld and pos <= ld - size) then throw('data string too short', 2) end
      end
      n = n + 1; res[n] = ssub(data, pos + 1, pos + size)
    elseif opt == 's' then
      local e = sfind(data, '\0', pos + 1, true)
      if not e then throw('unfinished string in data') end
      size = e - pos
      n = n + 1; res[n] = ssub(data, pos + 1, e - 1)
    elseif opt ~= 'x' then i = controloptions(opt, fmt, i, h) end
    pos = pos + size
  end
  n = n + 1; res[n] = pos + 1
  return tunpack(res, 1, n)
end)

struct.size = api(function(...)
  local fmt, h, pos, i = fmtarg(...), { little = true, align = 1 }, 0, 1
  while i <= #fmt do
    local opt, size = ssub(fmt, i, i), nil
    size, i = optsize(opt, fmt, i + 1)
    pos = pos + gettoalign(pos, h, opt, size)
    if opt == 's' then throw("option 's' has no fixed size", 1) end
    if opt == 'c' and size == 0 then throw("option 'c0' has no fixed size", 1) end
    if not smatch(opt, '%w') then i = controloptions(opt, fmt, i, h) end
    pos = pos + size
  end
  return pos
end)

-- ===== bit =====

local function barg(v, i, present) -- LuaBitOp: round to nearest via 2^52+2^51, keep 32 bits
  local n = tonum51(v)
  if n == nil then argfail(2, i, 'number expected, got ' .. typename(v, present)) end
  local small = n >= -0x8000000000000 and n <= 0x8000000000000
  if small and mtype(n) == 'integer' then return n & 0xffffffff end
  local d = n + 6755399441055744.0
  if small then return (toint(d) - 6755399441055744) & 0xffffffff end
  return (sunpack('<I4', spack('<d', d)))
end
local function bret(b) return int32(b & 0xffffffff) end

local bit = {}
function bit.tobit(...) return bret(barg((...), 1, select('#', ...) >= 1)) end
function bit.bnot(...) return bret(~barg((...), 1, select('#', ...) >= 1)) end
function bit.bswap(...)
  local b = barg((...), 1, select('#', ...) >= 1)
  return bret((b >> 24) | ((b >> 8) & 0xff00) | ((b & 0xff00) << 8) | (b << 24))
end
local function bitop(op)
  return function(...)
    local n = select('#', ...)
    local b = barg((...), 1, n >= 1)
    for i = n, 2, -1 do -- LuaBitOp reads the arguments from the last one down
      local x = barg((select(i, ...)), i, true)
      if op == 1 then b = b & x elseif op == 2 then b = b | x else b = b ~ x end
    end
    return bret(b)
  end
end
bit.band, bit.bor, bit.bxor = bitop(1), bitop(2), bitop(3)
local function shift(op)
  return function(...)
    local nargs = select('#', ...)
    local b = barg((...), 1, nargs >= 1)
    local n = barg((select(2, ...)), 2, nargs >= 2) & 31
    if op == 1 then return bret(b << n) end
    if op == 2 then return bret(b >> n) end
    if op == 3 then return bret(int32(b) // (1 << n)) end
    if op == 4 then return bret((b << n) | (b >> (32 - n))) end
    return bret((b << (32 - n)) | (b >> n))
  end
end
bit.lshift, bit.rshift, bit.arshift, bit.rol, bit.ror = shift(1), shift(2), shift(3), shift(4), shift(5)
function bit.tohex(...)
  local nargs = select('#', ...)
  local b = barg((...), 1, nargs >= 1)
  local n, digits = nargs >= 2 and int32(barg((select(2, ...)), 2, true)) or 8, '%08x'
  if n < 0 then n, digits = -n, '%08X' end
  return ssub(sfmt(digits, b), 9 - (n > 8 and 8 or n))
end

return { cjson = new_cjson(), cmsgpack = cmsgpack, struct = struct, bit = bit }
`;
