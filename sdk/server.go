package sdk

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	"github.com/lava-actions/lava-actions/sdk/protocol"
	"github.com/lava-actions/lava-actions/sdk/protocol/rpc"
	"github.com/lava-actions/lava-actions/sdk/render"
	"github.com/lava-actions/lava-actions/sdk/value"
	"google.golang.org/grpc"
)

// server adapts an Action to the typed protocol. It enforces the contract
// for every action: the declared field checks and the action's Validator
// run before Validate answers and before every Execute.
type server struct {
	action Action
	desc   Description
	engine *render.Engine
	log    *slog.Logger
	idle   *idleReclaimer
}

var _ protocol.Server = (*server)(nil)

// idleReclaimer returns the heap's free pages to the OS once the plugin has
// been idle for a while, so that a plugin waiting between jobs keeps a small
// resident set. It costs nothing while requests keep coming.
type idleReclaimer struct {
	mu    sync.Mutex
	after time.Duration
	timer *time.Timer
}

// touch restarts the idle clock.
func (r *idleReclaimer) touch() {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.timer == nil {
		r.timer = time.AfterFunc(r.after, debug.FreeOSMemory)
		return
	}
	r.timer.Reset(r.after)
}

func newServer(a Action, log *slog.Logger) *server {
	if log == nil {
		log = slog.New(discardHandler{})
	}
	return &server{action: a, desc: a.Describe(), engine: defaultEngine, log: log}
}

func (s *server) Describe(context.Context) (*protocol.DescribeResponse, error) {
	schema, err := Schema(s.desc)
	if err != nil {
		return nil, err
	}
	return &protocol.DescribeResponse{Description: s.desc, ProtocolVersion: ProtocolVersion, SchemaJSON: string(schema)}, nil
}

func (s *server) request(p *protocol.Request) *Request {
	req := &Request{
		Trigger: p.Trigger, Index: p.Index,
		Item: p.Item, Job: p.Job, Realm: p.Realm, Result: p.Result,
		Config: Config(p.Config), DryRun: p.DryRun, Deadline: p.Deadline,
		engine: s.engine,
	}
	for _, m := range []**value.Map{&req.Item, &req.Job, &req.Realm, &req.Result} {
		if *m == nil {
			*m = &value.Map{}
		}
	}
	if req.Config == nil {
		req.Config = Config{}
	}
	return req
}

func (s *server) Validate(ctx context.Context, p *protocol.Request) (msg string, err error) {
	defer s.idle.touch()
	req := s.request(p)
	defer s.recoverInto(&msg)
	if err := validate(ctx, s.action, s.desc, req); err != nil {
		return errorText(err), nil
	}
	return "", nil
}

func (s *server) Execute(ctx context.Context, p *protocol.Request) (*protocol.Response, error) {
	defer s.idle.touch()
	req := s.request(p)
	if !req.Deadline.IsZero() {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, req.Deadline)
		defer cancel()
	}
	rec := newRecorder()
	req.logger = slog.New(rec)
	resp := &protocol.Response{}
	func() {
		defer s.recoverInto(&resp.Error)
		// The contract: an invalid item is never executed, whoever calls.
		if err := validate(ctx, s.action, s.desc, req); err != nil {
			resp.Error = errorText(err)
			return
		}
		req.Secret(s.declaredSecrets(req)...)
		res, err := s.action.Execute(ctx, req)
		if err != nil {
			resp.Error = errorText(err)
		}
		if res != nil {
			resp.Summary, resp.Retries, resp.Effects = res.Summary, res.Retries, res.Effects
		}
	}()
	for _, r := range rec.take() {
		resp.Logs = append(resp.Logs, logToProtocol(r))
	}
	resp.Secrets = req.secrets
	return resp, nil
}

// declaredSecrets returns the string values of the fields declared Secret,
// as written and as rendered.
func (s *server) declaredSecrets(req *Request) []string {
	raw := protocol.DeclaredSecrets(s.desc, req.Item)
	out := raw
	for _, str := range raw {
		if r, err := req.Render(str); err == nil && r != str {
			out = append(out, r)
		}
	}
	return out
}

func errorText(err error) string {
	if msg := err.Error(); msg != "" {
		return msg
	}
	return "action failed with an empty error"
}

// recoverInto turns a panic in action code into an action error, logging
// the stack on the plugin's own log (it never reaches the action's report).
func (s *server) recoverInto(msg *string) {
	if r := recover(); r != nil {
		s.log.Error("action panicked", "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
		*msg = fmt.Sprintf("internal error in %s plugin: %v", s.desc.Type, r)
	}
}

// EncodeDetail renders an effect detail as JSON text: values of the value
// model as Python's json.dumps would, anything else with encoding/json.
func EncodeDetail(d any) string {
	switch d.(type) {
	case nil:
		return ""
	case *value.Map, []any, string, value.Decimal, value.DateTime:
		s, err := value.EncodeJSON(d, value.EncodeOptions{DecimalAsNumber: true, DateTimeAsISO: true})
		if err == nil {
			return s
		}
	}
	b, err := json.Marshal(d)
	if err != nil {
		return fmt.Sprintf("%q", fmt.Sprint(d))
	}
	return string(b)
}

func logToProtocol(r LogRecord) protocol.LogRecord {
	lr := protocol.LogRecord{Time: r.Time, Level: r.Level.String(), Message: r.Message}
	keys := r.Keys
	if len(keys) != len(r.Attrs) { // a record built by hand: sorted keys
		keys = slices.Sorted(maps.Keys(r.Attrs))
	}
	for _, k := range keys {
		lr.Attrs = append(lr.Attrs, protocol.Attr{Key: k, Value: r.Attrs[k]})
	}
	return lr
}

// RegisterGRPC registers a as the lava action service on s. Serve does this
// for a plugin executable; tests and embedders use it to serve an action on
// a gRPC server of their own.
func RegisterGRPC(s *grpc.Server, a Action) {
	rpc.Register(s, newServer(a, nil))
}

// NewServer returns a as a protocol.Server: the SDK's enforcement of the
// contract (field checks and Validator before Execute, panics turned into
// errors, secrets reported) without any transport.
func NewServer(a Action) protocol.Server {
	return newServer(a, nil)
}
