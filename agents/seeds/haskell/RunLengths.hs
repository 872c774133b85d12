module Solution where

-- Run-length encoding: each run of equal characters as the character and its count.
runLengths :: String -> [(Char, Integer)]
runLengths [] = []
runLengths (c : cs) = (c, 1 + fromIntegral (length same)) : runLengths rest
  where
    (same, rest) = span (== c) cs
