// Package demo is `make demo`: it runs a sample lava job's on_success and
// on_fail action lists through the real plugin executables against local
// stand-ins for every outside service — an in-process AWS endpoint (kumo:
// SQS, SNS, EventBridge, DynamoDB, KMS, SES), an SMTP server and a Slack
// webhook receiver — and prints what each of them received, read back from
// the service, not echoed from the request.
package demo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/mail"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
	"github.com/lava-actions/lava-actions/host"
	"github.com/lava-actions/lava-actions/sdk/value"
	"github.com/lava-actions/lava-actions/state"
	"github.com/sivchari/kumo"
)

// Realm is the demo realm's name.
const Realm = "demo"

// env is the demo's running world.
type env struct {
	kumoURL string
	cfg     aws.Config
	sqs     *sqs.Client
	db      *dynamodb.Client
	box     *mailbox
	hook    *webhook
	queues  map[string]string // name → URL
	topic   string
	// eventsToSQS is set when EventBridge can deliver to SQS (KUMO_PORT).
	eventsToSQS bool
}

// World is the demo's running world: the local services, the demo realm's
// resources and a host over the plugins. Benchmarks use it too.
type World struct {
	// Host runs actions; Job and Realm are the sample job and realm items.
	Host       *host.Host
	Job, Realm *value.Map
	env        *env
	logs       *lineBuffer
	closers    []func()
}

// Endpoint returns the local AWS endpoint's URL.
func (wd *World) Endpoint() string { return wd.env.kumoURL }

// PluginEnv returns the environment a plugin needs to use the local AWS
// endpoint at url (or a proxy in front of it): endpoint, region and the
// demo's dummy credentials.
func PluginEnv(url string) []string {
	return []string{
		"AWS_ENDPOINT_URL=" + url, "AWS_REGION=us-east-1",
		"AWS_ACCESS_KEY_ID=demo", "AWS_SECRET_ACCESS_KEY=demo", "AWS_EC2_METADATA_DISABLED=true",
	}
}

// Close stops the host and every local service.
func (wd *World) Close() {
	for i := len(wd.closers) - 1; i >= 0; i-- {
		wd.closers[i]()
	}
}

// Start starts the local services, creates the demo realm's resources and a
// host over the plugins in pluginDir. Host and plugin logs go to logw.
func Start(ctx context.Context, logw io.Writer, pluginDir string) (_ *World, err error) {
	wd := &World{logs: &lineBuffer{}}
	defer func() {
		if err != nil {
			wd.Close()
		}
	}()
	srv := kumo.NewServer()
	wd.closers = append(wd.closers, srv.Close)
	eventsToSQS := false
	if port := os.Getenv("KUMO_PORT"); port != "" {
		// kumo's EventBridge delivers to SQS at localhost:$KUMO_PORT, fixed
		// when the process started: serve kumo there too.
		stop, err := forward("127.0.0.1:"+port, srv.URL)
		if err != nil {
			return nil, fmt.Errorf("forward KUMO_PORT %s: %w", port, err)
		}
		wd.closers = append(wd.closers, stop)
		eventsToSQS = true
	}
	box, err := startMailbox()
	if err != nil {
		return nil, fmt.Errorf("start SMTP server: %w", err)
	}
	wd.closers = append(wd.closers, box.close)
	hook, err := startWebhook("/services/T000DEMO/B000DEMO/not-a-real-token")
	if err != nil {
		return nil, fmt.Errorf("start Slack receiver: %w", err)
	}
	wd.closers = append(wd.closers, hook.close)

	pluginEnv := PluginEnv(srv.URL)
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("demo", "demo", ""), BaseEndpoint: aws.String(srv.URL)}
	e := &env{
		kumoURL: srv.URL, cfg: cfg, box: box, hook: hook, queues: map[string]string{},
		sqs:         sqs.NewFromConfig(cfg),
		db:          dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) { o.DisableValidateResponseChecksum = true }),
		eventsToSQS: eventsToSQS,
	}
	wd.env = e
	if err := e.setup(ctx); err != nil {
		return nil, fmt.Errorf("create the demo realm's resources: %w", err)
	}
	h, err := host.New(host.Config{
		PluginPath: []string{pluginDir},
		Logger:     slog.New(slog.NewTextHandler(io.MultiWriter(logw, wd.logs), &slog.HandlerOptions{Level: slog.LevelInfo})),
		Environ:    func() []string { return append(os.Environ(), pluginEnv...) },
	})
	if err != nil {
		return nil, err
	}
	wd.closers = append(wd.closers, func() { h.Close() })
	if len(h.Candidates()) == 0 {
		return nil, fmt.Errorf("no plugins in %s: run 'make plugins' first", pluginDir)
	}
	wd.Host = h
	wd.Job, wd.Realm = sampleJob(e)
	return wd, nil
}

// Run runs the demo with the plugins in pluginDir and writes its report to
// w. Plugin and host logs go to logw.
func Run(ctx context.Context, w, logw io.Writer, pluginDir string) error {
	wd, err := Start(ctx, logw, pluginDir)
	if err != nil {
		return err
	}
	defer wd.Close()
	e, h := wd.env, wd.Host
	fmt.Fprintf(w, "Local services: AWS endpoint %s, SMTP %s, Slack webhook receiver %s\n", e.kumoURL, e.box.addr, strings.SplitN(e.hook.url, "/services", 2)[0])
	fmt.Fprintf(w, "Created realm %q: queues, topic, event rule, tables (jobs, state, connections), KMS key.\n", Realm)
	job, realm := wd.Job, wd.Realm
	runs := []struct {
		trigger host.Trigger
		result  *value.Map
	}{
		{host.OnSuccess, value.NewMap("exit_status", int64(0), "output", []any{"42 rows loaded"})},
		{host.OnFail, value.NewMap("error_data", value.NewMap("exit_status", int64(3)), "error", "psql: connection refused")},
	}
	failures := 0
	for _, r := range runs {
		fmt.Fprintf(w, "\n== %s ==\n", r.trigger)
		rep, err := h.Run(ctx, r.trigger, job, realm, r.result)
		if rep != nil {
			for _, a := range rep.Actions {
				line := fmt.Sprintf("  [%d] %-8s %-7s %6.1f ms", a.Index, a.Type, a.Status, a.DurationMS)
				if a.Error != "" {
					line += "  " + a.Error
				}
				fmt.Fprintln(w, line)
			}
		}
		if err != nil {
			failures++
			fmt.Fprintf(w, "  error: %v\n", err)
		}
	}
	fmt.Fprintln(w, "\n== what arrived (read back from each service) ==")
	if err := e.readBack(ctx, w, wd.logs); err != nil {
		return err
	}
	if failures > 0 {
		return fmt.Errorf("%d action list(s) failed", failures)
	}
	return nil
}

func (e *env) setup(ctx context.Context) error {
	for _, name := range []string{"lava-" + Realm + "-core", "demo-notices", "demo-sns-inbox", "demo-events"} {
		out, err := e.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name)})
		if err != nil {
			return err
		}
		e.queues[name] = *out.QueueUrl
	}
	arn := func(q string) (string, error) {
		out, err := e.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(e.queues[q]), AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
		if err != nil {
			return "", err
		}
		return out.Attributes["QueueArn"], nil
	}
	snsc := sns.NewFromConfig(e.cfg)
	topic, err := snsc.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("demo-topic")})
	if err != nil {
		return err
	}
	e.topic = *topic.TopicArn
	inbox, err := arn("demo-sns-inbox")
	if err != nil {
		return err
	}
	if _, err := snsc.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("sqs"), Endpoint: aws.String(inbox)}); err != nil {
		return err
	}
	eb := eventbridge.NewFromConfig(e.cfg)
	if _, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("demo-lava-events"), EventPattern: aws.String(`{"source":["lava.` + Realm + `"]}`)}); err != nil {
		return err
	}
	events, err := arn("demo-events")
	if err != nil {
		return err
	}
	if _, err := eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("demo-lava-events"), Targets: []ebtypes.Target{{Id: aws.String("q"), Arn: aws.String(events)}}}); err != nil {
		return err
	}
	for table, key := range map[string]string{"jobs": "job_id", "state": "state_id", "connections": "conn_id"} {
		if _, err := e.db.CreateTable(ctx, &dynamodb.CreateTableInput{
			TableName:            aws.String("lava." + Realm + "." + table),
			AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String(key), AttributeType: ddbtypes.ScalarAttributeTypeS}},
			KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String(key), KeyType: ddbtypes.KeyTypeHash}},
			BillingMode:          ddbtypes.BillingModePayPerRequest,
		}); err != nil && !exists(err) {
			return err
		}
	}
	items := map[string]map[string]ddbtypes.AttributeValue{
		"jobs": {"job_id": s("demo/child"), "type": s("cmd"), "worker": s("core"), "payload": s("echo child")},
		"connections": {"conn_id": s("ops-slack"), "type": s("slack"), "enabled": &ddbtypes.AttributeValueMemberBOOL{Value: true},
			"webhook_url": s(e.hook.url), "from": s("Lava demo")},
	}
	for table, item := range items {
		if _, err := e.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("lava." + Realm + "." + table), Item: item}); err != nil {
			return err
		}
	}
	if _, err := e.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("lava." + Realm + ".connections"), Item: map[string]ddbtypes.AttributeValue{
		"conn_id": s("ops-mail"), "type": s("email"), "subtype": s("smtp"), "enabled": &ddbtypes.AttributeValueMemberBOOL{Value: true},
		"host": s("127.0.0.1"), "port": &ddbtypes.AttributeValueMemberN{Value: fmt.Sprint(e.box.addr.Port)},
		"tls": &ddbtypes.AttributeValueMemberBOOL{Value: false}, "from": s("lava@demo.example.com"),
	}}); err != nil {
		return err
	}
	k := kms.NewFromConfig(e.cfg)
	key, err := k.CreateKey(ctx, &kms.CreateKeyInput{})
	if err != nil {
		return err
	}
	_, err = k.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String(state.DefaultKMSKey(Realm)), TargetKeyId: key.KeyMetadata.KeyId})
	if err != nil && !exists(err) {
		return err
	}
	return nil
}

// exists reports an "already exists" error: every local endpoint in one
// process shares its state, so a second World finds the first one's
// resources.
func exists(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && (ae.ErrorCode() == "ResourceInUseException" || ae.ErrorCode() == "AlreadyExistsException")
}

func s(v string) ddbtypes.AttributeValue { return &ddbtypes.AttributeValueMemberS{Value: v} }

// sampleJob is a lava job whose on_success and on_fail lists use every
// action type, and whose on_retry list has exactly one action of each type
// (the benchmarks' eight-action list).
func sampleJob(e *env) (job, realm *value.Map) {
	text := `{
  "job_id": "demo/nightly-load", "type": "cmd", "worker": "core", "run_id": "0f8c3c1e-5b7a-4d39-9a51-2f6f5d0e7c11",
  "realm": "` + Realm + `", "ts_dispatch": "2024-03-01T09:59:58+11:00", "ts_start": "2024-03-01T10:00:00+11:00",
  "globals": {"team": "data-eng", "lava": {"iteration": 1}},
  "on_success": [
    {"action": "log", "message": "Job {{ job.job_id }} finished at {{ start }} ({{ result.output | length }} line of output)"},
    {"action": "sqs", "queue": "demo-notices", "message": {"job": "{{ job.job_id }}", "run": "{{ job.run_id }}", "rows": 42}},
    {"action": "sns", "topic": "` + e.topic + `", "subject": "{{ job.job_id }} succeeded", "message": "{{ job.job_id }}@{{ realm.realm }} ok at {{ ustart.isoformat() }}"},
    {"action": "event"},
    {"action": "dispatch", "job_id": "demo/child", "parameters": {"parent": "{{ job.job_id }}", "day": "{{ start.strftime('%Y-%m-%d') }}"}},
    {"action": "state", "state_id": "nightly-load-status", "value": {"status": "ok", "when": "{{ ustart.isoformat() }}", "rows": 42}},
    {"action": "state", "state_id": "nightly-load-secret", "type": "secure", "value": "s3cr3t-{{ job.run_id[:8] }}"},
    {"action": "slack", "slack_conn": "ops-slack", "message": "Job *{{ job.job_id }}* loaded 42 rows"}
  ],
  "on_retry": [
    {"action": "log", "message": "Job {{ job.job_id }} failed: {{ result.error }}; retrying"},
    {"action": "sqs", "queue": "demo-notices", "message": "{{ job.job_id }} retrying: {{ result.error }}"},
    {"action": "sns", "topic": "` + e.topic + `", "subject": "{{ job.job_id }} retrying", "message": "{{ result.error }}"},
    {"action": "event", "detail_type": "Lava Job Retrying"},
    {"action": "dispatch", "job_id": "demo/child", "parameters": {"parent": "{{ job.job_id }}"}},
    {"action": "state", "state_id": "nightly-load-status", "value": {"status": "retrying", "error": "{{ result.error }}"}},
    {"action": "slack", "slack_conn": "ops-slack", "style": "plain", "message": "{{ job.job_id }} retrying: {{ result.error }}"},
    {"action": "email", "email_conn": "ops-mail", "to": "oncall@demo.example.com", "subject": "{{ job.job_id }} retrying", "message": "{{ result.error }}"}
  ],
  "on_fail": [
    {"action": "log", "message": "Job {{ job.job_id }} failed: {{ result.error }}"},
    {"action": "email", "email_conn": "ops-mail", "to": ["oncall@demo.example.com"], "subject": "FAILED: {{ job.job_id }}",
     "message": "Job {{ job.job_id }} (run {{ job.run_id }}) failed:\n{{ result.error }}"},
    {"action": "email", "from": "lava@demo.example.com", "to": "oncall@demo.example.com", "subject": "FAILED: {{ job.job_id }} (via SES)",
     "message": "<html><body><p>Job <b>{{ job.job_id }}</b> failed: {{ result.error }}</p></body></html>"},
    {"action": "slack", "slack_conn": "ops-slack", "style": "attachment", "colour": "danger", "subject": "{{ job.job_id }} failed", "message": "{{ result.error }}"},
    {"action": "event", "detail_type": "Lava Job Failed"}
  ]
}`
	v, err := value.DecodeJSON([]byte(text), value.DecimalNumbers)
	if err != nil {
		panic(err) // the literal above is valid JSON
	}
	return v.(*value.Map), value.NewMap("realm", Realm, "s3_payloads", "s3://demo/payloads", "s3_temp", "s3://demo/tmp", "config", value.NewMap())
}

func (e *env) readBack(ctx context.Context, w io.Writer, logs *lineBuffer) error {
	fmt.Fprintln(w, "log (worker log):")
	for _, l := range logs.lines() {
		if strings.Contains(l, "action=log") {
			fmt.Fprintf(w, "  %s\n", l)
		}
	}
	recv := func(name string) ([]sqstypes.Message, error) {
		out, err := e.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(e.queues[name]), MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
		if err != nil {
			return nil, err
		}
		return out.Messages, nil
	}
	for _, q := range []struct{ name, label string }{
		{"demo-notices", "sqs → queue demo-notices:"},
		{"lava-" + Realm + "-core", "dispatch → queue lava-" + Realm + "-core (worker core):"},
	} {
		msgs, err := recv(q.name)
		if err != nil {
			return err
		}
		fmt.Fprintln(w, q.label)
		for _, m := range msgs {
			fmt.Fprintf(w, "  %s\n", aws.ToString(m.Body))
		}
	}
	msgs, err := recv("demo-sns-inbox")
	if err != nil {
		return err
	}
	fmt.Fprintln(w, "sns → topic demo-topic → subscribed queue demo-sns-inbox:")
	for _, m := range msgs {
		var env struct{ Subject, Message string }
		json.Unmarshal([]byte(aws.ToString(m.Body)), &env)
		fmt.Fprintf(w, "  Subject: %s\n  Message: %s\n", env.Subject, env.Message)
	}
	if e.eventsToSQS {
		msgs, err := recv("demo-events")
		if err != nil {
			return err
		}
		fmt.Fprintln(w, "event → EventBridge → rule demo-lava-events → queue demo-events:")
		for _, m := range msgs {
			var ev struct {
				Source     string          `json:"source"`
				DetailType string          `json:"detail-type"`
				Detail     json.RawMessage `json:"detail"`
			}
			json.Unmarshal([]byte(aws.ToString(m.Body)), &ev)
			fmt.Fprintf(w, "  %s / %s: %s\n", ev.Source, ev.DetailType, ev.Detail)
		}
	} else {
		fmt.Fprintln(w, "event → EventBridge (rule demo-lava-events matched; kumo's read-back):")
		var events []struct{ Source, DetailType, Detail string }
		if err := getJSON(e.kumoURL+"/kumo/eventbridge/delivered-events", &events); err != nil {
			return err
		}
		for _, ev := range events {
			fmt.Fprintf(w, "  %s / %s: %s\n", ev.Source, ev.DetailType, ev.Detail)
		}
	}
	fmt.Fprintln(w, "state → table lava."+Realm+".state:")
	store := state.NewFromConfig(e.cfg)
	for _, id := range []string{"nightly-load-status", "nightly-load-secret"} {
		it, err := store.Get(ctx, Realm, id)
		if err != nil {
			return fmt.Errorf("state %s: %w", id, err)
		}
		v, _ := value.EncodeJSON(it.Value, value.EncodeOptions{DecimalAsText: true})
		if it.Type == state.TypeSecure {
			v = fmt.Sprintf("<%d characters, KMS-encrypted at rest, decrypted on read>", len(v))
		}
		fmt.Fprintf(w, "  %s (%s, publisher %s): %s\n", id, it.Type, it.Publisher, v)
	}
	fmt.Fprintln(w, "slack → webhook receiver:")
	for _, b := range e.hook.received() {
		fmt.Fprintf(w, "  %s\n", b)
	}
	fmt.Fprintln(w, "email → SMTP server:")
	for _, m := range e.box.messages() {
		msg, err := mail.ReadMessage(strings.NewReader(string(m.raw)))
		if err != nil {
			return fmt.Errorf("parse received mail: %w", err)
		}
		body, _ := io.ReadAll(msg.Body)
		fmt.Fprintf(w, "  From: %s\n  To: %s\n  Subject: %s\n  Content-Type: %s\n  Body: %q\n",
			msg.Header.Get("From"), msg.Header.Get("To"), msg.Header.Get("Subject"), msg.Header.Get("Content-Type"), strings.TrimSpace(string(body)))
	}
	fmt.Fprintln(w, "email → SES:")
	var sent []struct {
		Source, Subject, Body, HTMLBody string
		Destination                     []string
	}
	if err := getJSON(e.kumoURL+"/_aws/ses?email="+url.QueryEscape("lava@demo.example.com"), &sent); err != nil {
		return err
	}
	for _, m := range sent {
		fmt.Fprintf(w, "  From: %s\n  To: %s\n  Subject: %s\n  HTML: %s\n", m.Source, strings.Join(m.Destination, ", "), m.Subject, m.HTMLBody)
	}
	return nil
}

func getJSON(u string, v any) error {
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get(u)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return json.NewDecoder(resp.Body).Decode(v)
}

// lineBuffer keeps written lines; it is safe for concurrent use.
type lineBuffer struct {
	mu  sync.Mutex
	buf []string
}

func (b *lineBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, strings.Split(strings.TrimRight(string(p), "\n"), "\n")...)
	return len(p), nil
}

func (b *lineBuffer) lines() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.buf...)
}

// forward serves addr as a reverse proxy to target until stop is called.
func forward(addr, target string) (stop func(), err error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: httputil.NewSingleHostReverseProxy(u)}
	go srv.Serve(l)
	return func() { srv.Close() }, nil
}
