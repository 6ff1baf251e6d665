check <- function(n) {
  if (n > 2) stop("n is ", n, ", which is more than this small example is willing to accept")
  n
}
for (i in 1:5) cat(check(i), "\n")
