@fmt_in = private constant [3 x i8] c"%d\00"
@fmt_out = private constant [4 x i8] c"%d\0A\00"

declare i32 @scanf(i8*, ...)
declare i32 @printf(i8*, ...)

define i32 @main() {
entry:
  %x = alloca i32
  %sum = alloca i32
  store i32 0, i32* %sum
  br label %loop
loop:
  %r = call i32 (i8*, ...) @scanf(i8* getelementptr ([3 x i8], [3 x i8]* @fmt_in, i64 0, i64 0), i32* %x)
  %ok = icmp eq i32 %r, 1
  br i1 %ok, label %add, label %done
add:
  %v = load i32, i32* %x
  %s = load i32, i32* %sum
  %n = add i32 %s, %v
  store i32 %n, i32* %sum
  br label %loop
done:
  %total = load i32, i32* %sum
  call i32 (i8*, ...) @printf(i8* getelementptr ([4 x i8], [4 x i8]* @fmt_out, i64 0, i64 0), i32 %total)
  ret i32 0
}
