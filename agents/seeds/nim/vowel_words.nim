import std/strutils

proc vowelWords*(s: string): seq[string] =
  for w in s.splitWhitespace:
    if w.len > 0 and w[0].toLowerAscii in {'a', 'e', 'i', 'o', 'u'}:
      result.add(w)
