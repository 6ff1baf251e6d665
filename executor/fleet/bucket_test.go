package fleet

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"
)

// TestBucket: a front end's bucket creates, updates with revisions, refuses what one message
// cannot hold, keeps large values as blobs, and keeps them all across a restart of the NATS
// server on the same store.
func TestBucket(t *testing.T) {
	store := t.TempDir()
	srv, err := StartEmbedded(EmbeddedOptions{Listen: "127.0.0.1:0", StoreDir: store, MaxPayload: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := dial(t, srv.URL())
	if _, err := c.OpenBucket(ctx, "bad name", time.Hour); err == nil {
		t.Error("a bucket name with a space was taken")
	}
	for _, own := range []string{"results", "handbacks", "workers"} {
		if _, err := c.OpenBucket(ctx, own, time.Hour); err == nil {
			t.Errorf("the fleet's own bucket %q was opened", own)
		}
	}
	b, err := c.OpenBucket(ctx, "test", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Get(ctx, "k"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get of a missing key: %v", err)
	}
	rev, err := b.Create(ctx, "k", []byte("one"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Create(ctx, "k", []byte("again")); !errors.Is(err, ErrConflict) {
		t.Errorf("Create of a present key: %v", err)
	}
	if _, err := b.Update(ctx, "k", []byte("two"), rev); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Update(ctx, "k", []byte("three"), rev); !errors.Is(err, ErrConflict) {
		t.Errorf("Update at an old revision: %v", err)
	}
	big := bytes.Repeat([]byte("x"), 200<<10)
	if _, err := b.Put(ctx, "big", big); err == nil || b.MaxValue() >= len(big) {
		t.Errorf("Put of %d bytes (MaxValue %d): %v", len(big), b.MaxValue(), err)
	}
	if err := b.PutBlob(ctx, "big", big); err != nil {
		t.Fatal(err)
	}
	c.Close()
	srv.Close()

	srv, err = StartEmbedded(EmbeddedOptions{Listen: "127.0.0.1:0", StoreDir: store, MaxPayload: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	b, err = dial(t, srv.URL()).OpenBucket(ctx, "test", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if e, err := b.Get(ctx, "k"); err != nil || string(e.Value) != "two" {
		t.Errorf("after the restart: %q, %v", e.Value, err)
	}
	if v, err := b.GetBlob(ctx, "big"); err != nil || !bytes.Equal(v, big) {
		t.Errorf("the blob after the restart: %d bytes, %v", len(v), err)
	}
	if _, err := b.GetBlob(ctx, "none"); !errors.Is(err, ErrNotFound) {
		t.Errorf("a missing blob: %v", err)
	}
	got := make(chan string, 4)
	stop, err := b.Watch(ctx, "w.*", func(key string, e Entry) { got <- key + "=" + string(e.Value) })
	if err != nil {
		t.Fatal(err)
	}
	b.Put(ctx, "other", []byte("x"))
	b.Put(ctx, "w.a", []byte("1"))
	if g := <-got; g != "w.a=1" {
		t.Errorf("the watch got %q, want w.a=1", g)
	}
	stop()
	stop()
	if err := b.Delete(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Get(ctx, "k"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get after Delete: %v", err)
	}
}
