// Spins on the CPU forever. Expected: time_limit (CPU).
int main(void) {
	volatile unsigned long x = 0;
	for (;;) x++;
}
