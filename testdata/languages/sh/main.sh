sum=0
while read -r line || [ -n "$line" ]; do
  for n in $line; do
    sum=$((sum + n))
  done
done
echo "$sum"
