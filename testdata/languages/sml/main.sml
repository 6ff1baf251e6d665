fun loop sum =
  case TextIO.scanStream (Int.scan StringCvt.DEC) TextIO.stdIn of
      SOME x => loop (sum + x)
    | NONE => sum

val () = print (String.map (fn #"~" => #"-" | c => c) (Int.toString (loop 0)) ^ "\n")
