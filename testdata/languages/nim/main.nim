import std/strutils

var sum = 0
for w in stdin.readAll().splitWhitespace():
  sum += parseInt(w)
echo sum
