-- wrk script: POST /api/v1/checks, one subject per request, codes from the file named by CREDO_CODES
-- (one per line, round-robin), with the key in CREDO_KEY.
local codes = {}
for line in io.lines(os.getenv("CREDO_CODES")) do
  codes[#codes + 1] = line
end
local scenes = { "zfcg", "ztb", "gxf", "xzxk", "jg" }
local key = os.getenv("CREDO_KEY")
local i = 0
request = function()
  i = i % #codes + 1
  local body = '{"scene":"' .. scenes[i % #scenes + 1] .. '","purpose":"基准测试","subjects":["' .. codes[i] .. '"]}'
  return wrk.format("POST", "/api/v1/checks",
    { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. key }, body)
end
