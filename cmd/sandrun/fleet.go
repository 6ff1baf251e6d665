package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sandrun/sandrun/executor/fleet"
)

// fleetCmd prints the state of a fleet: its workers, the queue and the job totals.
func fleetCmd(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("fleet", flag.ContinueOnError)
	url := fs.String("nats", "", "the fleet's NATS servers, nats://HOST:PORT[,nats://HOST:PORT…] (required)")
	asJSON := fs.Bool("json", false, "print the status as one JSON object")
	var nf natsFlags
	nf.register(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return usageError("%v", err)
	}
	if fs.NArg() > 0 {
		return usageError("unexpected argument %q; fleet takes only flags", fs.Arg(0))
	}
	if *url == "" {
		return usageError("--nats is required, e.g. sandrun fleet --nats nats://127.0.0.1:4222")
	}
	c, err := fleet.Dial(ctx, fleet.ClientOptions{Conn: nf.conn(*url, "sandrun fleet")})
	if err != nil {
		if strings.Contains(err.Error(), "want nats://") {
			return usageError("--nats: %v", err)
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
	printFleet(st)
	return nil
}

func printFleet(st fleet.Status) {
	fmt.Printf("fleet at %s: %d queued, %d running (queue bound %d); jobs done %d, failed %d, redelivered %d\n",
		st.URL, st.Queued, st.Running, st.QueueMax, st.Done, st.Failed, st.Redelivered)
	if len(st.Workers) == 0 {
		fmt.Println("no workers; start one with: sandrun executor --nats " + st.URL)
		return
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "HOST\tWORKER\tSLOTS\tBUSY\tLANGUAGES\tVERSION\tLAST SEEN")
	for _, w := range st.Workers {
		langs := make([]string, 0, len(w.Languages))
		for id := range w.Languages {
			langs = append(langs, id)
		}
		sort.Strings(langs)
		seen := time.Since(w.LastSeen).Round(time.Second).String() + " ago"
		if !w.Live {
			seen += " (gone)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%s\t%s\n", w.Host, w.ID, w.Slots, w.Busy, summarize(langs), w.Version, seen)
	}
	tw.Flush()
}

// summarize shortens a long list of languages: "c, go, python … (+40)".
func summarize(langs []string) string {
	if len(langs) <= 8 {
		return strings.Join(langs, ",")
	}
	return fmt.Sprintf("%s,… (%d)", strings.Join(langs[:6], ","), len(langs))
}
