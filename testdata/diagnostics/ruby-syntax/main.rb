def main
  puts "hi"

main
