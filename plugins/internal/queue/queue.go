// Package queue holds what the sqs and dispatch actions share about SQS:
// the process's SQS client, queue resolution (a name, a URL without a
// scheme or a full URL) with a bounded per-process cache of looked-up
// queue URLs, sending with one re-resolution when a cached queue has gone,
// delay checking and message text.
//
// The cache saves one GetQueueUrl call per send for a queue a plugin
// process has already resolved: a warm sqs action by queue name makes one
// AWS call (SendMessage), a warm dispatch two (GetItem, SendMessage). An
// entry is dropped when SQS answers QueueDoesNotExist for its URL; the
// name is then looked up once more and, when that succeeds, the send is
// made once more.
package queue

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
	"github.com/lava-actions/lava-actions/plugins/internal/awsx"
	"github.com/lava-actions/lava-actions/sdk"
	"github.com/lava-actions/lava-actions/sdk/value"
)

// DefaultMaxDelayMins is the default of config key SQS_MAX_DELAY_MINS.
const DefaultMaxDelayMins = 15

// DefaultCacheSize bounds the queue URLs one plugin process remembers.
const DefaultCacheSize = 256

// Client returns the process's SQS client, built once from awsx.Config.
// Against a custom endpoint (an emulator) it skips the MD5 check of sent
// messages, which emulators get wrong for de-duplicated FIFO sends.
var Client = awsx.Lazy(func(cfg aws.Config) (*sqs.Client, error) {
	custom := awsx.EndpointOverridden(cfg, "SQS")
	return sqs.NewFromConfig(cfg, func(o *sqs.Options) { o.DisableMessageChecksumValidation = custom }), nil
})

// API is the part of the SQS client the package calls.
type API interface {
	GetQueueUrl(ctx context.Context, in *sqs.GetQueueUrlInput, opts ...func(*sqs.Options)) (*sqs.GetQueueUrlOutput, error)
	SendMessage(ctx context.Context, in *sqs.SendMessageInput, opts ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
}

// Cache is a bounded, least-recently-used map from queue names to the
// URLs GetQueueUrl returned for them. It is safe for concurrent use.
type Cache struct {
	max int

	mu    sync.Mutex
	order *list.List // of *entry, most recently used first
	byKey map[string]*list.Element
}

type entry struct{ name, url string }

// NewCache returns a cache of at most max entries (DefaultCacheSize when
// max < 1).
func NewCache(max int) *Cache {
	if max < 1 {
		max = DefaultCacheSize
	}
	return &Cache{max: max, order: list.New(), byKey: map[string]*list.Element{}}
}

// Shared is the plugin process's cache, used by the sqs and dispatch
// actions.
var Shared = NewCache(DefaultCacheSize)

// Get returns the URL cached for name.
func (c *Cache) Get(name string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.byKey[name]
	if !ok {
		return "", false
	}
	c.order.MoveToFront(el)
	return el.Value.(*entry).url, true
}

// Put remembers url for name, evicting the least recently used entry when
// the cache is full.
func (c *Cache) Put(name, url string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.byKey[name]; ok {
		el.Value.(*entry).url = url
		c.order.MoveToFront(el)
		return
	}
	c.byKey[name] = c.order.PushFront(&entry{name: name, url: url})
	for c.order.Len() > c.max {
		old := c.order.Back()
		c.order.Remove(old)
		delete(c.byKey, old.Value.(*entry).name)
	}
}

// Forget drops name's entry, if url is still the URL cached for it.
func (c *Cache) Forget(name, url string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.byKey[name]; ok && el.Value.(*entry).url == url {
		c.order.Remove(el)
		delete(c.byKey, name)
	}
}

// Len returns the number of cached entries.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}

// Resolved is a queue resolved for a send.
type Resolved struct {
	// URL is the queue URL.
	URL string
	// Name is the queue name looked up ("" for a queue given as a URL).
	Name string
	// Cached says that URL came from the cache, not from a call.
	Cached bool
}

// FIFO reports whether the queue is a FIFO queue: AWS requires FIFO queue
// names to end in ".fifo" and a queue cannot change type under one name.
func (r Resolved) FIFO() bool { return strings.HasSuffix(r.URL, ".fifo") }

// Resolve resolves queue as decision 0.7 says: a full http:// or https://
// URL is used as it is; a value containing ".amazonaws.com/" gets
// "https://" prepended; anything else is a queue name, whose URL comes from
// the cache or, when not cached, from GetQueueUrl (then cached). When a
// call was made it also returns the effect describing it. The URL is used
// as SQS returns it: SDK requests always go to the configured endpoint,
// whatever host the URL names.
func (c *Cache) Resolve(ctx context.Context, api API, queue string) (Resolved, *sdk.Effect, error) {
	lower := strings.ToLower(queue)
	switch {
	case strings.HasPrefix(lower, "https://") || strings.HasPrefix(lower, "http://"):
		return Resolved{URL: queue}, nil, nil
	case strings.Contains(queue, ".amazonaws.com/"):
		return Resolved{URL: "https://" + queue}, nil, nil
	}
	if url, ok := c.Get(queue); ok {
		return Resolved{URL: url, Name: queue, Cached: true}, nil, nil
	}
	return c.lookup(ctx, api, queue)
}

func (c *Cache) lookup(ctx context.Context, api API, name string) (Resolved, *sdk.Effect, error) {
	eff := &sdk.Effect{Operation: "sqs:GetQueueUrl", Target: name, Detail: sdk.EncodeDetail(value.NewMap("QueueName", name))}
	out, err := api.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(name)})
	if err != nil {
		return Resolved{}, eff, errors.New(awsx.ErrorText(err))
	}
	eff.Outcome = aws.ToString(out.QueueUrl)
	c.Put(name, eff.Outcome)
	return Resolved{URL: eff.Outcome, Name: name}, eff, nil
}

// Send sends in (its QueueUrl set from r) with SendMessage. When r came
// from the cache and SQS answers that the queue does not exist, the entry
// is dropped, the name is looked up once more and, when that succeeds, the
// message is sent once more. It returns the effects of any lookup it made,
// the queue the message went to (or was meant for) and the SendMessage
// outcome; err is worded as botocore does.
func (c *Cache) Send(ctx context.Context, api API, r Resolved, in *sqs.SendMessageInput) (Resolved, []sdk.Effect, *sqs.SendMessageOutput, error) {
	in.QueueUrl = aws.String(r.URL)
	out, err := api.SendMessage(ctx, in)
	if err == nil || !r.Cached || !QueueGone(err) {
		if err != nil {
			return r, nil, nil, errors.New(awsx.ErrorText(err))
		}
		return r, nil, out, nil
	}
	c.Forget(r.Name, r.URL)
	fresh, eff, lerr := c.lookup(ctx, api, r.Name)
	effects := []sdk.Effect{*eff}
	if lerr != nil {
		return r, effects, nil, lerr
	}
	in.QueueUrl = aws.String(fresh.URL)
	if out, err = api.SendMessage(ctx, in); err != nil {
		return fresh, effects, nil, errors.New(awsx.ErrorText(err))
	}
	return fresh, effects, out, nil
}

// QueueGone reports whether err says the queue does not exist
// (QueueDoesNotExist, or its query-protocol code
// AWS.SimpleQueueService.NonExistentQueue).
func QueueGone(err error) bool {
	var qd *sqstypes.QueueDoesNotExist
	if errors.As(err, &qd) {
		return true
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue":
			return true
		}
	}
	return false
}

// Delay returns item's delay in whole seconds (default 0), truncated toward
// zero as Python's int() does, and checked against SQS_MAX_DELAY_MINS.
// Errors are lava's: "Bad delay: 5 mins: Invalid duration: 5 mins",
// "Bad delay: 960: Must be between 0 and 15 minutes".
func Delay(item *value.Map, cfg sdk.Config) (int32, error) {
	maxMins, err := cfg.ConfigInt("SQS_MAX_DELAY_MINS", DefaultMaxDelayMins)
	if err != nil {
		return 0, err
	}
	raw, ok := item.Get("delay")
	if !ok {
		return 0, nil
	}
	secs, err := sdk.ParseDuration(raw)
	if err != nil {
		return 0, fmt.Errorf("Bad delay: %s: %v", value.Str(raw), err)
	}
	switch {
	case math.IsInf(secs, 0):
		return 0, fmt.Errorf("Bad delay: %s: cannot convert float infinity to integer", value.Str(raw))
	case math.IsNaN(secs):
		return 0, fmt.Errorf("Bad delay: %s: cannot convert float NaN to integer", value.Str(raw))
	}
	n, _ := big.NewFloat(secs).Int(nil) // truncates toward zero
	if n.Sign() < 0 || n.Cmp(big.NewInt(int64(maxMins)*60)) > 0 {
		return 0, fmt.Errorf("Bad delay: %s: Must be between 0 and %d minutes", n, maxMins)
	}
	return int32(n.Int64()), nil
}

// MessageText returns the text of a message value: a string as it is,
// anything else as Python's json.dumps (DynamoDB numbers as int or float,
// datetimes as ISO strings, non-ASCII escaped).
func MessageText(v any) (string, error) {
	if s, ok := v.(string); ok {
		return s, nil
	}
	return value.EncodeJSON(v, value.EncodeOptions{DecimalAsNumber: true, DateTimeAsISO: true})
}
