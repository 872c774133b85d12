# Capitalizes every word of a sentence, keeping short joining words lower case.
SMALL_WORDS = %w[a an and of the to in].freeze

def title_case(sentence)
  sentence.split.each_with_index.map do |word, i|
    i.positive? && SMALL_WORDS.include?(word.downcase) ? word.downcase : word.capitalize
  end.join(" ")
end
