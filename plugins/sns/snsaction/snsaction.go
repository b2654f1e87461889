// Package snsaction implements lava's sns action (spec 3.3): it publishes
// one rendered message, with an optional rendered subject cut to 100
// characters, to an SNS topic.
package snsaction

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/lava-actions/lava-actions/plugins/internal/awsx"
	"github.com/lava-actions/lava-actions/sdk"
	"github.com/lava-actions/lava-actions/sdk/value"
)

// Version is the plugin version.
const Version = "1.0.0"

// MaxSubjectLen is SNS's limit on Subject, in characters.
const MaxSubjectLen = 100

// Action is the sns action.
type Action struct{}

// Describe declares the fields: topic and message (required) and subject.
// Unknown keys are accepted, as in lava.
func (Action) Describe() sdk.Description {
	return sdk.Description{
		Type:    "sns",
		Version: Version,
		Summary: "Publish a rendered message to an SNS topic.",
		// Lenient: lava checks only the required keys of this type (spec 3).
		Lenient: true,
		Fields: []sdk.Field{
			{Name: "topic", Required: true, Kind: sdk.KindString, Doc: "Topic ARN. Not rendered."},
			{Name: "message", Required: true, Kind: sdk.KindAny, Render: sdk.RenderText,
				Doc: "String template, or any JSON value: serialised as JSON text, then rendered as one template."},
			{Name: "subject", Kind: sdk.KindString, Render: sdk.RenderText,
				Doc: "Subject template; the result is cut to 100 characters. Sent whenever the key is present."},
		},
		Capabilities: []string{"dry-run"},
	}
}

// Validate checks the template syntax of an object message.
func (Action) Validate(_ context.Context, req *sdk.Request) error { return check(req) }

func check(req *sdk.Request) error {
	msg, _ := req.Item.Get("message")
	if _, ok := msg.(string); ok {
		return nil
	}
	text, err := messageText(msg)
	if err != nil {
		return err
	}
	return req.Engine().Check(text)
}

// Execute renders and publishes the message. In a dry run it reports the
// Publish it would make.
// Retried AWS call attempts are reported in Result.Retries, failures included.
func (Action) Execute(ctx context.Context, req *sdk.Request) (*sdk.Result, error) {
	ctx, retries := awsx.CountRetries(ctx)
	res, err := Action{}.execute(ctx, req)
	return awsx.WithRetries(res, retries), err
}

// execute is Execute without the retry count.
func (Action) execute(ctx context.Context, req *sdk.Request) (*sdk.Result, error) {
	// The SDK ran the field checks and Validate before Execute.
	topic := req.Item.String("topic")
	msg, _ := req.Item.Get("message")
	text, err := messageText(msg)
	if err != nil {
		return nil, err
	}
	body, err := req.Render(text)
	if err != nil {
		return nil, err
	}
	in := &sns.PublishInput{TopicArn: aws.String(topic), Message: aws.String(body)}
	detail := value.NewMap("Message", body)
	if req.Item.Has("subject") {
		subject, err := req.Render(req.Item.String("subject"))
		if err != nil {
			return nil, err
		}
		if r := []rune(subject); len(r) > MaxSubjectLen {
			subject = string(r[:MaxSubjectLen])
		}
		in.Subject = aws.String(subject)
		detail.Set("Subject", subject)
	}
	eff := sdk.Effect{Operation: "sns:Publish", Target: topic, Detail: sdk.EncodeDetail(detail)}
	if req.DryRun {
		return &sdk.Result{Summary: "would publish to " + topic, Effects: []sdk.Effect{eff}}, nil
	}
	c, err := client(ctx)
	if err != nil {
		return nil, err
	}
	out, err := c.Publish(ctx, in)
	if err != nil {
		return &sdk.Result{Effects: []sdk.Effect{eff}}, fmt.Errorf("%s", awsx.ErrorText(err))
	}
	eff.Outcome = aws.ToString(out.MessageId)
	return &sdk.Result{Summary: "published message " + eff.Outcome + " to " + topic, Effects: []sdk.Effect{eff}}, nil
}

// client returns the process's SNS client.
var client = awsx.Lazy(func(cfg aws.Config) (*sns.Client, error) { return sns.NewFromConfig(cfg), nil })

// messageText returns a string message as it is and anything else as
// Python's json.dumps text (DynamoDB numbers as int or float, datetimes as
// ISO strings, non-ASCII escaped).
func messageText(v any) (string, error) {
	if s, ok := v.(string); ok {
		return s, nil
	}
	return value.EncodeJSON(v, value.EncodeOptions{DecimalAsNumber: true, DateTimeAsISO: true})
}
