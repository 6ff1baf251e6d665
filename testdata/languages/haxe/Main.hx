class Main {
    static function main() {
        var input = Sys.stdin().readAll().toString();
        var sum = 0;
        for (w in ~/\s+/g.split(input))
            if (w != "") sum += Std.parseInt(w);
        Sys.println(sum);
    }
}
