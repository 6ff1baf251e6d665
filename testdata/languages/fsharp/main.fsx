let words = stdin.ReadToEnd().Split([| ' '; '\t'; '\r'; '\n' |], System.StringSplitOptions.RemoveEmptyEntries)
printfn "%d" (words |> Array.sumBy int64)
