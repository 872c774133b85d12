object Interleave {
  def interleave(a: List[Long], b: List[Long]): List[Long] = (a, b) match {
    case (x :: xs, y :: ys) => x :: y :: interleave(xs, ys)
    case (Nil, rest) => rest
    case (rest, Nil) => rest
  }
}
