defmodule M do
  def ratio(a, b), do: div(a, b)
end

IO.puts(M.ratio(1, 0))
