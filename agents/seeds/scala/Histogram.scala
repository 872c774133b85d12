object Histogram {
  def letterHistogram(s: String): Map[Char, Int] =
    s.toLowerCase.filter(_.isLetter).groupBy(identity).map { case (c, cs) => c -> cs.length }
}
