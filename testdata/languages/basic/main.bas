dim w$(1)
sum = 0
while (not eof(0))
    line input "" a$
    n = token(a$, w$(), " \t\r")
    for i = 1 to n
        sum = sum + val(w$(i))
    next i
wend
print sum
