package cli

import (
	"bytes"
	"errors"
	"fmt"
	"github.com/lava-actions/lava-actions/sdk/protocol"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/lava-actions/lava-actions/host"
	"github.com/lava-actions/lava-actions/sdk/value"
)

func TestSafelyRecoversPanics(t *testing.T) {
	t.Parallel()
	var stderr bytes.Buffer
	code := safely(&stderr, func() int { panic("boom\nsecond line") })
	if code != ExitInternal {
		t.Errorf("code = %d, want %d", code, ExitInternal)
	}
	if diff := cmp.Diff("lava-actions: internal error: boom second line\n", stderr.String()); diff != "" {
		t.Errorf("stderr (-want +got):\n%s", diff)
	}
}

func TestExitCode(t *testing.T) {
	t.Parallel()
	pe := &host.PluginError{Type: "x", Path: "/p/lava-action-x", Kind: host.KindStart, Err: errors.New("exec format error")}
	cases := []struct {
		name string
		err  error
		ran  bool
		want int
	}{
		{"cobra parse error", errors.New(`unknown command "x"`), false, ExitBadInput},
		{"unclassified run error", errors.New("boom"), true, ExitFailed},
		{"bad input", badInput(errors.New("x")), true, ExitBadInput},
		{"failed", failed(errors.New("x")), true, ExitFailed},
		{"reported", fmt.Errorf("wrap: %w", &reportedError{code: 7}), true, 7},
		{"invalid list", &host.ActionError{Key: "on_success", Index: 0, Msg: "Missing keys: action", Invalid: true}, true, ExitBadInput},
		{"plugin would not start", &host.ActionError{Key: "on_success", Index: 0, Type: "x", Msg: pe.Error(), Err: pe, Invalid: true}, true, ExitFailed},
		{"action failed", &host.ActionError{Key: "on_fail", Index: 1, Type: "log", Msg: "boom"}, true, ExitFailed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := exitCode(tc.err, tc.ran); got != tc.want {
				t.Errorf("exitCode = %d, want %d", got, tc.want)
			}
		})
	}
}

func TestFormatReport(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		rep  *host.Report
		err  error
		want string
	}{
		{
			name: "failure with effects and a multi-line error",
			rep: &host.Report{Trigger: host.OnFail, Source: "realm", Actions: []host.ActionReport{
				{Index: 0, Type: "sqs", Status: host.StatusOK, Duration: 1500 * time.Microsecond, Summary: "sent",
					Effects: []protocol.Effect{{Operation: "sqs:SendMessage", Target: "q", Outcome: "id-1"}}, Retries: 2},
				{Index: 1, Type: "slack", Status: host.StatusFailed, Duration: 2 * time.Second, Error: "on_fail action: slack: a\nb"},
			}},
			err: &host.ActionError{Key: "on_fail", Index: 1, Type: "slack", Msg: "a\nb"},
			want: "on_fail: 2 actions from the realm\n" +
				"[0] sqs: ok (1.5ms)\n    summary: sent\n    retries: 2\n    effect: sqs:SendMessage q -> id-1\n" +
				"[1] slack: failed (2s)\n    error: on_fail action: slack: a\\nb\n" +
				"outcome: failed: on_fail action: slack: a\\nb\n",
		},
		{
			name: "dry run detail that is not JSON",
			rep: &host.Report{Trigger: host.OnSuccess, Source: "job", DryRun: true, Actions: []host.ActionReport{
				{Index: 0, Type: "x", Status: host.StatusPreview, Effects: []protocol.Effect{{Operation: "op", Detail: "not json"}}},
			}},
			want: "on_success: 1 action from the job\n[0] x: dry-run\n    effect: op\n      not json\n" +
				"outcome: ok (dry run, nothing sent)\n",
		},
		{
			name: "dry run skips a plugin without the dry-run capability",
			rep: &host.Report{Trigger: host.OnSuccess, Source: "job", DryRun: true, Actions: []host.ActionReport{
				{Index: 0, Type: "thirdparty", Status: host.StatusSkipped, Error: host.ErrNoDryRun},
			}},
			want: "on_success: 1 action from the job\n[0] thirdparty: skipped\n    error: plugin does not support dry run\n" +
				"outcome: ok (dry run, nothing sent)\n",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tc.want, formatReport(tc.rep, tc.err)); diff != "" {
				t.Errorf("report (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReadJSON(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, input string
		mode        value.NumberMode
		wantErr     string
		wantNumber  any
	}{
		{name: "decimal", input: `{"n": 1}`, mode: value.DecimalNumbers, wantNumber: value.MustDecimal("1")},
		{name: "python", input: `{"n": 1}`, mode: value.PythonNumbers, wantNumber: int64(1)},
		{name: "syntax error", input: "{\n\n  \"n\" 1}", mode: value.DecimalNumbers, wantErr: "<stdin>:3:7: invalid character '1' after object key"},
		{name: "empty", input: "", mode: value.DecimalNumbers, wantErr: "<stdin>:1:1: unexpected end of JSON input"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			v, err := readJSON("-", strings.NewReader(tc.input), tc.mode)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("error = %v, want %q", err, tc.wantErr)
				}
				if exitCode(err, true) != ExitBadInput {
					t.Errorf("exit code %d, want %d", exitCode(err, true), ExitBadInput)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			n, _ := v.(*value.Map).Get("n")
			if diff := cmp.Diff(tc.wantNumber, n, cmp.Comparer(func(a, b value.Decimal) bool { return a.String() == b.String() })); diff != "" {
				t.Errorf("number (-want +got):\n%s", diff)
			}
		})
	}
}
