package eventaction_test

import (
	"bytes"
	"context"
	"encoding/json"
	"github.com/lava-actions/lava-actions/sdk"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/google/go-cmp/cmp"
	"github.com/lava-actions/lava-actions/plugins/event/eventaction"
	"github.com/lava-actions/lava-actions/plugins/internal/awstest"
	"github.com/lava-actions/lava-actions/sdk/plugintest"
	"github.com/lava-actions/lava-actions/sdk/render"
	"github.com/lava-actions/lava-actions/sdk/value"
)

var env *awstest.Env

// Markers the shim in front of kumo answers as AWS does; kumo itself
// accepts every entry and every bus name.
const (
	malformedSource = "test.malformed" // → FailedEntryCount 1, MalformedDetail
	missingBusPfx   = "nobus"          // → ResourceNotFoundException
)

// TestMain starts kumo behind a small shim that gives the two PutEvents
// failures kumo does not produce (a failed entry, a missing bus), and
// points this process (awsx) and the plugin subprocesses at the shim.
func TestMain(m *testing.M) {
	e, stop := awstest.StartMain()
	target, _ := url.Parse(e.URL)
	proxy := httputil.NewSingleHostReverseProxy(target)
	shim := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Amz-Target") == "AWSEvents.PutEvents" {
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			var in struct {
				Entries []struct{ Source, EventBusName string }
			}
			_ = json.Unmarshal(body, &in)
			if len(in.Entries) == 1 && strings.HasPrefix(in.Entries[0].EventBusName, missingBusPfx) {
				w.Header().Set("Content-Type", "application/x-amz-json-1.1")
				w.WriteHeader(http.StatusBadRequest)
				_, _ = io.WriteString(w, `{"__type":"ResourceNotFoundException","message":"Event bus `+in.Entries[0].EventBusName+` does not exist."}`)
				return
			}
			if len(in.Entries) == 1 && in.Entries[0].Source == malformedSource {
				w.Header().Set("Content-Type", "application/x-amz-json-1.1")
				_, _ = io.WriteString(w, `{"FailedEntryCount":1,"Entries":[{"ErrorCode":"MalformedDetail","ErrorMessage":"Detail is malformed."}]}`)
				return
			}
		}
		proxy.ServeHTTP(w, r)
	}))
	os.Setenv("AWS_ENDPOINT_URL", shim.URL)
	env = &awstest.Env{URL: e.URL, Config: e.Config}
	code := m.Run()
	shim.Close()
	stop()
	os.Exit(code)
}

func pluginEnv() []string {
	var out []string
	for _, kv := range env.PluginEnv() {
		if strings.HasPrefix(kv, "AWS_ENDPOINT_URL=") {
			kv = "AWS_ENDPOINT_URL=" + os.Getenv("AWS_ENDPOINT_URL")
		}
		out = append(out, kv)
	}
	return out
}

func item(kv ...any) *value.Map {
	return value.NewMap(append([]any{"action", "event"}, kv...)...)
}

// rule puts a rule matching source on bus, with a target, and returns its
// name; kumo records every match (see delivered).
func rule(t *testing.T, bus, source string) string {
	t.Helper()
	ctx := context.Background()
	c := env.EventBridge()
	name := awstest.Unique("rule")
	pattern, _ := json.Marshal(map[string]any{"source": []string{source}})
	if _, err := c.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String(name), EventBusName: aws.String(bus),
		EventPattern: aws.String(string(pattern))}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String(name), EventBusName: aws.String(bus),
		Targets: []ebtypes.Target{{Id: aws.String("sink"), Arn: aws.String("arn:aws:sns:us-east-1:000000000000:sink")}}}); err != nil {
		t.Fatal(err)
	}
	return name
}

// delivered returns the events kumo matched to rule.
func delivered(t *testing.T, rule string) []awstest.DeliveredEvent {
	t.Helper()
	var out []awstest.DeliveredEvent
	for _, e := range env.DeliveredEvents(t) {
		if e.RuleName == rule {
			out = append(out, e)
		}
	}
	return out
}

func realm(name string) *value.Map {
	_, r, _ := plugintest.Fixture()
	r.Set("realm", name)
	return r
}

func TestPutEvents(t *testing.T) {
	t.Parallel()
	conn := plugintest.InProcess(t, eventaction.Action{})
	rs := value.NewMap("exit_status", int64(0), "output", []any{})
	cases := []struct {
		name    string
		trigger string
		result  *value.Map
		kv      []any
		// want is the entry sent; "<R>" stands for the test's realm name.
		want map[string]any
	}{
		{name: "E01 defaults", kv: nil, want: map[string]any{"Source": "lava.<R>", "DetailType": "Lava Job Action",
			"Detail": `{"realm": "<R>", "worker": "core", "job_id": "demo/job1", "run_id": "run-0001", "exit_status": 0}`}},
		{name: "0.8 on_fail default detail", trigger: "on_fail", result: value.NewMap("error_data", nil, "error", "boom"),
			want: map[string]any{"Source": "lava.<R>", "DetailType": "Lava Job Action",
				"Detail": `{"realm": "<R>", "worker": "core", "job_id": "demo/job1", "run_id": "run-0001", "exit_status": null}`}},
		{name: "0.8 on_retry error_data exit_status", trigger: "on_retry",
			result: value.NewMap("error_data", value.NewMap("exit_status", value.MustDecimal("3"), "error", "x"), "error", "boom"),
			want: map[string]any{"Source": "lava.<R>", "DetailType": "Lava Job Action",
				"Detail": `{"realm": "<R>", "worker": "core", "job_id": "demo/job1", "run_id": "run-0001", "exit_status": 3}`}},
		{name: "E03 overrides", result: rs, kv: []any{"source", "my.{{ realm.realm }}", "detail_type", "DT {{ job.job_id }}",
			"event_bus", "default", "resources", []any{"arn:{{ job.job_id }}", "r2"},
			"detail", value.NewMap("job_id", "{{ job.job_id }}", "result", "{{ result | tojson }}", "status", "success")},
			want: map[string]any{"Source": "my.<R>", "DetailType": "DT demo/job1", "EventBusName": "default",
				"Resources": []any{"arn:demo/job1", "r2"},
				"Detail":    `{"job_id": "demo/job1", "result": "{\"exit_status\": 0, \"output\": []}", "status": "success"}`}},
		{name: "0.9 string detail sent as is", kv: []any{"detail", `{"job": "{{ job.job_id }}", "n": 1,"x":[true]}`},
			want: map[string]any{"Source": "lava.<R>", "DetailType": "Lava Job Action", "Detail": `{"job": "demo/job1", "n": 1,"x":[true]}`}},
		{name: "0.10 map values kept", kv: []any{"detail", value.NewMap("s", "{{ job.run_id }}", "n", value.MustDecimal("5"),
			"f", 1.5, "b", true, "z", nil, "l", []any{"{{ not rendered }}"}, "m", value.NewMap("k", "v"), "é", "ü")},
			want: map[string]any{"Source": "lava.<R>", "DetailType": "Lava Job Action",
				"Detail": `{"s": "run-0001", "n": 5, "f": 1.5, "b": true, "z": null, "l": ["{{ not rendered }}"], "m": {"k": "v"}, "\u00e9": "\u00fc"}`}},
		{name: "empty resources list", kv: []any{"resources", []any{}},
			want: map[string]any{"Source": "lava.<R>", "DetailType": "Lava Job Action", "Resources": []any{},
				"Detail": `{"realm": "<R>", "worker": "core", "job_id": "demo/job1", "run_id": "run-0001", "exit_status": 0}`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rn := awstest.Unique("rlm")
			src := strings.ReplaceAll(tc.want["Source"].(string), "<R>", rn)
			rl := rule(t, "default", src)
			out, err := conn.Run(context.Background(), plugintest.Input{Trigger: tc.trigger, Result: tc.result, Realm: realm(rn),
				Item: item(tc.kv...)})
			if err != nil {
				t.Fatal(err)
			}
			if out.Error != "" {
				t.Fatal(out.Error)
			}
			want := map[string]any{}
			for k, v := range tc.want {
				if s, ok := v.(string); ok {
					v = strings.ReplaceAll(s, "<R>", rn)
				}
				want[k] = v
			}
			if len(out.Effects) != 1 || out.Effects[0].Operation != "events:PutEvents" || out.Effects[0].Target != "default" {
				t.Fatalf("effects = %+v", out.Effects)
			}
			if diff := cmp.Diff(map[string]any{"Entries": []any{want}}, out.Effects[0].Decode()); diff != "" {
				t.Errorf("PutEvents entry (-want +got):\n%s", diff)
			}
			got := delivered(t, rl)
			if len(got) != 1 {
				t.Fatalf("delivered %d events, want 1", len(got))
			}
			e := got[0]
			if e.Source != want["Source"] || e.DetailType != want["DetailType"] || e.Detail != want["Detail"] ||
				e.EventBusName != "default" || e.EventID != out.Effects[0].Outcome {
				t.Errorf("delivered %+v, want %v id %s", e, want, out.Effects[0].Outcome)
			}
		})
	}
}

// TestCustomBus renders event_bus and puts the event on that bus.
func TestCustomBus(t *testing.T) {
	t.Parallel()
	conn := plugintest.InProcess(t, eventaction.Action{})
	bus := awstest.Unique("bus")
	if _, err := env.EventBridge().CreateEventBus(context.Background(), &eventbridge.CreateEventBusInput{Name: aws.String(bus)}); err != nil {
		t.Fatal(err)
	}
	rn := awstest.Unique("rlm")
	rl := rule(t, bus, "lava."+rn)
	out, err := conn.Run(context.Background(), plugintest.Input{Realm: realm(rn),
		Item: item("event_bus", bus[:4]+"{{ '"+bus[4:]+"' }}")})
	if err != nil || out.Error != "" {
		t.Fatal(err, out.Error)
	}
	if out.Effects[0].Target != bus {
		t.Errorf("target = %q, want %q", out.Effects[0].Target, bus)
	}
	if got := delivered(t, rl); len(got) != 1 || got[0].EventBusName != bus {
		t.Errorf("delivered %+v", got)
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	conn := plugintest.InProcess(t, eventaction.Action{})
	syntax := render.New().Check("{{ x").Error()
	cases := []struct {
		name    string
		kv      []any
		wantErr string
		// sent: the PutEvents call was made (and failed)
		sent bool
	}{
		{"E05 detail list", []any{"detail", []any{"a"}}, "detail must be a string or map of strings", false},
		{"detail number", []any{"detail", int64(5)}, "detail must be a string or map of strings", false},
		{"E07 resources not a list", []any{"resources", "r"}, "resources must be a list", false},
		{"resources item not a string", []any{"resources", []any{"a", int64(5)}}, "Can't compile non template nodes", false},
		{"unexpected keys", []any{"zzz", int64(1), "X-note", "n"}, "Unexpected keys: X-note, zzz", false},
		{"0.9 detail not JSON", []any{"detail", "not json {{ job.job_id }}"}, "detail must render to a JSON object", false},
		{"0.9 detail JSON list", []any{"detail", `["{{ job.job_id }}"]`}, "detail must render to a JSON object", false},
		{"0.9 detail JSON string", []any{"detail", `"x"`}, "detail must render to a JSON object", false},
		{"source syntax", []any{"source", "{{ x"}, syntax, false},
		{"detail value syntax", []any{"detail", value.NewMap("a", "{{ x")}, syntax, false},
		{"source not a string", []any{"source", int64(1)}, "source must be a string", false},
		{"render error", []any{"detail_type", "{{ x.y.z }}"}, "'x' is undefined", false},
		{"E09 failed entry", []any{"source", malformedSource}, "Failed to put event to EventBridge: MalformedDetail: Detail is malformed.", true},
		{"E11 missing bus", []any{"event_bus", missingBusPfx}, "An error occurred (ResourceNotFoundException) when calling the PutEvents operation: Event bus nobus does not exist.", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out, err := conn.Run(context.Background(), plugintest.Input{Item: item(tc.kv...)})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(out.Error, tc.wantErr) || out.Error == "" {
				t.Fatalf("error = %q, want %q", out.Error, tc.wantErr)
			}
			if sent := len(out.Effects) > 0; sent != tc.sent {
				t.Errorf("effects = %+v, want sent=%v", out.Effects, tc.sent)
			}
			if tc.name == "E11 missing bus" && out.Effects[0].Decode()["Entries"].([]any)[0].(map[string]any)["EventBusName"] != "nobus" {
				t.Errorf("entry = %s", out.Effects[0].Detail)
			}
		})
	}
}

func TestDryRunSendsNothing(t *testing.T) {
	t.Parallel()
	conn := plugintest.InProcess(t, eventaction.Action{})
	rn := awstest.Unique("rlm")
	rl := rule(t, "default", "lava."+rn)
	out, err := conn.Run(context.Background(), plugintest.Input{DryRun: true, Realm: realm(rn), Item: item("resources", []any{"r"})})
	if err != nil || out.Error != "" {
		t.Fatal(err, out.Error)
	}
	want := []sdk.Effect{{Operation: "events:PutEvents", Target: "default",
		Detail: `{"Entries": [{"Source": "lava.` + rn + `", "DetailType": "Lava Job Action", "Detail": "{\"realm\": \"` + rn +
			`\", \"worker\": \"core\", \"job_id\": \"demo/job1\", \"run_id\": \"run-0001\", \"exit_status\": 0}", "Resources": ["r"]}]}`}}
	if diff := cmp.Diff(want, out.Effects); diff != "" {
		t.Errorf("effects (-want +got):\n%s", diff)
	}
	if got := delivered(t, rl); len(got) != 0 {
		t.Errorf("dry run delivered %+v", got)
	}
}

func TestSubprocess(t *testing.T) {
	t.Parallel()
	conn := plugintest.Exec(t, plugintest.Build(t, "github.com/lava-actions/lava-actions/plugins/event", "event"), pluginEnv()...)
	rn := awstest.Unique("rlm")
	rl := rule(t, "default", "lava."+rn)
	out, err := conn.Run(context.Background(), plugintest.Input{Realm: realm(rn), Item: item()})
	if err != nil || out.Error != "" {
		t.Fatal(err, out.Error)
	}
	got := delivered(t, rl)
	want := `{"realm": "` + rn + `", "worker": "core", "job_id": "demo/job1", "run_id": "run-0001", "exit_status": 0}`
	if len(got) != 1 || got[0].Detail != want {
		t.Errorf("delivered %+v, want detail %s", got, want)
	}
	out, err = conn.Run(context.Background(), plugintest.Input{Item: item("source", malformedSource)})
	if err != nil || out.Error != "Failed to put event to EventBridge: MalformedDetail: Detail is malformed." {
		t.Errorf("failed entry: %v %q", err, out.Error)
	}
}
