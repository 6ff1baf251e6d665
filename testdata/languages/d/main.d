import std.array : split;
import std.conv : to;
import std.stdio;

void main() {
    long sum = 0;
    foreach (line; stdin.byLine)
        foreach (w; line.split)
            sum += w.to!long;
    writeln(sum);
}
