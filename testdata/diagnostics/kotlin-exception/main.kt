fun div(a: Int, b: Int): Int {
    return a / b
}

fun main(args: Array<String>) {
    println(div(1, args.size))
}
