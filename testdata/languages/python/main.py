import sys

print(sum(int(w) for w in sys.stdin.read().split()))
