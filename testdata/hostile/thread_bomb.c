// Starts sleeping threads until the kernel refuses one, then reports how many it got.
// Expected: ok, with fewer threads than the pids limit.
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
static void *sleeper(void *a) { (void)a; for (;;) pause(); return 0; }
int main(void) {
	pthread_attr_t at;
	pthread_attr_init(&at);
	pthread_attr_setstacksize(&at, 64 * 1024);
	int n = 0, err = 0;
	for (; n < 100000; n++) {
		pthread_t t;
		if ((err = pthread_create(&t, &at, sleeper, 0)) != 0) break;
	}
	printf("threads=%d err=%s\n", n, strerror(err));
	fflush(stdout);
	_exit(0);
}
