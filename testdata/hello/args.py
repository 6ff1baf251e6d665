import sys

print(" ".join(sys.argv[1:]))
sys.exit(len(sys.argv) - 1)
