// Tries the calls that would tear down the sandbox's walls. Expected: each EPERM.
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>
static void report(const char *name, int r) { printf("%s=%s\n", name, r ? strerror(errno) : "ok"); }
int main(void) {
	report("mount", mount("none", "/tmp", "tmpfs", 0, 0));
	report("umount", umount2("/", MNT_DETACH));
	report("unshare_user", unshare(CLONE_NEWUSER));
	report("unshare_mount", unshare(CLONE_NEWNS));
	report("chroot", chroot("/tmp"));
	report("sethostname", sethostname("pwned", 5));
	return 0;
}
