int main() {
    int sum = 0;
    string input = replace(Stdio.stdin->read(), ({"\t", "\r", "\n"}), ({" ", " ", " "}));
    foreach (input / " ", string w)
        if (sizeof(w)) sum += (int)w;
    write("%d\n", sum);
    return 0;
}
