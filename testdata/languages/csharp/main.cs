using System;
using System.Linq;

class Program {
    static void Main() {
        var words = Console.In.ReadToEnd().Split((char[])null, StringSplitOptions.RemoveEmptyEntries);
        Console.WriteLine(words.Sum(w => long.Parse(w)));
    }
}
