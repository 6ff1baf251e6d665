fn main() {
    let v: Vec<i32> = Vec::new();
    let first: Option<&i32> = v.first();
    println!("{}", first.unwrap());
}
