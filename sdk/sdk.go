// Package sdk is the one package a third party imports to write a lava
// action plugin: an executable named lava-action-<type> that the
// lava-actions host starts and talks to over gRPC (HashiCorp go-plugin).
//
// A plugin implements [Action] and calls [Serve] from main:
//
//	func main() { sdk.Serve(webhook.Action{}) }
//
// The SDK checks each action item against the fields the action declares
// (missing and unexpected keys, value kinds, template syntax) with lava's
// error wording, renders templates exactly as lava does (package render),
// routes logs to the host, and keeps stdout clean for the go-plugin
// handshake. Package plugintest tests an action in-process and as a real
// subprocess.
package sdk

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/lava-actions/lava-actions/sdk/render"
	"github.com/lava-actions/lava-actions/sdk/value"
)

// ProtocolVersion is the wire protocol version this SDK speaks.
const ProtocolVersion = 1

// Action is one lava action type.
type Action interface {
	// Describe returns the static description of the action type.
	Describe() Description
	// Execute runs one action item. A returned error is the action's error
	// text (the host prefixes it with "<key> action: <type>: "). With
	// req.DryRun set, Execute must not change anything outside the process:
	// it reports in the Result what it would send.
	Execute(ctx context.Context, req *Request) (*Result, error)
}

// Validator is implemented by actions with checks beyond the declared
// fields. Validate runs after the field checks, before any action of the list
// runs. It must have no side effects, and its answer must depend only on
// req.Item and req.Config: the host caches answers under those two.
type Validator interface {
	Validate(ctx context.Context, req *Request) error
}

// Description is what an action type publishes about itself.
type Description struct {
	// Type is the action name used in job specs, e.g. "log".
	Type string
	// Version is the plugin's own version.
	Version string
	// Summary is one line for humans.
	Summary string
	// Fields declares the keys an item may have, besides "action".
	Fields []Field
	// Strict makes keys not in Fields an error (Unexpected keys: …).
	Strict bool
	// Capabilities lists optional features, e.g. "dry-run".
	Capabilities []string
}

// Field declares one key of an action item.
type Field struct {
	Name     string
	Required bool
	// Kind is the value's expected shape; KindAny accepts anything.
	Kind Kind
	// Render says whether and how the value is a template.
	Render RenderMode
	// KindError replaces the default "<name> must be <kind>" message.
	KindError string
	// Doc describes the field.
	Doc string
}

// Kind is the expected shape of a field value.
type Kind string

// Field kinds.
const (
	KindAny         Kind = "any"
	KindString      Kind = "string"
	KindStrings     Kind = "string-or-list" // a string or a list of strings
	KindList        Kind = "list"
	KindMap         Kind = "map"
	KindBool        Kind = "boolean"
	KindNumber      Kind = "number"
	KindDuration    Kind = "duration" // a number of seconds or a duration string
	KindStringOrMap Kind = "string-or-map"
)

// RenderMode says how a field is rendered.
type RenderMode string

// Render modes.
const (
	RenderNone       RenderMode = ""           // never rendered
	RenderText       RenderMode = "text"       // a string template
	RenderEach       RenderMode = "each"       // each string item of a list, or each value of a map
	RenderStructural RenderMode = "structural" // every string at any depth, keys included
)

// Request is one action item to validate or execute, with everything needed
// to render it.
type Request struct {
	// Trigger is on_success, on_retry or on_fail.
	Trigger string
	// Index is the item's 0-based position in the list.
	Index int
	// Item is the action item, "action" key included.
	Item *value.Map
	// Job is lava's augmented job spec; Realm the realm item; Result the
	// job's result (empty, never nil).
	Job, Realm, Result *value.Map
	// Config holds resolved configuration values (see Config.Get).
	Config Config
	// DryRun asks Execute to report instead of sending.
	DryRun bool
	// Deadline is when the host gives up on the action; zero if none.
	Deadline time.Time

	engine *render.Engine
	logger *slog.Logger
}

// Vars returns the render context of this request.
func (r *Request) Vars() *render.Vars {
	return &render.Vars{Job: r.Job, Realm: r.Realm, Result: r.Result}
}

// Engine returns the template engine the request renders with.
func (r *Request) Engine() *render.Engine {
	if r.engine == nil {
		r.engine = defaultEngine
	}
	return r.engine
}

// Render renders src as a lava template.
func (r *Request) Render(src string) (string, error) {
	return r.Engine().Render(src, r.Vars())
}

// RenderValue renders every string inside v, keeping other values' types.
func (r *Request) RenderValue(v any) (any, error) {
	return r.Engine().RenderValue(v, r.Vars())
}

// Logger returns the logger whose records go back to the host with the
// result and are emitted on the host's logger. Records are kept only for a
// request that came through Serve or plugintest.
func (r *Request) Logger() *slog.Logger {
	if r.logger == nil {
		return slog.New(discardHandler{})
	}
	return r.logger
}

// JobID returns job.job_id.
func (r *Request) JobID() string { return r.Job.String("job_id") }

// RunID returns job.run_id.
func (r *Request) RunID() string { return r.Job.String("run_id") }

// RealmName returns realm.realm, else job.realm.
func (r *Request) RealmName() string {
	if s := r.Realm.String("realm"); s != "" {
		return s
	}
	return r.Job.String("realm")
}

// Result is what an action did (or, in a dry run, would do).
type Result struct {
	// Summary is one line for humans.
	Summary string
	// Effects lists the outside calls made, in order.
	Effects []Effect
	// Retries counts retried outside calls.
	Retries int
}

// Effect is one outside call: its operation (e.g. "sqs:SendMessage"), its
// target (queue URL, topic ARN, …), its parameters and what came back.
// Secrets must never be put in an Effect.
type Effect struct {
	Operation string
	Target    string
	// Detail is the request parameters, encoded as JSON for display.
	Detail any
	// Outcome is what came back, e.g. a message id; empty in a dry run.
	Outcome string
}

// Config is resolved configuration: upper-case keys without the LAVA_
// prefix. The host fills it from LAVA_<KEY> environment variables, then the
// realm's config map (keys case-insensitive).
type Config map[string]string

// Get returns the value of key (case-insensitive), or def when unset.
func (c Config) Get(key, def string) string {
	if v, ok := c[strings.ToUpper(key)]; ok {
		return v
	}
	return def
}
