package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"runtime"
	"time"

	"github.com/sandrun/sandrun/executor"
	"github.com/sandrun/sandrun/executor/fleet"
	"github.com/sandrun/sandrun/executor/local"
	"github.com/sandrun/sandrun/executor/remote"
)

// fleet measures runs/s through 1, 2 and 3 fleet workers (each with its own local executor, all
// on this machine) on an embedded NATS server, and the median cost of the NATS hop against
// tcp:// for python3 `pass`, both over the same local executor.
func (w *workloads) fleet(ctx context.Context, t *table, c config) error {
	store, err := os.MkdirTemp("", "sandrun-bench-nats-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(store)
	emb, err := fleet.StartEmbedded(fleet.EmbeddedOptions{Listen: "127.0.0.1:0", StoreDir: store})
	if err != nil {
		return err
	}
	defer emb.Close()
	conn := fleet.ConnOptions{URL: emb.URL()}
	client, err := fleet.Dial(ctx, fleet.ClientOptions{Conn: conn})
	if err != nil {
		return err
	}
	defer client.Close()
	wctx, stopWorkers := context.WithCancel(ctx)
	defer stopWorkers()
	startWorker := func(ex *local.Executor) error {
		wk, err := fleet.NewWorker(wctx, fleet.WorkerOptions{Conn: conn, Executor: ex, Languages: []string{"python"}})
		if err != nil {
			return err
		}
		go wk.Serve(wctx)
		return nil
	}
	waitSlots := func(slots int) error {
		for i := 0; i < 300; i++ {
			if cp, err := client.Capacity(ctx); err == nil && cp.Slots == slots {
				return nil
			}
			time.Sleep(50 * time.Millisecond)
		}
		return fmt.Errorf("the fleet did not reach %d slots", slots)
	}
	run := viaExecutor(ctx, client, "python", "pass\n", "")
	var first float64
	for n := 1; n <= 3; n++ {
		ex, err := local.New(local.Options{Languages: w.langs})
		if err != nil {
			return err
		}
		defer ex.Close()
		if err := startWorker(ex); err != nil {
			return err
		}
		if err := waitSlots(n * runtime.NumCPU()); err != nil {
			return err
		}
		if err := warm(run); err != nil {
			return err
		}
		r, err := rate(ctx, 2*n*runtime.NumCPU(), c.through, run)
		if err != nil {
			return err
		}
		if n == 1 {
			first = r
		}
		t.add(fmt.Sprintf("fleet: runs/s through %d local worker(s) of %d slots on embedded NATS, python3 `pass`", n, runtime.NumCPU()),
			fmt.Sprintf("%.0f runs/s (1 worker)", first), fmt.Sprintf("%.0f runs/s", r), fmt.Sprintf("%.2f× 1 worker", r/first))
	}
	stopWorkers()

	// The hop: one worker over the shared local executor against `sandrun executor`'s protocol
	// served in process over the same executor.
	wctx, stopWorkers = context.WithCancel(ctx)
	defer stopWorkers()
	if err := startWorker(w.local); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := remote.NewServer(w.local, remote.ServerOptions{})
	go srv.Serve(ln)
	defer srv.Close()
	tcp, err := remote.Dial(ctx, "tcp://"+ln.Addr().String(), remote.Options{})
	if err != nil {
		return err
	}
	defer tcp.Close()
	tcpRun := viaExecutor(ctx, tcp, "python", "pass\n", "")
	time.Sleep(2 * time.Second) // the 3 benchmark workers' entries age out of the live count
	if err := warm(run); err != nil {
		return err
	}
	if err := warm(tcpRun); err != nil {
		return err
	}
	lt, ln2, err := paired(c.n, tcpRun, run)
	if err != nil {
		return err
	}
	t.add("fleet: NATS hop vs tcp:// over the same local executor, python3 `pass` (median)", ms(lt)+" (tcp://)", ms(ln2)+" (nats://)", "+"+ms(ln2-lt))

	// The transports alone: an executor that answers at once, so that no sandbox noise hides
	// the hop.
	stopWorkers()
	wctx, stopWorkers = context.WithCancel(ctx)
	defer stopWorkers()
	wk, err := fleet.NewWorker(wctx, fleet.WorkerOptions{Conn: conn, Executor: instant{}, Slots: 4})
	if err != nil {
		return err
	}
	go wk.Serve(wctx)
	ln3, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv2 := remote.NewServer(instant{}, remote.ServerOptions{})
	go srv2.Serve(ln3)
	defer srv2.Close()
	tcp2, err := remote.Dial(ctx, "tcp://"+ln3.Addr().String(), remote.Options{})
	if err != nil {
		return err
	}
	defer tcp2.Close()
	time.Sleep(2 * time.Second)
	tcpNop, natsNop := viaExecutor(ctx, tcp2, "python", "pass\n", ""), viaExecutor(ctx, client, "python", "pass\n", "")
	if err := warm(natsNop); err != nil {
		return err
	}
	if err := warm(tcpNop); err != nil {
		return err
	}
	lt, ln2, err = paired(c.n, tcpNop, natsNop)
	if err != nil {
		return err
	}
	t.add("fleet: NATS hop vs tcp:// for an executor that answers at once (transport only, median)", ms(lt)+" (tcp://)", ms(ln2)+" (nats://)", "+"+ms(ln2-lt))
	return nil
}

// instant is an executor that answers every run at once with an empty ok Result.
type instant struct{}

func (instant) Run(context.Context, executor.Request, func(executor.Event)) (executor.Result, error) {
	return executor.Result{Language: "python", Status: executor.StatusOK}, nil
}

func (instant) Languages(context.Context) ([]executor.LanguageInfo, error) {
	return []executor.LanguageInfo{{ID: "python", Version: "3", Available: true}}, nil
}

func (instant) Capacity(context.Context) (executor.Capacity, error) {
	return executor.Capacity{Slots: 4}, nil
}
