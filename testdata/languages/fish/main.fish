set sum 0
while read -l line; or test -n "$line"
    for n in (string split -n ' ' -- (string replace -a \t ' ' -- $line))
        set sum (math $sum + $n)
    end
    set line ''
end
echo $sum
