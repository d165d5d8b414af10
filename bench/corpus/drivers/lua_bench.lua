-- The Lua program of the corpus (drivers/lua.c embeds it): classic CPU benchmarks, each printing
-- one deterministic result line. No os/io: all input comes from a small integer LCG.

local seed = 42
local function rand(n) -- 0 .. n-1
  seed = (seed * 1103515245 + 12345) & 0x7fffffff
  return seed % n
end

-- 1. Recursive calls.
local function fib(n) if n < 2 then return n end return fib(n - 1) + fib(n - 2) end
print(string.format("fib(27) = %d", fib(27)))

-- 2. Strings: building, formatting, pattern matching, substitution.
do
  local parts = {}
  for i = 1, 40000 do
    parts[#parts + 1] = string.format("%05d:%s;", rand(100000), string.rep(string.char(97 + i % 26), 1 + i % 7))
  end
  local s = table.concat(parts)
  local count, sum = 0, 0
  for num, word in s:gmatch("(%d+):(%a+);") do
    count = count + 1
    sum = (sum + tonumber(num) * #word) % 1000000007
  end
  local up = s:upper():gsub("[AEIOU]+", function(v) return "<" .. #v .. ">" end)
  local h = 0
  for i = 1, #up, 7 do h = (h * 31 + up:byte(i)) & 0xffffffff end
  print(string.format("strings: len %d, %d matches, sum %d, upper len %d, hash %08x",
    #s, count, sum, #up, h))
end

-- 3. Tables: sorting numbers with a comparator, strings by default order, a hash table.
do
  local t = {}
  for i = 1, 60000 do t[i] = rand(1000000) end
  table.sort(t, function(a, b) return a > b end)
  local ok = true
  for i = 2, #t do if t[i - 1] < t[i] then ok = false end end
  local words = {}
  for i = 1, 20000 do words[i] = tostring(rand(1000000)) .. "w" end
  table.sort(words)
  local counts = {}
  for i = 1, 100000 do
    local k = "k" .. rand(5000)
    counts[k] = (counts[k] or 0) + 1
  end
  local distinct, maxc = 0, 0
  for _, c in pairs(counts) do distinct = distinct + 1; if c > maxc then maxc = c end end
  print(string.format("tables: sorted %s, t[1] %d, t[30000] %d, words[1] %s, words[20000] %s, %d keys, max %d",
    tostring(ok), t[1], t[30000], words[1], words[#words], distinct, maxc))
end

-- 4. N-body (the Computer Language Benchmarks Game's, floating point and field access).
do
  local sqrt = math.sqrt
  local PI = math.pi
  local SOLAR_MASS = 4 * PI * PI
  local DAYS_PER_YEAR = 365.24
  local bodies = {
    {x = 0, y = 0, z = 0, vx = 0, vy = 0, vz = 0, mass = SOLAR_MASS},
    {x = 4.84143144246472090e+00, y = -1.16032004402742839e+00, z = -1.03622044471123109e-01,
     vx = 1.66007664274403694e-03 * DAYS_PER_YEAR, vy = 7.69901118419740425e-03 * DAYS_PER_YEAR,
     vz = -6.90460016972063023e-05 * DAYS_PER_YEAR, mass = 9.54791938424326609e-04 * SOLAR_MASS},
    {x = 8.34336671824457987e+00, y = 4.12479856412430479e+00, z = -4.03523417114321381e-01,
     vx = -2.76742510726862411e-03 * DAYS_PER_YEAR, vy = 4.99852801234917238e-03 * DAYS_PER_YEAR,
     vz = 2.30417297573763929e-05 * DAYS_PER_YEAR, mass = 2.85885980666130812e-04 * SOLAR_MASS},
    {x = 1.28943695621391310e+01, y = -1.51111514016986312e+01, z = -2.23307578892655734e-01,
     vx = 2.96460137564761618e-03 * DAYS_PER_YEAR, vy = 2.37847173959480950e-03 * DAYS_PER_YEAR,
     vz = -2.96589568540237556e-05 * DAYS_PER_YEAR, mass = 4.36624404335156298e-05 * SOLAR_MASS},
    {x = 1.53796971148509165e+01, y = -2.59193146099879641e+01, z = 1.79258772950371181e-01,
     vx = 2.68067772490389322e-03 * DAYS_PER_YEAR, vy = 1.62824170038242295e-03 * DAYS_PER_YEAR,
     vz = -9.51592254519715870e-05 * DAYS_PER_YEAR, mass = 5.15138902046611451e-05 * SOLAR_MASS},
  }
  local n = #bodies
  local function advance(dt)
    for i = 1, n do
      local bi = bodies[i]
      local bix, biy, biz, bimass = bi.x, bi.y, bi.z, bi.mass
      local bivx, bivy, bivz = bi.vx, bi.vy, bi.vz
      for j = i + 1, n do
        local bj = bodies[j]
        local dx, dy, dz = bix - bj.x, biy - bj.y, biz - bj.z
        local d2 = dx * dx + dy * dy + dz * dz
        local mag = dt / (d2 * sqrt(d2))
        local bm = bj.mass * mag
        bivx = bivx - dx * bm; bivy = bivy - dy * bm; bivz = bivz - dz * bm
        bm = bimass * mag
        bj.vx = bj.vx + dx * bm; bj.vy = bj.vy + dy * bm; bj.vz = bj.vz + dz * bm
      end
      bi.vx, bi.vy, bi.vz = bivx, bivy, bivz
      bi.x = bix + dt * bivx; bi.y = biy + dt * bivy; bi.z = biz + dt * bivz
    end
  end
  local function energy()
    local e = 0
    for i = 1, n do
      local bi = bodies[i]
      e = e + 0.5 * bi.mass * (bi.vx * bi.vx + bi.vy * bi.vy + bi.vz * bi.vz)
      for j = i + 1, n do
        local bj = bodies[j]
        local dx, dy, dz = bi.x - bj.x, bi.y - bj.y, bi.z - bj.z
        e = e - bi.mass * bj.mass / sqrt(dx * dx + dy * dy + dz * dz)
      end
    end
    return e
  end
  local px, py, pz = 0, 0, 0
  for i = 1, n do
    local b = bodies[i]
    px = px + b.vx * b.mass; py = py + b.vy * b.mass; pz = pz + b.vz * b.mass
  end
  bodies[1].vx = -px / SOLAR_MASS; bodies[1].vy = -py / SOLAR_MASS; bodies[1].vz = -pz / SOLAR_MASS
  local before = energy()
  for _ = 1, 100000 do advance(0.01) end
  print(string.format("nbody(100000): %.9f -> %.9f", before, energy()))
end

-- 5. Spectral norm (closures and floating point in nested loops).
do
  local function A(i, j)
    local ij = i + j - 1
    return 1.0 / (ij * (ij - 1) * 0.5 + i)
  end
  local function Av(x, y, N)
    for i = 1, N do
      local a = 0
      for j = 1, N do a = a + x[j] * A(i, j) end
      y[i] = a
    end
  end
  local function Atv(x, y, N)
    for i = 1, N do
      local a = 0
      for j = 1, N do a = a + x[j] * A(j, i) end
      y[i] = a
    end
  end
  local N = 150
  local u, v, t = {}, {}, {}
  for i = 1, N do u[i] = 1 end
  for _ = 1, 10 do
    Av(u, t, N); Atv(t, v, N)
    Av(v, t, N); Atv(t, u, N)
  end
  local vBv, vv = 0, 0
  for i = 1, N do
    local ui, vi = u[i], v[i]
    vBv = vBv + ui * vi; vv = vv + vi * vi
  end
  print(string.format("spectralnorm(%d) = %.9f", N, math.sqrt(vBv / vv)))
end

-- 6. Objects: metatables, method calls, closures.
do
  local Point = {}
  Point.__index = Point
  function Point.new(x, y) return setmetatable({x = x, y = y}, Point) end
  function Point:add(o) return Point.new(self.x + o.x, self.y + o.y) end
  function Point:norm1() return math.abs(self.x) + math.abs(self.y) end
  local acc = Point.new(0, 0)
  local total = 0
  for i = 1, 200000 do
    local p = Point.new(rand(201) - 100, rand(201) - 100)
    acc = acc:add(p)
    total = total + p:norm1()
  end
  print(string.format("objects: acc (%d, %d), total %d", acc.x, acc.y, total))
end
