package webhook_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/lava-actions/lava-actions/examples/webhook/webhook"
	"github.com/lava-actions/lava-actions/sdk/plugintest"
	"github.com/lava-actions/lava-actions/sdk/value"
)

// received is one request the test server got.
type received struct {
	Header http.Header
	Body   map[string]any
}

// server records POSTs by path. A path ending in /status/<code> answers with that code and a
// long body; a path ending in /slow answers only after the client gives up.
type server struct {
	*httptest.Server
	mu  sync.Mutex
	got map[string][]received
}

func newServer(t *testing.T) *server {
	s := &server{got: map[string][]received{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var body map[string]any
		_ = json.Unmarshal(b, &body)
		s.mu.Lock()
		s.got[r.URL.Path] = append(s.got[r.URL.Path], received{Header: r.Header.Clone(), Body: body})
		s.mu.Unlock()
		switch {
		case strings.HasSuffix(r.URL.Path, "/slow"):
			select {
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
		case strings.HasSuffix(r.URL.Path, "/status/500"):
			w.WriteHeader(http.StatusInternalServerError)
			io.WriteString(w, "upstream\nbroke "+strings.Repeat("x", 1000))
		case strings.HasSuffix(r.URL.Path, "/status/404"):
			w.WriteHeader(http.StatusNotFound)
		default:
			io.WriteString(w, `{"ok": true}`)
		}
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *server) requests(path string) []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.got[path]
}

func TestWebhook(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	conns := map[string]*plugintest.Conn{
		"in-process": plugintest.InProcess(t, webhook.Action{}),
		"subprocess": plugintest.Exec(t, plugintest.Build(t, "github.com/lava-actions/lava-actions/examples/webhook", "webhook")),
	}
	cases := []struct {
		name       string
		item       string // JSON; %URL% is the server's URL
		dryRun     bool
		path       string         // path whose requests are checked
		wantBody   map[string]any // body the server must get (nil: no request)
		wantHeader map[string]string
		wantErr    string // prefix of the action error
		wantDetail string // effect detail JSON
		notIn      string // text that must appear in no output
	}{
		{name: "map body rendered", path: "/a",
			item:       `{"action": "webhook", "url": "%URL%/a", "body": {"job": "{{ job.job_id }}", "n": 5, "{{ globals.g1 }}": true, "l": ["{{ job.run_id }}", null]}}`,
			wantBody:   map[string]any{"job": "demo/job1", "n": 5.0, "G1": true, "l": []any{"run-0001", nil}},
			wantHeader: map[string]string{"Content-Type": "application/json", "User-Agent": "lava-action-webhook/" + webhook.Version}},
		{name: "default body", path: "/b", item: `{"action": "webhook", "url": "%URL%/b"}`,
			wantBody: map[string]any{"job_id": "demo/job1", "run_id": "run-0001", "realm": "dev", "trigger": "on_success"}},
		{name: "string body", path: "/c", item: `{"action": "webhook", "url": "%URL%/c", "body": "{\"text\": \"{{ job.run_id }}\"}"}`,
			wantBody: map[string]any{"text": "run-0001"}},
		{name: "string body not JSON", path: "/d", item: `{"action": "webhook", "url": "%URL%/d", "body": "hello {{ job.job_id }}"}`,
			wantErr: "body must render to JSON text: line 1, column "},
		{name: "headers rendered, secrets redacted", path: "/e",
			item:       `{"action": "webhook", "url": "%URL%/e", "body": {}, "headers": {"X-Job": "{{ job.job_id }}", "Authorization": "Bearer s3cret"}}`,
			wantBody:   map[string]any{},
			wantHeader: map[string]string{"X-Job": "demo/job1", "Authorization": "Bearer s3cret"},
			wantDetail: `{"headers": {"X-Job": "demo/job1", "Authorization": "REDACTED"}, "body": {}}`,
			notIn:      "s3cret"},
		{name: "HTTP 500 quotes status and truncated body", path: "/status/500",
			item:     `{"action": "webhook", "url": "%URL%/status/500?token=abc123", "body": {}}`,
			wantBody: map[string]any{},
			wantErr:  "POST %URL%/status/500?REDACTED: HTTP 500 Internal Server Error: upstream broke xxxx",
			notIn:    "abc123"},
		{name: "HTTP 404 without body", path: "/status/404", item: `{"action": "webhook", "url": "%URL%/status/404", "body": {}}`,
			wantBody: map[string]any{}, wantErr: "POST %URL%/status/404: HTTP 404 Not Found"},
		{name: "timeout", path: "/slow", item: `{"action": "webhook", "url": "%URL%/slow", "body": {}, "timeout": "0.2s"}`,
			wantBody: map[string]any{}, wantErr: "POST %URL%/slow: no answer within 200ms"},
		{name: "dry run sends nothing", path: "/f", dryRun: true,
			item:       `{"action": "webhook", "url": "%URL%/f", "body": {"job": "{{ job.job_id }}"}}`,
			wantDetail: `{"headers": {}, "body": {"job": "demo/job1"}}`},
		{name: "missing url", item: `{"action": "webhook"}`, wantErr: "Missing keys: url"},
		{name: "unexpected key", item: `{"action": "webhook", "url": "%URL%", "bogus": 1}`, wantErr: "Unexpected keys: bogus"},
		{name: "bad scheme", item: `{"action": "webhook", "url": "ftp://example.com"}`, wantErr: "url must be an http or https URL"},
		{name: "body a list", item: `{"action": "webhook", "url": "%URL%", "body": []}`, wantErr: "body must be a string or a dict"},
		{name: "header not a string", item: `{"action": "webhook", "url": "%URL%", "headers": {"X-N": 1}}`, wantErr: "headers: X-N must be a string"},
		{name: "bad header name", item: `{"action": "webhook", "url": "%URL%", "headers": {"X N": "1"}}`, wantErr: `headers: invalid header name "X N"`},
		{name: "bad timeout", item: `{"action": "webhook", "url": "%URL%", "timeout": "soon"}`, wantErr: "timeout: Invalid duration: soon"},
		{name: "template syntax", item: `{"action": "webhook", "url": "%URL%", "body": {"a": "{{ job.job_id "}}`, wantErr: ""},
	}
	for mode, conn := range conns {
		for _, tc := range cases {
			t.Run(mode+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				if tc.path != "" {
					// One path per case and mode, so parallel runs do not mix.
					tc.item = strings.Replace(tc.item, tc.path, "/"+mode+tc.path, 1)
					tc.wantErr = strings.Replace(tc.wantErr, tc.path, "/"+mode+tc.path, 1)
					tc.path = "/" + mode + tc.path
				}
				item := plugintest.MustJSON(strings.ReplaceAll(tc.item, "%URL%", srv.URL))
				wantErr := strings.ReplaceAll(tc.wantErr, "%URL%", srv.URL)
				out, err := conn.Run(context.Background(), plugintest.Input{Item: item, DryRun: tc.dryRun})
				if err != nil {
					t.Fatal(err)
				}
				if tc.name == "template syntax" {
					if out.Error == "" {
						t.Fatal("a template syntax error passed validation")
					}
					return
				}
				if !strings.HasPrefix(out.Error, wantErr) || (wantErr == "") != (out.Error == "") {
					t.Fatalf("error = %q, want prefix %q", out.Error, wantErr)
				}
				if len(out.Error) > 600 {
					t.Errorf("error is %d bytes long; the body should be truncated", len(out.Error))
				}
				if tc.notIn != "" {
					all := out.Error + out.Summary
					for _, e := range out.Effects {
						all += e.Target + e.Detail + e.Outcome
					}
					if strings.Contains(all, tc.notIn) {
						t.Errorf("output reveals %q: %s", tc.notIn, all)
					}
				}
				if tc.wantDetail != "" {
					if len(out.Effects) != 1 || out.Effects[0].Detail != tc.wantDetail {
						t.Errorf("effects = %+v, want detail %s", out.Effects, tc.wantDetail)
					}
				}
				if tc.path == "" {
					return
				}
				got := srv.requests(tc.path)
				if tc.wantBody == nil {
					if len(got) != 0 {
						t.Fatalf("server got %d requests, want none", len(got))
					}
					return
				}
				if len(got) != 1 {
					t.Fatalf("server got %d requests, want 1", len(got))
				}
				if diff := cmp.Diff(tc.wantBody, got[0].Body); diff != "" {
					t.Errorf("body (-want +got):\n%s", diff)
				}
				for k, v := range tc.wantHeader {
					if g := got[0].Header.Get(k); g != v {
						t.Errorf("header %s = %q, want %q", k, g, v)
					}
				}
			})
		}
	}
}

func TestDescribe(t *testing.T) {
	t.Parallel()
	d, err := plugintest.InProcess(t, webhook.Action{}).Describe(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range d.Fields {
		names = append(names, f.Name)
	}
	got := []any{d.Type, d.Version, d.Lenient, names}
	want := []any{"webhook", webhook.Version, false, []string{"url", "body", "headers", "timeout"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("description (-want +got):\n%s", diff)
	}
}

// The decimal numbers of a job item are sent as JSON numbers.
func TestDecimalNumbersEncode(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	item := value.NewMap("action", "webhook", "url", srv.URL+"/n", "body", value.NewMap("n", value.MustDecimal("1.50"), "i", value.MustDecimal("7")))
	out, err := plugintest.InProcess(t, webhook.Action{}).Run(context.Background(), plugintest.Input{Item: item})
	if err != nil || out.Error != "" {
		t.Fatalf("run: %v %q", err, out.Error)
	}
	if diff := cmp.Diff(map[string]any{"n": 1.5, "i": 7.0}, srv.requests("/n")[0].Body); diff != "" {
		t.Errorf("body (-want +got):\n%s", diff)
	}
}
