def pairwise_diffs(xs : Array(Int64)) : Array(Int64)
  xs.each_cons(2).map { |(a, b)| b - a }.to_a
end
