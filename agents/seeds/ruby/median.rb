# The median of a non-empty list of numbers (the mean of the middle two for even sizes).
def median(xs)
  sorted = xs.sort
  mid = sorted.length / 2
  sorted.length.odd? ? sorted[mid].to_f : (sorted[mid - 1] + sorted[mid]) / 2.0
end
