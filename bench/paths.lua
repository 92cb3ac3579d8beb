-- wrk script: requests the paths listed (one per line) in the file named by CREDO_PATHS, round-robin.
local paths = {}
for line in io.lines(os.getenv("CREDO_PATHS")) do
  paths[#paths + 1] = line
end
local i = 0
request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end
