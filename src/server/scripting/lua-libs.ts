// The Lua libraries Redis 7.0 bundles into its Lua 5.1 for scripts, rewritten in pure Lua 5.4:
// cjson (lua-cjson 2.1.0 with Redis's patches), cmsgpack (lua-cmsgpack 0.4.0), struct (lua-struct)
// and bit (LuaBitOp 1.0.2), faithful to their C sources down to the error messages. This file owns
// only that Lua source; the scripting engine runs it once and installs the tables it returns.
//
// The chunk takes one optional argument, the value for cjson.null: a NULL lightuserdata
// (lua_pushlightuserdata(L, 0)) gives Redis's exact null; without it a unique table stands in.
// It returns { cjson, cmsgpack, struct, bit } and sets no globals. Run it while `debug` is still
// a global: it keeps debug.getinfo to name functions in "bad argument" errors as luaL_argerror.
//
// Where Lua 5.4 shows through:
// - numbers the libraries return are integers when Lua 5.1 would print them without exponent
//   (integral, below 1e14), floats otherwise, so they print and concatenate as in Redis;
// - errors get the caller's "chunk:line: " prefix as luaL_error gives it, but a library function
//   that is tail-called (`return cjson.decode(s)`) replaces its caller's frame: no prefix then,
//   and '?' as the name in "bad argument" errors. Frames of this chunk sit between the error and
//   the script, so an error handler looking for the script's line must skip them;
// - objects and maps are written in the order Lua 5.1's next() would visit the table (keys51):
//   exact for tables from cjson.decode / cmsgpack.unpack and for keys that do not collide in 5.1's
//   hash, deterministic otherwise (5.4 tables do not record the insertion order 5.1 depends on);
// - Lua 5.1's C stack limit (8000 slots) is emulated where these libraries hit it.

export const LUA_LIBS_SOURCE: string = String.raw`
local NULL = ...
local type, select, tonumber, error, next, rawget, rawset, rawequal, pcall, setmetatable =
  type, select, tonumber, error, next, rawget, rawset, rawequal, pcall, setmetatable
local sfmt, sbyte, schar, ssub, sfind, smatch, sgsub, slower, srep, spack, sunpack = string.format,
  string.byte, string.char, string.sub, string.find, string.match, string.gsub, string.lower,
  string.rep, string.pack, string.unpack
local mtype, floor, huge, toint, minint = math.type, math.floor, math.huge, math.tointeger, math.mininteger
local tconcat, tpack, tunpack, tsort = table.concat, table.pack, table.unpack, table.sort
local getinfo = debug and debug.getinfo
if type(NULL) ~= 'userdata' then
  NULL = setmetatable({}, { __tostring = function() return 'userdata: (nil)' end })
end
local PNAN, NNAN = sunpack('>d', '\x7f\xf8\0\0\0\0\0\0'), sunpack('>d', '\xff\xf8\0\0\0\0\0\0')
local MAXCSTACK = 8000 -- Lua 5.1's LUAI_MAXCSTACK: lua_checkstack() fails past it

-- ===== shared helpers =====

-- a number as Lua 5.1 holds it: integral and below 1e14 (printed without an
-- exponent by 5.1's %.14g) -> integer, anything else -> float
local function num51(x)
  if mtype(x) == 'integer' then
    if x >= 1e14 or x <= -1e14 then return x + 0.0 end
    return x
  end
  if x == floor(x) and x < 1e14 and x > -1e14 and (x ~= 0 or 1 / x > 0) then return toint(x) end
  return x
end
local function u64tof(l) -- unsigned 64-bit pattern to float, rounded once
  if l >= 0 then return l + 0.0 end
  return ((l >> 1) | (l & 1)) * 2.0
end
local function trunc64(d) -- C's (int64_t)d on x86-64: truncate, out of range -> INT64_MIN
  if mtype(d) == 'integer' then return d end
  if d ~= d or d >= 0x1p63 or d < -0x1p63 then return minint end
  return toint(d >= 0 and floor(d) or -floor(-d))
end
local function int32(x) return ((x + 0x80000000) & 0xffffffff) - 0x80000000 end
local function tonum51(v) -- lua_tonumber: numbers and numeric strings
  if type(v) == 'number' then return v end
  if type(v) == 'string' then return tonumber(v) end
end
local function typename(v, present)
  if not present then return 'no value' end
  return rawequal(v, NULL) and 'userdata' or type(v)
end

-- luaL_argerror; lvl = stack level of the library function seen from the caller
local function argfail(lvl, narg, msg)
  local name, ar = '?', getinfo and getinfo(lvl + 1, 'n')
  if ar then
    if ar.namewhat == 'method' then
      narg = narg - 1
      if narg == 0 then error(sfmt("calling '%s' on bad self (%s)", ar.name or '?', msg), lvl + 2) end
    end
    name = ar.name or '?'
  end
  error(sfmt("bad argument #%d to '%s' (%s)", narg, name, msg), lvl + 2)
end

-- Errors inside library code are thrown as markers; api() re-raises them from
-- the library function with the caller's position, as luaL_error does.
local MARK = {}
local function throw(msg, narg, plain) error({ [MARK] = true, m = msg, a = narg, p = plain }, 0) end
local function fail(e) -- must be called (not tail-called) by the library function
  if type(e) == 'table' and e[MARK] then
    if e.a then argfail(2, e.a, e.m) end
    error(e.m, e.p and 0 or 3)
  end
  error(e, 0)
end
local function api(impl)
  return function(...)
    local r = tpack(pcall(impl, ...))
    if r[1] then return tunpack(r, 2, r.n) end
    fail(r[2])
  end
end
local function checkstr(v, i, present) -- luaL_checklstring
  if type(v) == 'string' then return v end
  if type(v) == 'number' then return sfmt('%.14g', v) end
  throw('string expected, got ' .. typename(v, present), i)
end
local function checknum(v, i, present)
  local n = tonum51(v)
  if n == nil then throw('number expected, got ' .. typename(v, present), i) end
  return n
end
local function checkint(v, i, present) return trunc64(checknum(v, i, present)) end

-- ===== Lua 5.1 table traversal order =====
-- keys51(t) lists t's keys in the order 5.1's next() would: the array part
-- (sized by 5.1's computesizes) then the node array, laid out with 5.1's hashes
-- and collision rule (a colliding key takes the highest free slot, or evicts a
-- key that is not in its main position). Tables built by cjson.decode /
-- cmsgpack.unpack record their insertion order (ORDER) and are replayed with
-- 5.1's rehash growth; other tables are laid out as a constructor would, with
-- keys inserted in sorted order. Keys hashed by address (tables...) come last.
local ORDER = setmetatable({}, { __mode = 'k' })
local HCACHE, hcount, LCACHE, lcount = {}, 0, {}, 0

local function hash51(str)
  local h = HCACHE[str]
  if h then return h end
  local l = #str
  local step = (l >> 5) + 1
  h = l
  while l >= step do
    h = h ~ (((h << 5) + (h >> 2) + sbyte(str, l)) & 0xffffffff)
    l = l - step
  end
  if hcount >= 10000 then HCACHE, hcount = {}, 0 end
  HCACHE[str], hcount = h, hcount + 1
  return h
end

local function mainpos51(k, size)
  local t = type(k)
  if t == 'string' then return hash51(k) & (size - 1) end
  if t == 'boolean' then return (k and 1 or 0) & (size - 1) end
  if k == 0 then return 0 end
  local lo, hi = sunpack('<I4I4', spack('<d', k))
  return ((lo + hi) & 0xffffffff) % ((size - 1) | 1)
end

-- Insert keys into a node array of the given size (0: start empty and grow as
-- 5.1's rehash does, re-inserting old nodes from the top slot down). Before key
-- number ndead goes in, the keys in set 'dead' are deleted: their nodes stay
-- until a rehash, as in 5.1. Appends the resulting order to out.
local function layout(keys, size, out, ndead, dead)
  local slot, mp, gone, lastfree, i = {}, {}, {}, size, 1
  while keys[i] ~= nil do
    if i == ndead then
      ndead = nil
      for p = 0, size - 1 do if dead[slot[p]] then gone[p] = true end end
    end
    local k = keys[i]
    local m = size > 0 and mainpos51(k, size)
    if m and (slot[m] == nil or gone[m]) then
      slot[m], mp[m], gone[m], i = k, m, nil, i + 1
    else
      if m then repeat lastfree = lastfree - 1 until lastfree < 0 or slot[lastfree] == nil end
      if m and lastfree >= 0 then
        if mp[m] ~= m then -- the occupant is not in its main position: move it
          slot[lastfree], mp[lastfree], slot[m], mp[m] = slot[m], mp[m], k, m
        else
          slot[lastfree], mp[lastfree] = k, m
        end
        i = i + 1
      else -- full: rehash
        local q, n = {}, 0
        for p = size - 1, 0, -1 do if slot[p] ~= nil and not gone[p] then n = n + 1; q[n] = slot[p] end end
        size = 1
        while size <= n do size = size * 2 end
        if ndead then ndead = ndead - i + 1 + n end
        for j = i, #keys do n = n + 1; q[n] = keys[j] end
        slot, mp, gone, lastfree, keys, i = {}, {}, {}, size, q, 1
      end
    end
  end
  if ndead then for p = 0, size - 1 do if dead[slot[p]] then gone[p] = true end end end
  for p = 0, size - 1 do if slot[p] ~= nil and not gone[p] then out[#out + 1] = slot[p] end end
end

local RANK = { boolean = 1, number = 2, string = 3 }
local function keycmp(a, b)
  local ra, rb = RANK[type(a)], RANK[type(b)]
  if ra ~= rb then return ra < rb end
  if ra == 1 then return not a and b end
  return a < b
end
local function isindex(k, max) return type(k) == 'number' and k >= 1 and k <= max and floor(k) == k end

local function keys51(t)
  local keys, n, allstr = {}, 0, true
  for k in next, t do
    n = n + 1; keys[n] = k
    if allstr and type(k) ~= 'string' then allstr = false end
  end
  local rec, sig = ORDER[t], nil
  if allstr and n <= 32 then -- cached by key set (or, for an unchanged decoded table, by its order)
    if not rec then sig = '-' .. tconcat(keys, '\0')
    elseif #rec == n then
      sig = '+' .. tconcat(rec, '\0')
      for i = 1, n do if rawget(t, rec[i]) == nil then sig = nil; break end end
    end
    local out = sig and LCACHE[sig]
    if out and #out == n then
      for i = 1, n do if rawget(t, out[i]) == nil then out = nil; break end end
      if out then return out end
    end
  end
  local nums, nint = {}, 0
  for i = 1, n do
    local k = keys[i]
    if isindex(k, 0x4000000) then
      local lg = 0
      while (1 << lg) < k do lg = lg + 1 end
      nums[lg], nint = (nums[lg] or 0) + 1, nint + 1
    end
  end
  local asize, a, twotoi, i = 0, 0, 1, 0 -- computesizes()
  while twotoi // 2 < nint do
    a = a + (nums[i] or 0)
    if a > twotoi // 2 then asize = twotoi end
    if a == nint then break end
    i, twotoi = i + 1, twotoi * 2
  end
  local order, hkeys, other, seen, dead, extra = {}, {}, {}, {}, {}, {}
  for k = 1, asize do if rawget(t, k) ~= nil then order[#order + 1] = k end end
  rec = asize == 0 and rec
  for j = 1, rec and #rec or 0 do
    local k = rec[j]
    if RANK[type(k)] then
      seen[k], hkeys[#hkeys + 1] = true, k
      if rawget(t, k) == nil then dead[k] = true end
    end
  end
  local nrec = #hkeys
  for j = 1, n do
    local k = keys[j]
    if not RANK[type(k)] then other[#other + 1] = k
    elseif not seen[k] and not isindex(k, asize) then extra[#extra + 1] = k end
  end
  tsort(extra, keycmp)
  for j = 1, #extra do hkeys[#hkeys + 1] = extra[j] end
  local size = 0
  if not rec and #hkeys > 0 then
    size = 1
    while size < #hkeys + #other do size = size * 2 end
  end
  layout(hkeys, size, order, rec and nrec + 1, dead)
  for j = 1, #other do order[#order + 1] = other[j] end
  if sig then
    if lcount >= 500 then LCACHE, lcount = {}, 0 end
    LCACHE[sig], lcount = order, lcount + 1
  end
  return order
end

-- ===== cjson =====

local ESC = { ['\b'] = '\\b', ['\t'] = '\\t', ['\n'] = '\\n', ['\f'] = '\\f', ['\r'] = '\\r',
  ['"'] = '\\"', ['\\'] = '\\\\', ['/'] = '\\/', ['\x7f'] = '\\u007f' }
for i = 0, 31 do ESC[schar(i)] = ESC[schar(i)] or sfmt('\\u%04x', i) end
local UNESC = { [34] = '"', [92] = '\\', [47] = '/', [98] = '\b', [116] = '\t', [110] = '\n', [102] = '\f', [114] = '\r' }
local SINGLE = { [123] = 'T_OBJ_BEGIN', [125] = 'T_OBJ_END', [91] = 'T_ARR_BEGIN', [93] = 'T_ARR_END',
  [44] = 'T_COMMA', [58] = 'T_COLON' }

local function new_cjson()
  local cfg = { sparse_convert = 0, sparse_ratio = 2, sparse_safe = 10, encode_max_depth = 1000,
    decode_max_depth = 1000, encode_invalid = 0, decode_invalid = 1, keep_buffer = 1, precision = 14 }
  local numfmt = '%.14g'
  local cjson = { null = NULL, _NAME = 'cjson', _VERSION = '2.1.0', new = new_cjson }

  -- configuration
  local function int_option(v, key, min, max, i)
    if v ~= nil then
      local x = int32(checkint(v, i, true))
      if x < min or x > max then throw(sfmt('expected integer between %d and %d', min, max), 1) end
      cfg[key] = x
    end
    return cfg[key]
  end
  local function enum_option(v, key, options)
    options = options or { 'off', 'on' }
    if type(v) == 'boolean' then cfg[key] = v and 1 or 0
    elseif v ~= nil then
      local s, found = checkstr(v, 1, true)
      for i = 1, #options do if options[i] == s then found = i - 1 end end
      if not found then throw(sfmt("invalid option '%s'", s), 1) end
      cfg[key] = found
    end
    local x = cfg[key]
    if x <= 1 then return x == 1 end
    return options[x + 1]
  end
  local function option(nargs, f)
    return api(function(...)
      if select('#', ...) > nargs then throw('found too many arguments', nargs + 1) end
      return f(...)
    end)
  end
  cjson.encode_sparse_array = option(3, function(a, b, c)
    return enum_option(a, 'sparse_convert'), int_option(b, 'sparse_ratio', 0, 0x7fffffff, 2),
      int_option(c, 'sparse_safe', 0, 0x7fffffff, 3)
  end)
  cjson.encode_max_depth = option(1, function(v) return int_option(v, 'encode_max_depth', 1, 0x7fffffff, 1) end)
  cjson.decode_max_depth = option(1, function(v) return int_option(v, 'decode_max_depth', 1, 0x7fffffff, 1) end)
  cjson.encode_number_precision = option(1, function(v)
    local p = int_option(v, 'precision', 1, 14, 1)
    numfmt = '%.' .. p .. 'g'
    return p
  end)
  cjson.encode_keep_buffer = option(1, function(v) return enum_option(v, 'keep_buffer') end)
  cjson.encode_invalid_numbers = option(1, function(v) return enum_option(v, 'encode_invalid', { 'off', 'on', 'null' }) end)
  cjson.decode_invalid_numbers = option(1, function(v) return enum_option(v, 'decode_invalid') end)

  -- encoding
  local buf, nb
  local function number(n)
    if n ~= n or n == huge or n == -huge then
      local mode = cfg.encode_invalid
      if mode == 0 then throw('Cannot serialise number: must not be NaN or Inf') end
      if mode == 2 then return 'null' end
      if n ~= n then return 'nan' end
    end
    if numfmt == '%.14g' and mtype(n) == 'integer' and n < 1e14 and n > -1e14 then return n .. '' end
    return sfmt(numfmt, n)
  end
  local QCACHE, qcount = {}, 0
  local function quote(str) -- quoted and escaped; short strings are cached
    local q = QCACHE[str]
    if q then return q end
    q = '"' .. (sfind(str, '[%c"\\/]') and sgsub(str, '[%c"\\/]', ESC) or str) .. '"'
    if #str <= 64 then
      if qcount >= 2000 then QCACHE, qcount = {}, 0 end
      QCACHE[str], qcount = q, qcount + 1
    end
    return q
  end
  local function array_length(t) -- lua_array_length: -1 for objects
    local max, items = 0, 0
    for k in next, t do
      if type(k) ~= 'number' or k < 1 or floor(k) ~= k then return -1 end
      if k > max then max = k < 0x80000000 and toint(k) or -0x80000000 end -- C int
      items = items + 1
    end
    if cfg.sparse_ratio > 0 and max > items * cfg.sparse_ratio and max > cfg.sparse_safe then
      if cfg.sparse_convert == 0 then throw('Cannot serialise table: excessively sparse array') end
      return -1
    end
    return max
  end
  local function encode_value(v, depth, sp)
    local t = type(v)
    if t == 'string' then nb = nb + 1; buf[nb] = quote(v)
    elseif t == 'number' then nb = nb + 1; buf[nb] = number(v)
    elseif t == 'boolean' then nb = nb + 1; buf[nb] = v and 'true' or 'false'
    elseif v == nil or rawequal(v, NULL) then nb = nb + 1; buf[nb] = 'null'
    elseif t ~= 'table' then throw('Cannot serialise ' .. t .. ': type not supported')
    else
      depth = depth + 1
      if depth > cfg.encode_max_depth or sp + 3 > MAXCSTACK then
        throw(sfmt('Cannot serialise, excessive nesting (%d)', depth))
      end
      local len = array_length(v)
      if len > 0 then
        nb = nb + 1; buf[nb] = '['
        for i = 1, len do
          if i > 1 then nb = nb + 1; buf[nb] = ',' end
          encode_value(rawget(v, i), depth, sp + 1)
        end
        nb = nb + 1; buf[nb] = ']'
      else
        nb = nb + 1; buf[nb] = '{'
        local keys = keys51(v)
        for i = 1, #keys do
          local k = keys[i]
          local kt = type(k)
          if i > 1 then nb = nb + 1; buf[nb] = ',' end
          if kt == 'number' then nb = nb + 1; buf[nb] = '"' .. number(k) .. '":'
          elseif kt == 'string' then nb = nb + 1; buf[nb] = quote(k) .. ':'
          else throw('Cannot serialise ' .. typename(k, true) .. ': table key must be a number or string') end
          encode_value(rawget(v, k), depth, sp + 2)
        end
        nb = nb + 1; buf[nb] = '}'
      end
    end
  end
  cjson.encode = api(function(...)
    if select('#', ...) ~= 1 then throw('expected 1 argument', 1) end
    buf, nb = {}, 0
    encode_value((...), 0, 1)
    local out = tconcat(buf)
    buf = nil
    return out
  end)

  -- decoding: s = text, pos = next char (1-based); current token: ttype, tval, tidx (0-based)
  local s, len, pos, ttype, tval, tidx
  local function token_error(msg, at) ttype, tval, tidx = 'ERROR', msg, at - 1 end
  local function parse_error(expected)
    throw(sfmt('Expected %s but found %s at character %d', expected, ttype == 'ERROR' and tval or ttype, tidx + 1))
  end
  local function strtod(p) -- the prefix C's strtod() accepts at p: value, next position
    local q, c = p, sbyte(s, p)
    local neg = c == 45
    if c == 43 or c == 45 then q = q + 1 end
    local word = slower(ssub(s, q, q + 7))
    if ssub(word, 1, 3) == 'inf' then return neg and -huge or huge, q + (word == 'infinity' and 8 or 3) end
    if ssub(word, 1, 3) == 'nan' then return neg and NNAN or PNAN, smatch(s, '^%([%w_]*%)()', q + 3) or q + 3 end
    local hex = smatch(s, '^0[xX]()', q)
    if hex then
      local ip, _, fp, e = smatch(s, '^(%x*)(%.?)(%x*)()', hex)
      if ip == '' and fp == '' then return neg and -0.0 or 0.0, q + 1 end -- just the "0"
      local e2 = smatch(s, '^[pP][+-]?%d+()', e)
      return tonumber(ssub(s, p, (e2 or e) - 1) .. (e2 and '' or 'p0')), e2 or e
    end
    local ip, _, fp, e = smatch(s, '^(%d*)(%.?)(%d*)()', q)
    if ip == '' and fp == '' then return nil end
    e = smatch(s, '^[eE][+-]?%d+()', e) or e
    local v = (tonumber(ssub(s, p, e - 1)) or 0) + 0.0
    return (v == 0 and neg) and -0.0 or v, e
  end
  local function invalid_number(p) -- json_is_invalid_number
    local c = sbyte(s, p)
    if c == 43 then return true end
    if c == 45 then p = p + 1; c = sbyte(s, p) end
    if c == 48 then
      local c2 = sbyte(s, p + 1) or 0
      return (c2 | 0x20) == 120 or (c2 >= 48 and c2 <= 57)
    end
    if (c or 0) <= 57 then return false end
    local w = slower(ssub(s, p, p + 2))
    return w == 'inf' or w == 'nan'
  end
  local function number_token(p)
    local q = smatch(s, '^%-?%d+()', p) -- fast path: plain integers
    local c = q and sbyte(s, q)
    local v
    if q and c ~= 46 and c ~= 101 and c ~= 69 and c ~= 120 and c ~= 88 then
      v = tonumber(ssub(s, p, q - 1))
      if v == 0 and sbyte(s, p) == 45 then v = -0.0 end
    else
      v, q = strtod(p)
      if v == nil then return token_error('invalid number', p) end
    end
    ttype, tval, pos = 'T_NUMBER', num51(v), q
  end
  local function string_token(p)
    local j = sfind(s, '["\\\0]', p + 1) or len + 1
    if sbyte(s, j) == 34 then ttype, tval, pos = 'T_STRING', ssub(s, p + 1, j - 1), j + 1; return end
    local parts, i = {}, p + 1
    while true do
      j = sfind(s, '["\\\0]', i) or len + 1
      parts[#parts + 1] = ssub(s, i, j - 1)
      local c = sbyte(s, j)
      if c == 34 then ttype, tval, pos = 'T_STRING', tconcat(parts), j + 1; return end
      if c ~= 92 then return token_error('unexpected end of string', j) end
      local e = sbyte(s, j + 1)
      if e == 117 then -- \uXXXX, possibly a surrogate pair
        local cp, n = tonumber(smatch(s, '^%x%x%x%x', j + 2) or '', 16), 6
        if cp and cp & 0xF800 == 0xD800 then
          local lo = cp & 0x400 == 0 and tonumber(smatch(s, '^\\u(%x%x%x%x)', j + 6) or '', 16)
          if lo and lo & 0xFC00 == 0xDC00 then cp, n = (((cp & 0x3FF) << 10) | (lo & 0x3FF)) + 0x10000, 12
          else cp = nil end
        end
        if not cp then return token_error('invalid unicode escape code', j) end
        parts[#parts + 1], i = utf8.char(cp), j + n
      else
        local r = e and UNESC[e]
        if not r then return token_error('invalid escape code', j) end
        parts[#parts + 1], i = r, j + 2
      end
    end
  end
  local function next_token()
    local p = pos
    local c = sbyte(s, p) or 0
    if c == 32 or c == 9 or c == 10 or c == 13 then
      p = sfind(s, '[^ \t\n\r]', p) or len + 1
      c = sbyte(s, p) or 0
    end
    pos, tidx = p, p - 1
    local single = SINGLE[c]
    if single then ttype, pos = single, p + 1; return end
    if c == 0 then ttype = 'T_END'; return end -- end of text, or a NUL byte as in C
    if c == 34 then return string_token(p) end
    if c == 45 or (c >= 48 and c <= 57) then
      if cfg.decode_invalid == 0 and invalid_number(p) then return token_error('invalid number', p) end
      return number_token(p)
    end
    if c == 116 and ssub(s, p, p + 3) == 'true' then ttype, tval, pos = 'T_BOOLEAN', true, p + 4; return end
    if c == 102 and ssub(s, p, p + 4) == 'false' then ttype, tval, pos = 'T_BOOLEAN', false, p + 5; return end
    if c == 110 and ssub(s, p, p + 3) == 'null' then ttype, tval, pos = 'T_NULL', NULL, p + 4; return end
    if (c == 43 or c == 105 or c == 73 or c == 110 or c == 78) and cfg.decode_invalid ~= 0 and invalid_number(p) then
      return number_token(p)
    end
    token_error('invalid token', p)
  end
  local function descend(depth, sp, slots)
    if depth > cfg.decode_max_depth or sp + slots > MAXCSTACK then
      throw(sfmt('Found too many nested data structures (%d) at character %d', depth, pos - 1))
    end
  end
  local function parse_value(depth, sp)
    local tt = ttype
    if tt == 'T_STRING' or tt == 'T_NUMBER' or tt == 'T_BOOLEAN' or tt == 'T_NULL' then return tval end
    if tt == 'T_OBJ_BEGIN' then
      depth = depth + 1
      descend(depth, sp, 3)
      local t, keys = {}, {}
      ORDER[t] = keys
      next_token()
      if ttype == 'T_OBJ_END' then return t end
      while true do
        if ttype ~= 'T_STRING' then parse_error('object key string') end
        local k = tval
        next_token()
        if ttype ~= 'T_COLON' then parse_error('colon') end
        next_token()
        if rawget(t, k) == nil then keys[#keys + 1] = k end
        rawset(t, k, parse_value(depth, sp + 2))
        next_token()
        if ttype == 'T_OBJ_END' then return t end
        if ttype ~= 'T_COMMA' then parse_error('comma or object end') end
        next_token()
      end
    elseif tt == 'T_ARR_BEGIN' then
      depth = depth + 1
      descend(depth, sp, 2)
      local t = {}
      next_token()
      if ttype == 'T_ARR_END' then return t end
      for i = 1, math.maxinteger do
        t[i] = parse_value(depth, sp + 1)
        next_token()
        if ttype == 'T_ARR_END' then return t end
        if ttype ~= 'T_COMMA' then parse_error('comma or array end') end
        next_token()
      end
    end
    parse_error('value')
  end
  cjson.decode = api(function(...)
    if select('#', ...) ~= 1 then throw('expected 1 argument', 1) end
    s = checkstr((...), 1, true)
    len, pos = #s, 1
    if len >= 2 and (sbyte(s, 1) == 0 or sbyte(s, 2) == 0) then
      throw('JSON parser does not support UTF-16 or UTF-32')
    end
    next_token()
    local v = parse_value(0, 1)
    next_token()
    if ttype ~= 'T_END' then parse_error('the end') end
    s, tval = nil, nil
    return v
  end)
  return cjson
end

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
