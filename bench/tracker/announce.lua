-- wrk script: HTTP announces with a random torrent from a pool, a random peer id and port, no
-- event, numwant=50, compact. Usage: wrk ... -s announce.lua URL -- HASHFILE(hex lines) [PATH]
local hashes = {}
local hex = {}
local path = "/announce"

for i = 0, 255 do
  hex[i] = string.format("%%%02x", i)
end

function init(args)
  local file = assert(io.open(args[1], "r"), "cannot open hash file " .. tostring(args[1]))
  for line in file:lines() do
    if #line == 40 then
      local encoded = {}
      for i = 1, 40, 2 do
        encoded[#encoded + 1] = "%" .. line:sub(i, i + 1)
      end
      hashes[#hashes + 1] = table.concat(encoded)
    end
  end
  file:close()
  if args[2] then path = args[2] end
  math.randomseed(os.time() + (tonumber(tostring({}):match("0x(%x+)"), 16) or 0))
end

local random = math.random
local concat = table.concat

function request()
  local id = {}
  for i = 1, 20 do
    id[i] = hex[random(0, 255)]
  end
  local url = path .. "?info_hash=" .. hashes[random(#hashes)] .. "&peer_id=" .. concat(id)
    .. "&port=" .. random(1024, 65535) .. "&uploaded=0&downloaded=0&left="
    .. (random(0, 1) * 1000000) .. "&compact=1&numwant=50"
  return wrk.format("GET", url)
end
