package awstest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

// PutItemJSON puts one DynamoDB item given as a JSON object: strings
// become S, numbers N (their text kept), booleans BOOL, null NULL, objects
// M and arrays L.
func (e *Env) PutItemJSON(t testing.TB, table, item string) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader([]byte(item)))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("awstest: item JSON: %v", err)
	}
	av := attrMap(m)
	if _, err := e.DynamoDB().PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(table), Item: av}); err != nil {
		t.Fatalf("awstest: put item in %s: %v", table, err)
	}
}

func attrMap(m map[string]any) map[string]ddbtypes.AttributeValue {
	out := make(map[string]ddbtypes.AttributeValue, len(m))
	for k, v := range m {
		out[k] = attr(v)
	}
	return out
}

func attr(v any) ddbtypes.AttributeValue {
	switch t := v.(type) {
	case nil:
		return &ddbtypes.AttributeValueMemberNULL{Value: true}
	case bool:
		return &ddbtypes.AttributeValueMemberBOOL{Value: t}
	case json.Number:
		return &ddbtypes.AttributeValueMemberN{Value: t.String()}
	case string:
		return &ddbtypes.AttributeValueMemberS{Value: t}
	case map[string]any:
		return &ddbtypes.AttributeValueMemberM{Value: attrMap(t)}
	case []any:
		l := make([]ddbtypes.AttributeValue, len(t))
		for i, e := range t {
			l[i] = attr(e)
		}
		return &ddbtypes.AttributeValueMemberL{Value: l}
	}
	panic(fmt.Sprintf("awstest: unsupported JSON value %T", v))
}

// SSM returns an SSM client for the endpoint.
func (e *Env) SSM() *ssm.Client { return ssm.NewFromConfig(e.Config) }

// PutSecureParameter stores an SSM SecureString parameter (overwriting).
func (e *Env) PutSecureParameter(t testing.TB, name, value string) {
	t.Helper()
	_, err := e.SSM().PutParameter(context.Background(), &ssm.PutParameterInput{
		Name: aws.String(name), Value: aws.String(value), Type: ssmtypes.ParameterTypeSecureString, Overwrite: aws.Bool(true),
	})
	if err != nil {
		t.Fatalf("awstest: put parameter %s: %v", name, err)
	}
}

// S3 returns an S3 client for the endpoint (path-style addressing).
func (e *Env) S3() *s3.Client {
	return s3.NewFromConfig(e.Config, func(o *s3.Options) { o.UsePathStyle = true })
}

// PutObject creates bucket if needed and stores data at key.
func (e *Env) PutObject(t testing.TB, bucket, key string, data []byte) {
	t.Helper()
	ctx := context.Background()
	c := e.S3()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		if _, herr := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket)}); herr != nil {
			t.Fatalf("awstest: create bucket %s: %v", bucket, err)
		}
	}
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(data)}); err != nil {
		t.Fatalf("awstest: put s3://%s/%s: %v", bucket, key, err)
	}
}

// SentEmail is one mail kumo's SES recorded (GET /_aws/ses?email=<source>).
type SentEmail struct {
	MessageID   string    `json:"messageId"`
	Source      string    `json:"source"`
	Subject     string    `json:"subject"`
	Body        string    `json:"body"`
	HTMLBody    string    `json:"htmlBody"`
	RawData     string    `json:"rawData"`
	Destination []string  `json:"destination"`
	SentAt      time.Time `json:"sentAt"`
}

// SESMailbox returns the mails kumo's SES v1 accepted from source (for
// SendRawEmail without Source, kumo takes the raw From header), in
// sending order.
func (e *Env) SESMailbox(t testing.TB, source string) []SentEmail {
	t.Helper()
	resp, err := http.Get(e.URL + "/_aws/ses?email=" + url.QueryEscape(source))
	if err != nil {
		t.Fatalf("awstest: SES mailbox: %v", err)
	}
	defer resp.Body.Close()
	var out []SentEmail
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("awstest: SES mailbox: %v", err)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].SentAt.Before(out[j].SentAt) })
	return out
}
