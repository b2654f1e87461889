package slackaction_test

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/lava-actions/lava-actions/sdk"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/google/go-cmp/cmp"
	"github.com/lava-actions/lava-actions/plugins/internal/awstest"
	"github.com/lava-actions/lava-actions/plugins/internal/connections"
	"github.com/lava-actions/lava-actions/plugins/slack/slackaction"
	"github.com/lava-actions/lava-actions/sdk/plugintest"
	"github.com/lava-actions/lava-actions/sdk/value"
	"github.com/slack-go/slack"
)

var env *awstest.Env

func TestMain(m *testing.M) {
	var stop func()
	env, stop = awstest.StartMain()
	code := m.Run()
	stop()
	os.Exit(code)
}

// slackClock is spec 9.0's Slack clock.
var slackClock = time.Unix(1709247600, 700_000_000)

// post is one request the webhook server received.
type post struct {
	Path, ContentType, Body string
}

// hook is an httptest incoming-webhook server. respond decides each
// answer (nil: 200 "ok").
type hook struct {
	*httptest.Server
	mu      sync.Mutex
	posts   []post
	respond func(n int, w http.ResponseWriter, r *http.Request) bool
}

func newHook(t *testing.T, respond func(n int, w http.ResponseWriter, r *http.Request) bool) *hook {
	t.Helper()
	h := &hook{respond: respond}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		h.posts = append(h.posts, post{Path: r.URL.Path, ContentType: r.Header.Get("Content-Type"), Body: string(b)})
		n := len(h.posts)
		h.mu.Unlock()
		if h.respond != nil && h.respond(n, w, r) {
			return
		}
		io.WriteString(w, "ok")
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *hook) Posts() []post {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]post(nil), h.posts...)
}

// world is a fresh realm holding spec 9.10's connections, with webhooks
// on h.
func world(t *testing.T, h *hook, opts slackaction.Options) (*slackaction.Action, plugintest.Input) {
	t.Helper()
	realm := awstest.Unique("dev")
	table := connections.TableName(realm)
	env.CreateTable(t, table, "conn_id")
	for _, item := range []string{
		`{"conn_id": "sl1", "type": "slack", "enabled": true, "webhook_url": "URL/services/T/B/X"}`,
		`{"conn_id": "sl2", "type": "slack", "enabled": true, "webhook_url": "URL/services/T/B/Y", "from": "Lava Bot", "style": "attachment", "colour": "ff0000", "preamble": "<!here>"}`,
		`{"conn_id": "sl3", "type": "slack", "enabled": true, "webhook_url": "URL/services/T/B/Z", "style": "fancy"}`,
		`{"conn_id": "sl4", "type": "slack", "enabled": true}`,
		`{"conn_id": "sl5", "type": "Slack", "enabled": true, "webhook_url": "URL/services/T/B/X"}`,
		`{"conn_id": "sl6", "type": "slack", "enabled": false, "webhook_url": "URL/services/T/B/X"}`,
		`{"conn_id": "sl7", "type": "slack", "enabled": true, "webhook_url": "URL/services/T/B/X", "colour": "good"}`,
	} {
		env.PutItemJSON(t, table, strings.ReplaceAll(item, "URL", h.URL))
	}
	cfg := env.Config
	if opts.AWSConfig == nil {
		opts.AWSConfig = func(context.Context) (aws.Config, error) { return cfg, nil }
	}
	if opts.Now == nil {
		opts.Now = func() time.Time { return slackClock }
	}
	job, realmItem, _ := plugintest.Fixture()
	job.Set("realm", "dev")
	realmItem.Set("realm", realm)
	return slackaction.New(opts), plugintest.Input{Trigger: "on_fail", Job: job, Realm: realmItem}
}

func item(kv ...any) *value.Map {
	return value.NewMap(append([]any{"action", "slack"}, kv...)...)
}

// TestSpec covers spec 9.10 (decisions 0.11 and 0.12 applied) with the
// exact request bodies.
func TestSpec(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("é", 3005)
	cases := []struct {
		name     string
		item     *value.Map
		wantPath string
		wantBody string
		wantErr  string
	}{
		{"K01 block", item("slack_conn", "sl1", "message", "Job {{ job.job_id }} ok"), "/services/T/B/X",
			`{"text": "*lava@REALM*: Job demo/job1 ok", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "*From*: lava@REALM"}}, {"type": "divider"}, {"type": "section", "text": {"type": "mrkdwn", "text": "Job demo/job1 ok"}}, {"type": "context", "elements": [{"type": "mrkdwn", "text": "Event time: <!date^1709247600^{date_short_pretty} at {time}| >"}]}]}`, ""},
		{"K03 connector attachment defaults", item("slack_conn", "sl2", "message", "M", "subject", "S"), "/services/T/B/Y",
			`{"attachments": [{"fallback": "M", "author_name": "Lava Bot", "color": "#ff0000", "text": "M", "footer": "Event time", "ts": 1709247600, "title": "S"}], "text": "<!here>"}`, ""},
		{"K05 attachment defaults", item("slack_conn", "sl1", "style", "attachment", "message", "M"), "/services/T/B/X",
			`{"attachments": [{"fallback": "M", "author_name": "lava@REALM", "color": "#bbbbbb", "text": "M", "footer": "Event time", "ts": 1709247600}]}`, ""},
		{"K07 plain", item("slack_conn", "sl1", "style", "plain", "message", "M"), "/services/T/B/X",
			`{"text": "*lava@REALM*: M"}`, ""},
		{"K17 ASCII escapes", item("slack_conn", "sl1", "style", "plain", "message", "é"), "/services/T/B/X",
			`{"text": "*lava@REALM*: \u00e9"}`, ""},
		{"block with preamble, subject and rendered from", item("slack_conn", "sl1", "message", "M", "subject", "Fail {{ job.run_id }}", "from", "bot-{{ globals.g1 }}", "preamble", "<!channel>"), "/services/T/B/X",
			`{"text": "<!channel> *bot-G1*: *Fail run-0001*: M", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "<!channel>\n*From*: bot-G1\n*Subject*: Fail run-0001"}}, {"type": "divider"}, {"type": "section", "text": {"type": "mrkdwn", "text": "M"}}, {"type": "context", "elements": [{"type": "mrkdwn", "text": "Event time: <!date^1709247600^{date_short_pretty} at {time}| >"}]}]}`, ""},
		{"0.11 named colour kept (action)", item("slack_conn", "sl1", "style", "attachment", "colour", "danger", "message", "M"), "/services/T/B/X",
			`{"attachments": [{"fallback": "M", "author_name": "lava@REALM", "color": "danger", "text": "M", "footer": "Event time", "ts": 1709247600}]}`, ""},
		{"0.11 named colour kept (connector)", item("slack_conn", "sl7", "style", "attachment", "message", "M"), "/services/T/B/X",
			`{"attachments": [{"fallback": "M", "author_name": "lava@REALM", "color": "good", "text": "M", "footer": "Event time", "ts": 1709247600}]}`, ""},
		{"action values win over connector", item("slack_conn", "sl2", "style", "plain", "from", "me", "preamble", "<!channel>", "message", "M"), "/services/T/B/Y",
			`{"text": "<!channel> *me*: M"}`, ""},
		{"empty action values fall back to connector", item("slack_conn", "sl2", "style", "", "colour", "", "from", "", "message", "M"), "/services/T/B/Y",
			`{"attachments": [{"fallback": "M", "author_name": "Lava Bot", "color": "#ff0000", "text": "M", "footer": "Event time", "ts": 1709247600}], "text": "<!here>"}`, ""},
		{"0.12 bad connector style unused", item("slack_conn", "sl3", "style", "plain", "message", "M"), "/services/T/B/Z",
			`{"text": "*lava@REALM*: M"}`, ""},
		{"cuts in code points", item("slack_conn", "sl1", "style", "attachment", "message", long, "subject", strings.Repeat("ü", 260)), "/services/T/B/X",
			`{"attachments": [{"fallback": "` + strings.Repeat(`\u00e9`, 3000) + `", "author_name": "lava@REALM", "color": "#bbbbbb", "text": "` + strings.Repeat(`\u00e9`, 3000) + `", "footer": "Event time", "ts": 1709247600, "title": "` + strings.Repeat(`\u00fc`, 250) + `"}]}`, ""},
		{"0.12 bad connector style used", item("slack_conn", "sl3", "message", "M"), "", "", `Connection "sl3": Bad style fancy`},
		{"K09 bad action style", item("slack_conn", "sl1", "style", "fancy", "message", "M"), "", "", "Bad slack message style: fancy"},
		{"K11 no webhook", item("slack_conn", "sl4", "message", "M"), "", "", "Connection sl4: Missing keys: webhook_url"},
		{"K13 disabled", item("slack_conn", "sl6", "message", "M"), "", "", "Connection sl6: Not enabled"},
		{"K15 extra key", item("slack_conn", "sl1", "message", "M", "channel", "c"), "", "", "Unexpected keys: channel"},
		{"K15 no slack_conn", item("message", "M"), "", "", "Missing keys: slack_conn"},
		{"sl5 type Slack", item("slack_conn", "sl5", "message", "M"), "", "", `Connection "sl5" is not a slack connection`},
		{"no such connection", item("slack_conn", "nope", "message", "M"), "", "", "nope: No such connection"},
		{"template error is jinja's text", item("slack_conn", "sl1", "message", "{{ x.y }}"), "", "", "'x' is undefined"},
		{"empty message", item("slack_conn", "sl1", "message", "{{ job.nope }}"), "", "", "Cannot send slack message: message must be specified"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHook(t, nil)
			a, in := world(t, h, slackaction.Options{})
			in.Item = tc.item
			out, err := plugintest.InProcess(t, a).Run(context.Background(), in)
			if err != nil {
				t.Fatal(err)
			}
			if out.Error != tc.wantErr {
				t.Fatalf("error = %q, want %q", out.Error, tc.wantErr)
			}
			if tc.wantErr != "" {
				if len(h.Posts()) != 0 {
					t.Errorf("posted despite the error: %v", h.Posts())
				}
				return
			}
			realm := in.Realm.String("realm")
			want := []post{{Path: tc.wantPath, ContentType: "application/json", Body: strings.ReplaceAll(tc.wantBody, "REALM", realm)}}
			if diff := cmp.Diff(want, h.Posts()); diff != "" {
				t.Errorf("posts (-want +got):\n%s", diff)
			}
			// The bytes are a valid slack-go webhook message.
			var wm slack.WebhookMessage
			if err := json.Unmarshal([]byte(h.Posts()[0].Body), &wm); err != nil {
				t.Errorf("payload does not decode as slack.WebhookMessage: %v", err)
			}
			if wm.Text == "" && len(wm.Attachments) == 0 {
				t.Errorf("decoded message is empty: %+v", wm)
			}
			for _, e := range out.Effects {
				if strings.Contains(e.Target+e.Detail+e.Outcome, "/services/") {
					t.Errorf("webhook path in effect: %+v", e)
				}
			}
		})
	}
}

// TestHTTP covers the webhook failures: status errors, 429 with
// Retry-After, timeouts, and URL redaction.
func TestHTTP(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name        string
		respond     func(n int, w http.ResponseWriter, r *http.Request) bool
		opts        slackaction.Options
		wantErr     string
		wantPosts   int
		wantRetries int
		minElapsed  time.Duration
	}{
		{"404", func(_ int, w http.ResponseWriter, _ *http.Request) bool {
			w.WriteHeader(404)
			io.WriteString(w, "no_service")
			return true
		}, slackaction.Options{}, "Slack response 404 - no_service", 1, 0, 0},
		{"400 echoing the URL is redacted", func(_ int, w http.ResponseWriter, r *http.Request) bool {
			w.WriteHeader(400)
			fmt.Fprintf(w, "bad request to %s", r.URL.Path)
			return true
		}, slackaction.Options{}, "Slack response 400 - bad request to /<redacted>", 1, 0, 0},
		{"429 then success", func(n int, w http.ResponseWriter, _ *http.Request) bool {
			if n == 1 {
				w.Header().Set("Retry-After", "1")
				w.WriteHeader(429)
				io.WriteString(w, "rate_limited")
				return true
			}
			return false
		}, slackaction.Options{}, "", 2, 1, time.Second},
		{"429 beyond the wait cap", func(_ int, w http.ResponseWriter, _ *http.Request) bool {
			w.Header().Set("Retry-After", "120")
			w.WriteHeader(429)
			io.WriteString(w, "rate_limited")
			return true
		}, slackaction.Options{}, "Slack response 429 - rate_limited", 1, 0, 0},
		{"429 every time", func(_ int, w http.ResponseWriter, _ *http.Request) bool {
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(429)
			io.WriteString(w, "rate_limited")
			return true
		}, slackaction.Options{}, "Slack response 429 - rate_limited", slackaction.MaxAttempts, slackaction.MaxAttempts - 1, 0},
		{"timeout", func(_ int, w http.ResponseWriter, r *http.Request) bool {
			select {
			case <-r.Context().Done():
			case <-time.After(3 * time.Second):
			}
			return false
		}, slackaction.Options{Timeout: 200 * time.Millisecond}, "Slack request failed: timed out after 200ms", 1, 0, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHook(t, tc.respond)
			a, in := world(t, h, tc.opts)
			in.Item = item("slack_conn", "sl1", "style", "plain", "message", "M")
			start := time.Now()
			out, err := plugintest.InProcess(t, a).Run(context.Background(), in)
			if err != nil {
				t.Fatal(err)
			}
			if out.Error != tc.wantErr {
				t.Fatalf("error = %q, want %q", out.Error, tc.wantErr)
			}
			if got := len(h.Posts()); got != tc.wantPosts {
				t.Errorf("posts = %d, want %d", got, tc.wantPosts)
			}
			if out.Retries != tc.wantRetries {
				t.Errorf("retries = %d, want %d", out.Retries, tc.wantRetries)
			}
			if el := time.Since(start); el < tc.minElapsed || el > 10*time.Second {
				t.Errorf("took %s", el)
			}
			if strings.Contains(out.Error, h.URL) || strings.Contains(out.Error, "/services/") {
				t.Errorf("webhook URL in error %q", out.Error)
			}
			for _, l := range out.Logs {
				if strings.Contains(fmt.Sprint(l), "/services/") {
					t.Errorf("webhook URL in log %+v", l)
				}
			}
		})
	}
}

func TestDryRunPostsNothing(t *testing.T) {
	t.Parallel()
	h := newHook(t, nil)
	a, in := world(t, h, slackaction.Options{})
	in.Item = item("slack_conn", "sl2", "message", "M")
	in.DryRun = true
	out, err := plugintest.InProcess(t, a).Run(context.Background(), in)
	if err != nil || out.Error != "" {
		t.Fatalf("%v %q", err, out.Error)
	}
	if len(h.Posts()) != 0 {
		t.Errorf("dry run posted %v", h.Posts())
	}
	want := []sdk.Effect{{Operation: "slack:PostWebhook", Target: h.URL + "/<redacted>",
		Detail: `{"attachments": [{"fallback": "M", "author_name": "Lava Bot", "color": "#ff0000", "text": "M", "footer": "Event time", "ts": 1709247600}], "text": "<!here>"}`}}
	if diff := cmp.Diff(want, out.Effects); diff != "" {
		t.Errorf("effects (-want +got):\n%s", diff)
	}
}

func TestColour(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"good": "good", "warning": "warning", "danger": "danger", "ff0000": "#ff0000", "#abc": "#abc", "Good": "#Good"} {
		if got := slackaction.Colour(in); got != want {
			t.Errorf("Colour(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestSubprocess runs the real plugin executable against kumo and the
// webhook server.
func TestSubprocess(t *testing.T) {
	t.Parallel()
	h := newHook(t, nil)
	_, in := world(t, h, slackaction.Options{})
	conn := plugintest.Exec(t, plugintest.Build(t, "github.com/lava-actions/lava-actions/plugins/slack", "slack"), env.PluginEnv()...)
	in.Item = item("slack_conn", "sl1", "style", "plain", "message", "Job {{ job.job_id }} é")
	out, err := conn.Run(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if out.Error != "" {
		t.Fatal(out.Error)
	}
	posts := h.Posts()
	if len(posts) != 1 {
		t.Fatalf("posts = %v", posts)
	}
	if want := `{"text": "*lava@` + in.Realm.String("realm") + `*: Job demo/job1 \u00e9"}`; posts[0].Body != want {
		t.Errorf("body = %s, want %s", posts[0].Body, want)
	}
	in.Item = item("slack_conn", "sl1", "message", "M", "bogus", 1)
	if out, err := conn.Run(context.Background(), in); err != nil || out.Error != "Unexpected keys: bogus" {
		t.Errorf("validation: %v %+v", err, out)
	}
}
