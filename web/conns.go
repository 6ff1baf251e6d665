package web

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Defaults for Options.MaxConnsPerIP and Options.MaxConns.
const (
	// DefaultMaxConnsPerIP is far above what a browser (6 per host over HTTP/1.1, plus a
	// WebSocket per run) or a busy bot opens, and far below a file-descriptor limit.
	DefaultMaxConnsPerIP = 64
	// DefaultMaxConns bounds every connection together, well under Go's raised descriptor
	// limit, so that a flood from many addresses still leaves the server its files.
	DefaultMaxConns = 4096
)

// ParseConnCap reads a connection cap: a positive count, or "off" or "0" for no cap (-1).
func ParseConnCap(s string) (int, error) {
	if s == "off" || s == "0" {
		return -1, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("%q: want a count of connections, e.g. 64, or off", s)
	}
	return n, nil
}

// ConnCapString writes a cap as ParseConnCap reads it.
func ConnCapString(n int) string {
	if n < 0 {
		return "off"
	}
	return strconv.Itoa(n)
}

// connLimiter counts the open connections of a listener, by client address (the TCP peer, as
// clientIP: X-Forwarded-For is not trusted) and in all. A connection is counted from Accept to
// its Close, which covers HTTP keep-alive and WebSockets alike (a hijacked connection is the
// same net.Conn). Over a cap, Accept answers the connection itself with a 503 and goes on.
type connLimiter struct {
	perIP int // <= 0: no cap
	total int // <= 0: no cap
	log   *slog.Logger

	mu       sync.Mutex
	byIP     map[string]*ipConns
	open     int
	fullLogd bool // the total cap was logged since the count was last below it

	refusing atomic.Int32 // refusals being written now (bounded: past it, a plain close)
	refused  atomic.Uint64
}

type ipConns struct {
	n      int
	logged bool // this address's refusal was logged since it was last below the cap
}

// maxRefusing bounds the refusals written at once; each waits at most refuseWait.
const (
	maxRefusing = 64
	refuseWait  = time.Second
)

func newConnLimiter(perIP, total int, log *slog.Logger) *connLimiter {
	return &connLimiter{perIP: perIP, total: total, log: log, byIP: map[string]*ipConns{}}
}

// acquire counts a connection from ip in, or says why not (a sentence for the client).
func (l *connLimiter) acquire(ip string) (string, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := l.byIP[ip] // nil until the address holds a connection: refusals keep nothing
	if c != nil && l.perIP > 0 && c.n >= l.perIP {
		if !c.logged {
			c.logged = true
			l.log.Warn("connections refused: one address holds as many connections as --max-conns-per-ip allows; its new ones get 503 until some close", "remote", ip, "max", l.perIP)
		}
		return fmt.Sprintf("too many connections from %s: at most %d at once; close some and try again", ip, l.perIP), false
	}
	if l.total > 0 && l.open >= l.total {
		if !l.fullLogd {
			l.fullLogd = true
			l.log.Warn("connections refused: the server holds as many connections as --max-conns allows; new ones get 503 until some close", "max", l.total)
		}
		return fmt.Sprintf("the server has %d connections open, the most it takes; try again shortly", l.total), false
	}
	if c == nil {
		c = &ipConns{}
		l.byIP[ip] = c
	}
	c.n++
	l.open++
	return "", true
}

// release counts a connection from ip out.
func (l *connLimiter) release(ip string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.open--
	if l.total <= 0 || l.open < l.total {
		l.fullLogd = false
	}
	if c := l.byIP[ip]; c != nil {
		if c.n--; c.n <= 0 {
			delete(l.byIP, ip)
		} else if c.n < l.perIP {
			c.logged = false
		}
	}
}

// openConns is how many connections are counted in now.
func (l *connLimiter) openConns() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.open
}

// register exports the open connections and the refusals in reg (/metrics).
func (l *connLimiter) register(reg *prometheus.Registry) {
	reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "sandrun_http_connections",
			Help: "HTTP connections open now (keep-alive and WebSocket), as --max-conns counts them.",
		}, func() float64 { return float64(l.openConns()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "sandrun_http_connections_refused_total",
			Help: "Connections refused with 503 because their address held --max-conns-per-ip, or the server --max-conns.",
		}, func() float64 { return float64(l.refused.Load()) }),
	)
}

// limitListener is a net.Listener whose connections pass a connLimiter.
type limitListener struct {
	net.Listener
	l *connLimiter
}

func (ln limitListener) Accept() (net.Conn, error) {
	for {
		c, err := ln.Listener.Accept()
		if err != nil {
			return nil, err
		}
		ip := hostOf(c.RemoteAddr())
		msg, ok := ln.l.acquire(ip)
		if ok {
			return &countedConn{Conn: c, l: ln.l, ip: ip}, nil
		}
		ln.l.refused.Add(1)
		if ln.l.refusing.Add(1) > maxRefusing {
			ln.l.refusing.Add(-1)
			c.Close()
			continue
		}
		go func() {
			defer ln.l.refusing.Add(-1)
			refuse(c, msg)
		}()
	}
}

// refuse answers c with a 503 and msg as {"error": msg}, then closes it. It reads what the
// client sent until it closes or refuseWait passes, so that the close does not reset the
// connection before the client has read the answer.
func refuse(c net.Conn, msg string) {
	defer c.Close()
	body, _ := json.Marshal(apiError{Error: msg})
	body = append(body, '\n')
	_ = c.SetDeadline(time.Now().Add(refuseWait))
	_, err := fmt.Fprintf(c, "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 1\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
	if err != nil {
		return
	}
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(c, 64<<10))
}

// countedConn is a connection counted in its limiter until its first Close.
type countedConn struct {
	net.Conn
	l    *connLimiter
	ip   string
	once sync.Once
}

func (c *countedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.l.release(c.ip) })
	return err
}

// CloseWrite lets net/http half-close the connection as it would the TCP connection.
func (c *countedConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// hostOf is a connection's client address: the peer's IP, as clientIP says of a request.
func hostOf(a net.Addr) string {
	if a == nil {
		return ""
	}
	return peerIP(a.String())
}
