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
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"github.com/lava-actions/lava-actions/sdk"
	"github.com/lava-actions/lava-actions/sdk/protocol"
	"github.com/lava-actions/lava-actions/sdk/protocol/rpc"
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

// Outcome is what an action answered, redacted as the host redacts it
// (see Conn.Execute).
type Outcome struct {
	// Error is the action's error text; "" on success.
	Error   string
	Summary string
	Effects []sdk.Effect
	Logs    []Log
	Retries int
}

// Log is one record the action logged through Request.Logger.
type Log struct {
	Level, Message string
	Attrs          map[string]any
}

// Conn talks to one action over the real gRPC contract.
type Conn struct {
	rpc protocol.Client
	// Redactor, when set, holds secrets the host would know (e.g. the
	// plugin's AWS credentials); Execute redacts them too.
	Redactor *protocol.Redactor

	mu   sync.Mutex // guards desc: parallel subtests share one Conn
	desc *protocol.DescribeResponse
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
	return &Conn{rpc: rpc.NewClient(cc)}
}

// Exec starts the plugin executable at path as the host would (go-plugin
// handshake over gRPC) and stops it when the test ends. The plugin gets the
// test process's environment; env adds KEY=VALUE entries that override it.
func Exec(t testing.TB, path string, env ...string) *Conn {
	t.Helper()
	cmd := exec.Command(path)
	cmd.Env = append(os.Environ(), env...)
	c := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  protocol.Handshake,
		Plugins:          rpc.PluginSet(&rpc.Plugin{}),
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
	raw, err := proto.Dispense(protocol.PluginName)
	if err != nil {
		t.Fatalf("plugintest: dispense: %v", err)
	}
	return &Conn{rpc: raw.(protocol.Client)}
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
	d, err := c.describe(ctx)
	if err != nil {
		return sdk.Description{}, err
	}
	return d.Description, nil
}

func (c *Conn) describe(ctx context.Context) (*protocol.DescribeResponse, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.desc != nil {
		return c.desc, nil
	}
	d, err := c.rpc.Describe(ctx)
	if err != nil {
		return nil, err
	}
	c.desc = d
	return d, nil
}

// Schema returns the JSON Schema the action publishes.
func (c *Conn) Schema(ctx context.Context) (string, error) {
	d, err := c.describe(ctx)
	if err != nil {
		return "", err
	}
	return d.SchemaJSON, nil
}

func (in Input) request() *protocol.Request {
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
	return &protocol.Request{
		Trigger: trigger, Index: in.Index, Item: in.Item,
		Job: job, Realm: realm, Result: result,
		Config: in.Config, DryRun: in.DryRun,
	}
}

// Validate returns the action's validation error text ("" when valid); err
// is a transport failure.
func (c *Conn) Validate(ctx context.Context, in Input) (string, error) {
	return c.rpc.Validate(ctx, in.request())
}

// Execute runs the action; err is a transport failure, the action's own
// error is Outcome.Error. The answer is redacted as the host redacts it:
// values of fields the action declares Secret, secrets the SDK marked
// (Request.Secret) and those of Conn.Redactor.
func (c *Conn) Execute(ctx context.Context, in Input) (*Outcome, error) {
	req := in.request()
	resp, err := c.rpc.Execute(ctx, req)
	if err != nil {
		return nil, err
	}
	red := c.Redactor.Clone()
	if d, err := c.describe(ctx); err == nil {
		red.Add(protocol.DeclaredSecrets(d.Description, req.Item)...)
	}
	red.Response(resp)
	out := &Outcome{Error: resp.Error, Summary: resp.Summary, Retries: resp.Retries, Effects: resp.Effects}
	for _, l := range resp.Logs {
		lg := Log{Level: l.Level, Message: l.Message, Attrs: map[string]any{}}
		for _, a := range l.Attrs {
			lg.Attrs[a.Key] = a.Value
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
