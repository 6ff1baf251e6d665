package fleet

import (
	"context"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Before runtime routing, clients published a job for language L on legacySubject(L) and the
// workers with L shared the consumer legacyConsumer(L). So that a fleet can be upgraded one
// machine at a time, workers still take those jobs: every legacyEvery they look whether the
// stream holds any, and only then pull from that consumer (created with the old configuration,
// so that workers of both versions share it). docs/fleet.md says which order of upgrade works.

const legacyEvery = 2 * time.Second

// legacyConsumerConfig is the consumer workers before runtime routing shared for lang.
func legacyConsumerConfig(lang string) jetstream.ConsumerConfig {
	return jetstream.ConsumerConfig{
		Durable:       legacyConsumer(lang),
		Description:   "sandrun workers for " + lang,
		FilterSubject: legacySubject(lang),
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       AckWait,
		MaxDeliver:    MaxTries + 3,
		MaxAckPending: -1,
		MaxWaiting:    4096,
	}
}

// pullLegacy takes the jobs older clients published for the worker's languages, until ctx ends.
func (w *Worker) pullLegacy(ctx context.Context, nc *nats.Conn, s *setup) {
	cons := map[string]jetstream.Consumer{}
	for ; ctx.Err() == nil; sleep(ctx, legacyEvery) {
		info, err := s.stream.Info(ctx, jetstream.WithSubjectFilter(subjectJobs+"*"))
		if err != nil {
			continue
		}
		for subj, n := range info.State.Subjects {
			lang := strings.TrimPrefix(subj, subjectJobs)
			if n == 0 || w.rts[lang] == nil {
				continue
			}
			c := cons[lang]
			if c == nil {
				if c, err = s.js.CreateOrUpdateConsumer(ctx, StreamName, legacyConsumerConfig(lang)); err != nil {
					continue
				}
				cons[lang] = c
			}
			// n counts the jobs other workers hold too: take while there are any to take.
			for ctx.Err() == nil {
				w.waitSlot(ctx)
				batch, err := c.FetchNoWait(1)
				if err != nil {
					delete(cons, lang)
					break
				}
				got := false
				for msg := range batch.Messages() {
					got = true
					w.take(ctx, nc, s, msg)
				}
				if !got {
					break
				}
			}
		}
	}
}
