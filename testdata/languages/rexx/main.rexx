sum = 0
do while lines() > 0
    line = translate(linein(), ' ', '09'x)
    do i = 1 to words(line)
        sum = sum + word(line, i)
    end
end
say sum
