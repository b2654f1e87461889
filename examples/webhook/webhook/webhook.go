// Package webhook is an example third-party lava action type, "webhook",
// written with the lava-actions SDK only: it POSTs a JSON body to an HTTP
// endpoint when a job's action list runs.
//
// An action item:
//
//	{"action": "webhook",
//	 "url": "https://hooks.example.com/lava",      // required, not rendered
//	 "body": {"job": "{{ job.job_id }}"},         // map (every string rendered) or JSON text (rendered)
//	 "headers": {"Authorization": "Bearer {{ realm.config.hook_token }}"},  // values rendered
//	 "timeout": "10s"}                             // lava duration, default 10s
//
// Without body, the body is {"job_id", "run_id", "realm", "trigger"}. An
// HTTP status of 400 or more is an action error that quotes the status and
// the start of the response body. A dry run reports the request and sends
// nothing. The URL's query string and user info, and the values of
// credential-like headers, never appear in reports or errors.
package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lava-actions/lava-actions/sdk"
	"github.com/lava-actions/lava-actions/sdk/value"
)

// Version is the plugin version.
const Version = "0.1.0"

// DefaultTimeout bounds a request when the item has no timeout.
const DefaultTimeout = 10 * time.Second

// maxErrorBody is how much of an error response body an error quotes.
const maxErrorBody = 256

// Action is the webhook action. The zero value is ready to use.
type Action struct {
	// Client sends the requests; nil means a client with the default
	// transport (which honours the proxy variables).
	Client *http.Client
}

var defaultClient = &http.Client{}

// Describe declares the webhook fields.
func (Action) Describe() sdk.Description {
	return sdk.Description{
		Type:    "webhook",
		Version: Version,
		Summary: "POST a JSON body to an HTTP endpoint.",
		Fields: []sdk.Field{
			{Name: "url", Required: true, Kind: sdk.KindString, Doc: "http or https URL to POST to; not rendered."},
			{Name: "body", Kind: sdk.KindStringOrMap, Render: sdk.RenderStructural,
				Doc: "A map whose strings (keys included) are rendered and sent as JSON, or a template rendering to JSON text."},
			{Name: "headers", Kind: sdk.KindMap, Render: sdk.RenderEach, Doc: "Extra request headers; values are rendered."},
			{Name: "timeout", Kind: sdk.KindDuration, Doc: "Request timeout as a lava duration (default 10s)."},
		},
		Capabilities: []string{"dry-run"},
	}
}

// Validate checks what the declared fields cannot: the URL's scheme and
// host, header names and values, and the timeout.
func (Action) Validate(_ context.Context, req *sdk.Request) error {
	if _, err := parseURL(req.Item.String("url")); err != nil {
		return err
	}
	var err error
	req.Item.Map("headers").Range(func(k string, v any) bool {
		if !validHeaderName(k) {
			err = fmt.Errorf("headers: invalid header name %q", k)
		} else if _, ok := v.(string); !ok {
			err = fmt.Errorf("headers: %s must be a string", k)
		}
		return err == nil
	})
	if err != nil {
		return err
	}
	_, err = timeout(req.Item)
	return err
}

// Execute renders the request and POSTs it, or in a dry run reports it.
func (a Action) Execute(ctx context.Context, req *sdk.Request) (*sdk.Result, error) {
	u, err := parseURL(req.Item.String("url"))
	if err != nil {
		return nil, err
	}
	target := redactURL(u)
	body, shown, err := renderBody(req)
	if err != nil {
		return nil, err
	}
	headers, err := renderHeaders(req)
	if err != nil {
		return nil, err
	}
	wait, err := timeout(req.Item)
	if err != nil {
		return nil, err
	}
	shownHeaders := value.NewMap()
	for _, k := range headers.Keys() {
		shownHeaders.Set(k, redactHeader(k, headers.String(k)))
	}
	eff := sdk.Effect{Operation: "http:POST", Target: target, Detail: sdk.EncodeDetail(value.NewMap("headers", shownHeaders, "body", shown))}
	if req.DryRun {
		return &sdk.Result{Summary: "would POST to " + target, Effects: []sdk.Effect{eff}}, nil
	}

	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("POST %s: %w", target, err)
	}
	hreq.Header.Set("Content-Type", "application/json")
	hreq.Header.Set("User-Agent", "lava-action-webhook/"+Version)
	for _, k := range headers.Keys() {
		hreq.Header.Set(k, headers.String(k))
	}
	client := a.Client
	if client == nil {
		client = defaultClient
	}
	resp, err := client.Do(hreq)
	if err != nil {
		return &sdk.Result{Effects: []sdk.Effect{eff}}, fmt.Errorf("POST %s: %s", target, transportError(ctx, err, wait))
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	eff.Outcome = "HTTP " + resp.Status
	res := &sdk.Result{Summary: fmt.Sprintf("POST %s: HTTP %s", target, resp.Status), Effects: []sdk.Effect{eff}}
	if resp.StatusCode >= 400 {
		msg := fmt.Sprintf("POST %s: HTTP %s", target, resp.Status)
		if excerpt := truncate(data, maxErrorBody); excerpt != "" {
			msg += ": " + excerpt
		}
		return res, errors.New(msg)
	}
	return res, nil
}

// renderBody returns the request body and its form for display.
func renderBody(req *sdk.Request) (body []byte, shown any, err error) {
	src, ok := req.Item.Get("body")
	if !ok {
		src = value.NewMap("job_id", "{{ job.job_id }}", "run_id", "{{ job.run_id }}",
			"realm", "{{ realm.realm }}", "trigger", req.Trigger)
	}
	rendered, err := req.RenderValue(src)
	if err != nil {
		return nil, nil, fmt.Errorf("body: %w", err)
	}
	if text, isText := rendered.(string); isText {
		v, err := value.DecodeJSON([]byte(text), value.PythonNumbers)
		if err != nil {
			return nil, nil, fmt.Errorf("body must render to JSON text: %w", err)
		}
		return []byte(text), v, nil
	}
	s, err := value.EncodeJSON(rendered, value.EncodeOptions{DecimalAsNumber: true, DateTimeAsISO: true})
	if err != nil {
		return nil, nil, fmt.Errorf("body: %w", err)
	}
	return []byte(s), rendered, nil
}

// renderHeaders renders each header value.
func renderHeaders(req *sdk.Request) (*value.Map, error) {
	out := value.NewMap()
	var err error
	req.Item.Map("headers").Range(func(k string, v any) bool {
		s, _ := v.(string)
		var r string
		if r, err = req.Render(s); err != nil {
			err = fmt.Errorf("headers: %s: %w", k, err)
			return false
		}
		if strings.ContainsAny(r, "\r\n") {
			err = fmt.Errorf("headers: %s must not render to more than one line", k)
			return false
		}
		out.Set(k, r)
		return true
	})
	return out, err
}

func timeout(item *value.Map) (time.Duration, error) {
	v, ok := item.Get("timeout")
	if !ok {
		return DefaultTimeout, nil
	}
	secs, err := sdk.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("timeout: %w", err)
	}
	if secs <= 0 || secs > 3600 {
		return 0, errors.New("timeout must be more than 0 and at most 1h")
	}
	return time.Duration(secs * float64(time.Second)), nil
}

func parseURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("url must be an http or https URL")
	}
	return u, nil
}

// redactURL drops the user info and replaces the query, which may hold
// credentials.
func redactURL(u *url.URL) string {
	r := *u
	r.User = nil
	r.Fragment = ""
	if r.RawQuery != "" {
		r.RawQuery = "REDACTED"
	}
	return r.String()
}

// redactHeader hides the values of credential-like headers.
func redactHeader(name, v string) string {
	n := strings.ToLower(name)
	for _, s := range []string{"auth", "token", "secret", "key", "cookie", "signature", "password"} {
		if strings.Contains(n, s) {
			return "REDACTED"
		}
	}
	return v
}

// transportError words a failed request without the URL (which may hold
// credentials).
func transportError(ctx context.Context, err error, wait time.Duration) string {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Sprintf("no answer within %s", wait)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return err.Error()
}

// truncate returns the start of a response body on one line.
func truncate(data []byte, n int) string {
	s := strings.Join(strings.Fields(strings.ToValidUTF8(string(data), "\uFFFD")), " ")
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r > 0x7e || r <= ' ' || strings.ContainsRune(`"(),/:;<=>?@[\]{}`, r) {
			return false
		}
	}
	return true
}

// The SDK contract, checked at compile time.
var (
	_ sdk.Action    = Action{}
	_ sdk.Validator = Action{}
)
