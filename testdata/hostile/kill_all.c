// Signals every process it can (kill -1) and pid 1. Expected: ok; nothing outside the
// sandbox is touched (the host's sentinel lives on).
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
int main(void) {
	int a = kill(-1, SIGKILL), ea = errno;
	int b = kill(1, SIGKILL), eb = errno;
	printf("kill(-1)=%s kill(1)=%s\n", a ? strerror(ea) : "0", b ? strerror(eb) : "0");
	return 0;
}
