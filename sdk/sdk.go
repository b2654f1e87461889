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

	"github.com/lava-actions/lava-actions/sdk/protocol"
	"github.com/lava-actions/lava-actions/sdk/render"
	"github.com/lava-actions/lava-actions/sdk/value"
)

// ProtocolVersion is the wire protocol version this SDK speaks.
const ProtocolVersion = protocol.Version

// Action is one lava action type.
type Action interface {
	// Describe returns the static description of the action type.
	Describe() Description
	// Execute runs one action item. The SDK runs the declared field checks
	// and the action's Validator first: Execute sees only valid items. A
	// returned error is the action's error text (the host prefixes it with
	// "<key> action: <type>: "). With req.DryRun set, Execute must not
	// change anything outside the process: it reports in the Result what it
	// would send. The host sends dry runs only to actions that declare the
	// "dry-run" capability.
	Execute(ctx context.Context, req *Request) (*Result, error)
}

// Validator is implemented by actions with checks beyond the declared
// fields. Validate runs after the field checks, before any action of the list
// runs, and again before Execute. It must have no side effects, and its
// answer must depend only on req.Item and req.Config: the host caches
// answers under those two.
type Validator interface {
	Validate(ctx context.Context, req *Request) error
}

// Description is what an action type publishes about itself (the
// protocol's type): its fields, whether unknown keys are accepted
// (Lenient; by default they are an error) and its capabilities.
type Description = protocol.Description

// Field declares one key of an action item.
type Field = protocol.Field

// Kind is the expected shape of a field value.
type Kind = protocol.Kind

// Field kinds.
const (
	KindAny         = protocol.KindAny
	KindString      = protocol.KindString
	KindStrings     = protocol.KindStrings // a string or a list of strings
	KindList        = protocol.KindList
	KindMap         = protocol.KindMap
	KindBool        = protocol.KindBool
	KindNumber      = protocol.KindNumber
	KindDuration    = protocol.KindDuration // a number of seconds or a duration string
	KindStringOrMap = protocol.KindStringOrMap
)

// RenderMode says how a field is rendered.
type RenderMode = protocol.RenderMode

// Render modes.
const (
	RenderNone       = protocol.RenderNone       // never rendered
	RenderText       = protocol.RenderText       // a string template
	RenderEach       = protocol.RenderEach       // each string item of a list, or each value of a map
	RenderStructural = protocol.RenderStructural // every string at any depth, keys included
)

// CapabilityDryRun is the capability of an action that honours
// Request.DryRun; without it the host never asks the action to dry-run.
const CapabilityDryRun = protocol.CapabilityDryRun

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

	engine  *render.Engine
	logger  *slog.Logger
	secrets []string
	parsed  any // a Typed action's parsed item
}

// Secret marks strings the action met at run time as secrets (e.g. a
// webhook URL or password resolved from a connection): the host redacts
// them from the action's error, logs and effects. Values of fields
// declared Secret are marked already. Safe for concurrent use only from the
// goroutine running Execute.
func (r *Request) Secret(s ...string) {
	r.secrets = append(r.secrets, s...)
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
// target (queue URL, topic ARN, …), its parameters as JSON text (build it
// with EncodeDetail) and what came back. Secrets must never be put in an
// Effect; the host redacts the ones it knows.
type Effect = protocol.Effect

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
