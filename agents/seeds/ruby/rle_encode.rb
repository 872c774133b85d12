# Run-length encodes a string: "aaabcc" becomes "a3b1c2".
def rle_encode(s)
  s.chars.chunk_while { |a, b| a == b }.map { |run| "#{run.first}#{run.length}" }.join
end
