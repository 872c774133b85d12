-- Splits s at every occurrence of the single-character separator sep.
function split(s, sep)
  local parts = {}
  for part in (s .. sep):gmatch("(.-)" .. sep:gsub("%p", "%%%0")) do
    parts[#parts + 1] = part
  end
  return parts
end
