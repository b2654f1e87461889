// Package slackaction implements lava's slack action (lava spec 3.6 and
// 4.3, with project decisions 0.11, 0.12 and 0.16): it renders a message,
// builds a block, attachment or plain payload and POSTs it to the incoming
// webhook of a lava slack connection.
//
// The webhook URL is a secret: it never appears in an error, a log record or
// a dry-run report (reports show only its scheme and host).
package slackaction

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/lava-actions/lava-actions/plugins/internal/awsx"
	"github.com/lava-actions/lava-actions/plugins/internal/connections"
	"github.com/lava-actions/lava-actions/sdk"
	"github.com/lava-actions/lava-actions/sdk/value"
	"github.com/slack-go/slack"
)

// Version is the plugin version.
const Version = "1.0.0"

// Defaults of spec 3.6 and the HTTP limits.
const (
	DefaultColour  = "#bbbbbb"
	DefaultStyle   = "block"
	DefaultTimeout = 10 * time.Second
	// MaxMessage and MaxSubject are the cuts, in code points, after rendering.
	MaxMessage = 3000
	MaxSubject = 250
	// MaxRetryWait caps the total time spent waiting on 429 Retry-After.
	MaxRetryWait = 30 * time.Second
	// MaxAttempts bounds the POSTs of one message (first included).
	MaxAttempts = 3
)

// Options configure an Action. The zero value is what the plugin uses.
type Options struct {
	// AWSConfig returns the AWS configuration; default awsx.Config.
	AWSConfig func(ctx context.Context) (aws.Config, error)
	// Now is the clock for the payload's ts; default time.Now.
	Now func() time.Time
	// Timeout overrides DefaultTimeout for each POST.
	Timeout time.Duration
	// MaxRetryWait overrides MaxRetryWait.
	MaxRetryWait time.Duration
	// HTTPClient overrides the HTTP client (its Timeout is replaced).
	HTTPClient *http.Client
}

// Action is the slack action. Build it with New; it is safe for concurrent
// use and keeps its clients for the life of the process.
type Action struct {
	opts Options
	http *http.Client

	once    sync.Once
	initErr error
	store   *connections.Store
}

// New returns a slack action.
func New(o Options) *Action {
	if o.AWSConfig == nil {
		o.AWSConfig = awsx.Config
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxRetryWait <= 0 {
		o.MaxRetryWait = MaxRetryWait
	}
	hc := &http.Client{}
	if o.HTTPClient != nil {
		c := *o.HTTPClient
		hc = &c
	}
	hc.Timeout = o.Timeout
	// Never follow a redirect: the Location could be logged by a proxy,
	// and a webhook does not redirect.
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &Action{opts: o, http: hc}
}

// Describe declares the fields of lava's slack action. Unknown keys are an
// error (Unexpected keys: …).
func (a *Action) Describe() sdk.Description {
	return sdk.Description{
		Type:    "slack",
		Version: Version,
		Summary: "Post a message to Slack through a lava slack connection's incoming webhook.",
		Fields: []sdk.Field{
			{Name: "slack_conn", Required: true, Kind: sdk.KindString, Doc: "lava slack connection id; not rendered."},
			{Name: "message", Required: true, Kind: sdk.KindString, Render: sdk.RenderText, Doc: "Message template; cut to 3000 characters."},
			{Name: "subject", Kind: sdk.KindString, Render: sdk.RenderText, Doc: "Subject template; cut to 250 characters."},
			{Name: "from", Kind: sdk.KindString, Render: sdk.RenderText, Doc: "Sender template (default: connection, then lava@<realm>)."},
			{Name: "style", Kind: sdk.KindString, Doc: "block, attachment or plain; not rendered."},
			{Name: "colour", Kind: sdk.KindString, Doc: "Attachment colour: good, warning, danger or a hex colour; not rendered."},
			{Name: "preamble", Kind: sdk.KindString, Doc: "Text put first, e.g. <!here>; not rendered."},
		},
		Capabilities: []string{"dry-run"},
	}
}

// Validate checks the action's own style, which needs nothing but the item.
func (a *Action) Validate(_ context.Context, req *sdk.Request) error {
	if s := req.Item.String("style"); s != "" && !connections.ValidStyle(s) {
		return fmt.Errorf("Bad slack message style: %s", s)
	}
	return nil
}

func (a *Action) init(ctx context.Context) error {
	a.once.Do(func() {
		cfg, err := a.opts.AWSConfig(ctx)
		if err != nil {
			a.initErr = err
			return
		}
		a.store = connections.NewStore(cfg)
	})
	return a.initErr
}

// Message is a resolved Slack message.
type Message struct {
	Sender, Subject, Text, Style, Colour, Preamble string
	// TS is the event time, integer Unix seconds.
	TS int64
}

// cut keeps the first n code points of s.
func cut(s string, n int) string {
	i := 0
	for j := range s {
		if i == n {
			return s[:j]
		}
		i++
	}
	return s
}

// Colour applies decision 0.11: Slack's named colours good, warning and
// danger are kept; anything else gets a leading # if it has none.
func Colour(c string) string {
	switch c {
	case "good", "warning", "danger":
		return c
	}
	if !strings.HasPrefix(c, "#") {
		return "#" + c
	}
	return c
}

func firstOf(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

// Execute renders the item, loads the connection and posts the message
// (or, in a dry run, reports the payload it would post).
func (a *Action) Execute(ctx context.Context, req *sdk.Request) (*sdk.Result, error) {
	item := req.Item
	var from, subject string
	var err error
	if item.Has("from") {
		if from, err = req.Render(item.String("from")); err != nil {
			return nil, err
		}
	}
	if item.Has("subject") {
		if subject, err = req.Render(item.String("subject")); err != nil {
			return nil, err
		}
	}
	text, err := req.Render(item.String("message"))
	if err != nil {
		return nil, err
	}
	if err := a.init(ctx); err != nil {
		return nil, err
	}
	conn, err := a.store.Slack(ctx, req.RealmName(), item.String("slack_conn"))
	if err != nil {
		return nil, err
	}
	msg := Message{
		Sender:   firstOf(from, conn.From, "lava@"+req.RealmName()),
		Subject:  cut(subject, MaxSubject),
		Text:     cut(text, MaxMessage),
		Colour:   Colour(firstOf(item.String("colour"), conn.Colour, DefaultColour)),
		Preamble: firstOf(item.String("preamble"), conn.Preamble),
		TS:       a.opts.Now().Unix(),
	}
	if msg.Text == "" {
		return nil, errors.New("Cannot send slack message: message must be specified")
	}
	switch {
	case item.String("style") != "":
		msg.Style = item.String("style")
	case conn.Style != "":
		if !connections.ValidStyle(conn.Style) {
			return nil, conn.StyleError()
		}
		msg.Style = conn.Style
	default:
		msg.Style = DefaultStyle
	}
	payload, err := Payload(msg)
	if err != nil {
		return nil, err
	}
	target := redact(conn.WebhookURL)
	eff := sdk.Effect{Operation: "slack:PostWebhook", Target: target, Detail: sdk.EncodeDetail(payload)}
	if req.DryRun {
		return &sdk.Result{Summary: fmt.Sprintf("would post a %s message to Slack connection %s", msg.Style, conn.ID), Effects: []sdk.Effect{eff}}, nil
	}
	body, err := value.EncodeJSON(payload, value.EncodeOptions{})
	if err != nil {
		return nil, err
	}
	outcome, retries, err := a.post(ctx, req, conn.WebhookURL, []byte(body))
	if err != nil {
		return &sdk.Result{Retries: retries}, err
	}
	eff.Outcome = outcome
	return &sdk.Result{Summary: fmt.Sprintf("posted a %s message to Slack connection %s", msg.Style, conn.ID),
		Effects: []sdk.Effect{eff}, Retries: retries}, nil
}

// Payload builds the webhook payload of spec 3.6 for m.Style.
//
// It is built with the value model, not with slack-go's structs, and is
// encoded with value.EncodeJSON: the spec fixes the exact bytes (lava's
// Python json.dumps: ", " and ": " separators, \uXXXX escapes for
// non-ASCII, key order fallback/author_name/color/text/footer/ts/title and
// text-before-blocks), while encoding/json over slack.WebhookMessage and
// slack.Attachment writes compact separators, raw UTF-8, the structs' own
// field order (color first), a ts string and always replace_original and
// delete_original. slack-go supplies the block and text type names; tests
// check the bytes decode into slack.WebhookMessage.
func Payload(m Message) (*value.Map, error) {
	var plain []string
	for _, p := range []string{m.Preamble, "*" + m.Sender + "*:", subjectPart(m.Subject), m.Text} {
		if p != "" {
			plain = append(plain, p)
		}
	}
	plainText := strings.Join(plain, " ")
	switch m.Style {
	case "block":
		var head []string
		for _, p := range []string{m.Preamble, "*From*: " + m.Sender, subjectLine(m.Subject)} {
			if p != "" {
				head = append(head, p)
			}
		}
		mrkdwn := func(s string) *value.Map {
			return value.NewMap("type", slack.MarkdownType, "text", s)
		}
		return value.NewMap(
			"text", plainText,
			"blocks", []any{
				value.NewMap("type", string(slack.MBTSection), "text", mrkdwn(strings.Join(head, "\n"))),
				value.NewMap("type", string(slack.MBTDivider)),
				value.NewMap("type", string(slack.MBTSection), "text", mrkdwn(m.Text)),
				value.NewMap("type", string(slack.MBTContext), "elements", []any{
					mrkdwn(fmt.Sprintf("Event time: <!date^%d^{date_short_pretty} at {time}| >", m.TS)),
				}),
			},
		), nil
	case "attachment":
		att := value.NewMap("fallback", m.Text, "author_name", m.Sender, "color", m.Colour, "text", m.Text,
			"footer", "Event time", "ts", m.TS)
		if m.Subject != "" {
			att.Set("title", m.Subject)
		}
		p := value.NewMap("attachments", []any{att})
		if m.Preamble != "" {
			p.Set("text", m.Preamble)
		}
		return p, nil
	case "plain":
		return value.NewMap("text", plainText), nil
	}
	return nil, fmt.Errorf("Bad slack message style: %s", m.Style)
}

func subjectPart(s string) string {
	if s == "" {
		return ""
	}
	return "*" + s + "*:"
}

func subjectLine(s string) string {
	if s == "" {
		return ""
	}
	return "*Subject*: " + s
}

// redact shows a webhook URL as its scheme and host only.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return "<redacted>"
	}
	return u.Scheme + "://" + u.Host + "/<redacted>"
}

// post sends body, honouring 429 Retry-After within MaxAttempts and
// MaxRetryWait (and ctx, and the request deadline). Errors never contain
// the webhook URL.
func (a *Action) post(ctx context.Context, req *sdk.Request, webhook string, body []byte) (string, int, error) {
	waited := time.Duration(0)
	retries := 0
	for attempt := 1; ; attempt++ {
		status, respBody, retryAfter, err := a.postOnce(ctx, webhook, body)
		if err != nil {
			return "", retries, err
		}
		if status < 400 {
			return fmt.Sprintf("%d %s", status, respBody), retries, nil
		}
		fail := fmt.Errorf("Slack response %d - %s", status, respBody)
		if status != http.StatusTooManyRequests || attempt >= MaxAttempts {
			return "", retries, fail
		}
		wait := retryAfter
		if wait < 0 {
			wait = time.Second
		}
		if waited+wait > a.opts.MaxRetryWait {
			return "", retries, fail
		}
		if !req.Deadline.IsZero() && time.Now().Add(wait).After(req.Deadline) {
			return "", retries, fail
		}
		req.Logger().WarnContext(ctx, "Slack rate limit; retrying", "retry_after_seconds", wait.Seconds(), "attempt", attempt)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return "", retries, fmt.Errorf("Slack request cancelled while waiting to retry: %v", ctx.Err())
		case <-t.C:
		}
		waited += wait
		retries++
	}
}

// maxBody bounds the response body kept for an error text.
const maxBody = 4096

func (a *Action) postOnce(ctx context.Context, webhook string, body []byte) (int, string, time.Duration, error) {
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, webhook, bytes.NewReader(body))
	if err != nil {
		return 0, "", 0, errors.New("Slack request failed: bad webhook URL")
	}
	hr.Header.Set("Content-Type", "application/json")
	resp, err := a.http.Do(hr)
	if err != nil {
		return 0, "", 0, fmt.Errorf("Slack request failed: %s", a.transportText(err, webhook))
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	text := scrub(string(b), webhook)
	retryAfter := time.Duration(-1)
	if s := strings.TrimSpace(resp.Header.Get("Retry-After")); s != "" {
		if n, err := strconv.Atoi(s); err == nil && n >= 0 {
			retryAfter = time.Duration(n) * time.Second
		} else if t, err := http.ParseTime(s); err == nil {
			retryAfter = max(time.Until(t), 0)
		}
	}
	return resp.StatusCode, text, retryAfter, nil
}

// transportText words a transport error without the URL.
func (a *Action) transportText(err error, webhook string) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return fmt.Sprintf("timed out after %s", a.opts.Timeout)
	}
	if errors.Is(err, context.Canceled) {
		return "cancelled"
	}
	return scrub(err.Error(), webhook)
}

// scrub removes the webhook URL from text: the whole URL, its path and
// query, and each path segment on its own (a Slack webhook's team, channel
// and token), so that an echo of any part of it cannot reach an error.
func scrub(text, webhook string) string {
	text = strings.ReplaceAll(text, webhook, "<redacted>")
	u, err := url.Parse(webhook)
	if err != nil {
		return text
	}
	if len(u.Path) > 1 {
		text = strings.ReplaceAll(text, u.Path, "/<redacted>")
	}
	if u.RawQuery != "" {
		text = strings.ReplaceAll(text, u.RawQuery, "<redacted>")
	}
	for _, seg := range strings.Split(u.Path, "/") {
		// Short segments ("services", "hooks") are not secret and would
		// scramble ordinary words.
		if len(seg) >= 6 && seg != "services" {
			text = strings.ReplaceAll(text, seg, "<redacted>")
		}
	}
	return text
}
