local sum = 0
for w in io.read("a"):gmatch("%S+") do
  sum = sum + math.tointeger(tonumber(w))
end
print(sum)
