// Package protocol is the typed form of the lava action plugin contract
// (proto/action/v1/action.proto), as terraform-plugin-go's tfprotov6 is for
// Terraform providers: plain Go request, response, effect, description and
// log-record types that the host, the SDK's server and package plugintest
// share. None of them touches the generated protobuf code: package
// protocol/rpc adapts a gRPC connection to [Client] and a [Server] to a gRPC
// server, and one internal package converts between these types and the
// wire messages.
package protocol

import (
	"context"
	"encoding/json"
	"time"

	"github.com/hashicorp/go-plugin"
	"github.com/lava-actions/lava-actions/sdk/value"
)

// Version is the application protocol version (lava.action.v1). It changes
// only when the wire breaks; additions to the messages keep it.
const Version = 1

// PluginName is the single plugin name each executable serves.
const PluginName = "action"

// Handshake is the go-plugin handshake. The cookie keeps a plugin from
// running when started by hand; it is not a security feature. Never change
// the cookie.
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  Version,
	MagicCookieKey:   "LAVA_ACTION_PLUGIN",
	MagicCookieValue: "6f1c2b0e-lava-action-host",
}

// MaxMessageBytes bounds a gRPC message in either direction.
const MaxMessageBytes = 64 << 20

// CapabilityDryRun is the capability of an action that honours
// Request.DryRun. The host never sends a dry-run Execute to a plugin that
// does not declare it.
const CapabilityDryRun = "dry-run"

// Client is the host's view of one plugin.
type Client interface {
	// Describe returns the plugin's description.
	Describe(ctx context.Context) (*DescribeResponse, error)
	// Validate returns the item's validation error text, "" when valid;
	// err is a transport failure.
	Validate(ctx context.Context, req *Request) (string, error)
	// Execute runs (or, with DryRun, previews) one action; err is a
	// transport failure, the action's own error is Response.Error.
	Execute(ctx context.Context, req *Request) (*Response, error)
}

// Server is what a plugin serves; it has the same methods as Client.
type Server interface {
	Client
}

// DescribeResponse is a plugin's answer to Describe.
type DescribeResponse struct {
	Description
	// ProtocolVersion is the protocol the plugin speaks.
	ProtocolVersion int
	// SchemaJSON is the JSON Schema (draft 2020-12) of an item.
	SchemaJSON string
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
	// Lenient accepts keys not in Fields. By default (false) they are an
	// error: "Unexpected keys: …".
	Lenient bool
	// Capabilities lists optional features, e.g. CapabilityDryRun.
	Capabilities []string
}

// Can says whether d declares capability c.
func (d Description) Can(c string) bool {
	for _, x := range d.Capabilities {
		if x == c {
			return true
		}
	}
	return false
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
	// Secret marks a value (and what it renders to) as a secret: the host
	// redacts it from the plugin's errors, logs and effects.
	Secret bool
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

// Request is one action item to validate or execute, with its context.
type Request struct {
	// Trigger is on_success, on_retry or on_fail.
	Trigger string
	// Index is the item's 0-based position in the list.
	Index int
	// Item is the action item, "action" key included.
	Item *value.Map
	// Job is lava's augmented job spec; Realm the realm item; Result the
	// job's result. nil travels as an empty map.
	Job, Realm, Result *value.Map
	// Config holds resolved configuration: upper-case keys without LAVA_.
	Config map[string]string
	// DryRun asks the action to report instead of sending.
	DryRun bool
	// Deadline is when the host gives up on the action; zero if none.
	Deadline time.Time
}

// Response is what an action answered to Execute.
type Response struct {
	// Error is the action's error text; "" on success.
	Error string
	// Summary is one line for humans.
	Summary string
	// Effects lists the outside calls made (or, in a dry run, planned).
	Effects []Effect
	// Logs are the records the action logged for this request.
	Logs []LogRecord
	// Retries counts retried outside calls.
	Retries int
	// Secrets are secret strings the action met at run time; the host
	// redacts them (see Redact) and never shows them.
	Secrets []string
}

// Effect is one outside call: its operation (e.g. "sqs:SendMessage"), its
// target (queue URL, topic ARN, …), its parameters as JSON text and what
// came back. It is the one effect type of the project: actions return it,
// the wire carries it, reports show it.
type Effect struct {
	Operation string `json:"operation"`
	Target    string `json:"target,omitempty"`
	// Detail is the request parameters as JSON text (see sdk.EncodeDetail).
	Detail string `json:"detail,omitempty"`
	// Outcome is what came back, e.g. a message id; empty in a dry run.
	Outcome string `json:"outcome,omitempty"`
}

// effectJSON is Effect's JSON form, Detail embedded as JSON.
type effectJSON struct {
	Operation string          `json:"operation"`
	Target    string          `json:"target,omitempty"`
	Detail    json.RawMessage `json:"detail,omitempty"`
	Outcome   string          `json:"outcome,omitempty"`
}

// MarshalJSON writes Detail as embedded JSON when it is valid JSON text,
// else as a string.
func (e Effect) MarshalJSON() ([]byte, error) {
	out := effectJSON{Operation: e.Operation, Target: e.Target, Outcome: e.Outcome}
	if e.Detail != "" {
		if json.Valid([]byte(e.Detail)) {
			out.Detail = json.RawMessage(e.Detail)
		} else {
			b, err := json.Marshal(e.Detail)
			if err != nil {
				return nil, err
			}
			out.Detail = b
		}
	}
	return json.Marshal(out)
}

// UnmarshalJSON reads what MarshalJSON wrote: a detail that is a JSON
// string becomes its text, any other JSON value its JSON text.
func (e *Effect) UnmarshalJSON(b []byte) error {
	var in effectJSON
	if err := json.Unmarshal(b, &in); err != nil {
		return err
	}
	*e = Effect{Operation: in.Operation, Target: in.Target, Detail: string(in.Detail), Outcome: in.Outcome}
	var s string
	if len(in.Detail) > 0 && in.Detail[0] == '"' && json.Unmarshal(in.Detail, &s) == nil {
		e.Detail = s
	}
	return nil
}

// Decode parses Detail as a JSON object into plain Go values (for tests
// and displays); nil when it is not one.
func (e Effect) Decode() map[string]any {
	var m map[string]any
	_ = json.Unmarshal([]byte(e.Detail), &m)
	return m
}

// LogRecord is one record an action logged for a request.
type LogRecord struct {
	Time time.Time
	// Level is slog's level name: DEBUG, INFO, WARN, ERROR (or e.g. INFO+2).
	Level   string
	Message string
	Attrs   []Attr
}

// Attr is one log attribute; Value is a value of the value model.
type Attr struct {
	Key   string
	Value any
}
