sum=0
while read -r line || [[ -n $line ]]; do
  for n in ${=line}; do
    (( sum += n ))
  done
done
print $sum
