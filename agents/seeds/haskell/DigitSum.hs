module Solution where

-- The sum of the decimal digits of a non-negative integer.
digitSum :: Integer -> Integer
digitSum 0 = 0
digitSum n = n `mod` 10 + digitSum (n `div` 10)
