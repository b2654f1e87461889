package bench_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/smtp"
	"strconv"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/lava-actions/lava-actions/internal/demo"
	"github.com/lava-actions/lava-actions/sdk/value"
)

// BenchmarkEightActionsFloor is the endpoint's own cost of the warm
// eight-action list: the same AWS calls the warm list makes (counted by
// TestCallsPerAction), the Slack webhook POST and the SMTP send, made
// directly from this process with SDK clients, without the host, plugins
// or templates. BenchmarkEightActionsWarm minus this is what lava-actions
// adds.
func BenchmarkEightActionsFloor(b *testing.B) {
	ctx := context.Background()
	w, err := demo.Start(ctx, io.Discard, pluginDir)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(w.Close)
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("demo", "demo", ""),
		BaseEndpoint: aws.String(w.Endpoint())}
	q := sqs.NewFromConfig(cfg, func(o *sqs.Options) { o.DisableMessageChecksumValidation = true })
	db := dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) { o.DisableValidateResponseChecksum = true })
	sn, eb := sns.NewFromConfig(cfg), eventbridge.NewFromConfig(cfg)
	urls := map[string]string{}
	for _, name := range []string{"demo-notices", "lava-demo-core"} {
		out, err := q.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(name)})
		if err != nil {
			b.Fatal(err)
		}
		urls[name] = aws.ToString(out.QueueUrl)
	}
	list, _ := w.Job.Get("on_retry")
	topic := list.([]any)[2].(*value.Map).String("topic")
	key := func(k, v string) map[string]ddbtypes.AttributeValue {
		return map[string]ddbtypes.AttributeValue{k: &ddbtypes.AttributeValueMemberS{Value: v}}
	}
	conn := func(id string) map[string]ddbtypes.AttributeValue {
		out, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("lava.demo.connections"), Key: key("conn_id", id)})
		if err != nil || out.Item == nil {
			b.Fatalf("connection %s: %v", id, err)
		}
		return out.Item
	}
	str := func(item map[string]ddbtypes.AttributeValue, k string) string {
		switch v := item[k].(type) {
		case *ddbtypes.AttributeValueMemberS:
			return v.Value
		case *ddbtypes.AttributeValueMemberN:
			return v.Value
		}
		return ""
	}
	must := func(_ any, err error) {
		if err != nil {
			b.Fatal(err)
		}
	}
	run := func() {
		must(q.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(urls["demo-notices"]), MessageBody: aws.String("demo/nightly-load retrying: boom")}))
		must(sn.Publish(ctx, &sns.PublishInput{TopicArn: aws.String(topic), Subject: aws.String("demo/nightly-load retrying"), Message: aws.String("boom")}))
		must(eb.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{{Source: aws.String("lava.demo"),
			DetailType: aws.String("Lava Job Retrying"), Detail: aws.String(`{"job_id": "demo/nightly-load", "exit_status": null}`)}}}))
		must(db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("lava.demo.jobs"), Key: key("job_id", "demo/child")}))
		must(q.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(urls["lava-demo-core"]), MessageBody: aws.String(`{"realm": "demo", "worker": "core", "job_id": "demo/child"}`)}))
		item := key("state_id", "nightly-load-status")
		item["value"] = &ddbtypes.AttributeValueMemberS{Value: `{"status": "retrying", "error": "boom"}`}
		must(db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("lava.demo.state"), Item: item}))
		resp, err := http.Post(str(conn("ops-slack"), "webhook_url"), "application/json", bytes.NewReader([]byte(`{"text": "demo/nightly-load retrying: boom"}`)))
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		mail := conn("ops-mail")
		addr := str(mail, "host") + ":" + str(mail, "port")
		if _, err := strconv.Atoi(str(mail, "port")); err != nil {
			b.Fatalf("smtp port %q", str(mail, "port"))
		}
		msg := "From: lava@demo.example.com\r\nTo: oncall@demo.example.com\r\nSubject: demo/nightly-load retrying\r\n\r\nboom\r\n"
		if err := smtp.SendMail(addr, nil, "lava@demo.example.com", []string{"oncall@demo.example.com"}, []byte(msg)); err != nil {
			b.Fatal(err)
		}
	}
	run()
	var lat latencies
	for b.Loop() {
		lat.time(run)
	}
	lat.report(b)
}
