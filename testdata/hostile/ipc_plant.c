// Leaves kernel objects that outlive a process, hoping the next run of the same (pooled)
// sandbox finds them: a System V shared memory segment, semaphore set and message queue (with a
// message), a POSIX message queue (with a message), and an abstract unix socket and a TCP
// listener on 127.0.0.1, kept alive only by a cycle of sockets in flight (each sent over the
// other, then closed).
//
//	ipc_plant plant   makes them; prints name=planted or name=<error>
//	ipc_plant check   looks for them; prints name=absent or name=present
//
// Expected: check in the next run prints absent for each.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define KEY 0x5a4e4452
static const char abstract[] = "sandrun-hostile-plant";

static void say(const char *name, int ok) { printf("%s=%s\n", name, ok ? "planted" : strerror(errno)); }

static socklen_t addr(struct sockaddr_un *a) {
	memset(a, 0, sizeof *a);
	a->sun_family = AF_UNIX;
	memcpy(a->sun_path + 1, abstract, sizeof abstract - 1);
	return offsetof(struct sockaddr_un, sun_path) + 1 + sizeof abstract - 1;
}

// sendfd sends fd over sock.
static int sendfd(int sock, int fd) {
	char c = 'x';
	struct iovec iov = {&c, 1};
	char ctl[CMSG_SPACE(sizeof(int))];
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof fd);
	return sendmsg(sock, &m, 0) == 1 ? 0 : -1;
}

static int plant(void) {
	int shm = shmget(KEY, 4096, IPC_CREAT | 0666);
	say("shm", shm >= 0);
	say("sem", semget(KEY, 1, IPC_CREAT | 0666) >= 0);
	int q = msgget(KEY, IPC_CREAT | 0666);
	struct {
		long type;
		char text[8];
	} msg = {1, "planted"};
	say("msg", q >= 0 && msgsnd(q, &msg, sizeof msg.text, 0) == 0);
	struct mq_attr at = {.mq_maxmsg = 1, .mq_msgsize = 8};
	mqd_t mq = mq_open("/sandrun-hostile-plant", O_CREAT | O_WRONLY, 0666, &at);
	say("mqueue", mq != (mqd_t)-1 && mq_send(mq, "planted", 8, 0) == 0);

	struct sockaddr_un a;
	socklen_t n = addr(&a);
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	int ok = s >= 0 && bind(s, (struct sockaddr *)&a, n) == 0 && listen(s, 8) == 0;
	int p[2];
	ok = ok && socketpair(AF_UNIX, SOCK_DGRAM, 0, p) == 0;
	// A cycle no process holds: p[0] and p[1] each wait in the other's queue, s and t in p[1]'s.
	ok = ok && sendfd(p[0], s) == 0;
	say("abstract_socket", ok);
	struct sockaddr_in in = {.sin_family = AF_INET, .sin_port = htons(47123), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int t = socket(AF_INET, SOCK_STREAM, 0);
	say("tcp_listener", t >= 0 && bind(t, (struct sockaddr *)&in, sizeof in) == 0 && listen(t, 8) == 0 && sendfd(p[0], t) == 0);
	say("cycle", sendfd(p[0], p[0]) == 0 && sendfd(p[1], p[1]) == 0);
	return 0;
}

static void look(const char *name, int present) { printf("%s=%s\n", name, present ? "present" : "absent"); }

static int check(void) {
	look("shm", shmget(KEY, 0, 0) >= 0);
	look("sem", semget(KEY, 0, 0) >= 0);
	look("msg", msgget(KEY, 0) >= 0);
	look("mqueue", mq_open("/sandrun-hostile-plant", O_RDONLY) != (mqd_t)-1);
	struct sockaddr_un a;
	socklen_t n = addr(&a);
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	look("abstract_socket", s >= 0 && connect(s, (struct sockaddr *)&a, n) == 0);
	struct sockaddr_in in = {.sin_family = AF_INET, .sin_port = htons(47123), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int t = socket(AF_INET, SOCK_STREAM, 0);
	look("tcp_listener", t >= 0 && connect(t, (struct sockaddr *)&in, sizeof in) == 0);
	return 0;
}

int main(int argc, char **argv) {
	if (argc > 1 && strcmp(argv[1], "plant") == 0) return plant();
	return check();
}
