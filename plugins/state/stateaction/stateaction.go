// Package stateaction implements lava's state action (spec 3.8, decisions
// 0.5 and 0.6): it renders a state item and writes it to the realm's state
// table through the state manager (package state).
package stateaction

import (
	"context"
	"fmt"
	"github.com/aws/aws-sdk-go-v2/aws"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/lava-actions/lava-actions/plugins/internal/awsx"
	"github.com/lava-actions/lava-actions/sdk"
	"github.com/lava-actions/lava-actions/sdk/value"
	"github.com/lava-actions/lava-actions/state"
)

// Version is the plugin version.
const Version = "1.0.0"

// DefaultPublisher is the publisher template used when none is given.
const DefaultPublisher = "{{ job.job_id }}"

// Action is the state action. Now, when set, replaces the clock (tests).
type Action struct {
	Now func() time.Time
}

// Describe declares state_id and value (required) and type, ttl,
// publisher and kms_key; other keys are rejected, as in lava.
func (Action) Describe() sdk.Description {
	return sdk.Description{
		Type:    "state",
		Version: Version,
		Summary: "Publish a state item to the realm's state table.",
		Fields: []sdk.Field{
			{Name: "state_id", Required: true, Kind: sdk.KindString,
				Doc: "State item id (template). Must not start with \"lava\" (any case)."},
			{Name: "value", Required: true, Kind: sdk.KindAny,
				Doc: "Any JSON value; every string in it (map keys included) is a template."},
			{Name: "type", Kind: sdk.KindAny, Doc: "json (default), raw or secure. Not rendered."},
			{Name: "ttl", Kind: sdk.KindDuration,
				Doc: "Time to live: seconds or a duration string; falsy means STATE_TTL (7d); capped at STATE_MAX_TTL (366d). Not rendered."},
			{Name: "publisher", Kind: sdk.KindString,
				Doc: "Publisher template; default {{ job.job_id }}; an empty result is not stored."},
			{Name: "kms_key", Kind: sdk.KindString,
				Doc: "secure type only: KMS key id, ARN or alias; default alias/lava-<realm>-sys. Not rendered."},
		},
		Capabilities: []string{"dry-run"},
	}
}

// Validate checks template syntax, the state type and the ttl.
func (Action) Validate(_ context.Context, req *sdk.Request) error {
	_, _, err := check(req)
	return err
}

// check returns the state type and the ttl in seconds.
func check(req *sdk.Request) (string, float64, error) {
	eng := req.Engine()
	if err := eng.Check(req.Item.String("state_id")); err != nil {
		return "", 0, fmt.Errorf("Bad state_id: %v", err)
	}
	if err := eng.Check(publisher(req)); err != nil {
		return "", 0, fmt.Errorf("Bad publisher: %v", err)
	}
	v, _ := req.Item.Get("value")
	if err := sdk.CheckTemplates(v, sdk.RenderStructural, eng.Check); err != nil {
		return "", 0, fmt.Errorf("Bad value: %v", err)
	}
	typ := ""
	if t, ok := req.Item.Get("type"); ok && value.Truthy(t) {
		typ = value.Str(t)
	}
	if err := state.CheckType(typ); err != nil {
		return "", 0, err
	}
	ttl, _ := req.Item.Get("ttl")
	secs, err := state.ResolveTTL(ttl, req.Config.Get("STATE_TTL", state.DefaultTTL), req.Config.Get("STATE_MAX_TTL", state.DefaultMaxTTL))
	if err != nil {
		return "", 0, err
	}
	return typ, secs, nil
}

func publisher(req *sdk.Request) string {
	if req.Item.Has("publisher") {
		return req.Item.String("publisher")
	}
	return DefaultPublisher
}

// Execute renders the item and writes it (spec 5). In a dry run it
// reports the PutItem it would make, with no AWS call; a secure value is
// never shown.
// Retried AWS call attempts are reported in Result.Retries, failures included.
func (a Action) Execute(ctx context.Context, req *sdk.Request) (*sdk.Result, error) {
	ctx, retries := awsx.CountRetries(ctx)
	res, err := a.execute(ctx, req)
	return awsx.WithRetries(res, retries), err
}

// execute is Execute without the retry count.
func (a Action) execute(ctx context.Context, req *sdk.Request) (*sdk.Result, error) {
	// The SDK ran the field checks and Validate already; this parses.
	typ, ttl, err := check(req)
	if err != nil {
		return nil, err
	}
	id, err := req.Render(req.Item.String("state_id"))
	if err != nil {
		return nil, fmt.Errorf("Bad state_id: %v", err)
	}
	if state.Reserved(id) {
		return nil, fmt.Errorf("Bad state_id: %v", state.ErrReserved)
	}
	pub, err := req.Render(publisher(req))
	if err != nil {
		return nil, fmt.Errorf("Bad publisher: %v", err)
	}
	raw, _ := req.Item.Get("value")
	v, err := req.RenderValue(raw)
	if err != nil {
		return nil, fmt.Errorf("Bad value: %v", err)
	}
	realm := req.RealmName()
	it := &state.Item{ID: id, Type: typ, Value: v, Publisher: pub}
	opt := state.PutOptions{TTL: ttl}
	if it.Type == state.TypeSecure {
		opt.KMSKey = req.Item.String("kms_key")
	}
	table := state.Table(realm)
	if req.DryRun {
		st := state.New(nil, nil)
		st.Now = a.Now
		shown, err := st.Preview(realm, it, opt)
		if err != nil {
			return nil, err
		}
		return &sdk.Result{Summary: "would put state item " + id,
			Effects: []sdk.Effect{putEffect(table, shown, "")}}, nil
	}
	st, err := store(ctx)
	if err != nil {
		return nil, err
	}
	st = withClock(st, a.Now)
	shown, err := st.Put(ctx, realm, it, opt)
	if err != nil {
		return nil, err
	}
	return &sdk.Result{Summary: "put state item " + id,
		Effects: []sdk.Effect{putEffect(table, shown, "ok")}}, nil
}

func putEffect(table string, item *value.Map, outcome string) sdk.Effect {
	return sdk.Effect{Operation: "dynamodb:PutItem", Target: table,
		Detail: sdk.EncodeDetail(value.NewMap("Item", item, "ReturnValues", "NONE")), Outcome: outcome}
}

func withClock(st *state.Store, now func() time.Time) *state.Store {
	if now == nil {
		return st
	}
	c := *st
	c.Now = now
	return &c
}

// store returns the process's state store, built once from awsx.Config.
var store = awsx.Lazy(func(cfg aws.Config) (*state.Store, error) {
	custom := awsx.EndpointOverridden(cfg, "DYNAMODB")
	db := dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) { o.DisableValidateResponseChecksum = custom })
	return state.New(wordedDB{db}, wordedKMS{kms.NewFromConfig(cfg)}), nil
})

// wordedDB and wordedKMS give the state manager AWS errors already worded by
// awsx.ErrorText: botocore's wording with the retry bound, and no Go
// internals (addresses, error chains) when a call got no AWS answer.
type wordedDB struct{ c *dynamodb.Client }

func (w wordedDB) GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	out, err := w.c.GetItem(ctx, in, opts...)
	return out, awsx.Worded(err)
}

func (w wordedDB) PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	out, err := w.c.PutItem(ctx, in, opts...)
	return out, awsx.Worded(err)
}

type wordedKMS struct{ c *kms.Client }

func (w wordedKMS) Encrypt(ctx context.Context, in *kms.EncryptInput, opts ...func(*kms.Options)) (*kms.EncryptOutput, error) {
	out, err := w.c.Encrypt(ctx, in, opts...)
	return out, awsx.Worded(err)
}

func (w wordedKMS) Decrypt(ctx context.Context, in *kms.DecryptInput, opts ...func(*kms.Options)) (*kms.DecryptOutput, error) {
	out, err := w.c.Decrypt(ctx, in, opts...)
	return out, awsx.Worded(err)
}
