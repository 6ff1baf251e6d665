// Sleeps forever without using CPU. Expected: time_limit (wall clock).
#include <unistd.h>
int main(void) {
	for (;;) pause();
}
