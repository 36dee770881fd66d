// cjson for scripts, in Lua 5.4 (part of the libraries chunk assembled in lua-libs.ts, whose
// shared helpers and Lua 5.1 table order it uses): lua-cjson 2.1.0 with Redis's patches.

export const LUA_CJSON = String.raw`
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

`;
