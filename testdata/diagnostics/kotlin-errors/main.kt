fun main() {
    val y = x + 1
    println(y)
}
