local sum = 0
for w in io.read("*a"):gmatch("%S+") do
  sum = sum + tonumber(w)
end
print(string.format("%d", sum))
