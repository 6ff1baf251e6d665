package fleet

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// freePorts returns n ports that were free a moment ago. They lie below the kernel's ephemeral
// range: a port from that range, once closed, can go to any outgoing connection of the tests
// running alongside before the cluster binds it; these are only ever bound on purpose.
func freePorts(t *testing.T, n int) []int {
	low := 32768
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			if v, err := strconv.Atoi(f[0]); err == nil && v > 2048 {
				low = v
			}
		}
	}
	var ports []int
	for tries := 0; len(ports) < n && tries < 1000; tries++ {
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", 1024+rand.IntN(low-1024)))
		if err != nil {
			continue // taken
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	if len(ports) < n {
		t.Fatalf("found %d free ports below %d, want %d", len(ports), low, n)
	}
	return ports
}

// startCluster starts a 3-node JetStream cluster in this process.
func startCluster(t *testing.T) ([]*server.Server, string) {
	ports := freePorts(t, 6)
	var routes []*url.URL
	for i := 0; i < 3; i++ {
		routes = append(routes, &url.URL{Scheme: "nats-route", Host: fmt.Sprintf("127.0.0.1:%d", ports[3+i])})
	}
	var srvs []*server.Server
	var urls []string
	for i := 0; i < 3; i++ {
		s, err := server.NewServer(&server.Options{
			ServerName: fmt.Sprint("n", i+1), Host: "127.0.0.1", Port: ports[i], JetStream: true,
			StoreDir: t.TempDir(), NoSigs: true, NoLog: true,
			Cluster: server.ClusterOpts{Name: "sandrun", Host: "127.0.0.1", Port: ports[3+i]},
			Routes:  routes,
		})
		if err != nil {
			t.Fatal(err)
		}
		go s.Start()
		t.Cleanup(s.Shutdown)
		srvs = append(srvs, s)
		urls = append(urls, fmt.Sprintf("nats://127.0.0.1:%d", ports[i]))
	}
	for _, s := range srvs {
		if !s.ReadyForConnections(time.Minute) {
			t.Fatal("cluster node did not start")
		}
	}
	// Until the JetStream meta group has a leader: an election takes longer on a loaded machine.
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); {
		for _, s := range srvs {
			if s.JetStreamIsLeader() {
				return srvs, strings.Join(urls, ",")
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("the cluster elected no JetStream leader")
	return nil, ""
}

// TestClusterLeaderKilled: with the stream replicated on 3 nodes, jobs complete after the
// stream's leader dies.
func TestClusterLeaderKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 3-node cluster")
	}
	srvs, urls := startCluster(t)
	var c *Client
	var err error
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); { // the first stream create may race the cluster settling
		if c, err = Dial(context.Background(), ClientOptions{Conn: ConnOptions{URL: urls}}); err == nil {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	startWorker(t, urls, newFake("a", "python"), 2)
	startWorker(t, urls, newFake("b", "python"), 2)
	waitLive(t, c, 2)
	runOK(t, c, script("python", "out before"))

	info, err := c.s.stream.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if info.Config.Replicas != 3 || info.Cluster == nil {
		t.Fatalf("stream replicas %d; want 3", info.Config.Replicas)
	}
	for _, s := range srvs {
		if s.Name() == info.Cluster.Leader {
			t.Logf("stopping the stream leader %s", s.Name())
			s.Shutdown()
		}
	}
	for i := 0; i < 5; i++ {
		if res := runOK(t, c, script("python", fmt.Sprint("out after ", i))); res.Stdout != fmt.Sprintf("after %d\n", i) {
			t.Errorf("stdout %q", res.Stdout)
		}
	}
}
