// A 32-bit system call (int $0x80: getpid) from a 64-bit program, which would bypass a filter
// that checks only syscall numbers. Expected: signaled, SIGSYS.
int main(void) {
	long r;
	__asm__ volatile("int $0x80" : "=a"(r) : "a"(20L));
	return r > 0 ? 0 : 1;
}
