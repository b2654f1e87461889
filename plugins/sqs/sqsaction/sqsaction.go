// Package sqsaction implements lava's sqs action (spec 3.2, decision 0.7):
// it sends one rendered message to an SQS queue given by name, by URL
// without a scheme (containing ".amazonaws.com/"), or by full http(s) URL.
//
// The package also exports the pieces the dispatch action shares with it:
// the SQS client, delay checking and message text.
package sqsaction

import (
	"context"
	"fmt"
	"math"
	"math/big"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/lava-actions/lava-actions/plugins/internal/awsx"
	"github.com/lava-actions/lava-actions/sdk"
	"github.com/lava-actions/lava-actions/sdk/value"
)

// Version is the plugin version.
const Version = "1.0.0"

// DefaultMaxDelayMins is the default of config key SQS_MAX_DELAY_MINS.
const DefaultMaxDelayMins = 15

// Action is the sqs action.
type Action struct{}

// Describe declares the fields: queue and message (required), delay,
// dedup_id and group_id. Unknown keys are accepted, as in lava.
func (Action) Describe() sdk.Description {
	return sdk.Description{
		Type:    "sqs",
		Version: Version,
		Summary: "Send a rendered message to an SQS queue.",
		// Lenient: lava checks only the required keys of this type (spec 3).
		Lenient: true,
		Fields: []sdk.Field{
			{Name: "queue", Required: true, Kind: sdk.KindString,
				Doc: "Queue name, URL without scheme (containing .amazonaws.com/), or full http(s):// URL. Not rendered."},
			{Name: "message", Required: true, Kind: sdk.KindAny, Render: sdk.RenderText,
				Doc: "String template, or any JSON value: serialised as JSON text, then rendered as one template."},
			{Name: "delay", Kind: sdk.KindDuration,
				Doc: "Delivery delay: seconds or a duration string (e.g. 2m); 0 to SQS_MAX_DELAY_MINS minutes. Not rendered."},
			{Name: "dedup_id", Kind: sdk.KindAny, Render: sdk.RenderText,
				Doc: "FIFO queues only: MessageDeduplicationId template, sent when truthy."},
			{Name: "group_id", Kind: sdk.KindAny, Render: sdk.RenderText,
				Doc: "FIFO queues only: MessageGroupId template, sent when truthy."},
		},
		Capabilities: []string{"dry-run"},
	}
}

// Validate checks the delay and the template syntax of an object message.
// It makes no AWS call.
func (Action) Validate(_ context.Context, req *sdk.Request) error {
	_, err := check(req)
	return err
}

func check(req *sdk.Request) (int32, error) {
	delay, err := Delay(req.Item, req.Config)
	if err != nil {
		return 0, err
	}
	msg, _ := req.Item.Get("message")
	if _, ok := msg.(string); !ok {
		text, err := MessageText(msg)
		if err != nil {
			return 0, err
		}
		if err := req.Engine().Check(text); err != nil {
			return 0, err
		}
	}
	return delay, nil
}

// Execute resolves the queue, detects FIFO queues, renders and sends the
// message. In a dry run it only looks the queue URL up (for a queue name)
// and reports the SendMessage it would make; FIFO is then inferred from the
// queue name's .fifo suffix.
// Retried AWS call attempts are reported in Result.Retries, failures included.
func (Action) Execute(ctx context.Context, req *sdk.Request) (*sdk.Result, error) {
	ctx, retries := awsx.CountRetries(ctx)
	res, err := Action{}.execute(ctx, req)
	return awsx.WithRetries(res, retries), err
}

// execute is Execute without the retry count.
func (Action) execute(ctx context.Context, req *sdk.Request) (*sdk.Result, error) {
	// The SDK ran the field checks and Validate already; this parses.
	delay, err := check(req)
	if err != nil {
		return nil, err
	}
	c, err := Client(ctx)
	if err != nil {
		return nil, err
	}
	res := &sdk.Result{}
	queueURL, lookup, err := QueueURL(ctx, c, req.Item.String("queue"))
	if lookup != nil {
		res.Effects = append(res.Effects, *lookup)
	}
	if err != nil {
		return res, err
	}
	msg, _ := req.Item.Get("message")
	text, err := MessageText(msg)
	if err != nil {
		return res, err
	}

	fifo := strings.HasSuffix(queueURL, ".fifo")
	if !req.DryRun {
		out, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
			QueueUrl: aws.String(queueURL), AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameAll},
		})
		if err != nil {
			return res, fmt.Errorf("%s", awsx.ErrorText(err))
		}
		fifo = strings.HasSuffix(out.Attributes["QueueArn"], ".fifo")
		kind := "standard"
		if fifo {
			kind = "fifo"
		}
		res.Effects = append(res.Effects, sdk.Effect{Operation: "sqs:GetQueueAttributes", Target: queueURL,
			Detail: sdk.EncodeDetail(value.NewMap("AttributeNames", []any{"All"})), Outcome: kind})
	}

	in := &sqs.SendMessageInput{QueueUrl: aws.String(queueURL), DelaySeconds: delay}
	var dedup, group string
	if fifo {
		if dedup, err = renderIfTruthy(req, "dedup_id"); err != nil {
			return res, err
		}
		if group, err = renderIfTruthy(req, "group_id"); err != nil {
			return res, err
		}
	}
	body, err := req.Render(text)
	if err != nil {
		return res, err
	}
	in.MessageBody = aws.String(body)
	detail := value.NewMap("MessageBody", body, "DelaySeconds", int64(delay))
	if dedup != "" {
		in.MessageDeduplicationId = aws.String(dedup)
		detail.Set("MessageDeduplicationId", dedup)
	}
	if group != "" {
		in.MessageGroupId = aws.String(group)
		detail.Set("MessageGroupId", group)
	}
	eff := sdk.Effect{Operation: "sqs:SendMessage", Target: queueURL, Detail: sdk.EncodeDetail(detail)}
	if req.DryRun {
		res.Effects = append(res.Effects, eff)
		res.Summary = "would send a message to " + queueURL
		return res, nil
	}
	out, err := c.SendMessage(ctx, in)
	if err != nil {
		res.Effects = append(res.Effects, eff)
		return res, fmt.Errorf("%s", awsx.ErrorText(err))
	}
	eff.Outcome = aws.ToString(out.MessageId)
	res.Effects = append(res.Effects, eff)
	res.Summary = "sent message " + eff.Outcome + " to " + queueURL
	return res, nil
}

// renderIfTruthy renders item[key] when it is truthy. A non-string value
// is rendered from its Python str() text.
func renderIfTruthy(req *sdk.Request, key string) (string, error) {
	v, _ := req.Item.Get(key)
	if !value.Truthy(v) {
		return "", nil
	}
	return req.Render(value.Str(v))
}

// Client returns the process's SQS client, built once from awsx.Config.
// Against a custom endpoint (an emulator) it skips the MD5 check of sent
// messages, which emulators get wrong for de-duplicated FIFO sends.
var Client = awsx.Lazy(func(cfg aws.Config) (*sqs.Client, error) {
	custom := awsx.EndpointOverridden(cfg, "SQS")
	return sqs.NewFromConfig(cfg, func(o *sqs.Options) { o.DisableMessageChecksumValidation = custom }), nil
})

// QueueURL resolves queue as decision 0.7 says: a full http:// or https://
// URL is used as it is; a value containing ".amazonaws.com/" gets
// "https://" prepended; anything else is a queue name looked up with
// GetQueueUrl. For a lookup it also returns the effect describing it. The
// returned URL is used as SQS returns it: SDK requests always go to the
// configured endpoint, whatever host the URL names.
func QueueURL(ctx context.Context, c *sqs.Client, queue string) (string, *sdk.Effect, error) {
	lower := strings.ToLower(queue)
	switch {
	case strings.HasPrefix(lower, "https://") || strings.HasPrefix(lower, "http://"):
		return queue, nil, nil
	case strings.Contains(queue, ".amazonaws.com/"):
		return "https://" + queue, nil, nil
	}
	eff := &sdk.Effect{Operation: "sqs:GetQueueUrl", Target: queue, Detail: sdk.EncodeDetail(value.NewMap("QueueName", queue))}
	out, err := c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(queue)})
	if err != nil {
		return "", eff, fmt.Errorf("%s", awsx.ErrorText(err))
	}
	eff.Outcome = aws.ToString(out.QueueUrl)
	return eff.Outcome, eff, nil
}

// Delay returns item's delay in whole seconds (default 0), truncated toward
// zero as Python's int() does, and checked against SQS_MAX_DELAY_MINS.
// Errors are lava's: "Bad delay: 5 mins: Invalid duration: 5 mins",
// "Bad delay: 960: Must be between 0 and 15 minutes".
func Delay(item *value.Map, cfg sdk.Config) (int32, error) {
	maxMins, err := cfg.ConfigInt("SQS_MAX_DELAY_MINS", DefaultMaxDelayMins)
	if err != nil {
		return 0, err
	}
	raw, ok := item.Get("delay")
	if !ok {
		return 0, nil
	}
	secs, err := sdk.ParseDuration(raw)
	if err != nil {
		return 0, fmt.Errorf("Bad delay: %s: %v", value.Str(raw), err)
	}
	switch {
	case math.IsInf(secs, 0):
		return 0, fmt.Errorf("Bad delay: %s: cannot convert float infinity to integer", value.Str(raw))
	case math.IsNaN(secs):
		return 0, fmt.Errorf("Bad delay: %s: cannot convert float NaN to integer", value.Str(raw))
	}
	n, _ := big.NewFloat(secs).Int(nil) // truncates toward zero
	if n.Sign() < 0 || n.Cmp(big.NewInt(int64(maxMins)*60)) > 0 {
		return 0, fmt.Errorf("Bad delay: %s: Must be between 0 and %d minutes", n, maxMins)
	}
	return int32(n.Int64()), nil
}

// MessageText returns the text of a message value: a string as it is,
// anything else as Python's json.dumps (DynamoDB numbers as int or float,
// datetimes as ISO strings, non-ASCII escaped).
func MessageText(v any) (string, error) {
	if s, ok := v.(string); ok {
		return s, nil
	}
	return value.EncodeJSON(v, value.EncodeOptions{DecimalAsNumber: true, DateTimeAsISO: true})
}
