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


import { LUA_CJSON } from './lua-libs-cjson.js';
import { LUA_BINARY_LIBS } from './lua-libs-binary.js';

/** Shared helpers and Lua 5.1's table order, which the libraries use. */
const LUA_LIBS_SHARED = String.raw`
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

`;

export const LUA_LIBS_SOURCE: string = [LUA_LIBS_SHARED, LUA_CJSON, LUA_BINARY_LIBS].join('\n');
