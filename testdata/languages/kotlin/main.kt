fun main() {
    val sum = generateSequence(::readLine)
        .flatMap { it.split(Regex("\\s+")).asSequence() }
        .filter { it.isNotEmpty() }
        .map { it.toLong() }
        .sum()
    println(sum)
}
