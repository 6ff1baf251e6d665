puts STDIN.gets_to_end.split.map(&.to_i64).sum(0_i64)
