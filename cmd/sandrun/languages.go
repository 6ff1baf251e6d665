package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/sandrun/sandrun/executor"
)

func languagesCmd(ctx context.Context, args []string) error {
	fs := newFlagSet("languages")
	asJSON := fs.Bool("json", false, "print the list as JSON")
	installed := fs.Bool("installed", false, "list only languages whose toolchain is installed here")
	var ef executorFlags
	ef.register(fs)
	if err := parseFlags(fs, "usage: sandrun languages [flags]\n\nLists the languages an executor knows, with their versions where installed.", args); err != nil {
		if errors.Is(err, errHelpShown) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return usageError("unexpected argument %q: sandrun languages takes only flags", fs.Arg(0))
	}
	opts, err := ef.options("sandrun languages")
	if err != nil {
		return err
	}
	ex, closeEx, err := openExecutor(ctx, ef.spec, opts)
	if err != nil {
		return err
	}
	defer closeEx()
	langs, err := ex.Languages(ctx)
	if err != nil {
		return err
	}
	if *installed {
		langs = slices.DeleteFunc(langs, func(l executor.LanguageInfo) bool { return !l.Available })
	}
	if *asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(langs)
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tVERSION\tEXTENSIONS\tALIASES")
	n, total := 0, 0
	var missing []string // "dart: apt-get install dart, …", for each toolchain not installed
	for _, l := range langs {
		if !l.Available {
			missing = append(missing, l.ID+": "+installHint(l.Missing))
		}
		v := l.Version
		if !l.Available {
			v = "not installed"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", l.ID, l.Name, v, strings.Join(l.Extensions, " "), strings.Join(l.Aliases, " "))
		rts := l.Runtimes
		if len(rts) == 0 {
			rts = []executor.RuntimeInfo{{Available: l.Available}}
		}
		for _, rt := range rts {
			total++
			if rt.Available {
				n++
			}
		}
		if len(l.Runtimes) < 2 {
			continue
		}
		// A language with several runtimes lists each under it: "  --runtime clang  Clang 14.0.6".
		for _, rt := range l.Runtimes {
			if !rt.Available && *installed {
				continue
			}
			v := rt.Version
			if !rt.Available {
				v = "not installed"
				if l.Available {
					missing = append(missing, l.ID+" --runtime "+rt.Runtime+": "+installHint(rt.Missing))
				}
			}
			mark, aliases := "", strings.Join(rt.Aliases, " ")
			if rt.Default {
				mark, aliases = " (default)", "" // the language's aliases, shown above
			}
			fmt.Fprintf(tw, "  --runtime %s\t%s%s\t%s\t\t%s\n", rt.Runtime, rt.Name, mark, v, aliases)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "%d of %d languages and runtimes installed on this executor\n", n, total)
	if len(missing) > 0 {
		fmt.Fprintf(os.Stderr, "to install the others:\n  %s\n", strings.Join(missing, "\n  "))
	}
	return nil
}

// installHint is what to install for a toolchain that is missing: the "install with:" part of
// its sentence ("dart was not found (searched …); install with: apt-get install dart"), else
// the whole sentence.
func installHint(missing string) string {
	if _, how, ok := strings.Cut(missing, "install with: "); ok {
		return how
	}
	if missing == "" {
		return "not installed"
	}
	return missing
}
