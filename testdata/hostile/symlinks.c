// Plants links in /work to the host paths in argv (a file and a directory), hoping that the
// host side will follow them after the run. Expected: ok; the host never reads through them.
#include <stdio.h>
#include <unistd.h>
int main(int argc, char **argv) {
	if (argc < 3) return 2;
	printf("file=%d dir=%d\n", symlink(argv[1], "/work/link"), symlink(argv[2], "/work/dirlink"));
	return 0;
}
