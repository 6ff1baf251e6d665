import std.stdio;

int at(int[] a, size_t i) {
    return a[i];
}

void main() {
    int[] a = [1, 2, 3];
    writeln(at(a, a.length));
}
