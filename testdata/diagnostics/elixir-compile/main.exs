defmodule M do
  def f, do: undefined_thing()
end

IO.puts(M.f())
