// Connects to 127.0.0.1:argv[1] (a listener on the host) and to 1.1.1.1:53, opens a netlink
// socket and lists the network interfaces. Expected: refused (the sandbox's own lo has no
// listener), unreachable at once, netlink denied (seccomp), and only lo.
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
static const char *tcp(const char *ip, int port) {
	int s = socket(AF_INET, SOCK_STREAM, 0);
	if (s < 0) return strerror(errno);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	inet_pton(AF_INET, ip, &a.sin_addr);
	int r = connect(s, (struct sockaddr *)&a, sizeof a);
	int e = errno;
	close(s);
	return r ? strerror(e) : "connected";
}
int main(int argc, char **argv) {
	printf("host=%s\n", tcp("127.0.0.1", argc > 1 ? atoi(argv[1]) : 1));
	printf("public=%s\n", tcp("1.1.1.1", 53));
	int u = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(53)};
	inet_pton(AF_INET, "1.1.1.1", &a.sin_addr);
	printf("udp=%s\n", sendto(u, "x", 1, 0, (struct sockaddr *)&a, sizeof a) < 0 ? strerror(errno) : "sent");
	printf("netlink=%s\n", socket(AF_NETLINK, SOCK_RAW, 0) < 0 ? strerror(errno) : "opened");
	printf("interfaces=");
	FILE *f = fopen("/proc/net/dev", "r");
	char line[512], name[64];
	for (int n = 0; f && fgets(line, sizeof line, f); n++)
		if (n >= 2 && sscanf(line, " %63[^:]:", name) == 1) printf("%s,", name);
	putchar('\n');
	return 0;
}
