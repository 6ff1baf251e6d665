package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sandrun/sandrun/executor"
)

// newFlagSet returns a FlagSet that prints nothing by itself: parseFlags turns its errors into
// one sentence, and -h/--help into the help on stdout.
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// errHelpShown is returned by parseFlags after it printed the help: the command ends with exit 0.
var errHelpShown = errors.New("help shown")

// printHelp writes a command's help: its usage line(s), then its flags.
func printHelp(w io.Writer, fs *flag.FlagSet, usage string) {
	fmt.Fprintf(w, "%s\n\nflags:\n", usage)
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
}

// parseFlags parses args with fs. On -h or --help it prints the help (usage and flags) on stdout
// and returns errHelpShown. A wrong flag is one sentence that names the flag as it was written
// and points at --help (exit 2), with no usage dump.
func parseFlags(fs *flag.FlagSet, usage string, args []string) error {
	err := fs.Parse(args)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, flag.ErrHelp):
		printHelp(os.Stdout, fs, usage)
		return errHelpShown
	}
	return usageError("%s (\"sandrun %s --help\" lists the flags)", flagSentence(fs, err, args), fs.Name())
}

// The flag package's error texts, compiled on the first wrong flag, not in every sandrun
// process's start.
var (
	reInvalid  = lazyRegexp(`^invalid (?:boolean )?value "(.*)" for (?:flag )?-([^:]+): (?:parse error|(.*))$`)
	reUnknown  = lazyRegexp(`^flag provided but not defined: -(.+)$`)
	reArgument = lazyRegexp(`^flag needs an argument: -(.+)$`)
)

// lazyRegexp returns a function that compiles expr on its first call.
func lazyRegexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}

// flagSentence rewrites the flag package's error text as a sentence naming the flag as the user
// wrote it (-x or --x).
func flagSentence(fs *flag.FlagSet, err error, args []string) string {
	msg := err.Error()
	if m := reInvalid().FindStringSubmatch(msg); m != nil {
		detail := m[3]
		if detail == "" {
			detail = "is not a value this flag takes"
			if f := fs.Lookup(m[2]); f != nil {
				if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
					detail = "is not true or false"
				} else if g, ok := f.Value.(flag.Getter); ok && isDuration(g.Get()) {
					detail = "is not a duration; write it like 30s or 2m"
				}
			}
		}
		return fmt.Sprintf("%s %s %s", writtenAs(m[2], args), m[1], detail)
	}
	if m := reUnknown().FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("unknown flag %s", writtenAs(m[1], args))
	}
	if m := reArgument().FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("%s needs a value", writtenAs(m[1], args))
	}
	return msg
}

func isDuration(v any) bool { _, ok := v.(time.Duration); return ok }

// writtenAs returns the flag called name the way it appears in args: "-name" or "--name".
func writtenAs(name string, args []string) string {
	for _, a := range args {
		if a == "--" {
			break
		}
		if a == "-"+name || strings.HasPrefix(a, "-"+name+"=") {
			return "-" + name
		}
	}
	return "--" + name
}

// durationFlag is a time limit such as 2s or 1500ms. A bare number is refused: "1" could be
// seconds or milliseconds, and a wrong guess is a limit a thousand times off.
type durationFlag struct {
	d   time.Duration
	raw string // as written
}

func (f *durationFlag) String() string {
	if f == nil || f.d == 0 {
		return ""
	}
	return f.d.String()
}

func (f *durationFlag) Set(s string) error {
	s = strings.TrimSpace(s)
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		return errors.New("needs a unit: write 1s or 1500ms")
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return errors.New("is not a time; write it like 2s or 1500ms")
	}
	if d <= 0 {
		return errors.New("is not more than 0; write it like 2s or 1500ms")
	}
	f.d, f.raw = d, s
	return nil
}

// sizeFlag is a size such as 256MiB or 1GiB; a bare number is MiB, as in the editor's settings.
type sizeFlag struct {
	n   int64
	raw string // as written
	// like is what its errors give as examples; "256MiB or 1GiB" (memory sizes) when empty.
	like string
}

func (f *sizeFlag) String() string {
	if f == nil || f.n == 0 {
		return ""
	}
	return executor.FormatBytes(f.n)
}

func (f *sizeFlag) Set(s string) error {
	like := f.like
	if like == "" {
		like = "256MiB or 1GiB"
	}
	n, err := parseSize(s, 1<<20)
	if err != nil {
		if f.like != "" {
			return errors.New("is not a size; write it like " + like)
		}
		return err
	}
	if n <= 0 {
		return errors.New("is not more than 0; write it like " + like)
	}
	f.n, f.raw = n, strings.TrimSpace(s)
	return nil
}

// inRange checks a limit flag's value (raw as written) against what a run accepts.
func inRange(flagName, raw string, v, lo, hi int64, format func(int64) string) error {
	if v != 0 && (v < lo || v > hi) {
		side := fmt.Sprintf("at most %s", format(hi))
		if v < lo {
			side = fmt.Sprintf("at least %s", format(lo))
		}
		return usageError("%s %s is out of range (%s)", flagName, raw, side)
	}
	return nil
}

// formatMs prints a time limit as people write it: "60s", "1500ms".
func formatMs(ms int64) string {
	if ms%1000 == 0 {
		return fmt.Sprintf("%ds", ms/1000)
	}
	return fmt.Sprintf("%dms", ms)
}

// parseBytes reads a size such as "256MiB", "256M", "1GiB", "512KiB", "4096" (bytes).
func parseBytes(s string) (int64, error) { return parseSize(s, 1) }

// parseSize reads a size such as "256MiB", "256M", "1GiB", "1TiB", "512KiB", or a bare number
// in units of bare bytes. K, M, G, T and KiB… are binary; KB, MB, GB, TB decimal.
func parseSize(s string, bare int64) (int64, error) {
	t := strings.TrimSpace(s)
	units := []struct {
		suffix string
		mult   int64
	}{
		{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
		{"KB", 1000}, {"MB", 1000 * 1000}, {"GB", 1000 * 1000 * 1000}, {"TB", 1000 * 1000 * 1000 * 1000},
		{"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"T", 1 << 40}, {"B", 1},
	}
	mult := bare
	for _, u := range units {
		if strings.HasSuffix(strings.ToUpper(t), strings.ToUpper(u.suffix)) {
			t, mult = strings.TrimSpace(t[:len(t)-len(u.suffix)]), u.mult
			break
		}
	}
	n, err := strconv.ParseFloat(t, 64)
	if err != nil || n < 0 || n*float64(mult) > 1<<62 {
		return 0, errors.New("is not a size; write it like 256MiB, 1GiB or 512KiB")
	}
	return int64(n * float64(mult)), nil
}
