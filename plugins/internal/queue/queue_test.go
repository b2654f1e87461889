package queue

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/lava-actions/lava-actions/plugins/internal/awstest"
	"github.com/lava-actions/lava-actions/sdk"
	"github.com/lava-actions/lava-actions/tests/faultproxy"
)

// TestCacheBound checks the LRU bound: the least recently used name goes
// first, a Get counts as a use, and Forget only drops a matching URL.
func TestCacheBound(t *testing.T) {
	t.Parallel()
	c := NewCache(3)
	for _, n := range []string{"a", "b", "c"} {
		c.Put(n, "u-"+n)
	}
	if _, ok := c.Get("a"); !ok { // a is now the most recently used
		t.Fatal("a missing")
	}
	c.Put("d", "u-d")
	if _, ok := c.Get("b"); ok {
		t.Error("b kept, want it evicted (least recently used)")
	}
	for _, n := range []string{"a", "c", "d"} {
		if u, ok := c.Get(n); !ok || u != "u-"+n {
			t.Errorf("Get(%s) = %q, %v", n, u, ok)
		}
	}
	if c.Len() != 3 {
		t.Errorf("Len = %d, want 3", c.Len())
	}
	c.Forget("a", "other")
	if _, ok := c.Get("a"); !ok {
		t.Error("Forget with another URL dropped the entry")
	}
	c.Forget("a", "u-a")
	if _, ok := c.Get("a"); ok {
		t.Error("Forget kept the entry")
	}
	if NewCache(0).max != DefaultCacheSize {
		t.Error("NewCache(0) is not bounded by DefaultCacheSize")
	}
}

// TestCacheConcurrent uses one cache from many goroutines (run with -race)
// and checks the bound holds.
func TestCacheConcurrent(t *testing.T) {
	t.Parallel()
	c := NewCache(16)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				n := fmt.Sprintf("q%d", (g*31+i)%40)
				if _, ok := c.Get(n); !ok {
					c.Put(n, "u-"+n)
				} else if i%7 == 0 {
					c.Forget(n, "u-"+n)
				}
			}
		})
	}
	wg.Wait()
	if c.Len() > 16 {
		t.Errorf("Len = %d, want at most 16", c.Len())
	}
}

// world is a local endpoint behind a counting proxy and an SQS client
// that calls through the proxy.
type world struct {
	env   *awstest.Env
	proxy *faultproxy.Server
	sqs   *sqs.Client
}

func newWorld(t *testing.T) *world {
	t.Helper()
	env := awstest.Start(t)
	p, err := faultproxy.Start(faultproxy.Config{Target: env.URL})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	cfg := env.Config.Copy()
	cfg.BaseEndpoint = aws.String(p.URL)
	return &world{env: env, proxy: p, sqs: sqs.NewFromConfig(cfg)}
}

// calls returns the operations the proxy saw since the last call, as
// "Op×n" sorted, and resets the counters.
func (w *world) calls() []string {
	st := w.proxy.Stats()
	w.proxy.ResetStats()
	var out []string
	for _, op := range st.Operations() {
		out = append(out, fmt.Sprintf("%s×%d", strings.TrimPrefix(op, "sqs:"), st.Op(op).Requests))
	}
	return out
}

func ops(effects []sdk.Effect) []string {
	var s []string
	for _, e := range effects {
		s = append(s, e.Operation)
	}
	return s
}

// send resolves queue and sends body, as the actions do.
func send(ctx context.Context, c *Cache, api API, queue, body string) (Resolved, []sdk.Effect, error) {
	r, lookup, err := c.Resolve(ctx, api, queue)
	var effects []sdk.Effect
	if lookup != nil {
		effects = append(effects, *lookup)
	}
	if err != nil {
		return r, effects, err
	}
	r, more, _, err := c.Send(ctx, api, r, &sqs.SendMessageInput{MessageBody: aws.String(body)})
	return r, append(effects, more...), err
}

// TestResolveAndSendCalls counts the AWS calls of resolving and sending, by
// name (first and warm), by URL, and after the queue went away, against the
// local endpoint through a counting proxy.
func TestResolveAndSendCalls(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	c := NewCache(8)
	name := awstest.Unique("qc")
	url := w.env.CreateQueue(t, name)
	fifoName := awstest.Unique("qc") + ".fifo"
	w.env.CreateQueue(t, fifoName)
	w.calls()

	steps := []struct {
		name      string
		queue     string
		wantCalls []string
		wantErr   string
		cached    bool
	}{
		{"first send by name looks the URL up", name, []string{"GetQueueUrl×1", "SendMessage×1"}, "", false},
		{"warm send by name: one call", name, []string{"SendMessage×1"}, "", true},
		{"by full URL: no lookup", url, []string{"SendMessage×1"}, "", false},
		{"FIFO known from the name, no GetQueueAttributes", fifoName, []string{"GetQueueUrl×1", "SendMessage×1"},
			"An error occurred (MissingParameter) when calling the SendMessage operation", false},
	}
	for _, s := range steps {
		r, _, err := send(ctx, c, w.sqs, s.queue, "x")
		got := w.calls()
		if !slices.Equal(got, s.wantCalls) {
			t.Errorf("%s: calls %v, want %v", s.name, got, s.wantCalls)
		}
		if gotErr := fmt.Sprint(err); s.wantErr == "" && err != nil || s.wantErr != "" && !strings.HasPrefix(gotErr, s.wantErr) {
			t.Errorf("%s: error %v, want %q", s.name, err, s.wantErr)
		}
		if r.Cached != s.cached {
			t.Errorf("%s: cached = %v, want %v", s.name, r.Cached, s.cached)
		}
		if r.FIFO() != strings.HasSuffix(s.queue, ".fifo") {
			t.Errorf("%s: FIFO = %v", s.name, r.FIFO())
		}
	}

	// The queue goes away: the cached URL fails, the entry is dropped, the
	// name is looked up once more and that lookup's error is the answer.
	if _, err := w.env.SQS().DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: aws.String(url)}); err != nil {
		t.Fatal(err)
	}
	w.calls()
	_, effects, err := send(ctx, c, w.sqs, name, "x")
	if got, want := w.calls(), []string{"GetQueueUrl×1", "SendMessage×1"}; !slices.Equal(got, want) {
		t.Errorf("deleted queue: calls %v, want %v", got, want)
	}
	if err == nil || !strings.Contains(err.Error(), "when calling the GetQueueUrl operation") {
		t.Errorf("deleted queue: error %v, want the GetQueueUrl error", err)
	}
	if got, want := ops(effects), []string{"sqs:GetQueueUrl"}; !slices.Equal(got, want) {
		t.Errorf("deleted queue: effects %v, want %v", got, want)
	}
	if _, ok := c.Get(name); ok {
		t.Error("deleted queue: URL still cached")
	}
}

// TestStaleURLResolvedOnceMore: a cached URL whose queue no longer exists
// while the name now resolves elsewhere is dropped, looked up once more and
// the message sent once more, to the fresh URL.
func TestStaleURLResolvedOnceMore(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	c := NewCache(8)
	name := awstest.Unique("st")
	url := w.env.CreateQueue(t, name)
	stale := w.env.CreateQueue(t, awstest.Unique("gone"))
	if _, err := w.env.SQS().DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: aws.String(stale)}); err != nil {
		t.Fatal(err)
	}
	c.Put(name, stale)
	w.calls()
	r, effects, err := send(ctx, c, w.sqs, name, "fresh")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := w.calls(), []string{"GetQueueUrl×1", "SendMessage×2"}; !slices.Equal(got, want) {
		t.Errorf("calls %v, want %v", got, want)
	}
	if got, want := ops(effects), []string{"sqs:GetQueueUrl"}; !slices.Equal(got, want) {
		t.Errorf("effects %v, want %v", got, want)
	}
	if r.URL != url {
		t.Errorf("sent to %s, want %s", r.URL, url)
	}
	if u, _ := c.Get(name); u != url {
		t.Errorf("cached %q, want %q", u, url)
	}
	msgs := w.env.Receive(t, url, 10, 0)
	if len(msgs) != 1 || aws.ToString(msgs[0].Body) != "fresh" {
		t.Errorf("received %v", msgs)
	}
	// A fresh (not cached) URL whose queue is gone is not looked up again.
	w.calls()
	_, _, _, err = c.Send(ctx, w.sqs, Resolved{URL: stale, Name: name}, &sqs.SendMessageInput{MessageBody: aws.String("x")})
	if got, want := w.calls(), []string{"SendMessage×1"}; !slices.Equal(got, want) || err == nil {
		t.Errorf("uncached gone URL: calls %v (want %v), error %v", got, want, err)
	}
}
