// Package plugintest tests a lava action the way the host uses it: through
// the real gRPC contract, either in-process (fast, debuggable) or as a real
// plugin subprocess started with go-plugin (the executable the host runs).
//
//	conn := plugintest.InProcess(t, myaction.Action{})
//	out, err := conn.Execute(ctx, plugintest.Input{Item: item})
//
// Fixture returns lava's acceptance-test job, realm and result (spec 9.0).
package plugintest

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"github.com/lava-actions/lava-actions/internal/actionpb"
	"github.com/lava-actions/lava-actions/internal/wire"
	"github.com/lava-actions/lava-actions/sdk"
	"github.com/lava-actions/lava-actions/sdk/value"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// Input is one action request.
type Input struct {
	// Trigger defaults to on_success.
	Trigger string
	Index   int
	// Item is the action item. Job, Realm and Result default to Fixture's.
	Item, Job, Realm, Result *value.Map
	Config                   sdk.Config
	DryRun                   bool
}

// Outcome is what an action answered.
type Outcome struct {
	// Error is the action's error text; "" on success.
	Error   string
	Summary string
	Effects []Effect
	Logs    []Log
	Retries int
}

// Effect is one reported outside call; Detail is JSON text.
type Effect struct {
	Operation, Target, Detail, Outcome string
}

// Log is one record the action logged through Request.Logger.
type Log struct {
	Level, Message string
	Attrs          map[string]any
}

// Conn talks to one action over the real gRPC contract.
type Conn struct {
	rpc actionpb.ActionClient
}

// InProcess serves a on a loopback gRPC server inside the test process.
// Everything is stopped when the test ends.
func InProcess(t testing.TB, a sdk.Action) *Conn {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("plugintest: listen: %v", err)
	}
	s := grpc.NewServer()
	sdk.RegisterGRPC(s, a)
	go s.Serve(lis)
	cc, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatalf("plugintest: dial: %v", err)
	}
	t.Cleanup(func() { cc.Close(); s.Stop() })
	return &Conn{rpc: actionpb.NewActionClient(cc)}
}

type client struct{ plugin.NetRPCUnsupportedPlugin }

func (client) GRPCServer(*plugin.GRPCBroker, *grpc.Server) error { return fmt.Errorf("not a server") }
func (client) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return actionpb.NewActionClient(c), nil
}

// Exec starts the plugin executable at path as the host would (go-plugin
// handshake over gRPC) and stops it when the test ends. The plugin gets the
// test process's environment; env adds KEY=VALUE entries that override it.
func Exec(t testing.TB, path string, env ...string) *Conn {
	t.Helper()
	cmd := exec.Command(path)
	cmd.Env = append(os.Environ(), env...)
	c := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  wire.Handshake,
		Plugins:          plugin.PluginSet{wire.PluginName: client{}},
		Cmd:              cmd,
		SkipHostEnv:      true, // else the host's copy of a variable wins over env
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		Logger:           hclog.New(&hclog.LoggerOptions{Output: testWriter{t}, Level: hclog.Warn}),
		StartTimeout:     20 * time.Second,
	})
	t.Cleanup(c.Kill)
	proto, err := c.Client()
	if err != nil {
		t.Fatalf("plugintest: start %s: %v", path, err)
	}
	raw, err := proto.Dispense(wire.PluginName)
	if err != nil {
		t.Fatalf("plugintest: dispense: %v", err)
	}
	return &Conn{rpc: raw.(actionpb.ActionClient)}
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// Build compiles the main package pkg (an import path or a directory) into
// a temporary directory as lava-action-<name> and returns the executable's
// path.
func Build(t testing.TB, pkg, name string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "lava-action-"+name)
	cmd := exec.Command("go", "build", "-o", out, pkg)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("plugintest: go build %s: %v\n%s", pkg, err, b)
	}
	return out
}

// Describe returns the action's description as the host sees it.
func (c *Conn) Describe(ctx context.Context) (sdk.Description, error) {
	d, err := c.rpc.Describe(ctx, &actionpb.DescribeRequest{})
	if err != nil {
		return sdk.Description{}, err
	}
	out := sdk.Description{Type: d.GetType(), Version: d.GetPluginVersion(), Summary: d.GetSummary(), Strict: d.GetStrict(), Capabilities: d.GetCapabilities()}
	for _, f := range d.GetFields() {
		out.Fields = append(out.Fields, sdk.Field{Name: f.GetName(), Required: f.GetRequired(), Kind: sdk.Kind(f.GetKind()), Render: sdk.RenderMode(f.GetRender()), Doc: f.GetDoc()})
	}
	return out, nil
}

// Schema returns the JSON Schema the action publishes.
func (c *Conn) Schema(ctx context.Context) (string, error) {
	d, err := c.rpc.Describe(ctx, &actionpb.DescribeRequest{})
	return d.GetSchemaJson(), err
}

func (in Input) proto() *actionpb.ExecuteRequest {
	job, realm, result := Fixture()
	if in.Job != nil {
		job = in.Job
	}
	if in.Realm != nil {
		realm = in.Realm
	}
	if in.Result != nil {
		result = in.Result
	}
	trigger := in.Trigger
	if trigger == "" {
		trigger = "on_success"
	}
	return &actionpb.ExecuteRequest{
		Trigger: trigger, Index: int32(in.Index), Item: wire.MapToProto(in.Item),
		Job: wire.MapToProto(job), Realm: wire.MapToProto(realm), Result: wire.MapToProto(result),
		Config: in.Config, DryRun: in.DryRun,
	}
}

// Validate returns the action's validation error text ("" when valid); err
// is a transport failure.
func (c *Conn) Validate(ctx context.Context, in Input) (string, error) {
	resp, err := c.rpc.Validate(ctx, in.proto())
	return resp.GetError(), err
}

// Execute runs the action; err is a transport failure, the action's own
// error is Outcome.Error.
func (c *Conn) Execute(ctx context.Context, in Input) (*Outcome, error) {
	resp, err := c.rpc.Execute(ctx, in.proto())
	if err != nil {
		return nil, err
	}
	out := &Outcome{Error: resp.GetError(), Summary: resp.GetSummary(), Retries: int(resp.GetRetries())}
	for _, e := range resp.GetEffects() {
		out.Effects = append(out.Effects, Effect{Operation: e.GetOperation(), Target: e.GetTarget(), Detail: e.GetDetailJson(), Outcome: e.GetOutcome()})
	}
	for _, l := range resp.GetLogs() {
		lg := Log{Level: l.GetLevel(), Message: l.GetMessage(), Attrs: map[string]any{}}
		for _, a := range l.GetAttrs() {
			v, _ := wire.ValueFromProto(a.GetValue())
			lg.Attrs[a.GetKey()] = v
		}
		out.Logs = append(out.Logs, lg)
	}
	return out, nil
}

// Run validates then, when valid, executes: the host's order. The returned
// Outcome.Error holds whichever error the action gave.
func (c *Conn) Run(ctx context.Context, in Input) (*Outcome, error) {
	msg, err := c.Validate(ctx, in)
	if err != nil {
		return nil, err
	}
	if msg != "" {
		return &Outcome{Error: msg}, nil
	}
	return c.Execute(ctx, in)
}

// Fixture returns fresh copies of the spec 9.0 fixture: the augmented job J
// (demo/job1, run-0001, realm dev, start 2024-03-01T10:00:00+11:00), the
// realm item R and the success result RS.
func Fixture() (job, realm, result *value.Map) {
	tz := time.FixedZone("", 11*3600)
	start := value.DateTime{Time: time.Date(2024, 3, 1, 10, 0, 0, 0, tz)}
	ustart := value.DateTime{Time: start.UTC()}
	job = value.NewMap(
		"job_id", "demo/job1", "type", "cmd", "worker", "core", "run_id", "run-0001", "realm", "dev",
		"parameters", value.NewMap(), "state", value.NewMap(),
		"ts_dispatch", value.DateTime{Time: time.Date(2024, 3, 1, 9, 59, 58, 0, tz)},
		"ts_start", start, "ts_ustart", ustart,
		"globals", value.NewMap("g1", "G1", "lava", value.NewMap(
			"master_job_id", "demo/job1", "parent_job_id", "demo/job1",
			"master_start", start, "master_ustart", ustart, "parent_start", start, "parent_ustart", ustart,
			"iteration", int64(1))),
	)
	realm = value.NewMap("realm", "dev", "s3_payloads", "s3://pb/payloads", "s3_temp", "s3://tb/tmp", "config", value.NewMap())
	result = value.NewMap("exit_status", int64(0), "output", []any{})
	return job, realm, result
}

// MustJSON decodes JSON text in Decimal mode (as job and realm items come
// from DynamoDB) into a map; it panics on bad input, for test literals.
func MustJSON(text string) *value.Map {
	v, err := value.DecodeJSON([]byte(text), value.DecimalNumbers)
	if err != nil {
		panic(err)
	}
	m, ok := v.(*value.Map)
	if !ok {
		panic("plugintest.MustJSON: not an object")
	}
	return m
}

// Decode parses an Effect's Detail JSON into plain Go values for asserts.
func (e Effect) Decode() map[string]any {
	var m map[string]any
	_ = json.Unmarshal([]byte(e.Detail), &m)
	return m
}
