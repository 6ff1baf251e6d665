using System;

class Program {
    static void Main() {
        int y = x + 1;
        Console.WriteLine(y);
    }
}
