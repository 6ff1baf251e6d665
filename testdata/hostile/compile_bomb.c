// The compiler reads /dev/zero forever. Expected: compile_error (a limit stops the compiler).
#include "/dev/zero"
