proc clampAll*(xs: seq[int], lo, hi: int): seq[int] =
  for x in xs:
    result.add(max(lo, min(hi, x)))
