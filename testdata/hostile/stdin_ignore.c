// Exits at once without reading its (large) stdin. Expected: ok, and the host does not hang.
int main(void) { return 0; }
