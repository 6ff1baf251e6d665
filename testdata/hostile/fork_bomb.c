// Forks without end; children fork too. Expected: the pids limit stops it, the run ends at
// its CPU or wall limit, and nothing of it is left afterwards.
#include <unistd.h>
int main(void) {
	for (;;) fork();
}
