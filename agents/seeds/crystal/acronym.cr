def acronym(phrase : String) : String
  phrase.split(/[\s\-]+/).reject(&.empty?).map { |w| w[0].upcase }.join
end
