// Package emailaction implements lava's email action (lava spec 3.5 and
// 4.2, with project decisions 0.13–0.16).
//
// Without email_conn the message goes through bare SES (SendEmail, one
// text or HTML body). With email_conn the lava connection decides: SES
// (SendRawEmail of a MIME message built with go-mail) or SMTP (implicit TLS
// on port 465, STARTTLS when tls is true on other ports, AUTH when user is
// set, password from SSM). Attachments, local files or s3://bucket/key, are
// only allowed with a connection.
//
// Configuration keys (LAVA_<KEY> or the realm's config map):
//
//	SES_REGION                 default SES region (us-east-1)
//	SES_FROM                   default sender (bare SES and SES connections)
//	SES_CONFIGURATION_SET      configuration set of SES connections
//	EMAIL_MAX_ATTACHMENTS      most attachments per message (5)
//	EMAIL_MAX_ATTACHMENT_SIZE  largest attachment (2M = 2,000,000 bytes)
//	EMAIL_MAX_SIZE             largest whole message (5M)
//	EMAIL_ATTACHMENT_DIR       when set, local attachments must resolve
//	                           (symlinks followed) inside this directory;
//	                           relative names are taken from it
//	SMTP_CA_FILE               PEM file of extra CA certificates trusted for
//	                           SMTP TLS (added to the system pool)
//	SMTP_TLS_INSECURE          "true" skips SMTP certificate verification
//	                           (tests and private relays only)
package emailaction

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/ses"
	"github.com/aws/smithy-go"
	"github.com/lava-actions/lava-actions/plugins/internal/awsx"
	"github.com/lava-actions/lava-actions/plugins/internal/connections"
	"github.com/lava-actions/lava-actions/sdk"
	"github.com/lava-actions/lava-actions/sdk/value"
)

// Version is the plugin version.
const Version = "1.0.0"

// DefaultSMTPTimeout bounds each SMTP step (connect, each command, the
// message upload), as lava's 10 s socket timeout does.
const DefaultSMTPTimeout = 10 * time.Second

// Options configure an Action. The zero value is what the plugin uses.
type Options struct {
	// AWSConfig returns the AWS configuration; default awsx.Config.
	AWSConfig func(ctx context.Context) (aws.Config, error)
	// SMTPTimeout overrides DefaultSMTPTimeout (tests use a short one).
	SMTPTimeout time.Duration
	// Dial opens the TCP connection to an SMTP server; default net.Dialer.
	// TLS is layered on top by the action. Tests use it to reach a local
	// server for a connection whose host and port are those of the spec.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// Action is the email action. Build it with New; it is safe for concurrent
// use and keeps its AWS clients for the life of the process.
type Action struct {
	opts Options

	once    sync.Once
	initErr error
	cfg     aws.Config
	store   *connections.Store
	s3      *s3.Client

	mu  sync.Mutex
	ses map[string]*ses.Client
}

// New returns an email action.
func New(o Options) *Action {
	if o.AWSConfig == nil {
		o.AWSConfig = awsx.Config
	}
	if o.SMTPTimeout <= 0 {
		o.SMTPTimeout = DefaultSMTPTimeout
	}
	return &Action{opts: o, ses: map[string]*ses.Client{}}
}

// Describe declares the fields of lava's email action. Unknown keys are an
// error (Unexpected keys: …).
func (a *Action) Describe() sdk.Description {
	return sdk.Description{
		Type:    "email",
		Version: Version,
		Summary: "Send an email through SES or a lava email connection (SES or SMTP).",
		Fields: []sdk.Field{
			{Name: "to", Required: true, Kind: sdk.KindStrings, Doc: "Recipient address or list of addresses; not rendered."},
			{Name: "subject", Required: true, Kind: sdk.KindString, Render: sdk.RenderText, Doc: "Subject template."},
			{Name: "message", Required: true, Kind: sdk.KindString, Render: sdk.RenderText,
				Doc: "Body template; HTML when it starts (after white space) with <html or <!DOCTYPE html, any case."},
			{Name: "from", Kind: sdk.KindString, Doc: "Sender; not rendered."},
			{Name: "region", Kind: sdk.KindString, Doc: "SES region (bare SES only)."},
			{Name: "email_conn", Kind: sdk.KindString, Doc: "lava email connection id; not rendered."},
			{Name: "attachments", Kind: sdk.KindList, Render: sdk.RenderEach,
				Doc: "Local paths or s3://bucket/key; each rendered; needs email_conn."},
		},
		Capabilities: []string{"dry-run"},
	}
}

func (a *Action) init(ctx context.Context) error {
	a.once.Do(func() {
		a.cfg, a.initErr = a.opts.AWSConfig(ctx)
		if a.initErr != nil {
			return
		}
		a.store = connections.NewStore(a.cfg)
		// Emulators and VPC endpoints need path-style bucket addressing.
		custom := awsx.EndpointOverridden(a.cfg, "S3")
		a.s3 = s3.NewFromConfig(a.cfg, func(o *s3.Options) { o.UsePathStyle = custom })
	})
	return a.initErr
}

func (a *Action) sesClient(region string) *ses.Client {
	a.mu.Lock()
	defer a.mu.Unlock()
	c, ok := a.ses[region]
	if !ok {
		c = ses.NewFromConfig(a.cfg, func(o *ses.Options) { o.Region = region })
		a.ses[region] = c
	}
	return c
}

// limits are the EMAIL_MAX_* configuration values.
type limits struct {
	attachments         int
	attachmentSize, all int64
}

func readLimits(cfg sdk.Config) (limits, error) {
	var l limits
	var err error
	if l.attachments, err = cfg.ConfigInt("EMAIL_MAX_ATTACHMENTS", 5); err != nil {
		return l, err
	}
	for _, s := range []struct {
		key, def string
		dst      *int64
	}{{"EMAIL_MAX_ATTACHMENT_SIZE", "2M", &l.attachmentSize}, {"EMAIL_MAX_SIZE", "5M", &l.all}} {
		if *s.dst, err = sdk.ParseSize(cfg.Get(s.key, s.def)); err != nil {
			return l, fmt.Errorf("config %s: %v", s.key, err)
		}
	}
	return l, nil
}

// recipients returns the to field as a list.
func recipients(item *value.Map) []string {
	switch t := mustGet(item, "to").(type) {
	case string:
		if t == "" {
			return nil
		}
		return []string{t}
	case []any:
		out := make([]string, 0, len(t))
		for _, e := range t {
			s, _ := e.(string)
			out = append(out, s)
		}
		return out
	}
	return nil
}

func mustGet(m *value.Map, k string) any {
	v, _ := m.Get(k)
	return v
}

// Validate makes the checks that need nothing but the item and the
// configuration, so that nothing of the list is sent when one fails:
// attachments without email_conn, attachment names and count, recipients,
// the connector path's addresses, and the EMAIL_* / SMTP_* configuration values.
func (a *Action) Validate(_ context.Context, req *sdk.Request) error {
	item := req.Item
	att := mustGet(item, "attachments")
	if !value.Truthy(mustGet(item, "email_conn")) && value.Truthy(att) {
		return errors.New("email_conn must be specified to enable attachments")
	}
	lim, err := readLimits(req.Config)
	if err != nil {
		return err
	}
	if list, ok := att.([]any); ok {
		for _, e := range list {
			if _, ok := e.(string); !ok {
				return errors.New("attachments must be a list of strings")
			}
		}
		if len(list) > lim.attachments {
			return fmt.Errorf("Too many email attachments (max %d)", lim.attachments)
		}
	}
	to := recipients(item)
	if len(to) == 0 {
		return errors.New("No recipients specified for email")
	}
	if value.Truthy(mustGet(item, "email_conn")) {
		// The connector path writes the addresses into MIME headers and
		// SMTP commands, so they must parse; bare SES leaves them to SES.
		for _, r := range to {
			if _, err := mail.ParseAddress(r); err != nil {
				return fmt.Errorf("Bad email address: %s", r)
			}
		}
		if from := item.String("from"); from != "" {
			if _, err := mail.ParseAddress(from); err != nil {
				return fmt.Errorf("Bad email address: %s", from)
			}
		}
	}
	_, err = smtpTLSSettings(req.Config)
	return err
}

// htmlRE is decision 0.13's one HTML rule.
var htmlRE = regexp.MustCompile(`(?i)^\s*(<html|<!doctype\s+html)`)

// IsHTML reports whether message is sent as text/html.
func IsHTML(message string) bool { return htmlRE.MatchString(message) }

var errNoContent = errors.New("Cannot send email: subject and message must be specified")

// Execute renders subject and message and sends the email (or, in a dry
// run, reports the request it would make).
// Retried AWS call attempts are reported in Result.Retries, failures included.
func (a *Action) Execute(ctx context.Context, req *sdk.Request) (*sdk.Result, error) {
	ctx, retries := awsx.CountRetries(ctx)
	res, err := a.execute(ctx, req)
	return awsx.WithRetries(res, retries), err
}

// execute is Execute without the retry count.
func (a *Action) execute(ctx context.Context, req *sdk.Request) (*sdk.Result, error) {
	item := req.Item
	subject, err := req.Render(item.String("subject"))
	if err != nil {
		return nil, err
	}
	message, err := req.Render(item.String("message"))
	if err != nil {
		return nil, err
	}
	if err := a.init(ctx); err != nil {
		return nil, err
	}
	to := recipients(item)
	if value.Truthy(mustGet(item, "email_conn")) {
		return a.viaConnection(ctx, req, item.String("email_conn"), to, subject, message)
	}
	return a.bareSES(ctx, req, to, subject, message)
}

// bareSES is spec 3.5's path without a connection.
func (a *Action) bareSES(ctx context.Context, req *sdk.Request, to []string, subject, message string) (*sdk.Result, error) {
	if subject == "" || message == "" {
		return nil, errNoContent
	}
	item := req.Item
	region := item.String("region")
	if region == "" {
		region = req.Config.Get("SES_REGION", "us-east-1")
	}
	if region == "" {
		region = "us-east-1"
	}
	client := a.sesClient(region)
	res := &sdk.Result{}
	sender := req.Config.Get("SES_FROM", "")
	if item.Has("from") {
		sender = item.String("from")
	}
	if sender == "" {
		out, err := client.ListIdentities(ctx, &ses.ListIdentitiesInput{IdentityType: "Domain"})
		if err != nil {
			return nil, errors.New(awsx.ErrorText(err))
		}
		eff := sdk.Effect{Operation: "ses:ListIdentities", Target: region, Detail: sdk.EncodeDetail(value.NewMap("IdentityType", "Domain"))}
		if len(out.Identities) == 0 {
			return nil, errors.New("No verified SES domains")
		}
		eff.Outcome = out.Identities[0]
		res.Effects = append(res.Effects, eff)
		sender = "lava." + req.RealmName() + "@" + out.Identities[0]
	}
	bodyKind := "Text"
	if IsHTML(message) {
		bodyKind = "Html"
	}
	toList := make([]any, len(to))
	for i, s := range to {
		toList[i] = s
	}
	eff := sdk.Effect{Operation: "ses:SendEmail", Target: region, Detail: sdk.EncodeDetail(value.NewMap(
		"Source", sender,
		"Destination", value.NewMap("ToAddresses", toList),
		"Message", value.NewMap(
			"Body", value.NewMap(bodyKind, value.NewMap("Data", message, "Charset", "UTF-8")),
			"Subject", value.NewMap("Data", subject, "Charset", "UTF-8")),
	))}
	if req.DryRun {
		res.Effects = append(res.Effects, eff)
		res.Summary = fmt.Sprintf("would send email %q to %s through SES (%s)", subject, strings.Join(to, ", "), region)
		return res, nil
	}
	in := sesSendEmailInput(sender, to, subject, message, bodyKind == "Html")
	out, err := client.SendEmail(ctx, in)
	if err != nil {
		return nil, errors.New(awsx.ErrorText(err))
	}
	eff.Outcome = aws.ToString(out.MessageId)
	res.Effects = append(res.Effects, eff)
	res.Summary = fmt.Sprintf("sent email %q to %s through SES (%s)", subject, strings.Join(to, ", "), region)
	return res, nil
}

// apiMessage is an AWS error's message (botocore's error['Message']), else
// the error's text.
func apiMessage(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) && ae.ErrorMessage() != "" {
		return ae.ErrorMessage()
	}
	return err.Error()
}
