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

	"github.com/hashicorp/go-plugin"
	"github.com/lava-actions/lava-actions/internal/actionpb"
	"github.com/lava-actions/lava-actions/internal/wire"
	"github.com/lava-actions/lava-actions/sdk/render"
	"github.com/lava-actions/lava-actions/sdk/value"
	"google.golang.org/grpc"
)

// grpcPlugin is the plugin side of the go-plugin contract.
type grpcPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	srv *server
}

func (p *grpcPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	actionpb.RegisterActionServer(s, p.srv)
	return nil
}

func (p *grpcPlugin) GRPCClient(context.Context, *plugin.GRPCBroker, *grpc.ClientConn) (any, error) {
	return nil, fmt.Errorf("the sdk serves actions; it is not a client")
}

// server adapts an Action to the generated gRPC service.
type server struct {
	actionpb.UnimplementedActionServer
	action Action
	desc   Description
	engine *render.Engine
	log    *slog.Logger
	idle   *idleReclaimer
}

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

func (s *server) Describe(context.Context, *actionpb.DescribeRequest) (*actionpb.DescribeResponse, error) {
	schema, err := Schema(s.desc)
	if err != nil {
		return nil, err
	}
	resp := &actionpb.DescribeResponse{
		Type:            s.desc.Type,
		PluginVersion:   s.desc.Version,
		ProtocolVersion: ProtocolVersion,
		Summary:         s.desc.Summary,
		SchemaJson:      string(schema),
		Strict:          s.desc.Strict,
		Capabilities:    s.desc.Capabilities,
	}
	for _, f := range s.desc.Fields {
		resp.Fields = append(resp.Fields, &actionpb.Field{
			Name: f.Name, Required: f.Required, Kind: string(f.Kind), Render: string(f.Render), Doc: f.Doc,
		})
	}
	return resp, nil
}

func (s *server) request(p *actionpb.ExecuteRequest) (*Request, error) {
	maps := make([]*value.Map, 4)
	for i, pm := range []*actionpb.Map{p.GetItem(), p.GetJob(), p.GetRealm(), p.GetResult()} {
		m, err := wire.MapFromProto(pm)
		if err != nil {
			return nil, fmt.Errorf("decode request: %w", err)
		}
		maps[i] = m
	}
	req := &Request{
		Trigger: p.GetTrigger(),
		Index:   int(p.GetIndex()),
		Item:    maps[0], Job: maps[1], Realm: maps[2], Result: maps[3],
		Config: Config(p.GetConfig()),
		DryRun: p.GetDryRun(),
		engine: s.engine,
	}
	if req.Config == nil {
		req.Config = Config{}
	}
	if ms := p.GetDeadlineUnixMs(); ms > 0 {
		req.Deadline = time.UnixMilli(ms)
	}
	return req, nil
}

func (s *server) Validate(ctx context.Context, p *actionpb.ExecuteRequest) (resp *actionpb.ValidateResponse, err error) {
	defer s.idle.touch()
	req, err := s.request(p)
	if err != nil {
		return nil, err
	}
	resp = &actionpb.ValidateResponse{}
	defer s.recoverInto(&resp.Error)
	if err := validate(ctx, s.action, s.desc, req); err != nil {
		resp.Error = err.Error()
	}
	return resp, nil
}

func (s *server) Execute(ctx context.Context, p *actionpb.ExecuteRequest) (*actionpb.ExecuteResponse, error) {
	defer s.idle.touch()
	req, err := s.request(p)
	if err != nil {
		return nil, err
	}
	if !req.Deadline.IsZero() {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, req.Deadline)
		defer cancel()
	}
	rec := newRecorder()
	req.logger = slog.New(rec)
	resp := &actionpb.ExecuteResponse{}
	func() {
		defer s.recoverInto(&resp.Error)
		res, err := s.action.Execute(ctx, req)
		if err != nil {
			resp.Error = err.Error()
			if resp.Error == "" {
				resp.Error = "action failed with an empty error"
			}
		}
		if res != nil {
			resp.Summary = res.Summary
			resp.Retries = int32(res.Retries)
			for _, e := range res.Effects {
				resp.Effects = append(resp.Effects, effectToProto(e))
			}
		}
	}()
	for _, r := range rec.take() {
		resp.Logs = append(resp.Logs, logToProto(r))
	}
	return resp, nil
}

// recoverInto turns a panic in action code into an action error, logging
// the stack on the plugin's own log (it never reaches the action's report).
func (s *server) recoverInto(msg *string) {
	if r := recover(); r != nil {
		s.log.Error("action panicked", "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
		*msg = fmt.Sprintf("internal error in %s plugin: %v", s.desc.Type, r)
	}
}

func effectToProto(e Effect) *actionpb.Effect {
	return &actionpb.Effect{Operation: e.Operation, Target: e.Target, DetailJson: EncodeDetail(e.Detail), Outcome: e.Outcome}
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

func logToProto(r LogRecord) *actionpb.LogRecord {
	lr := &actionpb.LogRecord{Level: r.Level.String(), Message: r.Message, TimeUnixMicro: r.Time.UnixMicro()}
	keys := r.Keys
	if len(keys) != len(r.Attrs) { // a record built by hand: sorted keys
		keys = slices.Sorted(maps.Keys(r.Attrs))
	}
	for _, k := range keys {
		lr.Attrs = append(lr.Attrs, &actionpb.Attr{Key: k, Value: wire.ValueToProto(r.Attrs[k])})
	}
	return lr
}

// RegisterGRPC registers a as the lava action service on s. Serve does this
// for a plugin executable; tests and embedders use it to serve an action on
// a gRPC server of their own.
func RegisterGRPC(s *grpc.Server, a Action) {
	actionpb.RegisterActionServer(s, newServer(a, nil))
}
