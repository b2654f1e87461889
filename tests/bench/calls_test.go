package bench_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/lava-actions/lava-actions/host"
	"github.com/lava-actions/lava-actions/internal/demo"
	"github.com/lava-actions/lava-actions/sdk/value"
	"github.com/lava-actions/lava-actions/tests/faultproxy"
)

// originalCalls lists the AWS calls the original (Python lava) makes for
// each action of the demo's eight-action on_retry list, from the
// specification's recorded runs (spec 3.1–3.8, 4.1–4.3, acceptance cases
// D01 and Q01):
var originalCalls = map[string][]string{
	"log":      nil,                                                              // 3.4: no call
	"sqs":      {"sqs:GetQueueUrl", "sqs:GetQueueAttributes", "sqs:SendMessage"}, // Q01, by queue name
	"sns":      {"sns:Publish"},                                                  // 3.3
	"event":    {"events:PutEvents"},                                             // 3.7
	"dispatch": {"dynamodb:GetItem", "sqs:GetQueueUrl", "sqs:SendMessage"},       // 3.1 steps 6 and 8, D01
	"state":    {"dynamodb:PutItem"},                                             // 3.8, a json item
	"slack":    {"dynamodb:GetItem"},                                             // 4.1/4.3: the connection; the webhook is not AWS
	"email":    {"dynamodb:GetItem"},                                             // 4.1/4.2: an SMTP connection without user (no SSM)
}

// callCounts runs each action of the demo's on_retry list alone, twice
// (the first run in a fresh plugin process, then warm), through the real
// plugins with AWS_ENDPOINT_URL pointing at a counting proxy in front of the
// local endpoint, and returns the operations each run made.
func callCounts(tb testing.TB) (types []string, first, warm map[string][]string) {
	w, err := demo.Start(context.Background(), io.Discard, pluginDir)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(w.Close)
	p, err := faultproxy.Start(faultproxy.Config{Target: w.Endpoint()})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { p.Close() })
	h, err := host.New(host.Config{PluginPath: []string{pluginDir}, Logger: quiet(),
		Environ: func() []string { return append(os.Environ(), demo.PluginEnv(p.URL)...) }})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { h.Close() })
	list, _ := w.Job.Get("on_retry")
	result := value.NewMap("error_data", nil, "error", "boom")
	first, warm = map[string][]string{}, map[string][]string{}
	for _, it := range list.([]any) {
		typ := it.(*value.Map).String("action")
		types = append(types, typ)
		job := w.Job.Clone()
		job.Set("on_retry", []any{it})
		for _, into := range []map[string][]string{first, warm} {
			p.ResetStats()
			rep, err := h.Run(context.Background(), host.OnRetry, job, w.Realm, result)
			if err != nil {
				tb.Fatalf("%s: %v", typ, err)
			}
			if len(rep.Actions) != 1 || rep.Actions[0].Status != "ok" {
				tb.Fatalf("%s: report %+v", typ, rep.Actions)
			}
			st := p.Stats()
			ops := []string{}
			for _, op := range st.Operations() {
				for range st.Op(op).Requests {
					ops = append(ops, op)
				}
			}
			into[typ] = ops
		}
	}
	return types, first, warm
}

// TestCallsPerAction checks that no action makes more AWS calls than the
// original for the same work, in a fresh plugin process or a warm one, and
// that the sqs and dispatch actions' warm runs make no lookup at all.
func TestCallsPerAction(t *testing.T) {
	types, first, warm := callCounts(t)
	if len(types) != len(originalCalls) {
		t.Fatalf("the on_retry list has %v, want one action of each of %d types", types, len(originalCalls))
	}
	wantWarm := map[string]string{"sqs": "[sqs:SendMessage]", "dispatch": "[dynamodb:GetItem sqs:SendMessage]"}
	for _, typ := range types {
		orig, ok := originalCalls[typ]
		if !ok {
			t.Errorf("%s: no original call list", typ)
			continue
		}
		t.Logf("%-8s original %d %v; first %d %v; warm %d %v", typ, len(orig), orig, len(first[typ]), first[typ], len(warm[typ]), warm[typ])
		for run, ops := range map[string][]string{"first": first[typ], "warm": warm[typ]} {
			if len(ops) > len(orig) {
				t.Errorf("%s %s run: %d AWS calls %v, the original makes %d %v", typ, run, len(ops), ops, len(orig), orig)
			}
			for _, op := range ops {
				if !strings.Contains(fmt.Sprint(orig), op) {
					t.Errorf("%s %s run: call %s the original does not make", typ, run, op)
				}
			}
		}
		if want, ok := wantWarm[typ]; ok && fmt.Sprint(warm[typ]) != want {
			t.Errorf("%s warm run: %v, want %s", typ, warm[typ], want)
		}
	}
}

// BenchmarkCallsPerAction reports the AWS calls of each action of the
// eight-action list: in a fresh plugin process, warm, and the original's.
func BenchmarkCallsPerAction(b *testing.B) {
	types, first, warm := callCounts(b)
	for b.Loop() {
		// The counts are made once, above; iterations only satisfy testing.B.
	}
	for _, typ := range types {
		b.ReportMetric(float64(len(first[typ])), typ+"-first-calls")
		b.ReportMetric(float64(len(warm[typ])), typ+"-warm-calls")
		b.ReportMetric(float64(len(originalCalls[typ])), typ+"-original-calls")
	}
}
