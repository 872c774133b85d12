defmodule Frequencies do
  def letter_counts(s) do
    s
    |> String.downcase()
    |> String.graphemes()
    |> Enum.filter(&(&1 =~ ~r/^[a-z]$/))
    |> Enum.frequencies()
  end
end
