defmodule Rotate do
  def rotate_left([], _k), do: []

  def rotate_left(xs, k) do
    n = rem(k, length(xs))
    Enum.drop(xs, n) ++ Enum.take(xs, n)
  end
end
