def ratio(a, b)
  a / b
end

puts ratio(1, 0)
