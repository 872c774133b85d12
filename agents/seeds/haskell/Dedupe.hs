module Solution where

-- The elements of a list with later repeats removed, first occurrences kept in order.
dedupe :: [Integer] -> [Integer]
dedupe = go []
  where
    go _ [] = []
    go seen (x : xs)
      | x `elem` seen = go seen xs
      | otherwise = x : go (x : seen) xs
