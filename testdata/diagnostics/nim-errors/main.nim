proc main() =
  let y = x + 1
  echo y

main()
