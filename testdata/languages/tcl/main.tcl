set sum 0
foreach n [read stdin] {
    incr sum $n
}
puts $sum
