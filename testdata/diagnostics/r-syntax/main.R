total <- 0
for (x in c(1, 2, 3)) {
  total <- total + x
}
print(total))
