package awstest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// Account is the account id kumo puts in ARNs and queue URLs.
const Account = "000000000000"

var uniqueSeq atomic.Int64

// Unique returns prefix followed by a suffix unique to this process run,
// for resource names (kumo servers in one binary share state).
func Unique(prefix string) string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s-%d%s", prefix, uniqueSeq.Add(1), hex.EncodeToString(b[:]))
}

// SQS returns an SQS client for the endpoint. It skips the MD5 check of
// sent messages, which kumo gets wrong for de-duplicated FIFO sends.
func (e *Env) SQS() *sqs.Client {
	return sqs.NewFromConfig(e.Config, func(o *sqs.Options) { o.DisableMessageChecksumValidation = true })
}

// SNS returns an SNS client for the endpoint.
func (e *Env) SNS() *sns.Client { return sns.NewFromConfig(e.Config) }

// EventBridge returns an EventBridge client for the endpoint.
func (e *Env) EventBridge() *eventbridge.Client { return eventbridge.NewFromConfig(e.Config) }

// KMS returns a KMS client for the endpoint.
func (e *Env) KMS() *kms.Client { return kms.NewFromConfig(e.Config) }

// DynamoDB returns a DynamoDB client for the endpoint, without the CRC32
// response check (kumo sends no X-Amz-Crc32 header).
func (e *Env) DynamoDB() *dynamodb.Client {
	return dynamodb.NewFromConfig(e.Config, func(o *dynamodb.Options) { o.DisableValidateResponseChecksum = true })
}

// CreateQueue creates an SQS queue (FIFO when name ends in .fifo) and
// returns its URL.
func (e *Env) CreateQueue(t testing.TB, name string) string {
	t.Helper()
	in := &sqs.CreateQueueInput{QueueName: aws.String(name)}
	if strings.HasSuffix(name, ".fifo") {
		in.Attributes = map[string]string{"FifoQueue": "true"}
	}
	out, err := e.SQS().CreateQueue(context.Background(), in)
	if err != nil {
		t.Fatalf("awstest: create queue %s: %v", name, err)
	}
	return aws.ToString(out.QueueUrl)
}

// QueueArn returns the ARN of the queue at url.
func (e *Env) QueueArn(t testing.TB, url string) string {
	t.Helper()
	out, err := e.SQS().GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(url), AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn},
	})
	if err != nil {
		t.Fatalf("awstest: queue attributes %s: %v", url, err)
	}
	return out.Attributes["QueueArn"]
}

// QueueCounts returns the queue's visible and delayed message counts.
func (e *Env) QueueCounts(t testing.TB, url string) (visible, delayed string) {
	t.Helper()
	out, err := e.SQS().GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(url), AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameAll},
	})
	if err != nil {
		t.Fatalf("awstest: queue attributes %s: %v", url, err)
	}
	return out.Attributes["ApproximateNumberOfMessages"], out.Attributes["ApproximateNumberOfMessagesDelayed"]
}

// Receive receives (and deletes) up to max visible messages from the queue
// at url, waiting at most wait for the first.
func (e *Env) Receive(t testing.TB, url string, max int32, wait time.Duration) []sqstypes.Message {
	t.Helper()
	ctx := context.Background()
	c := e.SQS()
	deadline := time.Now().Add(wait)
	var got []sqstypes.Message
	for {
		out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(url), MaxNumberOfMessages: max,
			MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll},
		})
		if err != nil {
			t.Fatalf("awstest: receive %s: %v", url, err)
		}
		for _, m := range out.Messages {
			got = append(got, m)
			_, _ = c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle})
		}
		if len(got) > 0 || time.Now().After(deadline) {
			return got
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// CreateTable creates a pay-per-request DynamoDB table with a string hash
// key.
func (e *Env) CreateTable(t testing.TB, name, hashKey string) {
	t.Helper()
	_, err := e.DynamoDB().CreateTable(context.Background(), &dynamodb.CreateTableInput{
		TableName:            aws.String(name),
		BillingMode:          ddbtypes.BillingModePayPerRequest,
		AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String(hashKey), AttributeType: ddbtypes.ScalarAttributeTypeS}},
		KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String(hashKey), KeyType: ddbtypes.KeyTypeHash}},
	})
	if err != nil && !strings.Contains(err.Error(), "ResourceInUse") {
		t.Fatalf("awstest: create table %s: %v", name, err)
	}
}

// CreateKMSKey creates a symmetric KMS key with the given alias
// ("alias/…", may be empty) and returns its key id.
func (e *Env) CreateKMSKey(t testing.TB, alias string) string {
	t.Helper()
	ctx := context.Background()
	c := e.KMS()
	out, err := c.CreateKey(ctx, &kms.CreateKeyInput{})
	if err != nil {
		t.Fatalf("awstest: create key: %v", err)
	}
	id := aws.ToString(out.KeyMetadata.KeyId)
	if alias != "" {
		if _, err := c.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String(alias), TargetKeyId: aws.String(id)}); err != nil {
			t.Fatalf("awstest: create alias %s: %v", alias, err)
		}
	}
	return id
}

// DeliveredEvent is one EventBridge rule match recorded by kumo.
type DeliveredEvent struct {
	EventID      string `json:"EventId"`
	Source       string `json:"Source"`
	DetailType   string `json:"DetailType"`
	Detail       string `json:"Detail"`
	EventBusName string `json:"EventBusName"`
	RuleName     string `json:"RuleName"`
	TargetID     string `json:"TargetId"`
	TargetArn    string `json:"TargetArn"`
}

// DeliveredEvents returns every event kumo matched to a rule target so far
// (GET /kumo/eventbridge/delivered-events). In-process kumo cannot deliver
// events to SQS on a random port, so tests read deliveries back here.
func (e *Env) DeliveredEvents(t testing.TB) []DeliveredEvent {
	t.Helper()
	resp, err := http.Get(e.URL + "/kumo/eventbridge/delivered-events")
	if err != nil {
		t.Fatalf("awstest: delivered events: %v", err)
	}
	defer resp.Body.Close()
	var evs []DeliveredEvent
	if err := json.NewDecoder(resp.Body).Decode(&evs); err != nil {
		t.Fatalf("awstest: delivered events: %v", err)
	}
	return evs
}

// MainTB returns a testing.TB for resource setup in TestMain, where no
// *testing.T exists: Fatalf and Fatal panic; Helper, Logf and Log work;
// other methods must not be used.
func MainTB() testing.TB { return mainTB{} }

type mainTB struct{ testing.TB }

func (mainTB) Helper()                        {}
func (mainTB) Fatalf(format string, a ...any) { panic(fmt.Sprintf(format, a...)) }
func (mainTB) Fatal(a ...any)                 { panic(fmt.Sprint(a...)) }
func (mainTB) Logf(format string, a ...any)   { fmt.Printf(format+"\n", a...) }
func (mainTB) Log(a ...any)                   { fmt.Println(a...) }
