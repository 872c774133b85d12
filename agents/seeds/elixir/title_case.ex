defmodule TitleCase do
  def title_case(s) do
    s
    |> String.split(" ", trim: true)
    |> Enum.map(&String.capitalize/1)
    |> Enum.join(" ")
  end
end
