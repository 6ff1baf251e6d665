sum=0
read -r -d '' input
for n in $input; do
  sum=$((sum + n))
done
echo "$sum"
