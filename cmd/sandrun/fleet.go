package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sandrun/sandrun/executor/fleet"
	"github.com/sandrun/sandrun/languages"
)

// fleetCmd prints the state of a fleet: its workers, the queue and the job totals.
func fleetCmd(ctx context.Context, args []string) error {
	fs := newFlagSet("fleet")
	url := fs.String("nats", "", "the fleet's NATS servers, nats://HOST:PORT[,nats://HOST:PORT…] (required)")
	asJSON := fs.Bool("json", false, "print the status as one JSON object")
	insecure := fs.Bool("insecure-plaintext", false, insecurePlaintextUsage)
	var nf natsFlags
	nf.register(fs)
	if err := parseFlags(fs, "usage: sandrun fleet --nats URL [flags]\n\nShows the workers, queue and job totals of a NATS fleet.", args); err != nil {
		return err // errHelpShown after --help: exit 0
	}
	if fs.NArg() > 0 {
		return usageError("unexpected argument %q; fleet takes only flags", fs.Arg(0))
	}
	if *url == "" {
		return usageError("--nats is required, e.g. sandrun fleet --nats nats://127.0.0.1:4222")
	}
	conn := nf.conn(*url, "sandrun fleet")
	conn.InsecurePlaintext = *insecure
	c, err := fleet.Dial(ctx, fleet.ClientOptions{Conn: conn})
	if err != nil {
		if strings.Contains(err.Error(), "want nats://") {
			return usageError("--nats: %v", err)
		}
		if strings.Contains(err.Error(), "refusing") {
			return usageError("%v", err)
		}
		if errors.Is(err, fleet.ErrUnreachable) {
			return couldNotRunErr{err} // exit 125, like a run whose executor cannot be reached
		}
		return err
	}
	defer c.Close()
	st, err := c.Status(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(st)
	}
	printFleet(os.Stdout, st)
	return nil
}

// printFleet writes st as a table. The totals come from the queue (running: jobs claimed,
// including those waiting for a slot), BUSY from each worker's last report, so the two can
// differ for a moment; a note says so when they do.
func printFleet(out io.Writer, st fleet.Status) {
	fmt.Fprintf(out, "fleet at %s: %d queued, %d running (queue bound %d); jobs done %d, failed %d, redelivered %d\n",
		st.URL, st.Queued, st.Running, st.QueueMax, st.Done, st.Failed, st.Redelivered)
	if len(st.Workers) == 0 {
		fmt.Fprintln(out, "no workers; start one with: sandrun executor --nats "+st.URL)
		return
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "HOST\tWORKER\tSLOTS\tBUSY\tLANGUAGES\tVERSION\tLAST SEEN")
	cat, _ := languages.Load()
	busy := 0
	for _, w := range st.Workers {
		langs := runtimeKeys(w, cat)
		seen := time.Since(w.LastSeen).Round(time.Second).String() + " ago"
		if !w.Live {
			seen += " (gone)"
		} else if w.Draining {
			seen += " (draining)"
		}
		if w.Live {
			busy += w.Busy
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%s\t%s\n", w.Host, w.ID, w.Slots, w.Busy, summarize(langs), w.Version, seen)
	}
	tw.Flush()
	if busy != st.Running {
		fmt.Fprintf(out, "BUSY (%d in all) is as each worker last reported it (LAST SEEN); running (%d) counts the jobs workers hold now, including those waiting for a slot\n", busy, st.Running)
	}
}

// runtimeKeys names what a worker runs as the catalog keys them: "javascript" for a language's
// default runtime, "javascript/bun" for another. A worker from before runtime routing lists
// language ids only.
func runtimeKeys(w fleet.WorkerInfo, cat *languages.Set) []string {
	var out []string
	if w.Runtimes == nil {
		for id := range w.Languages {
			out = append(out, id)
		}
	}
	for id, rts := range w.Runtimes {
		for rt := range rts {
			key := id + "/" + rt
			if cat != nil {
				if l, ok := cat.ByKey(key); ok && l.Default() {
					key = id
				}
			}
			out = append(out, key)
		}
	}
	sort.Strings(out)
	return out
}

// summarize shortens a long list of languages: "c, go, python … (+40)".
func summarize(langs []string) string {
	if len(langs) <= 8 {
		return strings.Join(langs, ",")
	}
	return fmt.Sprintf("%s,… (%d)", strings.Join(langs[:6], ","), len(langs))
}
