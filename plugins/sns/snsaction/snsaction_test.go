package snsaction_test

import (
	"context"
	"encoding/json"
	"github.com/lava-actions/lava-actions/sdk"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/google/go-cmp/cmp"
	"github.com/lava-actions/lava-actions/plugins/internal/awstest"
	"github.com/lava-actions/lava-actions/plugins/sns/snsaction"
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

func item(kv ...any) *value.Map {
	return value.NewMap(append([]any{"action", "sns"}, kv...)...)
}

// topic creates a topic with an SQS queue subscribed; it returns the topic
// ARN and the queue URL.
func topic(t *testing.T) (string, string) {
	t.Helper()
	ctx := context.Background()
	out, err := env.SNS().CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(awstest.Unique("t"))})
	if err != nil {
		t.Fatal(err)
	}
	url := env.CreateQueue(t, awstest.Unique("sub"))
	if _, err := env.SNS().Subscribe(ctx, &sns.SubscribeInput{TopicArn: out.TopicArn, Protocol: aws.String("sqs"),
		Endpoint: aws.String(env.QueueArn(t, url))}); err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.TopicArn), url
}

type envelope struct {
	Type, MessageId, TopicArn, Message string
	Subject                            *string
}

// delivered reads the one SNS notification the queue received.
func delivered(t *testing.T, url string) envelope {
	t.Helper()
	msgs := env.Receive(t, url, 10, 2*time.Second)
	if len(msgs) != 1 {
		t.Fatalf("received %d notifications, want 1", len(msgs))
	}
	var e envelope
	if err := json.Unmarshal([]byte(aws.ToString(msgs[0].Body)), &e); err != nil {
		t.Fatalf("envelope %q: %v", aws.ToString(msgs[0].Body), err)
	}
	return e
}

func TestPublish(t *testing.T) {
	t.Parallel()
	conn := plugintest.InProcess(t, snsaction.Action{})
	rf := value.NewMap("error_data", nil, "error", "boom")
	cases := []struct {
		name        string
		trigger     string
		result      *value.Map
		kv          []any
		wantMessage string
		wantSubject *string
	}{
		{name: "N01 on_fail", trigger: "on_fail", result: rf,
			kv:          []any{"message", "{{job.job_id}}@{{realm.realm}} ({{job.run_id}}) failed: {{result.error}}", "subject", "Fail {{ job.job_id }}"},
			wantMessage: "demo/job1@dev (run-0001) failed: boom", wantSubject: aws.String("Fail demo/job1")},
		{name: "N03 subject cut to 100", kv: []any{"message", "m", "subject", strings.Repeat("S", 90) + `{{ "x" * 20 }}`},
			wantMessage: "m", wantSubject: aws.String(strings.Repeat("S", 90) + strings.Repeat("x", 10))},
		{name: "subject cut by characters", kv: []any{"message", "m", "subject", strings.Repeat("é", 150)},
			wantMessage: "m", wantSubject: aws.String(strings.Repeat("é", 100))},
		{name: "no subject", kv: []any{"message", "only {{ job.run_id }}"}, wantMessage: "only run-0001"},
		{name: "object message", kv: []any{"message", value.NewMap("job", "{{ job.job_id }}", "n", value.MustDecimal("2"), "u", "ü")},
			wantMessage: `{"job": "demo/job1", "n": 2, "u": "\u00fc"}`},
		{name: "extra keys accepted", kv: []any{"message", "m", "zzz", true}, wantMessage: "m"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			arn, url := topic(t)
			out, err := conn.Run(context.Background(), plugintest.Input{Trigger: tc.trigger, Result: tc.result,
				Item: item(append([]any{"topic", arn}, tc.kv...)...)})
			if err != nil {
				t.Fatal(err)
			}
			if out.Error != "" {
				t.Fatal(out.Error)
			}
			if len(out.Effects) != 1 || out.Effects[0].Operation != "sns:Publish" || out.Effects[0].Target != arn {
				t.Fatalf("effects = %+v", out.Effects)
			}
			wantDetail := map[string]any{"Message": tc.wantMessage}
			if tc.wantSubject != nil {
				wantDetail["Subject"] = *tc.wantSubject
			}
			if diff := cmp.Diff(wantDetail, out.Effects[0].Decode()); diff != "" {
				t.Errorf("Publish detail (-want +got):\n%s", diff)
			}
			e := delivered(t, url)
			if e.Message != tc.wantMessage || e.TopicArn != arn || e.MessageId != out.Effects[0].Outcome {
				t.Errorf("delivered %+v, want message %q from %s id %s", e, tc.wantMessage, arn, out.Effects[0].Outcome)
			}
			if diff := cmp.Diff(tc.wantSubject, e.Subject); diff != "" {
				t.Errorf("delivered subject (-want +got):\n%s", diff)
			}
		})
	}
}

// TestEmptySubjectSent: the key present means Subject is sent, even "".
func TestEmptySubjectSent(t *testing.T) {
	t.Parallel()
	conn := plugintest.InProcess(t, snsaction.Action{})
	out, err := conn.Run(context.Background(), plugintest.Input{DryRun: true,
		Item: item("topic", "arn:aws:sns:us-east-1:000000000000:none", "message", "m", "subject", "{{ '' }}")})
	if err != nil || out.Error != "" {
		t.Fatal(err, out.Error)
	}
	if got := out.Effects[0].Detail; got != `{"Message": "m", "Subject": ""}` {
		t.Errorf("detail = %s", got)
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	conn := plugintest.InProcess(t, snsaction.Action{})
	syntax := render.New().Check("{{ x").Error()
	cases := []struct {
		name       string
		kv         []any
		wantPrefix string
	}{
		{"N05 no topic", []any{"message", "m"}, "Missing keys: topic"},
		{"no keys", nil, "Missing keys: message, topic"},
		{"N07 topic not rendered", []any{"topic", "{{ x }}", "message", "m"}, "An error occurred ("},
		{"missing topic", []any{"topic", "arn:aws:sns:us-east-1:000000000000:" + awstest.Unique("absent"), "message", "m"}, "An error occurred ("},
		{"message syntax", []any{"topic", "T", "message", "{{ x"}, syntax},
		{"subject syntax", []any{"topic", "T", "message", "m", "subject", "{{ x"}, syntax},
		{"subject not a string", []any{"topic", "T", "message", "m", "subject", int64(1)}, "subject must be a string"},
		{"render error", []any{"topic", "T", "message", "{{ x.y.z }}"}, "'x' is undefined"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out, err := conn.Run(context.Background(), plugintest.Input{Item: item(tc.kv...)})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(out.Error, tc.wantPrefix) || out.Error == "" {
				t.Fatalf("error = %q, want prefix %q", out.Error, tc.wantPrefix)
			}
			if strings.HasPrefix(tc.wantPrefix, "An error occurred") {
				if !strings.Contains(out.Error, "when calling the Publish operation: ") {
					t.Errorf("error %q does not name Publish", out.Error)
				}
				if len(out.Effects) != 1 || out.Effects[0].Outcome != "" {
					t.Errorf("effects = %+v", out.Effects)
				}
				if strings.HasPrefix(tc.name, "N07") && out.Effects[0].Target != "{{ x }}" {
					t.Errorf("topic was rendered: %q", out.Effects[0].Target)
				}
			} else if len(out.Effects) != 0 {
				t.Errorf("effects = %+v, want none", out.Effects)
			}
		})
	}
}

func TestDryRunSendsNothing(t *testing.T) {
	t.Parallel()
	conn := plugintest.InProcess(t, snsaction.Action{})
	arn, url := topic(t)
	out, err := conn.Run(context.Background(), plugintest.Input{DryRun: true,
		Item: item("topic", arn, "message", "hi {{ job.run_id }}", "subject", "s")})
	if err != nil || out.Error != "" {
		t.Fatal(err, out.Error)
	}
	want := []sdk.Effect{{Operation: "sns:Publish", Target: arn, Detail: `{"Message": "hi run-0001", "Subject": "s"}`}}
	if diff := cmp.Diff(want, out.Effects); diff != "" {
		t.Errorf("effects (-want +got):\n%s", diff)
	}
	if msgs := env.Receive(t, url, 10, 200*time.Millisecond); len(msgs) != 0 {
		t.Errorf("dry run delivered %d messages", len(msgs))
	}
}

func TestSubprocess(t *testing.T) {
	t.Parallel()
	conn := plugintest.Exec(t, plugintest.Build(t, "github.com/lava-actions/lava-actions/plugins/sns", "sns"), env.PluginEnv()...)
	arn, url := topic(t)
	out, err := conn.Run(context.Background(), plugintest.Input{Item: item("topic", arn, "message", "{{ job.job_id }} ok", "subject", "S {{ realm.realm }}")})
	if err != nil || out.Error != "" {
		t.Fatal(err, out.Error)
	}
	e := delivered(t, url)
	if e.Message != "demo/job1 ok" || aws.ToString(e.Subject) != "S dev" {
		t.Errorf("delivered %+v", e)
	}
}
