// The Lua side of the scripting engine, run once in a new VM: the sandbox Redis 7.0 gives
// scripts, rebuilt on Lua 5.4.
//
// - Only Redis's allow-listed globals are visible (no io, os, package, require, dofile,
//   loadfile, print; `debug` only to the error handler). Lua 5.1 names scripts use are provided
//   (unpack, loadstring, table.getn, math.pow, math.mod, string.gfind, gcinfo).
// - Scripts run with `_ENV` set to an empty proxy: reading a global that does not exist raises
//   "Script attempted to access nonexistent global variable", assigning one raises "Attempt to
//   modify a readonly table", and the libraries are read-only proxies too (Redis's Lua patches
//   in read-only tables; Lua 5.4 has none, so proxies stand in for them).
// - The error handler records the script line, as Redis's __redis__err__handler.
// - `pcall` turns an error table ({err=...}) into its message, as Redis's pcall does.
//
// - FUNCTION libraries load in a sandbox where only redis.register_function, redis.log and the
//   version exist; their functions then run with the globals EVAL scripts see (no KEYS, ARGV).
//
// - cjson, cmsgpack, struct and bit are compiled the first time a script names one (their code
//   is most of the VM's memory otherwise: a node that never scripts does not pay for it).
//
// The chunk receives (redis, load_libs, library_api, tonumber: lua-tonumber.ts's or nil) and returns
// the runner functions scripting.ts calls.

export const LUA_PRELUDE = String.raw`
local redis_api, load_libs, library_api, fast_tonumber = ...
local G = _G
local rawget, rawset, setmetatable, error, type, tostring, xpcall = rawget, rawset, setmetatable, error, type, tostring, xpcall
local lua_pcall, select, tpack, tunpack = pcall, select, table.pack, table.unpack
local dbg = debug

local function readonly_error() error('Attempt to modify a readonly table', 2) end
local proxied = setmetatable({}, { __mode = 'k' }) -- ephemeron: a dropped library's proxy goes with it
-- Tables a script may read but not change (the proxies, the sandboxes), and their metatables.
local protected = setmetatable({}, { __mode = 'k' })
local function readonly(t)
  if proxied[t] then return proxied[t] end
  local mt = { __index = t, __newindex = readonly_error,
    __pairs = function() return next, t, nil end, __len = function() return #t end }
  local p = setmetatable({}, mt)
  proxied[t] = p
  protected[p] = true
  return p
end
-- getmetatable on a protected table gives a read-only view of its metatable.
local function protect_metatable(t)
  local mt = dbg.getmetatable(t)
  protected[t] = true
  if rawget(mt, '__metatable') == nil then mt.__metatable = readonly(mt) end
end

-- Lua 5.1 names that scripts written for Redis use.
table.getn = function(t) return #t end
math.pow = function(x, y) return x ^ y end
math.mod = math.fmod
math.ldexp = function(m, e) return m * 2.0 ^ e end
math.frexp = function(x)
  if x == 0 or x ~= x or x == math.huge or x == -math.huge then return x, 0 end
  local e = math.floor(math.log(math.abs(x), 2)) + 1
  local m = x / 2.0 ^ e
  if math.abs(m) >= 1 then m = m / 2; e = e + 1 elseif math.abs(m) < 0.5 then m = m * 2; e = e - 1 end
  return m, e
end
string.gfind = string.gmatch

-- The globals a script sees (Redis 7.0's allow list).
local visible = {}
for _, name in ipairs({ 'xpcall', 'tostring', 'setmetatable', 'next', 'assert', 'tonumber', 'rawequal',
  'collectgarbage', 'getmetatable', 'rawset', 'coroutine', 'type', 'select', 'pairs', 'rawget',
  'ipairs', '_VERSION', 'error', 'rawlen' }) do
  visible[name] = G[name]
end
visible.unpack = tunpack
visible.tonumber = fast_tonumber or G.tonumber -- lua-tonumber.ts
-- Lua 5.1 printed every number with %.14g; 5.4 writes floats with integral values as "5.0".
-- tostring keeps 5.1's form (concatenation cannot: docs/scripting.md).
local lua_tostring, mtype, sformat = tostring, math.type, string.format
visible.tostring = function(v)
  if mtype(v) == 'float' then return sformat('%.14g', v) end
  return lua_tostring(v)
end
visible.gcinfo = function() return math.floor(collectgarbage('count')) end
visible.newproxy = function(withmeta)
  local p = {}
  if withmeta then setmetatable(p, {}) end
  return p
end
visible.setmetatable = function(t, mt)
  if protected[t] then error('Attempt to modify a readonly table', 0) end
  return setmetatable(t, mt)
end
for _, name in ipairs({ 'string', 'math', 'table' }) do visible[name] = readonly(G[name]) end
visible.coroutine = readonly(G.coroutine)
visible.redis = readonly(redis_api)

-- Strings' methods go through the read-only string library too.
local smt = getmetatable('')
smt.__index = visible.string
smt.__metatable = readonly(smt)

local lazy = { cjson = true, cmsgpack = true, struct = true, bit = true }
local fvisible = {}
local protect_metatable_later
local LIB_NAMES = { 'cjson', 'cmsgpack', 'struct', 'bit' }
local loaded_libs = {}
local function load_lazy_libs()
  local libs = load_libs()
  loaded_libs = libs
  for name, lib in pairs(libs) do
    local p = readonly(lib)
    protect_metatable_later(p)
    rawset(visible, name, p)
    rawset(fvisible, name, p)
  end
end

local missing = setmetatable(visible, { __index = function(_, k)
  if lazy[k] then
    lazy = {}
    load_lazy_libs()
    return rawget(visible, k)
  end
  error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2)
end })

-- What a script's _ENV is: reads go to the visible globals, writes fail.
local env = setmetatable({}, { __index = missing, __newindex = readonly_error })
visible._G = env

-- Chunks a script compiles itself: text only, in the same sandbox.
visible.load = function(chunk, name, mode, e) return load(chunk, name, 't', e or env) end
visible.loadstring = function(s, name) return load(s, name, 't', env) end

visible.pcall = function(f, ...)
  local r = tpack(lua_pcall(f, ...))
  if not r[1] and type(r[2]) == 'table' and type(rawget(r[2], 'err')) == 'string' then
    return false, rawget(r[2], 'err')
  end
  return tunpack(r, 1, r.n)
end

-- Lua 5.4 words a type error "attempt to call a nil value (field 'f')"; Lua 5.1, which Redis
-- embeds and whose wording scripts and tests match on, "attempt to call field 'f' (a nil value)".
local sgsub = string.gsub
local function lua51_wording(msg)
  return (sgsub(msg, "attempt to ([%a ]-) a (%a+) value %((%a+) '([^']*)'%)", "attempt to %1 %3 '%4' (a %2 value)"))
end

local function err_handler(err)
  local level = 2
  local i = dbg.getinfo(level, 'nSl')
  if i and i.what == 'C' then level = 3; i = dbg.getinfo(level, 'nSl') end
  -- An error raised by the sandbox itself (a global's metamethod) is reported at the script's line.
  while i and (i.source == '=prelude' or i.source == '=libs' or i.what == 'C') do level = level + 1; i = dbg.getinfo(level, 'nSl') end
  if type(err) ~= 'table' then err = { err = 'ERR ' .. lua51_wording(tostring(err)) } end
  if i then
    err.source = i.source
    err.line = i.currentline
  end
  return err
end

-- FUNCTION: one environment for every library, whose globals are switched while a library loads.
for k, v in pairs(visible) do fvisible[k] = v end
setmetatable(fvisible, getmetatable(visible))
local load_api = setmetatable({ redis = readonly(setmetatable(library_api, getmetatable(visible))) }, getmetatable(visible))
local fenv_mt = { __index = fvisible, __newindex = readonly_error }
local fenv = setmetatable({}, fenv_mt)
fvisible._G = fenv
fvisible.load = function(chunk, name, mode, e) return load(chunk, name, 't', e or fenv) end
fvisible.loadstring = function(s, name) return load(s, name, 't', fenv) end

protect_metatable_later = protect_metatable
for _, t in ipairs({ env, fenv, visible, fvisible, load_api }) do protect_metatable(t) end
local proxies = {}
for _, p in pairs(proxied) do proxies[#proxies + 1] = p end
for _, p in ipairs(proxies) do protect_metatable(p) end

local runner = {}
-- SCRIPT FLUSH: the libraries go too (Redis resets its whole VM); a script naming one loads them again.
function runner.unload_libs()
  for _, name in ipairs(LIB_NAMES) do
    local lib = loaded_libs[name]
    if lib ~= nil then proxied[lib] = nil end
    rawset(visible, name, nil)
    rawset(fvisible, name, nil)
  end
  loaded_libs = {}
  lazy = { cjson = true, cmsgpack = true, struct = true, bit = true }
end
-- FUNCTION LOAD: runs a library's code, which registers its functions.
function runner.load_library(chunk)
  fenv_mt.__index = load_api
  local ok, err = lua_pcall(chunk)
  fenv_mt.__index = fvisible
  return ok, err
end
runner.fenv = fenv
-- EVAL: KEYS and ARGV are globals of the run.
function runner.eval(f, keys, argv)
  rawset(visible, 'KEYS', keys)
  rawset(visible, 'ARGV', argv)
  return xpcall(f, err_handler)
end
-- FCALL: the function gets the keys and the arguments.
function runner.fcall(f, keys, argv)
  return xpcall(f, err_handler, keys, argv)
end
runner.env = env
runner.visible = visible
-- A compiled script's bytecode, for script-bounds.ts.
local sdump = string.dump
function runner.dump(f) return sdump(f, true) end
return runner
`;
