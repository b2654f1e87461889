// Package connections loads lava connection records (lava spec section 4)
// from the realm's DynamoDB table lava.<realm>.connections and checks them
// with lava's rules and error texts: the common fields, the fields allowed
// for the connection type, the type itself and the enabled flag. It knows
// the email (4.2) and slack (4.3) connection types, and reads an SMTP
// password from SSM Parameter Store.
//
// Secrets are never part of an error text: a Slack webhook URL and an SMTP
// password stay inside the returned structs.
package connections

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/smithy-go"
	"github.com/lava-actions/lava-actions/plugins/internal/awsx"
	"github.com/lava-actions/lava-actions/sdk/value"
)

// GetItemAPI is the DynamoDB call the loader uses.
type GetItemAPI interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
}

// GetParameterAPI is the SSM call the loader uses.
type GetParameterAPI interface {
	GetParameter(ctx context.Context, in *ssm.GetParameterInput, opts ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
}

// Store reads connection records. Build it once per process and reuse it.
type Store struct {
	// DynamoDB reads the connections table.
	DynamoDB GetItemAPI
	// SSM reads SMTP passwords; it may be nil when no password is needed.
	SSM GetParameterAPI
}

// NewStore returns a Store with DynamoDB and SSM clients built from cfg.
// When DynamoDB has a custom endpoint (an emulator), DynamoDB response CRC32
// validation is switched off, because emulators do not send the header.
func NewStore(cfg aws.Config) *Store {
	custom := awsx.EndpointOverridden(cfg, "DYNAMODB")
	return &Store{
		DynamoDB: dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
			if custom {
				o.DisableValidateResponseChecksum = true
			}
		}),
		SSM: ssm.NewFromConfig(cfg),
	}
}

// TableName returns the connections table of realm.
func TableName(realm string) string { return "lava." + realm + ".connections" }

// commonRequired and commonOptional are the fields every connection has
// (section 4.1); X-* and x-* fields are ignored.
var (
	commonRequired = []string{"conn_id", "type"}
	commonOptional = []string{"enabled", "description", "owner", "secret_id"}
	emailOptional  = []string{"from", "region", "return_path", "reply_to", "subtype", "user", "host", "password", "port", "tls", "configuration_set"}
	slackRequired  = []string{"webhook_url"}
	slackOptional  = []string{"from", "style", "colour", "preamble"}
)

// Get reads the raw record of connection id in realm, with numbers as
// value.Decimal. A missing item is "<id>: No such connection".
func (s *Store) Get(ctx context.Context, realm, id string) (*value.Map, error) {
	out, err := s.DynamoDB.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(TableName(realm)),
		Key:       map[string]types.AttributeValue{"conn_id": &types.AttributeValueMemberS{Value: id}},
	})
	if err != nil {
		return nil, fmt.Errorf("%s: Cannot read connection: %s", id, awsMessage(err))
	}
	if len(out.Item) == 0 {
		return nil, fmt.Errorf("%s: No such connection", id)
	}
	m, err := FromItem(out.Item)
	if err != nil {
		return nil, fmt.Errorf("%s: Bad connection record: %v", id, err)
	}
	return m, nil
}

// check applies section 4.1 in lava's order: common fields missing, the
// type's own fields missing, unexpected fields, then the type (lower-cased)
// against allowed, then enabled. It returns the type as stored.
func check(id string, rec *value.Map, required, optional, allowedTypes []string, typeErr string) (string, error) {
	var missing []string
	for _, k := range commonRequired {
		if !rec.Has(k) {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		return "", fmt.Errorf("%s: Bad connection record: Missing keys: %s", id, strings.Join(missing, ", "))
	}
	for _, k := range required {
		if !rec.Has(k) {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return "", fmt.Errorf("Connection %s: Missing keys: %s", id, strings.Join(missing, ", "))
	}
	allowed := map[string]bool{}
	for _, set := range [][]string{commonRequired, commonOptional, required, optional} {
		for _, k := range set {
			allowed[k] = true
		}
	}
	var extra []string
	for _, k := range rec.Keys() {
		if !allowed[k] && !strings.HasPrefix(k, "X-") && !strings.HasPrefix(k, "x-") {
			extra = append(extra, k)
		}
	}
	if len(extra) > 0 {
		slices.Sort(extra)
		return "", fmt.Errorf("Connection %s: Unexpected keys: %s", id, strings.Join(extra, ", "))
	}
	typ, _ := rec.Get("type")
	ts, ok := typ.(string)
	if !ok {
		ts = value.Str(typ)
	}
	if !slices.Contains(allowedTypes, strings.ToLower(ts)) {
		return "", fmt.Errorf("Connection %s: %s not \"%s\"", id, typeErr, strings.ToLower(ts))
	}
	en, _ := rec.Get("enabled")
	if !value.Truthy(en) {
		return "", fmt.Errorf("Connection %s: Not enabled", id)
	}
	return ts, nil
}

// stringField returns field k of rec as a string: "" when absent or None,
// an error when it is not a string.
func stringField(id string, rec *value.Map, k string) (string, error) {
	v, ok := rec.Get(k)
	if !ok || v == nil {
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("Connection %s: %s must be a string", id, k)
	}
	return s, nil
}

// FromItem converts a DynamoDB item to the value model: S → string,
// N → value.Decimal, BOOL → bool, NULL → nil, M → *value.Map (keys sorted,
// as DynamoDB keeps no order), L/SS/NS → []any, B/BS → []byte.
func FromItem(item map[string]types.AttributeValue) (*value.Map, error) {
	keys := make([]string, 0, len(item))
	for k := range item {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	m := value.NewMap()
	for _, k := range keys {
		v, err := FromAttribute(item[k])
		if err != nil {
			return nil, err
		}
		m.Set(k, v)
	}
	return m, nil
}

// FromAttribute converts one DynamoDB attribute value (see FromItem).
func FromAttribute(av types.AttributeValue) (any, error) {
	switch t := av.(type) {
	case *types.AttributeValueMemberS:
		return t.Value, nil
	case *types.AttributeValueMemberN:
		return value.ParseDecimal(t.Value)
	case *types.AttributeValueMemberBOOL:
		return t.Value, nil
	case *types.AttributeValueMemberNULL:
		return nil, nil
	case *types.AttributeValueMemberB:
		return t.Value, nil
	case *types.AttributeValueMemberM:
		return FromItem(t.Value)
	case *types.AttributeValueMemberL:
		out := make([]any, 0, len(t.Value))
		for _, e := range t.Value {
			v, err := FromAttribute(e)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case *types.AttributeValueMemberSS:
		out := make([]any, 0, len(t.Value))
		for _, s := range t.Value {
			out = append(out, s)
		}
		return out, nil
	case *types.AttributeValueMemberNS:
		out := make([]any, 0, len(t.Value))
		for _, s := range t.Value {
			d, err := value.ParseDecimal(s)
			if err != nil {
				return nil, err
			}
			out = append(out, d)
		}
		return out, nil
	case *types.AttributeValueMemberBS:
		out := make([]any, 0, len(t.Value))
		for _, b := range t.Value {
			out = append(out, b)
		}
		return out, nil
	}
	return nil, fmt.Errorf("unsupported DynamoDB attribute type %T", av)
}

// awsMessage is the message of an AWS API error (botocore's
// error['Message']), else the error text.
func awsMessage(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		if msg := ae.ErrorMessage(); msg != "" {
			return msg
		}
		return ae.ErrorCode()
	}
	return awsx.ErrorText(err) // no AWS answer: worded without addresses
}
