-- Counts how often each lower-cased word occurs in a text.
function count_words(text)
  local counts = {}
  for word in text:lower():gmatch("%a+") do
    counts[word] = (counts[word] or 0) + 1
  end
  return counts
end
