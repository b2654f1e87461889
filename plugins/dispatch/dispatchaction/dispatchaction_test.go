package dispatchaction_test

import (
	"context"
	"github.com/lava-actions/lava-actions/sdk"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"
	"github.com/lava-actions/lava-actions/plugins/dispatch/dispatchaction"
	"github.com/lava-actions/lava-actions/plugins/internal/awstest"
	"github.com/lava-actions/lava-actions/sdk/plugintest"
	"github.com/lava-actions/lava-actions/sdk/render"
	"github.com/lava-actions/lava-actions/sdk/value"
	"github.com/lava-actions/lava-actions/state"
)

var env *awstest.Env

func TestMain(m *testing.M) {
	e, stop := awstest.StartMain()
	env = e
	env.CreateTable(awstest.MainTB(), "lava.dev.jobs", "job_id")
	code := m.Run()
	stop()
	os.Exit(code)
}

// The deterministic clock and run id of spec 9.0.
var action = dispatchaction.Action{
	Now:      func() time.Time { return time.Date(2024, 3, 1, 10, 5, 0, 0, time.FixedZone("", 11*3600)) },
	NewRunID: func() string { return "11111111-2222-3333-4444-555555555555" },
}

const gall = `{"g1": "G1", "lava": {"master_job_id": "demo/job1", "parent_job_id": "demo/job1", "master_start": "2024-03-01T10:00:00+11:00", "master_ustart": "2024-02-29T23:00:00+00:00", "parent_start": "2024-03-01T10:00:00+11:00", "parent_ustart": "2024-02-29T23:00:00+00:00", "iteration": 1}}`

func item(kv ...any) *value.Map {
	return value.NewMap(append([]any{"action", "dispatch"}, kv...)...)
}

// target puts a job in lava.dev.jobs with a worker of its own and creates
// that worker's queue. spec is merged over a valid job record; a nil value
// removes the key. It returns the job id, worker and queue URL.
func target(t *testing.T, spec *value.Map, queue bool) (jobID, worker, url string) {
	t.Helper()
	jobID, worker = awstest.Unique("child"), awstest.Unique("w")
	rec := value.NewMap("job_id", jobID, "type", "cmd", "worker", worker, "payload", "echo hi",
		"owner", "me", "description", "child job", "globals", value.NewMap("c1", "C1"))
	spec.Range(func(k string, v any) bool {
		if v == nil {
			rec.Delete(k)
		} else {
			rec.Set(k, v)
		}
		return true
	})
	av, err := state.ToAttributeValue(rec)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.DynamoDB().PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String("lava.dev.jobs"),
		Item: av.(*types.AttributeValueMemberM).Value}); err != nil {
		t.Fatal(err)
	}
	if queue {
		url = env.CreateQueue(t, "lava-dev-"+worker)
	}
	return jobID, worker, url
}

func TestDispatch(t *testing.T) {
	t.Parallel()
	conn := plugintest.InProcess(t, action)
	cases := []struct {
		name    string
		kv      []any // "CHILD" is replaced by the target's job id
		globals *value.Map
		// wantParams is the exact "parameters" text, "" for none.
		wantParams  string
		wantGlobals string
		wantDelay   int64
	}{
		{name: "D01", kv: []any{"job_id", "CHILD"}, wantGlobals: gall},
		{name: "D01 job_id rendered", kv: []any{"job_id", "{{ 'CHILD' }}"}, wantGlobals: gall},
		{name: "D03", kv: []any{"job_id", "CHILD", "delay", value.MustDecimal("30"), "parameters", value.NewMap("p", "{{ 'it' }}")},
			wantParams: `{"p": "it"}`, wantGlobals: gall, wantDelay: 30},
		{name: "D05 double quote (0.5)", kv: []any{"job_id", "CHILD", "parameters", value.NewMap("p", "{{ globals.q }}")},
			globals: value.NewMap("q", `a"b`), wantParams: `{"p": "a\"b"}`, wantGlobals: `{"g1": "G1", "lava": LAVA, "q": "a\"b"}`},
		{name: "D23 newline (0.5)", kv: []any{"job_id", "CHILD", "parameters", value.NewMap("b", "{{ globals.u }}")},
			globals: value.NewMap("u", "a\nb"), wantParams: `{"b": "a\nb"}`, wantGlobals: `{"g1": "G1", "lava": LAVA, "u": "a\nb"}`},
		{name: "D07 15m", kv: []any{"job_id", "CHILD", "delay", "15m"}, wantGlobals: gall, wantDelay: 900},
		{name: "D07 0.25h", kv: []any{"job_id", "CHILD", "delay", "0.25h"}, wantGlobals: gall, wantDelay: 900},
		{name: "D07 1.9", kv: []any{"job_id", "CHILD", "delay", "1.9"}, wantGlobals: gall, wantDelay: 1},
		{name: "D17 extra key", kv: []any{"job_id", "CHILD", "zzz", int64(1)}, wantGlobals: gall},
		{name: "D19 parent overwritten", kv: []any{"job_id", "CHILD"}, globals: value.NewMap("lava", "PRESET"), wantGlobals: gall},
		{name: "parameters structural", kv: []any{"job_id", "CHILD", "parameters", value.NewMap("{{ job.run_id }}", value.MustDecimal("1"),
			"f", value.MustDecimal("1.5"), "l", []any{"{{ 1 + 1 }}", true, nil}, "m", value.NewMap("k", "é"))},
			wantParams: `{"run-0001": 1, "f": 1.5, "l": ["2", true, null], "m": {"k": "\u00e9"}}`, wantGlobals: gall},
		{name: "empty parameters omitted", kv: []any{"job_id", "CHILD", "parameters", value.NewMap()}, wantGlobals: gall},
		{name: "falsy parameters omitted", kv: []any{"job_id", "CHILD", "parameters", ""}, wantGlobals: gall},
		{name: "Decimal globals", kv: []any{"job_id", "CHILD"}, globals: value.NewMap("d", value.MustDecimal("2.0"), "i", value.MustDecimal("7")),
			wantGlobals: `{"g1": "G1", "lava": LAVA, "d": 2.0, "i": 7}`},
	}
	lavaText := gall[strings.Index(gall, `"lava": `)+len(`"lava": `) : len(gall)-1]
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			child, worker, url := target(t, nil, true)
			job, _, _ := plugintest.Fixture()
			tc.globals.Range(func(k string, v any) bool {
				if v == "PRESET" {
					job.Map("globals").Map("lava").Set("parent_job_id", "grandparent")
					job.Map("globals").Map("lava").Set("parent_start", "2020-01-01T00:00:00+00:00")
					return true
				}
				job.Map("globals").Set(k, v)
				return true
			})
			kv := append([]any(nil), tc.kv...)
			for i := 1; i < len(kv); i += 2 {
				if s, ok := kv[i].(string); ok {
					kv[i] = strings.ReplaceAll(s, "CHILD", child)
				}
			}
			out, err := conn.Run(context.Background(), plugintest.Input{Item: item(kv...), Job: job})
			if err != nil {
				t.Fatal(err)
			}
			if out.Error != "" {
				t.Fatal(out.Error)
			}
			body := `{"realm": "dev", "worker": "` + worker + `", "job_id": "` + child + `", "run_id": "11111111-2222-3333-4444-555555555555", "ts_dispatch": "2024-03-01T10:05:00+11:00"`
			if tc.wantParams != "" {
				body += `, "parameters": ` + tc.wantParams
			}
			body += `, "globals": ` + strings.Replace(tc.wantGlobals, "LAVA", lavaText, 1) + "}"
			queue := "lava-dev-" + worker
			wantEffects := []sdk.Effect{
				{Operation: "dynamodb:GetItem", Target: "lava.dev.jobs", Detail: `{"Key": {"job_id": "` + child + `"}}`, Outcome: worker},
				{Operation: "sqs:GetQueueUrl", Target: queue, Detail: `{"QueueName": "` + queue + `"}`, Outcome: url},
				{Operation: "sqs:SendMessage", Target: url, Detail: mustJSON(value.NewMap("MessageBody", body, "DelaySeconds", tc.wantDelay))},
			}
			if len(out.Effects) == 3 {
				wantEffects[2].Outcome = out.Effects[2].Outcome
			}
			if diff := cmp.Diff(wantEffects, out.Effects); diff != "" {
				t.Errorf("effects (-want +got):\n%s", diff)
			}
			if tc.wantDelay > 0 {
				if v, d := env.QueueCounts(t, url); v != "0" || d != "1" {
					t.Errorf("queue counts visible=%s delayed=%s", v, d)
				}
				return
			}
			msgs := env.Receive(t, url, 10, 2*time.Second)
			if len(msgs) != 1 {
				t.Fatalf("received %d messages", len(msgs))
			}
			if got := aws.ToString(msgs[0].Body); got != body {
				t.Errorf("body:\n got %s\nwant %s", got, body)
			}
			if aws.ToString(msgs[0].MessageId) != out.Effects[2].Outcome {
				t.Errorf("message id %s, reported %s", aws.ToString(msgs[0].MessageId), out.Effects[2].Outcome)
			}
		})
	}
}

// TestWarnings: the target's deprecation warnings are logged, as lava's
// job lookup does.
func TestWarnings(t *testing.T) {
	t.Parallel()
	conn := plugintest.InProcess(t, action)
	child, _, _ := target(t, value.NewMap("owner", nil, "description", "", "zzz", "1", "X-ok", "1"), true)
	out, err := conn.Run(context.Background(), plugintest.Input{Item: item("job_id", child)})
	if err != nil || out.Error != "" {
		t.Fatal(err, out.Error)
	}
	var warns []string
	for _, l := range out.Logs {
		if l.Level == "WARN" {
			warns = append(warns, l.Message)
			if l.Attrs["event_type"] != "job" || l.Attrs["job_id"] != child {
				t.Errorf("warning attrs = %v", l.Attrs)
			}
		}
	}
	want := []string{
		child + ": Job spec deprecation warning: Unexpected keys: zzz",
		child + ": Job spec deprecation warning: owner field will be mandatory in a future release",
		child + ": Job spec deprecation warning: description field will be mandatory in a future release",
	}
	if diff := cmp.Diff(want, warns); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	conn := plugintest.InProcess(t, action)
	good, _, goodURL := target(t, nil, true)
	noQueue, noQueueWorker, _ := target(t, nil, false)
	reserved, _, _ := target(t, value.NewMap("globals", value.NewMap("ok", int64(1), "LavaX", value.MustDecimal("1"))), true)
	badRec, _, _ := target(t, value.NewMap("worker", nil, "payload", nil), true)
	syntax := render.New().Check("{{ x").Error()
	_, realm, _ := plugintest.Fixture()
	realm.Set("realm", "norealm")
	cases := []struct {
		name     string
		kv       []any
		realm    *value.Map
		want     string // exact, or a prefix when it ends in "("
		wantOps  []string
		checkMsg string
	}{
		{name: "missing job_id", kv: nil, want: "Missing keys: job_id"},
		{name: "D09 negative delay", kv: []any{"job_id", good, "delay", "-1"}, want: "Bad delay: -1: Must be between 0 and 15 minutes"},
		{name: "delay 960", kv: []any{"job_id", good, "delay", "16m"}, want: "Bad delay: 960: Must be between 0 and 15 minutes"},
		{name: "delay bad", kv: []any{"job_id", good, "delay", "5 mins"}, want: "Bad delay: 5 mins: Invalid duration: 5 mins"},
		{name: "D15 parameters list", kv: []any{"job_id", good, "parameters", []any{"a"}}, want: "parameters must be a dict"},
		{name: "parameters string", kv: []any{"job_id", good, "parameters", "p"}, want: "parameters must be a dict"},
		{name: "D21 parameters render", kv: []any{"job_id", good, "parameters", value.NewMap("a", "{{ x.y.z }}")}, want: "Cannot render parameters - 'x' is undefined"},
		{name: "parameters syntax", kv: []any{"job_id", good, "parameters", value.NewMap("a", "{{ x")}, want: "Cannot render parameters - " + syntax},
		{name: "job_id render", kv: []any{"job_id", "{{ x.y.z }}"}, want: "Cannot render target job_id - 'x' is undefined"},
		{name: "job_id syntax", kv: []any{"job_id", "{{ x"}, want: "Cannot render target job_id - " + syntax},
		{name: "job_id not a string", kv: []any{"job_id", int64(1)}, want: "job_id must be a string"},
		{name: "D11 no such job", kv: []any{"job_id", "nope"}, want: "No such job", wantOps: []string{"dynamodb:GetItem"}},
		{name: "D13 reserved global", kv: []any{"job_id", reserved}, want: "Reserved global: LavaX", wantOps: []string{"dynamodb:GetItem"}},
		{name: "bad job record", kv: []any{"job_id", badRec}, want: "Bad job record: Missing keys: payload, worker", wantOps: []string{"dynamodb:GetItem"}},
		{name: "no queue", kv: []any{"job_id", noQueue}, want: "Cannot dispatch " + noQueue + "@dev - An error occurred (",
			wantOps: []string{"dynamodb:GetItem", "sqs:GetQueueUrl"}, checkMsg: "lava-dev-" + noQueueWorker},
		{name: "no jobs table", kv: []any{"job_id", good}, realm: realm, want: "An error occurred (", wantOps: []string{"dynamodb:GetItem"}, checkMsg: "GetItem operation"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out, err := conn.Run(context.Background(), plugintest.Input{Item: item(tc.kv...), Realm: tc.realm})
			if err != nil {
				t.Fatal(err)
			}
			if strings.HasSuffix(tc.want, "(") {
				if !strings.HasPrefix(out.Error, tc.want) {
					t.Fatalf("error = %q, want prefix %q", out.Error, tc.want)
				}
			} else if out.Error != tc.want {
				t.Fatalf("error = %q, want %q", out.Error, tc.want)
			}
			var ops []string
			for _, e := range out.Effects {
				ops = append(ops, e.Operation)
			}
			if diff := cmp.Diff(tc.wantOps, ops); diff != "" {
				t.Errorf("calls (-want +got):\n%s", diff)
			}
			if tc.checkMsg != "" && !strings.Contains(out.Error+out.Effects[len(out.Effects)-1].Target, tc.checkMsg) {
				t.Errorf("error %q / effects %+v do not mention %q", out.Error, out.Effects, tc.checkMsg)
			}
		})
	}
	// Nothing reached the good target's queue.
	if v, d := env.QueueCounts(t, goodURL); v != "0" || d != "0" {
		t.Errorf("queue of %s holds %s+%s messages", good, v, d)
	}
}

// TestDryRun makes the read-only lookups only and sends nothing.
func TestDryRun(t *testing.T) {
	t.Parallel()
	conn := plugintest.InProcess(t, action)
	child, _, url := target(t, nil, true)
	out, err := conn.Run(context.Background(), plugintest.Input{DryRun: true, Item: item("job_id", child, "parameters", value.NewMap("p", "{{ job.run_id }}"))})
	if err != nil || out.Error != "" {
		t.Fatal(err, out.Error)
	}
	if len(out.Effects) != 3 || out.Effects[2].Operation != "sqs:SendMessage" || out.Effects[2].Outcome != "" ||
		!strings.Contains(out.Effects[2].Detail, `\"parameters\": {\"p\": \"run-0001\"}`) {
		t.Errorf("effects = %+v", out.Effects)
	}
	if v, d := env.QueueCounts(t, url); v != "0" || d != "0" {
		t.Errorf("dry run sent (%s+%s)", v, d)
	}
}

// TestSubprocess runs the real plugin: real clock and UUID4.
func TestSubprocess(t *testing.T) {
	t.Parallel()
	conn := plugintest.Exec(t, plugintest.Build(t, "github.com/lava-actions/lava-actions/plugins/dispatch", "dispatch"), env.PluginEnv()...)
	child, worker, url := target(t, nil, true)
	out, err := conn.Run(context.Background(), plugintest.Input{Item: item("job_id", child, "parameters", value.NewMap("a", value.MustDecimal("1")))})
	if err != nil || out.Error != "" {
		t.Fatal(err, out.Error)
	}
	msgs := env.Receive(t, url, 10, 2*time.Second)
	if len(msgs) != 1 {
		t.Fatalf("received %d messages", len(msgs))
	}
	re := regexp.MustCompile(`^\{"realm": "dev", "worker": "` + worker + `", "job_id": "` + child +
		`", "run_id": "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", "ts_dispatch": "\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", "parameters": \{"a": 1\}, "globals": ` +
		regexp.QuoteMeta(gall) + `\}$`)
	if body := aws.ToString(msgs[0].Body); !re.MatchString(body) {
		t.Errorf("body %s does not match %s", body, re)
	}
}

func mustJSON(v any) string {
	s, err := value.EncodeJSON(v, value.EncodeOptions{})
	if err != nil {
		panic(err)
	}
	return s
}
