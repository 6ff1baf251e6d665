object Main {
  def main(args: Array[String]): Unit = {
    val words = scala.io.Source.stdin.mkString.split("\\s+").filter(_.nonEmpty)
    println(words.map(_.toLong).sum)
  }
}
