fn main() {
    let unused = 1;
    let y = x + 1;
    println!("{}", y);
}
