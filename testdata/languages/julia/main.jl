println(sum(parse.(Int, split(read(stdin, String)))))
