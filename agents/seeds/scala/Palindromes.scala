object Palindromes {
  def palindromes(words: List[String]): List[String] =
    words.filter { w => val t = w.toLowerCase; t.nonEmpty && t == t.reverse }
}
