package trusttest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
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
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/lava-actions/lava-actions/host"
	"github.com/lava-actions/lava-actions/sdk/value"
	"github.com/lava-actions/lava-actions/state"
	"github.com/lava-actions/lava-actions/tests/testkit"
	"github.com/sivchari/kumo"
)

// bundled are the plugin types built for these tests.
var bundled = []string{"dispatch", "email", "event", "log", "slack", "sns", "sqs", "state"}

var (
	// binDir holds lava-actions and plugins/lava-action-<type>.
	binDir    string
	pluginDir string
	// kumoURL is the in-process AWS endpoint, shared by every test (kumo
	// servers in one binary share state: resource names are unique).
	kumoURL string
	awsCfg  aws.Config
)

func TestMain(m *testing.M) { os.Exit(testMain(m)) }

func testMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "lava-trusttest-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	binDir, pluginDir = dir, filepath.Join(dir, "plugins")
	if err := build(dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	srv := kumo.NewServer()
	defer srv.Close()
	kumoURL = srv.URL
	awsCfg = aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(kumoURL)}
	return m.Run()
}

// build builds the CLI and the bundled plugins with one go command.
func build(dir string) error {
	out := filepath.Join(dir, "build")
	args := []string{"build", "-o", out + string(filepath.Separator), "../../cmd/lava-actions"}
	for _, p := range bundled {
		args = append(args, "../../plugins/"+p)
	}
	if b, err := exec.Command("go", args...).CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %v\n%s", err, b)
	}
	if err := os.MkdirAll(filepath.Join(dir, "plugins"), 0o755); err != nil {
		return err
	}
	for _, p := range bundled {
		if err := os.Rename(filepath.Join(out, p), filepath.Join(dir, "plugins", host.ExecutablePrefix+p)); err != nil {
			return err
		}
	}
	return os.Rename(filepath.Join(out, "lava-actions"), filepath.Join(dir, "lava-actions"))
}

func unique(prefix string) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// Direct clients on kumo (never through a fault proxy).
func sqsClient() *sqs.Client {
	return sqs.NewFromConfig(awsCfg, func(o *sqs.Options) { o.DisableMessageChecksumValidation = true })
}
func ddbClient() *dynamodb.Client {
	return dynamodb.NewFromConfig(awsCfg, func(o *dynamodb.Options) { o.DisableValidateResponseChecksum = true })
}
func kmsClient() *kms.Client { return kms.NewFromConfig(awsCfg) }

// newHost starts a host on the built plugins with exactly env as its
// environment (plus PATH and HOME), logging at debug level into the
// returned buffer.
func newHost(t *testing.T, env []string, timeout time.Duration, deadLetters string) (*host.Host, *testkit.SyncBuffer) {
	t.Helper()
	logs := &testkit.SyncBuffer{}
	full := append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}, env...)
	h, err := host.New(host.Config{
		PluginPath:    []string{pluginDir},
		Logger:        slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		ActionTimeout: timeout,
		Environ:       func() []string { return full },
		DeadLetterDir: deadLetters,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h, logs
}

// awsEnv is the plugin environment for an AWS endpoint.
func awsEnv(endpoint string, extra ...string) []string {
	return append([]string{
		"AWS_ENDPOINT_URL=" + endpoint, "AWS_REGION=us-east-1", "AWS_ACCESS_KEY_ID=test",
		"AWS_SECRET_ACCESS_KEY=test", "AWS_EC2_METADATA_DISABLED=true",
	}, extra...)
}

// mustMap decodes a JSON object as lava's DynamoDB-shaped value.
func mustMap(t *testing.T, s string) *value.Map {
	t.Helper()
	v, err := value.DecodeJSON([]byte(s), value.DecimalNumbers)
	if err != nil {
		t.Fatalf("bad JSON %s: %v", s, err)
	}
	return v.(*value.Map)
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// world is one realm's AWS resources on kumo: a queue for the sqs action,
// a topic with a subscribed queue, an EventBridge rule recording events of
// source "trusttest.<realm>", a jobs table with a dispatch target and its
// worker's queue, a state table, the realm's KMS key, and a bare-SES sender.
type world struct {
	realm                                       string
	queueURL, topicARN, topicQueue, workerQueue string
	rule, source, sender                        string
}

func newWorld(t *testing.T) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{realm: unique("tt")}
	w.source = "trusttest." + w.realm
	w.sender = "lava-" + w.realm + "@example.com"
	w.queueURL = createQueue(t, "q-"+w.realm)
	top, err := sns.NewFromConfig(awsCfg).CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("t-" + w.realm)})
	if err != nil {
		t.Fatal(err)
	}
	w.topicARN = aws.ToString(top.TopicArn)
	w.topicQueue = createQueue(t, "sub-"+w.realm)
	attrs, err := sqsClient().GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(w.topicQueue),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sns.NewFromConfig(awsCfg).Subscribe(ctx, &sns.SubscribeInput{TopicArn: top.TopicArn, Protocol: aws.String("sqs"),
		Endpoint: aws.String(attrs.Attributes["QueueArn"])}); err != nil {
		t.Fatal(err)
	}
	eb := eventbridge.NewFromConfig(awsCfg)
	w.rule = "rule-" + w.realm
	pattern := jsonText(map[string]any{"source": []string{w.source}})
	if _, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String(w.rule), EventPattern: aws.String(pattern)}); err != nil {
		t.Fatal(err)
	}
	if _, err := eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String(w.rule),
		Targets: []ebtypes.Target{{Id: aws.String("sink"), Arn: aws.String("arn:aws:sns:us-east-1:000000000000:sink")}}}); err != nil {
		t.Fatal(err)
	}
	createTable(t, "lava."+w.realm+".jobs", "job_id")
	createTable(t, state.Table(w.realm), "state_id")
	createTable(t, "lava."+w.realm+".connections", "conn_id")
	putItem(t, "lava."+w.realm+".jobs", map[string]string{"job_id": "child", "payload": "x", "type": "cmd", "worker": "w1",
		"owner": "trusttest", "description": "dispatch target"})
	w.workerQueue = createQueue(t, "lava-"+w.realm+"-w1")
	key, err := kmsClient().CreateKey(ctx, &kms.CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kmsClient().CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String(state.DefaultKMSKey(w.realm)),
		TargetKeyId: key.KeyMetadata.KeyId}); err != nil {
		t.Fatal(err)
	}
	return w
}

func createQueue(t *testing.T, name string) string {
	t.Helper()
	out, err := sqsClient().CreateQueue(context.Background(), &sqs.CreateQueueInput{QueueName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.QueueUrl)
}

func createTable(t *testing.T, name, key string) {
	t.Helper()
	_, err := ddbClient().CreateTable(context.Background(), &dynamodb.CreateTableInput{
		TableName: aws.String(name), BillingMode: ddbtypes.BillingModePayPerRequest,
		AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String(key), AttributeType: ddbtypes.ScalarAttributeTypeS}},
		KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String(key), KeyType: ddbtypes.KeyTypeHash}},
	})
	if err != nil {
		t.Fatal(err)
	}
}

func putItem(t *testing.T, table string, item map[string]string) {
	t.Helper()
	av := map[string]ddbtypes.AttributeValue{}
	for k, v := range item {
		av[k] = &ddbtypes.AttributeValueMemberS{Value: v}
	}
	if _, err := ddbClient().PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(table), Item: av}); err != nil {
		t.Fatal(err)
	}
}

func putSecureParameter(t *testing.T, name, v string) {
	t.Helper()
	_, err := ssm.NewFromConfig(awsCfg).PutParameter(context.Background(), &ssm.PutParameterInput{
		Name: aws.String(name), Value: aws.String(v), Type: ssmtypes.ParameterTypeSecureString, Overwrite: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
}

// drain receives and deletes every message of the queue at u, waiting
// until at least min arrived (or two seconds passed) and the queue is empty.
func drain(t *testing.T, u string, min int) []string {
	t.Helper()
	ctx := context.Background()
	c := sqsClient()
	var bodies []string
	deadline := time.Now().Add(2 * time.Second)
	for {
		out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(u), MaxNumberOfMessages: 10})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range out.Messages {
			bodies = append(bodies, aws.ToString(m.Body))
			_, _ = c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(u), ReceiptHandle: m.ReceiptHandle})
		}
		if len(out.Messages) == 0 && (len(bodies) >= min || time.Now().After(deadline)) {
			return bodies
		}
		if len(out.Messages) == 0 {
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// deliveredEvents returns the details of events kumo matched to rule.
func deliveredEvents(t *testing.T, rule string) []string {
	t.Helper()
	resp, err := http.Get(kumoURL + "/kumo/eventbridge/delivered-events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var evs []struct{ RuleName, Detail string }
	if err := json.NewDecoder(resp.Body).Decode(&evs); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range evs {
		if e.RuleName == rule {
			out = append(out, e.Detail)
		}
	}
	return out
}

// sesMails returns the subjects of mails kumo's SES accepted from source.
func sesMails(t *testing.T, source string) []string {
	t.Helper()
	resp, err := http.Get(kumoURL + "/_aws/ses?email=" + url.QueryEscape(source))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var mails []struct{ Subject string }
	if err := json.NewDecoder(resp.Body).Decode(&mails); err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(mails))
	for i, m := range mails {
		out[i] = m.Subject
	}
	return out
}

// countContaining counts the strings holding sub.
func countContaining(list []string, sub string) int {
	n := 0
	for _, s := range list {
		if strings.Contains(s, sub) {
			n++
		}
	}
	return n
}
