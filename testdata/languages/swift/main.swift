var sum = 0
while let line = readLine() {
    for word in line.split(whereSeparator: { $0 == " " || $0 == "\t" }) {
        sum += Int(word)!
    }
}
print(sum)
