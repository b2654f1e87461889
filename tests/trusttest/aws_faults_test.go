package trusttest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lava-actions/lava-actions/host"
	"github.com/lava-actions/lava-actions/sdk/value"
	"github.com/lava-actions/lava-actions/state"
	"github.com/lava-actions/lava-actions/tests/faultproxy"
)

// Retry settings of the fault tests: the SDK's standard retryer (through
// awsx) with a small backoff cap so that the suite stays fast.
const (
	recoverAttempts = "8" // 0.3^8 ≈ 7e-5: a call exhausting it is not expected
	outageAttempts  = "3"
	testBackoff     = "20ms"
	runsPerScenario = 4
)

// faultAction is one action of the fault tests: its item for run i
// (marker m), and the operation its first AWS call makes.
type faultAction struct {
	name    string
	item    func(w *world, i int, m string) string
	firstOp string // "<service>:<Operation>" as faultproxy names it
	errOp   string // operation name the error must give
}

var faultActions = []faultAction{
	{"sqs", func(w *world, _ int, m string) string {
		return fmt.Sprintf(`{"action": "sqs", "queue": "q-%s", "message": "sqs %s"}`, w.realm, m)
	}, "sqs:GetQueueUrl", "GetQueueUrl"},
	{"sns", func(w *world, _ int, m string) string {
		return fmt.Sprintf(`{"action": "sns", "topic": %q, "message": "sns %s", "subject": "s"}`, w.topicARN, m)
	}, "sns:Publish", "Publish"},
	{"event", func(w *world, _ int, m string) string {
		return fmt.Sprintf(`{"action": "event", "source": %q, "detail": {"marker": "%s"}}`, w.source, m)
	}, "events:PutEvents", "PutEvents"},
	{"dispatch", func(w *world, _ int, m string) string {
		return fmt.Sprintf(`{"action": "dispatch", "job_id": "child", "parameters": {"marker": "%s"}}`, m)
	}, "dynamodb:GetItem", "GetItem"},
	{"state json", func(w *world, i int, m string) string {
		return fmt.Sprintf(`{"action": "state", "state_id": "json-%d", "value": {"marker": "%s"}}`, i, m)
	}, "dynamodb:PutItem", "PutItem"},
	{"state secure", func(w *world, i int, m string) string {
		return fmt.Sprintf(`{"action": "state", "state_id": "secure-%d", "type": "secure", "value": "secure %s"}`, i, m)
	}, "kms:Encrypt", "Encrypt"},
	{"email ses", func(w *world, _ int, m string) string {
		return fmt.Sprintf(`{"action": "email", "to": "to@example.com", "from": %q, "subject": "mail %s", "message": "body"}`, w.sender, m)
	}, "ses:SendEmail", "SendEmail"},
}

func marker(i int) string { return fmt.Sprintf("m%02dz", i) }

func job(t *testing.T, w *world, run int, items ...string) *value.Map {
	t.Helper()
	return mustMap(t, fmt.Sprintf(`{"job_id": "trust/job", "realm": %q, "run_id": "run-%d", "worker": "w0", "type": "cmd",
		"ts_start": "2026-01-01T10:00:00+00:00", "globals": {}, "on_success": [%s]}`, w.realm, run, strings.Join(items, ", ")))
}

// TestAWSFaultsRecovered runs every AWS action several times behind a
// proxy failing 30% of requests. Every action must succeed within its
// retry bound, the reported retries must add up to the injected faults, and
// kumo (read directly) must hold what was sent:
//
//   - "edge faults" (throttling, 500, 503, reset before forwarding): a
//     faulted attempt never reaches kumo, so every write arrives exactly once.
//   - "lost responses": some attempts reach kumo and only the answer is
//     lost; the SDK then resends. SQS SendMessage (standard queues), SNS
//     Publish, EventBridge PutEvents and SES SendEmail have no idempotency
//     token in these actions, so AWS semantics allow duplicates: each write
//     must arrive at least once and exactly as often as it reached kumo
//     (counted by the proxy). State PutItem is idempotent: exactly one item.
func TestAWSFaultsRecovered(t *testing.T) {
	scenarios := []struct {
		name       string
		seed       uint64
		rates      map[faultproxy.Kind]float64
		only       []string
		duplicates bool
	}{
		{"edge faults 30%", 1, map[faultproxy.Kind]float64{faultproxy.Throttle: 0.12, faultproxy.InternalError: 0.06,
			faultproxy.Unavailable: 0.06, faultproxy.Reset: 0.06}, nil, false},
		{"lost responses 30%", 2, map[faultproxy.Kind]float64{faultproxy.Throttle: 0.10, faultproxy.Unavailable: 0.05,
			faultproxy.Reset: 0.05, faultproxy.LostResponse: 0.10}, nil, true},
		// Only the writes, with many lost answers: duplicates are certain.
		{"lost write responses 40%", 3, map[faultproxy.Kind]float64{faultproxy.LostResponse: 0.4},
			[]string{"sqs:SendMessage", "sns:Publish", "events:PutEvents", "ses:SendEmail", "dynamodb:PutItem"}, true},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			w := newWorld(t)
			p, err := faultproxy.Start(faultproxy.Config{Target: kumoURL, Seed: sc.seed, Rates: sc.rates,
				Only: func(op string) bool { return sc.only == nil || slices.Contains(sc.only, op) }})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			h, logs := newHost(t, awsEnv(p.URL, "LAVA_AWS_MAX_ATTEMPTS="+recoverAttempts, "LAVA_AWS_MAX_BACKOFF="+testBackoff), 30*time.Second, "")
			realm := mustMap(t, fmt.Sprintf(`{"realm": %q}`, w.realm))
			retries := map[string]int{}
			total := 0
			ctx := context.Background()
			for i := range runsPerScenario {
				var items []string
				for _, a := range faultActions {
					items = append(items, a.item(w, i, marker(i)))
				}
				rep, err := h.Run(ctx, host.OnSuccess, job(t, w, i, items...), realm, nil)
				if err != nil {
					t.Fatalf("run %d: %v\nproxy: %s\nlog:\n%s", i, err, p.Stats(), logs)
				}
				for k, ar := range rep.Actions {
					if ar.Status != host.StatusOK {
						t.Errorf("run %d %s: status %s", i, faultActions[k].name, ar.Status)
					}
					retries[faultActions[k].name] += ar.Retries
					total += ar.Retries
				}
			}
			st := p.Stats()
			t.Logf("proxy: %s; reported retries %d %v", st, total, retries)
			for _, op := range st.Operations() {
				o := st.Op(op)
				t.Logf("  %-22s requests=%d forwarded=%d injected=%v", op, o.Requests, o.Forwarded, o.Injected)
			}
			if st.Faults() == 0 || total == 0 {
				t.Fatalf("no faults injected or no retries reported: %s, retries %d", st, total)
			}
			// Every call succeeded in the end, so each fault cost exactly one retry.
			if total != st.Faults() {
				t.Errorf("reported retries %d != injected faults %d", total, st.Faults())
			}

			// What arrived, read from kumo directly.
			n := runsPerScenario
			sqsMsgs := drain(t, w.queueURL, n)
			snsMsgs := drain(t, w.topicQueue, n)
			dispatched := drain(t, w.workerQueue, n)
			events := deliveredEvents(t, w.rule)
			mails := sesMails(t, w.sender)
			arrived := map[string]int{}
			for i := range n {
				m := marker(i)
				got := map[string]int{
					"sqs": countContaining(sqsMsgs, "sqs "+m), "sns": countContaining(snsMsgs, "sns "+m),
					"event": countContaining(events, m), "dispatch": countContaining(dispatched, m),
					"email ses": countContaining(mails, "mail "+m),
				}
				for name, c := range got {
					arrived[name] += c
					if c < 1 || (!sc.duplicates && c != 1) {
						t.Errorf("run %d: %s arrived %d times", i, name, c)
					}
				}
				checkState(t, w, i, m)
			}
			// Each write arrived exactly as often as it reached kumo.
			forwarded := map[string]int{
				"sqs+dispatch": st.Op("sqs:SendMessage").Forwarded, "sns": st.Op("sns:Publish").Forwarded,
				"event": st.Op("events:PutEvents").Forwarded, "email ses": st.Op("ses:SendEmail").Forwarded,
			}
			arrived["sqs+dispatch"] = arrived["sqs"] + arrived["dispatch"]
			for name, f := range forwarded {
				if arrived[name] != f {
					t.Errorf("%s: %d copies arrived, %d requests reached kumo", name, arrived[name], f)
				}
			}
			dups := 0
			for _, name := range []string{"sqs", "sns", "event", "dispatch", "email ses"} {
				dups += arrived[name] - n
			}
			t.Logf("arrived per action (runs=%d): %v; duplicates from lost responses: %d", n, arrived, dups)
		})
	}
}

// checkState reads run i's state items back (through the state manager, on
// kumo directly): exactly one item per id, with the run's value.
func checkState(t *testing.T, w *world, i int, m string) {
	t.Helper()
	st := state.New(ddbClient(), kmsClient())
	ctx := context.Background()
	it, err := st.Get(ctx, w.realm, fmt.Sprintf("json-%d", i))
	if err != nil {
		t.Errorf("state json-%d: %v", i, err)
	} else if v, _ := it.Value.(*value.Map); v == nil || v.String("marker") != m {
		t.Errorf("state json-%d = %v", i, value.Repr(it.Value))
	}
	it, err = st.Get(ctx, w.realm, fmt.Sprintf("secure-%d", i))
	if err != nil {
		t.Errorf("state secure-%d: %v", i, err)
	} else if it.Value != "secure "+m {
		t.Errorf("state secure-%d = %v", i, value.Repr(it.Value))
	}
}

// goInternals are fragments of Go or SDK error plumbing that must not reach
// an action's error text.
var goInternals = []string{
	"operation error", "https response error", "StatusCode:", "RequestID:", "exceeded maximum number of attempts",
	"request send failed", "dial tcp", "read tcp", "write tcp", "127.0.0.1", "goroutine", ".go:", "*errors.", "%!",
	"context deadline exceeded", "rpc error", "deserialization failed",
}

// TestAWSOutage fails every request (one fault kind at a time): each action
// must fail after exactly LAVA_AWS_MAX_ATTEMPTS attempts of its first call,
// well within its deadline, reporting its retries, with an error that names
// the operation and holds no Go internals.
func TestAWSOutage(t *testing.T) {
	const timeout = 10 * time.Second
	w := newWorld(t)
	realm := mustMap(t, fmt.Sprintf(`{"realm": %q}`, w.realm))
	for _, kind := range []faultproxy.Kind{faultproxy.Throttle, faultproxy.InternalError, faultproxy.Unavailable, faultproxy.Reset} {
		t.Run(kind.String(), func(t *testing.T) {
			p, err := faultproxy.Start(faultproxy.Config{Target: kumoURL})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			p.SetOutage(true, kind)
			h, logs := newHost(t, awsEnv(p.URL, "LAVA_AWS_MAX_ATTEMPTS="+outageAttempts, "LAVA_AWS_MAX_BACKOFF="+testBackoff), timeout, "")
			for i, a := range faultActions {
				t.Run(a.name, func(t *testing.T) {
					p.ResetStats()
					start := time.Now()
					rep, err := h.Run(context.Background(), host.OnSuccess, job(t, w, i, a.item(w, i, marker(i))), realm, nil)
					took := time.Since(start)
					var ae *host.ActionError
					if !errors.As(err, &ae) {
						t.Fatalf("err = %v, want an action error", err)
					}
					text := err.Error()
					t.Logf("%v in %v: %s", kind, took.Round(time.Millisecond), text)
					if !strings.Contains(text, " "+a.errOp+" operation (reached max retries: 2)") {
						t.Errorf("error does not name the operation %s and the bound: %s", a.errOp, text)
					}
					for _, bad := range goInternals {
						if strings.Contains(text, bad) {
							t.Errorf("error holds %q: %s", bad, text)
						}
					}
					if got := p.Stats().Op(a.firstOp).Requests; got != 3 {
						t.Errorf("%s attempts = %d, want 3 (stats %s)", a.firstOp, got, p.Stats())
					}
					if ar := rep.Actions[0]; ar.Status != host.StatusFailed || ar.Retries != 2 || ar.Error != text {
						t.Errorf("report = %+v", ar)
					}
					if took > timeout/2 {
						t.Errorf("took %v, deadline %v", took, timeout)
					}
					if strings.Contains(logs.String(), "panic") {
						t.Errorf("log holds a panic:\n%s", logs)
					}
				})
			}
		})
	}
}

// TestAWSOutageDeadline checks that an action whose retries outlast its
// deadline stops at the deadline with a clear error.
func TestAWSOutageDeadline(t *testing.T) {
	const timeout = 1500 * time.Millisecond
	w := newWorld(t)
	p, err := faultproxy.Start(faultproxy.Config{Target: kumoURL})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	p.SetOutage(true, faultproxy.Unavailable)
	h, _ := newHost(t, awsEnv(p.URL, "LAVA_AWS_MAX_ATTEMPTS=1000", "LAVA_AWS_MAX_BACKOFF=100ms"), timeout, "")
	realm := mustMap(t, fmt.Sprintf(`{"realm": %q}`, w.realm))
	start := time.Now()
	_, err = h.Run(context.Background(), host.OnSuccess, job(t, w, 0, faultActions[1].item(w, 0, "x")), realm, nil)
	took := time.Since(start)
	if err == nil {
		t.Fatal("no error")
	}
	t.Logf("after %v: %s (attempts %d)", took.Round(time.Millisecond), err, p.Stats().Requests)
	if took > timeout+time.Second {
		t.Errorf("took %v, deadline %v", took, timeout)
	}
	if p.Stats().Requests < 3 {
		t.Errorf("only %d attempts before the deadline", p.Stats().Requests)
	}
	for _, bad := range goInternals {
		if strings.Contains(err.Error(), bad) {
			t.Errorf("error holds %q: %s", bad, err)
		}
	}
}
