package cli

import (
	"bytes"
	"encoding/json"
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
	integrity := &host.PluginError{Type: "x", Path: "/p/lava-action-x", Kind: host.KindIntegrity, Err: fmt.Errorf("%w: mode drwxrwxrwx", host.ErrUntrusted)}
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
		{"plugin refused before anything ran", &host.ActionError{Key: "on_success", Index: 0, Type: "x", Msg: integrity.Error(), Err: integrity, Invalid: true}, true, ExitBadInput},
		{"untrusted outside a list", fmt.Errorf("start: %w", integrity), true, ExitBadInput},
		{"integrity failure while running", &host.ActionError{Key: "on_success", Index: 1, Type: "x", Msg: integrity.Error(), Err: integrity}, true, ExitFailed},
		{"not found", &codedError{code: ExitNotFound, err: errors.New("x: no such state item")}, true, ExitNotFound},
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

func TestWantsJSON(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want bool
	}{
		{[]string{"run", "-o", "json"}, true},
		{[]string{"run", "--output", "json", "--job", "x"}, true},
		{[]string{"run", "--output=json"}, true},
		{[]string{"run", "-ojson"}, true},
		{[]string{"run", "-o=json"}, true},
		{[]string{"run", "-o", "text"}, false},
		{[]string{"run", "-o"}, false},
		{[]string{"run", "--", "-o", "json"}, false},
		{[]string{"validate", "json"}, false},
	} {
		if got := wantsJSON(tc.args); got != tc.want {
			t.Errorf("wantsJSON(%q) = %v", tc.args, got)
		}
	}
}

func TestWriteJSONDoesNotEscapeHTML(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		v    any
		want string
	}{
		{"string", map[string]string{"url": "<redacted>&x"}, "{\n  \"url\": \"<redacted>&x\"\n}\n"},
		{"raw JSON from a plugin", map[string]json.RawMessage{"d": json.RawMessage(`{"u":"https://h/\u003credacted\u003e \u0026 \u003C"}`)},
			"{\n  \"d\": {\n    \"u\": \"https://h/<redacted> & <\"\n  }\n}\n"},
		{"escaped backslash kept", map[string]json.RawMessage{"d": json.RawMessage(`"a\\u003cb \n \u00e9"`)},
			"{\n  \"d\": \"a\\\\u003cb \\n \\u00e9\"\n}\n"},
	}
	for _, tc := range cases {
		var b strings.Builder
		if err := writeJSON(&b, tc.v); err != nil {
			t.Fatal(err)
		}
		if b.String() != tc.want {
			t.Errorf("%s: writeJSON = %q, want %q", tc.name, b.String(), tc.want)
		}
		if !json.Valid([]byte(b.String())) {
			t.Errorf("%s: not valid JSON: %s", tc.name, b.String())
		}
	}
}

func TestFlagRanges(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		err  error
		want string
	}{
		{intInRange("max-body", -5, 1, maxBodyLimit), "--max-body -5: want a whole number from 1 to 1073741824"},
		{intInRange("max-concurrent", 0, 1, maxConcurrentLimit), "--max-concurrent 0: want a whole number from 1 to 10000"},
		{intInRange("max-concurrent", 10001, 1, maxConcurrentLimit), "--max-concurrent 10001: want"},
		{intInRange("max-concurrent", 1, 1, maxConcurrentLimit), ""},
		{durationInRange("timeout", -time.Second, 0, maxTimeout), "--timeout -1s: want 0 (none) or a positive duration up to 24h0m0s"},
		{durationInRange("timeout", 0, 0, maxTimeout), ""},
		{durationInRange("drain", 0, time.Millisecond, maxDrain), "--drain 0s: want a duration from 1ms to 1h0m0s"},
		{durationInRange("drain", 2*time.Hour, time.Millisecond, maxDrain), "--drain 2h0m0s: want"},
	} {
		switch {
		case tc.want == "" && tc.err != nil:
			t.Errorf("unexpected error %v", tc.err)
		case tc.want != "" && (tc.err == nil || !strings.HasPrefix(tc.err.Error(), tc.want) || exitCode(tc.err, true) != ExitBadInput):
			t.Errorf("err = %v, want %q (exit 2)", tc.err, tc.want)
		}
	}
}
