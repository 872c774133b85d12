-- A new list with the elements of xs in reverse order.
function reverse_list(xs)
  local out = {}
  for i = #xs, 1, -1 do
    out[#out + 1] = xs[i]
  end
  return out
end
