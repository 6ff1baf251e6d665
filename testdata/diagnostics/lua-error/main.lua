local function total(t)
  return t.count + 1
end

print(total({}))
