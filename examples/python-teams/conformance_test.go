package pythonteams_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lava-actions/lava-actions/sdk"
	"github.com/lava-actions/lava-actions/sdk/plugintest"
	"github.com/lava-actions/lava-actions/sdk/value"
)

func ctx(tb testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	tb.Cleanup(cancel)
	return c
}

// TestConformanceDescribe starts the Python plugin as the host does
// (go-plugin handshake, gRPC) and checks what it publishes.
func TestConformanceDescribe(t *testing.T) {
	t.Parallel()
	needPython(t)
	conn := plugintest.Exec(t, filepath.Join(repo(t), teamsExe))
	d, err := conn.Describe(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if d.Type != "teams" || d.Version != "0.1.0" || d.Lenient {
		t.Errorf("description = %+v", d)
	}
	if !slices.Contains(d.Capabilities, "host-render") || !slices.Contains(d.Capabilities, "dry-run") {
		t.Errorf("capabilities = %v, want host-render and dry-run", d.Capabilities)
	}
	want := map[string]sdk.RenderMode{"webhook_url": sdk.RenderNone, "title": sdk.RenderText, "text": sdk.RenderText, "facts": sdk.RenderEach}
	for _, f := range d.Fields {
		if m, ok := want[f.Name]; ok && f.Render != m {
			t.Errorf("field %s render = %q, want %q", f.Name, f.Render, m)
		}
	}
	schema, err := conn.Schema(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	var s map[string]any
	if err := json.Unmarshal([]byte(schema), &s); err != nil || s["additionalProperties"] != false {
		t.Errorf("schema = %s (%v)", schema, err)
	}
}

// TestConformanceValidate checks lava's field-check wording, in lava's
// order, and the action's own checks.
func TestConformanceValidate(t *testing.T) {
	t.Parallel()
	needPython(t)
	conn := plugintest.Exec(t, filepath.Join(repo(t), teamsExe))
	for _, tc := range []struct{ item, want string }{
		{`{"action": "teams"}`, "Missing keys: text, webhook_url"},
		{`{"action": "teams", "text": "x"}`, "Missing keys: webhook_url"},
		{`{"action": "teams", "text": "x", "webhook_url": "https://h/x", "colour": 1, "b": 2}`, "Unexpected keys: b, colour"},
		{`{"action": "teams", "text": 3, "webhook_url": "https://h/x"}`, "text must be a string"},
		{`{"action": "teams", "text": "x", "webhook_url": "https://h/x", "facts": []}`, "facts must be a dict"},
		{`{"action": "teams", "text": "x", "webhook_url": "ftp://h/x"}`, "webhook_url must be an http or https URL"},
		{`{"action": "teams", "text": "x", "webhook_url": "https://h/x", "theme_color": "red"}`, "theme_color must be 6 hex digits, e.g. D70000"},
		{`{"action": "teams", "text": "x", "webhook_url": "https://h/x", "timeout": "soon"}`, "timeout: bad duration 'soon'"},
		{`{"action": "teams", "text": "{{ job.job_id }}", "webhook_url": "https://h/x", "timeout": 5}`, ""},
	} {
		got, err := conn.Validate(ctx(t), plugintest.Input{Item: plugintest.MustJSON(tc.item)})
		if err != nil {
			t.Fatalf("%s: %v", tc.item, err)
		}
		if got != tc.want {
			t.Errorf("validate %s = %q, want %q", tc.item, got, tc.want)
		}
	}
}

// TestConformanceExecute posts a card to a real HTTP server, checks the
// body, the effect, the forwarded log record and an HTTP error's wording.
func TestConformanceExecute(t *testing.T) {
	t.Parallel()
	needPython(t)
	bodies := make(chan []byte, 4)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if strings.Contains(r.URL.Path, "broken") {
			http.Error(w, "webhook disabled", http.StatusServiceUnavailable)
			return
		}
		bodies <- b
		io.WriteString(w, "1")
	}))
	defer srv.Close()
	conn := plugintest.Exec(t, filepath.Join(repo(t), teamsExe))
	item := value.NewMap("action", "teams", "webhook_url", srv.URL+"/hook?sig=SECRET", "title", "T", "text", "body",
		"facts", value.NewMap("Count", value.MustDecimal("2.50")), "theme_color", "D70000")
	out, err := conn.Run(ctx(t), plugintest.Input{Item: item})
	if err != nil || out.Error != "" {
		t.Fatalf("run: %v %q", err, out.Error)
	}
	var card map[string]any
	if err := json.Unmarshal(<-bodies, &card); err != nil {
		t.Fatal(err)
	}
	if card["@type"] != "MessageCard" || card["title"] != "T" || card["text"] != "body" || card["themeColor"] != "D70000" {
		t.Errorf("card = %v", card)
	}
	facts := card["sections"].([]any)[0].(map[string]any)["facts"].([]any)
	if f := facts[0].(map[string]any); f["name"] != "Count" || f["value"] != "2.50" {
		t.Errorf("facts = %v", facts)
	}
	if len(out.Effects) != 1 || out.Effects[0].Operation != "teams:Post" || out.Effects[0].Outcome != "HTTP 200" {
		t.Errorf("effects = %+v", out.Effects)
	}
	for _, e := range out.Effects {
		if strings.Contains(e.Target+e.Detail, "SECRET") {
			t.Errorf("effect leaks the webhook secret: %+v", e)
		}
	}
	if len(out.Logs) != 1 || out.Logs[0].Level != "INFO" || out.Logs[0].Message != "card posted" || out.Logs[0].Attrs["status"] != int64(200) {
		t.Errorf("logs = %+v", out.Logs)
	}

	item.Set("webhook_url", srv.URL+"/broken?sig=SECRET")
	out, err = conn.Run(ctx(t), plugintest.Input{Item: item})
	if err != nil {
		t.Fatal(err)
	}
	host := strings.TrimPrefix(srv.URL, "http://")
	want := "POST http://" + host + "/…: HTTP 503 Service Unavailable: webhook disabled"
	if out.Error != want {
		t.Errorf("error = %q, want %q", out.Error, want)
	}

	// A dry run sends nothing.
	item.Set("webhook_url", srv.URL+"/hook")
	out, err = conn.Run(ctx(t), plugintest.Input{Item: item, DryRun: true})
	if err != nil || out.Error != "" || len(out.Effects) != 1 || out.Effects[0].Outcome != "" {
		t.Fatalf("dry run: %v %+v", err, out)
	}
	select {
	case b := <-bodies:
		t.Errorf("dry run sent %s", b)
	case <-time.After(100 * time.Millisecond):
	}
}

// TestConformanceValues sends lava's value kinds through the Python SDK
// and back (the fault plugin echoes its item as an effect detail).
func TestConformanceValues(t *testing.T) {
	t.Parallel()
	needPython(t)
	conn := plugintest.Exec(t, filepath.Join(repo(t), faultExe))
	item := plugintest.MustJSON(`{"action": "pyfault", "mode": "ok", "count": 12.50,
		"raw": {"n": null, "b": true, "i": 7, "f": 1.5, "l": ["a", 2], "big": 123456789012345678901234567890}}`)
	out, err := conn.Execute(ctx(t), plugintest.Input{Item: item})
	if err != nil || out.Error != "" {
		t.Fatalf("execute: %v %+v", err, out)
	}
	got := out.Effects[0].Detail
	want := `{"mode": "ok", "count": 12.5, "raw": {"n": null, "b": true, "i": 7, "f": 1.5, "l": ["a", 2], "big": 123456789012345678901234567890}, "job_start": "2024-03-01T10:00:00+11:00"}`
	if got != want {
		t.Errorf("detail =\n %s\nwant\n %s", got, want)
	}
	if len(out.Logs) != 1 || out.Logs[0].Attrs["count"] != value.MustDecimal("12.50") {
		t.Errorf("logs = %+v", out.Logs)
	}
}

// TestConformanceErrors: the action's own error, an author bug (no
// traceback in the error), a refusal in validate.
func TestConformanceErrors(t *testing.T) {
	t.Parallel()
	needPython(t)
	conn := plugintest.Exec(t, filepath.Join(repo(t), faultExe))
	for _, tc := range []struct{ mode, want string }{
		{"fail", "failed on purpose"},
		{"raise", "internal error in pyfault plugin: KeyError: 'no-such-key'"},
		{"invalid", "mode invalid is refused"},
	} {
		out, err := conn.Run(ctx(t), plugintest.Input{Item: value.NewMap("action", "pyfault", "mode", tc.mode)})
		if err != nil {
			t.Fatal(err)
		}
		if out.Error != tc.want {
			t.Errorf("%s: error = %q, want %q", tc.mode, out.Error, tc.want)
		}
	}
	// A bare Execute, without Validate first, still gets the field checks.
	out, err := conn.Execute(ctx(t), plugintest.Input{Item: value.NewMap("action", "pyfault", "count", "x")})
	if err != nil || out.Error != "Missing keys: mode" || len(out.Effects) != 0 {
		t.Errorf("bare execute: %v %+v", err, out)
	}
}

// TestRunByHand: without the host's cookie the plugin refuses to serve
// with a clear message, and answers describe and version.
func TestRunByHand(t *testing.T) {
	t.Parallel()
	needPython(t)
	exe := filepath.Join(repo(t), teamsExe)
	out, err := exec.Command(exe).CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !strings.Contains(string(out), "This is a lava-actions plugin (teams)") {
		t.Errorf("no cookie: %v %s", err, out)
	}
	cmd := exec.Command(exe)
	cmd.Env = []string{"LAVA_ACTION_PLUGIN=wrong-cookie"}
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "It is started by the lava-actions host") {
		t.Errorf("wrong cookie: %v %s", err, out)
	}
	if out, err := exec.Command(exe, "version").Output(); err != nil || string(out) != "lava-action-teams 0.1.0 (protocol 1)\n" {
		t.Errorf("version: %v %q", err, out)
	}
	out, err = exec.Command(exe, "describe").Output()
	var d map[string]any
	if err != nil || json.Unmarshal(out, &d) != nil || d["type"] != "teams" {
		t.Errorf("describe: %v %s", err, out)
	}
}

// TestConformanceStdLogging: records of Python's logging module made while
// an action runs reach the host with its result.
func TestConformanceStdLogging(t *testing.T) {
	t.Parallel()
	needPython(t)
	conn := plugintest.Exec(t, filepath.Join(repo(t), faultExe))
	out, err := conn.Execute(ctx(t), plugintest.Input{Item: value.NewMap("action", "pyfault", "mode", "logging")})
	if err != nil || out.Error != "" {
		t.Fatalf("execute: %v %+v", err, out)
	}
	if len(out.Logs) != 2 || out.Logs[0].Message != "via logging" || out.Logs[0].Level != "INFO" ||
		out.Logs[0].Attrs["logger"] != "pyfault.lib" || out.Logs[1].Message != "pyfault ran" {
		t.Errorf("logs = %+v", out.Logs)
	}
}
