package fleet

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Bucket is a key-value bucket of the fleet's JetStream of a front end's own (web keeps its
// jobs in one), with an object store beside it for values too large for one NATS message.
// Entries expire TTL after their last write. Open one with Client.OpenBucket; the fleet's own
// buckets (ResultsBucket, WorkersBucket, BlobsBucket, HandbacksBucket) stay private to this
// package, and their names are refused.
type Bucket struct {
	kv    jetstream.KeyValue
	blobs jetstream.ObjectStore
	max   int
}

// Entry is one value of a Bucket with its revision (for Update) and when it was written.
type Entry struct {
	Value    []byte
	Revision uint64
	Created  time.Time
}

// Errors of a Bucket.
var (
	// ErrNotFound: no such key (or it expired, or was deleted).
	ErrNotFound = errors.New("fleet: not found")
	// ErrConflict: Create found the key there, or Update found another revision.
	ErrConflict = errors.New("fleet: the entry changed meanwhile")
)

// bucketPrefix keeps a front end's buckets apart from the fleet's own.
const bucketPrefix = "sandrun_"

// OpenBucket finds or creates the key-value bucket "sandrun_"+name and its object store
// "sandrun_"+name+"_blobs", both with entries kept ttl after their last write. An existing
// bucket keeps its settings (the first creator's TTL holds until an operator changes it with
// the nats CLI). name is letters, digits, '-' and '_'.
func (c *Client) OpenBucket(ctx context.Context, name string, ttl time.Duration) (*Bucket, error) {
	if name == "" || sanitize(name) != name {
		return nil, fmt.Errorf("fleet: bucket name %q: use letters, digits, '-' and '_'", name)
	}
	for _, own := range []string{ResultsBucket, WorkersBucket, BlobsBucket, HandbacksBucket} {
		if bucketPrefix+name == own || bucketPrefix+name+"_blobs" == own {
			return nil, fmt.Errorf("fleet: bucket name %q is the fleet's own (%s)", name, own)
		}
	}
	replicas := c.opts.Conn.Replicas
	if replicas <= 0 {
		replicas = 1
		if len(c.nc.Servers()) >= 3 {
			replicas = 3
		}
	}
	kv, err := ensureKV(ctx, c.s.js, jetstream.KeyValueConfig{Bucket: bucketPrefix + name, TTL: ttl, Replicas: replicas, Storage: jetstream.FileStorage})
	if err != nil {
		return nil, err
	}
	oname := bucketPrefix + name + "_blobs"
	blobs, err := c.s.js.ObjectStore(ctx, oname)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		blobs, err = c.s.js.CreateObjectStore(ctx, jetstream.ObjectStoreConfig{Bucket: oname, TTL: ttl, Replicas: replicas, Storage: jetstream.FileStorage})
		if errors.Is(err, jetstream.ErrBucketExists) || errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			blobs, err = c.s.js.ObjectStore(ctx, oname)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("fleet: bucket %s: %w", oname, err)
	}
	return &Bucket{kv: kv, blobs: blobs, max: int(c.nc.MaxPayload()) - 4096}, nil
}

// MaxValue is the largest value Create, Update and Put take (the NATS servers' max_payload,
// less room for headers); larger values go to PutBlob.
func (b *Bucket) MaxValue() int { return b.max }

// Get returns key's entry, or an error wrapping ErrNotFound.
func (b *Bucket) Get(ctx context.Context, key string) (Entry, error) {
	e, err := b.kv.Get(ctx, key)
	if err != nil {
		return Entry{}, kvErr(key, err)
	}
	return Entry{Value: e.Value(), Revision: e.Revision(), Created: e.Created()}, nil
}

// Create writes key only if it holds nothing (an error wrapping ErrConflict otherwise) and
// returns the new revision.
func (b *Bucket) Create(ctx context.Context, key string, value []byte) (uint64, error) {
	if err := b.fits(key, value); err != nil {
		return 0, err
	}
	rev, err := b.kv.Create(ctx, key, value)
	return rev, kvErr(key, err)
}

// Update writes key only if its revision is still rev (an error wrapping ErrConflict
// otherwise) and returns the new revision.
func (b *Bucket) Update(ctx context.Context, key string, value []byte, rev uint64) (uint64, error) {
	if err := b.fits(key, value); err != nil {
		return 0, err
	}
	rev, err := b.kv.Update(ctx, key, value, rev)
	return rev, kvErr(key, err)
}

// Put writes key whatever it held and returns the new revision.
func (b *Bucket) Put(ctx context.Context, key string, value []byte) (uint64, error) {
	if err := b.fits(key, value); err != nil {
		return 0, err
	}
	rev, err := b.kv.Put(ctx, key, value)
	return rev, kvErr(key, err)
}

// Delete removes key; a missing key is not an error.
func (b *Bucket) Delete(ctx context.Context, key string) error {
	err := b.kv.Delete(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil
	}
	return kvErr(key, err)
}

// Keys returns the keys that match pattern (NATS subject wildcards: "open.*").
func (b *Bucket) Keys(ctx context.Context, pattern string) ([]string, error) {
	l, err := b.kv.ListKeysFiltered(ctx, pattern)
	if err != nil {
		return nil, kvErr(pattern, err)
	}
	defer func() { _ = l.Stop() }()
	var keys []string
	for k := range l.Keys() {
		keys = append(keys, k)
	}
	if ctx.Err() != nil {
		return nil, kvErr(pattern, ctx.Err())
	}
	return keys, nil
}

// PutBlob stores a value of any size under name in the object store (in pieces).
func (b *Bucket) PutBlob(ctx context.Context, name string, value []byte) error {
	meta := jetstream.ObjectMeta{Name: name, Opts: &jetstream.ObjectMetaOptions{ChunkSize: uint32(min(b.max, 128<<10))}}
	if _, err := b.blobs.Put(ctx, meta, bytes.NewReader(value)); err != nil {
		return fmt.Errorf("fleet: blob %s: %w", name, err)
	}
	return nil
}

// GetBlob returns what PutBlob stored under name, or an error wrapping ErrNotFound.
func (b *Bucket) GetBlob(ctx context.Context, name string) ([]byte, error) {
	v, err := b.blobs.GetBytes(ctx, name)
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return nil, fmt.Errorf("blob %s: %w", name, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("fleet: blob %s: %w", name, err)
	}
	return v, nil
}

func (b *Bucket) fits(key string, value []byte) error {
	if len(value) > b.max {
		return fmt.Errorf("fleet: %s: a value of %d bytes is more than one NATS message takes (%d); store it with PutBlob", key, len(value), b.max)
	}
	return nil
}

func kvErr(key string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, jetstream.ErrKeyNotFound), errors.Is(err, jetstream.ErrKeyDeleted), errors.Is(err, jetstream.ErrInvalidKey):
		return fmt.Errorf("%s: %w", key, ErrNotFound)
	case errors.Is(err, jetstream.ErrKeyExists), errors.Is(err, jetstream.ErrKeyRevisionMismatch):
		return fmt.Errorf("%s: %w", key, ErrConflict)
	}
	return fmt.Errorf("fleet: %s: %w", key, err)
}

// Watch calls fn, on a goroutine of its own and in order, with each entry written from now on
// under a key that matches pattern (NATS subject wildcards: "cancel.*"), until stop is called.
func (b *Bucket) Watch(ctx context.Context, pattern string, fn func(key string, e Entry)) (stop func(), err error) {
	w, err := b.kv.Watch(context.WithoutCancel(ctx), pattern, jetstream.UpdatesOnly())
	if err != nil {
		return nil, fmt.Errorf("fleet: watch %s: %w", pattern, err)
	}
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case e, ok := <-w.Updates():
				if !ok {
					return
				}
				if e != nil && e.Operation() == jetstream.KeyValuePut {
					fn(e.Key(), Entry{Value: e.Value(), Revision: e.Revision(), Created: e.Created()})
				}
			case <-quit:
				return
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			close(quit)
			<-done
			_ = w.Stop()
		})
	}, nil
}
