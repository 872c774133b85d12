def word_count(s : String) : Hash(String, Int64)
  counts = Hash(String, Int64).new(0_i64)
  s.downcase.scan(/[a-z']+/) { |m| counts[m[0]] += 1 }
  counts
end
