f <- function(v) {
  v + missing_value
}

print(f(1))
