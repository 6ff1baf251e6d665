void main() {
    int64 sum = 0;
    string? line;
    while ((line = stdin.read_line()) != null) {
        foreach (unowned string w in line.split_set(" \t\r")) {
            if (w != "") {
                sum += int64.parse(w);
            }
        }
    }
    print("%s\n", sum.to_string());
}
