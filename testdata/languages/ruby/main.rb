puts $stdin.read.split.sum(&:to_i)
