import std.stdio;

void main() {
    int y = x + 1;
    writeln(y);
}
