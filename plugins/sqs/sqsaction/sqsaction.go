// Package sqsaction implements lava's sqs action (spec 3.2, decision 0.7):
// it sends one rendered message to an SQS queue given by name, by URL
// without a scheme (containing ".amazonaws.com/"), or by full http(s) URL.
//
// Queue URLs looked up by name are cached per plugin process (package
// plugins/internal/queue, shared with the dispatch action), and FIFO queues
// are known from their ".fifo" name suffix: a warm send by name is one AWS
// call, SendMessage.
package sqsaction

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/lava-actions/lava-actions/plugins/internal/awsx"
	"github.com/lava-actions/lava-actions/plugins/internal/queue"
	"github.com/lava-actions/lava-actions/sdk"
	"github.com/lava-actions/lava-actions/sdk/value"
)

// Version is the plugin version.
const Version = "1.0.0"

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
	delay, err := queue.Delay(req.Item, req.Config)
	if err != nil {
		return 0, err
	}
	msg, _ := req.Item.Get("message")
	if _, ok := msg.(string); !ok {
		text, err := queue.MessageText(msg)
		if err != nil {
			return 0, err
		}
		if err := req.Engine().Check(text); err != nil {
			return 0, err
		}
	}
	return delay, nil
}

// Execute resolves the queue (GetQueueUrl for a name not yet cached),
// renders and sends the message. A queue is FIFO when its name ends in
// ".fifo", as AWS requires of FIFO queues. In a dry run it only resolves
// the queue and reports the SendMessage it would make.
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
	c, err := queue.Client(ctx)
	if err != nil {
		return nil, err
	}
	res := &sdk.Result{}
	q, lookup, err := queue.Shared.Resolve(ctx, c, req.Item.String("queue"))
	if lookup != nil {
		res.Effects = append(res.Effects, *lookup)
	}
	if err != nil {
		return res, err
	}
	msg, _ := req.Item.Get("message")
	text, err := queue.MessageText(msg)
	if err != nil {
		return res, err
	}

	in := &sqs.SendMessageInput{DelaySeconds: delay}
	var dedup, group string
	if q.FIFO() {
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
	if req.DryRun {
		res.Effects = append(res.Effects, sdk.Effect{Operation: "sqs:SendMessage", Target: q.URL, Detail: sdk.EncodeDetail(detail)})
		res.Summary = "would send a message to " + q.URL
		return res, nil
	}
	q, lookups, out, err := queue.Shared.Send(ctx, c, q, in)
	res.Effects = append(res.Effects, lookups...)
	eff := sdk.Effect{Operation: "sqs:SendMessage", Target: q.URL, Detail: sdk.EncodeDetail(detail)}
	if err != nil {
		res.Effects = append(res.Effects, eff)
		return res, err
	}
	eff.Outcome = aws.ToString(out.MessageId)
	res.Effects = append(res.Effects, eff)
	res.Summary = "sent message " + eff.Outcome + " to " + q.URL
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
