package sqsaction_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/google/go-cmp/cmp"
	"github.com/lava-actions/lava-actions/plugins/internal/awstest"
	"github.com/lava-actions/lava-actions/plugins/sqs/sqsaction"
	"github.com/lava-actions/lava-actions/sdk"
	"github.com/lava-actions/lava-actions/sdk/plugintest"
	"github.com/lava-actions/lava-actions/sdk/render"
	"github.com/lava-actions/lava-actions/sdk/value"
)

var env *awstest.Env

func TestMain(m *testing.M) {
	e, stop := awstest.StartMain()
	env = e
	code := m.Run()
	stop()
	os.Exit(code)
}

const pkg = "github.com/lava-actions/lava-actions/plugins/sqs"

func item(kv ...any) *value.Map {
	return value.NewMap(append([]any{"action", "sqs"}, kv...)...)
}

func ops(out *plugintest.Outcome) []string {
	var s []string
	for _, e := range out.Effects {
		s = append(s, e.Operation)
	}
	return s
}

func mustRun(t *testing.T, conn *plugintest.Conn, in plugintest.Input) *plugintest.Outcome {
	t.Helper()
	out, err := conn.Run(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestSend covers the successful sends of spec 9.5 and decision 0.7,
// reading back what arrived.
func TestSend(t *testing.T) {
	t.Parallel()
	conn := plugintest.InProcess(t, sqsaction.Action{})
	cases := []struct {
		name string
		// queue builds the queue value from the queue's name and URL.
		queue     func(name, url string) string
		fifo      bool
		extra     []any
		message   any
		wantBody  string
		wantDelay int64
		wantOps   []string
		wantIDs   map[string]any // FIFO ids expected in the SendMessage detail
	}{
		{name: "Q01 name", queue: byName, message: "Job {{ job.job_id }} done", wantBody: "Job demo/job1 done",
			wantOps: []string{"sqs:GetQueueUrl", "sqs:SendMessage"}},
		{name: "Q03 URL without scheme", queue: func(n, _ string) string {
			return "sqs." + awstest.Region + ".amazonaws.com/" + awstest.Account + "/" + n
		}, message: "x", wantBody: "x", wantOps: []string{"sqs:SendMessage"}},
		{name: "0.7 full http URL", queue: func(_, u string) string { return u }, message: "x", wantBody: "x",
			wantOps: []string{"sqs:SendMessage"}},
		{name: "0.7 full endpoint URL", queue: func(n, _ string) string { return env.URL + "/" + awstest.Account + "/" + n },
			message: "y", wantBody: "y", wantOps: []string{"sqs:SendMessage"}},
		{name: "Q05 FIFO ids", queue: byName, fifo: true, message: "x",
			extra:    []any{"group_id", "g-{{ job.run_id }}", "dedup_id", "d-{{ job.run_id }}"},
			wantBody: "x", wantOps: []string{"sqs:GetQueueUrl", "sqs:SendMessage"},
			wantIDs: map[string]any{"MessageDeduplicationId": "d-run-0001", "MessageGroupId": "g-run-0001"}},
		{name: "standard queue ignores FIFO ids", queue: byName, message: "x",
			extra:    []any{"group_id", "g", "dedup_id", "{{ nope.nope }}"},
			wantBody: "x", wantOps: []string{"sqs:GetQueueUrl", "sqs:SendMessage"}},
		{name: "Q13 object message escaped", queue: byName, message: value.NewMap("a", "é"),
			wantBody: `{"a": "\u00e9"}`, wantOps: []string{"sqs:GetQueueUrl", "sqs:SendMessage"}},
		{name: "object message rendered as one text, Decimal kept", queue: byName,
			message:  value.NewMap("j", "{{ job.job_id }}", "n", value.MustDecimal("1.50"), "i", value.MustDecimal("7"), "l", []any{true, nil}),
			wantBody: `{"j": "demo/job1", "n": 1.5, "i": 7, "l": [true, null]}`,
			wantOps:  []string{"sqs:GetQueueUrl", "sqs:SendMessage"}},
		{name: "number message", queue: byName, message: int64(5), wantBody: "5",
			wantOps: []string{"sqs:GetQueueUrl", "sqs:SendMessage"}},
		{name: "D17 extra keys accepted", queue: byName, message: "x", extra: []any{"zzz", int64(1)}, wantBody: "x",
			wantOps: []string{"sqs:GetQueueUrl", "sqs:SendMessage"}},
		{name: "delay 0.5 truncates to 0", queue: byName, message: "x", extra: []any{"delay", "0.5"}, wantBody: "x",
			wantOps: []string{"sqs:GetQueueUrl", "sqs:SendMessage"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			name := awstest.Unique("q")
			if tc.fifo {
				name += ".fifo"
			}
			url := env.CreateQueue(t, name)
			it := item(append([]any{"queue", tc.queue(name, url), "message", tc.message}, tc.extra...)...)
			out := mustRun(t, conn, plugintest.Input{Item: it})
			if out.Error != "" {
				t.Fatalf("error: %s", out.Error)
			}
			if diff := cmp.Diff(tc.wantOps, ops(out)); diff != "" {
				t.Errorf("operations (-want +got):\n%s", diff)
			}
			send := out.Effects[len(out.Effects)-1]
			want := map[string]any{"MessageBody": tc.wantBody, "DelaySeconds": float64(tc.wantDelay)}
			for k, v := range tc.wantIDs {
				want[k] = v
			}
			if diff := cmp.Diff(want, send.Decode()); diff != "" {
				t.Errorf("SendMessage detail (-want +got):\n%s", diff)
			}
			if send.Outcome == "" {
				t.Errorf("no message id reported")
			}
			msgs := env.Receive(t, url, 10, 2*time.Second)
			if len(msgs) != 1 {
				t.Fatalf("received %d messages, want 1", len(msgs))
			}
			if got := aws.ToString(msgs[0].Body); got != tc.wantBody {
				t.Errorf("body = %q, want %q", got, tc.wantBody)
			}
			if got := aws.ToString(msgs[0].MessageId); got != send.Outcome {
				t.Errorf("message id = %q, reported %q", got, send.Outcome)
			}
		})
	}
}

func byName(n, _ string) string { return n }

// syntaxErr is the template engine's syntax error for src.
func syntaxErr(src string) string {
	err := render.New().Check(src)
	if err == nil {
		return "<no syntax error>"
	}
	return err.Error()
}

// TestFIFODeduplication sends twice with one dedup id: one message arrives.
func TestFIFODeduplication(t *testing.T) {
	t.Parallel()
	conn := plugintest.InProcess(t, sqsaction.Action{})
	name := awstest.Unique("dd") + ".fifo"
	url := env.CreateQueue(t, name)
	for i := 0; i < 2; i++ {
		out := mustRun(t, conn, plugintest.Input{Item: item("queue", name, "message", "m{{ 1 + 1 }}",
			"group_id", "g", "dedup_id", "same-{{ job.run_id }}")})
		if out.Error != "" {
			t.Fatalf("send %d: %s", i, out.Error)
		}
	}
	msgs := env.Receive(t, url, 10, 2*time.Second)
	if len(msgs) != 1 || aws.ToString(msgs[0].Body) != "m2" {
		t.Fatalf("received %d messages (%v), want one m2", len(msgs), msgs)
	}
	if got := msgs[0].Attributes["MessageDeduplicationId"]; got != "" && got != "same-run-0001" {
		t.Errorf("MessageDeduplicationId = %q", got)
	}
}

// TestDelay covers the delay grammar and bound (Q15, D07): accepted delays
// are sent as DelaySeconds and delayed messages are not visible at once.
func TestDelay(t *testing.T) {
	t.Parallel()
	conn := plugintest.InProcess(t, sqsaction.Action{})
	cases := []struct {
		delay any
		want  int64
	}{
		{" 2 m ", 120}, {"900", 900}, {"15m", 900}, {"0.25h", 900}, {"1.9", 1},
		{value.MustDecimal("30"), 30}, {int64(45), 45}, {1e1, 10}, {"1e1s", 10},
	}
	for _, tc := range cases {
		t.Run(value.Repr(tc.delay), func(t *testing.T) {
			t.Parallel()
			name := awstest.Unique("dl")
			url := env.CreateQueue(t, name)
			out := mustRun(t, conn, plugintest.Input{Item: item("queue", name, "message", "x", "delay", tc.delay)})
			if out.Error != "" {
				t.Fatal(out.Error)
			}
			send := out.Effects[len(out.Effects)-1]
			if got := send.Decode()["DelaySeconds"]; got != float64(tc.want) {
				t.Errorf("DelaySeconds = %v, want %d", got, tc.want)
			}
			visible, delayed := env.QueueCounts(t, url)
			if visible != "0" || delayed != "1" {
				t.Errorf("visible=%s delayed=%s, want 0 and 1 (message not visible immediately)", visible, delayed)
			}
		})
	}
}

// TestDelayArrives checks a short delay really delivers later.
func TestDelayArrives(t *testing.T) {
	t.Parallel()
	conn := plugintest.InProcess(t, sqsaction.Action{})
	name := awstest.Unique("late")
	url := env.CreateQueue(t, name)
	out := mustRun(t, conn, plugintest.Input{Item: item("queue", name, "message", "late", "delay", "1.9")})
	if out.Error != "" {
		t.Fatal(out.Error)
	}
	if msgs := env.Receive(t, url, 1, 0); len(msgs) != 0 {
		t.Fatalf("message visible before its delay")
	}
	msgs := env.Receive(t, url, 1, 4*time.Second)
	if len(msgs) != 1 || aws.ToString(msgs[0].Body) != "late" {
		t.Fatalf("got %v after the delay", msgs)
	}
}

// TestValidationSendsNothing covers every validation error: the queue stays
// empty and no AWS call is made (Q09: not even GetQueueUrl, decision 0.1).
func TestValidationSendsNothing(t *testing.T) {
	t.Parallel()
	conn := plugintest.InProcess(t, sqsaction.Action{})
	cases := []struct {
		name    string
		kv      []any
		config  sdk.Config
		wantErr string
	}{
		{"missing keys", []any{}, nil, "Missing keys: message, queue"},
		{"missing message", []any{"queue", "Q"}, nil, "Missing keys: message"},
		{"Q09 1h", []any{"queue", "Q", "message", "x", "delay", "1h"}, nil, "Bad delay: 3600: Must be between 0 and 15 minutes"},
		{"Q15 901", []any{"queue", "Q", "message", "x", "delay", "901"}, nil, "Bad delay: 901: Must be between 0 and 15 minutes"},
		{"Q15 1w", []any{"queue", "Q", "message", "x", "delay", "1w"}, nil, "Bad delay: 604800: Must be between 0 and 15 minutes"},
		{"Q15 1M", []any{"queue", "Q", "message", "x", "delay", "1M"}, nil, "Bad delay: 1M: Invalid duration: 1M"},
		{"Q15 list", []any{"queue", "Q", "message", "x", "delay", []any{"1"}}, nil, "Bad delay: ['1']: Invalid duration type: <class 'list'>"},
		{"Q15 null", []any{"queue", "Q", "message", "x", "delay", nil}, nil, "Bad delay: None: Invalid duration type: <class 'NoneType'>"},
		{"D09 negative", []any{"queue", "Q", "message", "x", "delay", "-1"}, nil, "Bad delay: -1: Must be between 0 and 15 minutes"},
		{"5 mins", []any{"queue", "Q", "message", "x", "delay", "5 mins"}, nil, "Bad delay: 5 mins: Invalid duration: 5 mins"},
		{"config max", []any{"queue", "Q", "message", "x", "delay", "11m"}, sdk.Config{"SQS_MAX_DELAY_MINS": "10"}, "Bad delay: 660: Must be between 0 and 10 minutes"},
		{"queue not a string", []any{"queue", int64(5), "message", "x"}, nil, "queue must be a string"},
		{"message syntax", []any{"queue", "Q", "message", "{{ x"}, nil, syntaxErr("{{ x")},
		{"object message syntax", []any{"queue", "Q", "message", value.NewMap("a", "{{ x")}, nil, syntaxErr(`{"a": "{{ x"}`)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			name := awstest.Unique("v")
			url := env.CreateQueue(t, name)
			kv := make([]any, len(tc.kv))
			copy(kv, tc.kv)
			for i := 0; i+1 < len(kv); i += 2 {
				if kv[i] == "queue" && kv[i+1] == "Q" {
					kv[i+1] = name
				}
			}
			msg, err := conn.Validate(context.Background(), plugintest.Input{Item: item(kv...), Config: tc.config})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(msg, tc.wantErr) || msg == "" {
				t.Errorf("validation error = %q, want prefix %q", msg, tc.wantErr)
			}
			// Execute too (as if the host skipped validation): still nothing sent.
			out, err := conn.Execute(context.Background(), plugintest.Input{Item: item(kv...), Config: tc.config})
			if err != nil {
				t.Fatal(err)
			}
			if out.Error != msg || len(out.Effects) != 0 {
				t.Errorf("execute: error %q effects %v, want %q and no call", out.Error, out.Effects, msg)
			}
			if visible, delayed := env.QueueCounts(t, url); visible != "0" || delayed != "0" {
				t.Errorf("queue holds %s+%s messages, want none", visible, delayed)
			}
		})
	}
}

// TestConfigMaxDelay raises SQS_MAX_DELAY_MINS.
func TestConfigMaxDelay(t *testing.T) {
	t.Parallel()
	conn := plugintest.InProcess(t, sqsaction.Action{})
	name := awstest.Unique("cfg")
	env.CreateQueue(t, name)
	out := mustRun(t, conn, plugintest.Input{Item: item("queue", name, "message", "x", "delay", "16m"),
		Config: sdk.Config{"SQS_MAX_DELAY_MINS": "20"}})
	if out.Error != "" {
		t.Fatal(out.Error)
	}
	if got := out.Effects[len(out.Effects)-1].Decode()["DelaySeconds"]; got != float64(960) {
		t.Errorf("DelaySeconds = %v", got)
	}
}

// TestAWSErrors covers AWS failures, worded as botocore does.
func TestAWSErrors(t *testing.T) {
	t.Parallel()
	conn := plugintest.InProcess(t, sqsaction.Action{})
	fifo := awstest.Unique("nogroup") + ".fifo"
	fifoURL := env.CreateQueue(t, fifo)
	cases := []struct {
		name, queue, wantPrefix, wantOp string
	}{
		{"Q07 FIFO without group_id", fifo, "An error occurred (MissingParameter) when calling the SendMessage operation: ", "sqs:SendMessage"},
		{"FIFO falsy dedup_id not sent", fifo, "An error occurred (InvalidParameterValue) when calling the SendMessage operation: ", "sqs:SendMessage"},
		{"Q11 queue not rendered", `{{ "myq" }}`, "An error occurred (", "sqs:GetQueueUrl"},
		{"missing queue", awstest.Unique("absent"), "An error occurred (", "sqs:GetQueueUrl"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			it := item("queue", tc.queue, "message", "x", "dedup_id", "d")
			if strings.HasPrefix(tc.name, "FIFO falsy") {
				it = item("queue", tc.queue, "message", "x", "dedup_id", "", "group_id", "g")
			}
			out := mustRun(t, conn, plugintest.Input{Item: it})
			if !strings.HasPrefix(out.Error, tc.wantPrefix) {
				t.Fatalf("error = %q, want prefix %q", out.Error, tc.wantPrefix)
			}
			if !strings.Contains(out.Error, "when calling the "+strings.TrimPrefix(tc.wantOp, "sqs:")+" operation") {
				t.Errorf("error %q does not name %s", out.Error, tc.wantOp)
			}
			last := out.Effects[len(out.Effects)-1]
			if last.Operation != tc.wantOp || last.Outcome != "" {
				t.Errorf("last effect = %+v", last)
			}
			if _, sent := last.Decode()["MessageDeduplicationId"]; sent && strings.HasPrefix(tc.name, "FIFO falsy") {
				t.Errorf("falsy dedup_id was sent: %s", last.Detail)
			}
			if tc.queue == `{{ "myq" }}` && out.Effects[0].Target != tc.queue {
				t.Errorf("GetQueueUrl target = %q, want the literal template", out.Effects[0].Target)
			}
		})
	}
	if v, d := env.QueueCounts(t, fifoURL); v != "0" || d != "0" {
		t.Errorf("FIFO queue holds %s+%s messages", v, d)
	}
}

// TestDryRun reports the exact SendMessage and sends nothing.
func TestDryRun(t *testing.T) {
	t.Parallel()
	conn := plugintest.InProcess(t, sqsaction.Action{})
	name := awstest.Unique("dry") + ".fifo"
	url := env.CreateQueue(t, name)
	out := mustRun(t, conn, plugintest.Input{DryRun: true, Item: item("queue", name, "message", value.NewMap("j", "{{ job.job_id }}"),
		"delay", "1m", "group_id", "g", "dedup_id", "d")})
	if out.Error != "" {
		t.Fatal(out.Error)
	}
	want := []sdk.Effect{
		{Operation: "sqs:GetQueueUrl", Target: name, Detail: `{"QueueName": "` + name + `"}`, Outcome: url},
		{Operation: "sqs:SendMessage", Target: url,
			Detail: `{"MessageBody": "{\"j\": \"demo/job1\"}", "DelaySeconds": 60, "MessageDeduplicationId": "d", "MessageGroupId": "g"}`},
	}
	if diff := cmp.Diff(want, out.Effects); diff != "" {
		t.Errorf("effects (-want +got):\n%s", diff)
	}
	if v, d := env.QueueCounts(t, url); v != "0" || d != "0" {
		t.Errorf("dry run sent a message (%s+%s)", v, d)
	}
}

// TestSubprocess runs the real plugin executable.
func TestSubprocess(t *testing.T) {
	t.Parallel()
	conn := plugintest.Exec(t, plugintest.Build(t, pkg, "sqs"), env.PluginEnv()...)
	d, err := conn.Describe(context.Background())
	if err != nil || d.Type != "sqs" {
		t.Fatalf("describe: %+v %v", d, err)
	}
	name := awstest.Unique("sub") + ".fifo"
	url := env.CreateQueue(t, name)
	out := mustRun(t, conn, plugintest.Input{Item: item("queue", name, "message", "Job {{ job.job_id }} done",
		"group_id", "g-{{ job.run_id }}", "dedup_id", "d-{{ job.run_id }}")})
	if out.Error != "" {
		t.Fatal(out.Error)
	}
	msgs := env.Receive(t, url, 10, 2*time.Second)
	if len(msgs) != 1 || aws.ToString(msgs[0].Body) != "Job demo/job1 done" {
		t.Fatalf("received %v", msgs)
	}
	out = mustRun(t, conn, plugintest.Input{Item: item("queue", name, "message", "x", "delay", "1h")})
	if out.Error != "Bad delay: 3600: Must be between 0 and 15 minutes" {
		t.Errorf("error = %q", out.Error)
	}
}

// BenchmarkSQSWarm sends one sqs action through the real plugin
// subprocess, warm (process started and AWS client built), against kumo.
func BenchmarkSQSWarm(b *testing.B) {
	conn := plugintest.Exec(b, plugintest.Build(b, pkg, "sqs"), env.PluginEnv()...)
	name := awstest.Unique("bench")
	env.CreateQueue(b, name)
	in := plugintest.Input{Item: item("queue", name, "message", "Job {{ job.job_id }} done")}
	ctx := context.Background()
	if out, err := conn.Run(ctx, in); err != nil || out.Error != "" {
		b.Fatalf("warm-up: %v %+v", err, out)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out, err := conn.Run(ctx, in)
		if err != nil || out.Error != "" {
			b.Fatalf("run: %v %+v", err, out)
		}
	}
}

// TestWarmSendIsOneCall: the plugin process caches the queue URL of a name,
// so the second send makes SendMessage only, and FIFO is known from the
// name (no GetQueueAttributes), so FIFO ids are sent on the warm path too.
func TestWarmSendIsOneCall(t *testing.T) {
	t.Parallel()
	conn := plugintest.InProcess(t, sqsaction.Action{})
	for _, fifo := range []bool{false, true} {
		name := awstest.Unique("warm")
		extra := []any{}
		if fifo {
			name += ".fifo"
			extra = []any{"group_id", "g", "dedup_id", "d-{{ job.run_id }}"}
		}
		url := env.CreateQueue(t, name)
		for i, want := range [][]string{{"sqs:GetQueueUrl", "sqs:SendMessage"}, {"sqs:SendMessage"}} {
			out := mustRun(t, conn, plugintest.Input{Item: item(append([]any{"queue", name, "message", "m"}, extra...)...)})
			if out.Error != "" {
				t.Fatalf("%s send %d: %s", name, i, out.Error)
			}
			if diff := cmp.Diff(want, ops(out)); diff != "" {
				t.Errorf("%s send %d: operations (-want +got):\n%s", name, i, diff)
			}
			if got := out.Effects[len(out.Effects)-1].Target; got != url {
				t.Errorf("%s send %d: sent to %s, want %s", name, i, got, url)
			}
			if _, ok := out.Effects[len(out.Effects)-1].Decode()["MessageGroupId"]; ok != fifo {
				t.Errorf("%s send %d: MessageGroupId sent = %v", name, i, ok)
			}
		}
	}
}
