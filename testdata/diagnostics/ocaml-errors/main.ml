let () =
  let y = x + 1 in
  print_int y
