proc runningMax*(xs: seq[int]): seq[int] =
  for x in xs:
    if result.len == 0 or x > result[^1]:
      result.add(x)
    else:
      result.add(result[^1])
