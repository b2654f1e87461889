// Package state is lava's state manager (spec section 5): it writes state
// items to and reads them from the DynamoDB table lava.<realm>.state, and
// imports a job's declared state map before its templates are rendered
// (spec 2.5).
//
// An item is stored as
//
//	state_id  S  the item id (hash key)
//	type      S  json, raw or secure
//	value        json: json.dumps text (S); raw: the value itself; secure:
//	             the KMS ciphertext of the json.dumps text (B)
//	timestamp S  when it was put: local time, ISO 8601 with offset, whole seconds
//	ttl       N  expiry, Unix seconds (DynamoDB TTL attribute)
//	publisher S  who put it; omitted when empty
//
// Numbers keep their value in every type (decision 0.6): DynamoDB numbers
// (value.Decimal) are written as JSON numbers or N attributes.
//
// A Store is safe for concurrent use.
package state

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/smithy-go"
	"github.com/lava-actions/lava-actions/sdk/units"
	"github.com/lava-actions/lava-actions/sdk/value"
)

// State item types.
const (
	TypeJSON   = "json"
	TypeRaw    = "raw"
	TypeSecure = "secure"
)

// DefaultType is the type used when none is given.
const DefaultType = TypeJSON

// Default configuration values (config keys STATE_TTL and STATE_MAX_TTL).
const (
	DefaultTTL    = "7d"
	DefaultMaxTTL = "366d"
)

// MaxSecureSize is KMS's plaintext limit for a secure value, in bytes.
const MaxSecureSize = 4096

// ErrNotFound is returned (wrapped) by Get when the item does not exist.
var ErrNotFound = errors.New("No such state item")

// ErrReserved is the error for a state id that starts with "lava" (any
// case). The state action and CLI enforce it; the Store does not.
var ErrReserved = errors.New(`Values beginning with "lava" are reserved`)

// Types lists the state types, sorted.
func Types() []string { return []string{TypeJSON, TypeRaw, TypeSecure} }

// CheckType returns lava's error for an unknown type: "<type>: No such state
// type". The empty string means DefaultType and is valid.
func CheckType(t string) error {
	if t == "" || slices.Contains(Types(), t) {
		return nil
	}
	return fmt.Errorf("%s: No such state type", t)
}

// Reserved reports whether id begins with "lava", case-insensitively.
func Reserved(id string) bool { return strings.HasPrefix(strings.ToLower(id), "lava") }

// Table returns the state table name of realm.
func Table(realm string) string { return "lava." + realm + ".state" }

// DefaultKMSKey returns the key secure items of realm are encrypted with
// when none is given: alias/lava-<realm>-sys.
func DefaultKMSKey(realm string) string { return "alias/lava-" + realm + "-sys" }

// ResolveTTL returns the time to live in seconds as lava computes it:
// min(duration(ttl or stateTTL), duration(maxTTL)). A falsy ttl (nil, 0,
// "", false) means stateTTL; empty stateTTL/maxTTL mean the defaults.
// Errors are lava's duration errors ("Invalid duration: 5 parsecs").
func ResolveTTL(ttl any, stateTTL, maxTTL string) (float64, error) {
	if stateTTL == "" {
		stateTTL = DefaultTTL
	}
	if maxTTL == "" {
		maxTTL = DefaultMaxTTL
	}
	if !value.Truthy(ttl) {
		ttl = stateTTL
	}
	secs, err := units.ParseDuration(ttl)
	if err != nil {
		return 0, err
	}
	max, err := units.ParseDuration(maxTTL)
	if err != nil {
		return 0, err
	}
	return math.Min(secs, max), nil
}

// DynamoDBAPI is the part of the DynamoDB client the Store uses.
type DynamoDBAPI interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
}

// KMSAPI is the part of the KMS client the Store uses for secure items.
type KMSAPI interface {
	Encrypt(ctx context.Context, in *kms.EncryptInput, opts ...func(*kms.Options)) (*kms.EncryptOutput, error)
	Decrypt(ctx context.Context, in *kms.DecryptInput, opts ...func(*kms.Options)) (*kms.DecryptOutput, error)
}

// Store reads and writes state items.
type Store struct {
	db  DynamoDBAPI
	kms KMSAPI
	// Now returns the current time; its location is the "local" zone of
	// timestamps. Nil means time.Now.
	Now func() time.Time
}

// New returns a Store using the given clients. kms may be nil when no
// secure item is read or written.
func New(db DynamoDBAPI, kms KMSAPI) *Store { return &Store{db: db, kms: kms} }

// NewFromConfig returns a Store with DynamoDB and KMS clients built from
// cfg. When cfg or the environment (AWS_ENDPOINT_URL,
// AWS_ENDPOINT_URL_DYNAMODB) points DynamoDB at a custom endpoint, the
// client skips the CRC32 response check that local emulators fail.
func NewFromConfig(cfg aws.Config) *Store {
	custom := (cfg.BaseEndpoint != nil && *cfg.BaseEndpoint != "") ||
		os.Getenv("AWS_ENDPOINT_URL_DYNAMODB") != "" || os.Getenv("AWS_ENDPOINT_URL") != ""
	db := dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) { o.DisableValidateResponseChecksum = custom })
	return New(db, kms.NewFromConfig(cfg))
}

func (s *Store) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Item is one state item.
type Item struct {
	// ID is the state_id.
	ID string
	// Type is json, raw or secure; "" means json.
	Type string
	// Value is the item's value in the sdk/value model.
	Value any
	// Publisher identifies who put the item; "" is not stored.
	Publisher string
	// Timestamp is when the item was put (set by Put and Get).
	Timestamp value.DateTime
	// TTL is the expiry time in Unix seconds (set by Put and Get).
	TTL int64
}

// PutOptions are the write-only settings of Put.
type PutOptions struct {
	// TTL is the time to live in seconds, as ResolveTTL returns it; 0 means
	// ResolveTTL's default (7 days).
	TTL float64
	// KMSKey encrypts a secure item; "" means DefaultKMSKey(realm).
	KMSKey string
}

// Put writes it to realm's state table (PutItem, full replace, ReturnValues
// NONE). It sets it.Timestamp and it.TTL. The returned map is the item as
// written, for reports: a secure value is replaced by a placeholder and
// never appears in it. Errors: a KMS error for secure items, and "Cannot
// put state item: <err>" when the write fails.
func (s *Store) Put(ctx context.Context, realm string, it *Item, opt PutOptions) (*value.Map, error) {
	report, err := s.prepare(realm, it, opt)
	if err != nil {
		return nil, err
	}
	enc, err := s.encode(ctx, realm, it, opt)
	if err != nil {
		return nil, err
	}
	attrs := map[string]types.AttributeValue{
		"state_id":  &types.AttributeValueMemberS{Value: it.ID},
		"type":      &types.AttributeValueMemberS{Value: typeOf(it)},
		"value":     enc,
		"timestamp": &types.AttributeValueMemberS{Value: it.Timestamp.ISOFormat()},
		"ttl":       &types.AttributeValueMemberN{Value: fmt.Sprint(it.TTL)},
	}
	if it.Publisher != "" {
		attrs["publisher"] = &types.AttributeValueMemberS{Value: it.Publisher}
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(Table(realm)), Item: attrs, ReturnValues: types.ReturnValueNone,
	})
	if err != nil {
		return nil, fmt.Errorf("Cannot put state item: %s", errorText(err))
	}
	return report, nil
}

// Preview returns the item Put would write now, without any AWS call (for
// dry runs), with the same placeholder for a secure value as Put's report.
// It sets it.Timestamp and it.TTL.
func (s *Store) Preview(realm string, it *Item, opt PutOptions) (*value.Map, error) {
	return s.prepare(realm, it, opt)
}

func typeOf(it *Item) string {
	if it.Type == "" {
		return DefaultType
	}
	return it.Type
}

// prepare checks it, stamps the time and builds the report map.
func (s *Store) prepare(realm string, it *Item, opt PutOptions) (*value.Map, error) {
	if err := CheckType(it.Type); err != nil {
		return nil, err
	}
	ttl := opt.TTL
	if ttl == 0 {
		var err error
		if ttl, err = ResolveTTL(nil, "", ""); err != nil {
			return nil, err
		}
	}
	now := s.now()
	it.Timestamp = value.DateTime{Time: now.Truncate(time.Second)}
	it.TTL = int64(float64(now.UnixNano())/1e9 + ttl)

	var shown any
	switch typeOf(it) {
	case TypeJSON:
		text, err := encodeJSON(it.Value)
		if err != nil {
			return nil, err
		}
		shown = text
	case TypeRaw:
		if _, err := ToAttributeValue(it.Value); err != nil {
			return nil, err
		}
		shown = it.Value
	case TypeSecure:
		text, err := encodeJSON(it.Value)
		if err != nil {
			return nil, err
		}
		key := opt.KMSKey
		if key == "" {
			key = DefaultKMSKey(realm)
		}
		shown = fmt.Sprintf("<secure: %d bytes encrypted with KMS key %s>", len(text), key)
	}
	report := value.NewMap("state_id", it.ID, "type", typeOf(it), "value", shown,
		"timestamp", it.Timestamp.ISOFormat(), "ttl", it.TTL)
	if it.Publisher != "" {
		report.Set("publisher", it.Publisher)
	}
	return report, nil
}

func encodeJSON(v any) (string, error) {
	return value.EncodeJSON(v, value.EncodeOptions{DecimalAsNumber: true, DateTimeAsISO: true})
}

func (s *Store) encode(ctx context.Context, realm string, it *Item, opt PutOptions) (types.AttributeValue, error) {
	switch typeOf(it) {
	case TypeRaw:
		return ToAttributeValue(it.Value)
	case TypeSecure:
		text, err := encodeJSON(it.Value)
		if err != nil {
			return nil, err
		}
		if s.kms == nil {
			return nil, errors.New("secure state items need a KMS client")
		}
		key := opt.KMSKey
		if key == "" {
			key = DefaultKMSKey(realm)
		}
		out, err := s.kms.Encrypt(ctx, &kms.EncryptInput{KeyId: aws.String(key), Plaintext: []byte(text)})
		if err != nil {
			return nil, errors.New(errorText(err))
		}
		return &types.AttributeValueMemberB{Value: out.CiphertextBlob}, nil
	default:
		text, err := encodeJSON(it.Value)
		if err != nil {
			return nil, err
		}
		return &types.AttributeValueMemberS{Value: text}, nil
	}
}

var (
	requiredKeys = []string{"state_id", "type", "value", "timestamp", "ttl"}
	optionalKeys = []string{"publisher"}
)

// Get reads state item id of realm with a strongly consistent read and
// decodes its value (secure values are decrypted with KMS). A missing item
// gives an error wrapping ErrNotFound. Other errors are lava's: "Bad state
// item: Missing keys: …", "Bad state item: Unexpected keys: …", "Unknown
// state type: <type>", "Expected DynamoDB Binary type for secure state item
// value - got <class 'str'>", and AWS errors in botocore's wording.
func (s *Store) Get(ctx context.Context, realm, id string) (*Item, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(Table(realm)),
		Key:            map[string]types.AttributeValue{"state_id": &types.AttributeValueMemberS{Value: id}},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, errors.New(errorText(err))
	}
	if out.Item == nil {
		return nil, fmt.Errorf("%s: %w", id, ErrNotFound)
	}
	var missing, extra []string
	for _, k := range requiredKeys {
		if _, ok := out.Item[k]; !ok {
			missing = append(missing, k)
		}
	}
	for k := range out.Item {
		if !slices.Contains(requiredKeys, k) && !slices.Contains(optionalKeys, k) {
			extra = append(extra, k)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return nil, fmt.Errorf("Bad state item: Missing keys: %s", strings.Join(missing, ", "))
	}
	if len(extra) > 0 {
		slices.Sort(extra)
		return nil, fmt.Errorf("Bad state item: Unexpected keys: %s", strings.Join(extra, ", "))
	}
	typ, err := FromAttributeValue(out.Item["type"])
	if err != nil {
		return nil, err
	}
	it := &Item{ID: id, Type: value.Str(typ)}
	if !slices.Contains(Types(), it.Type) {
		return nil, fmt.Errorf("Unknown state type: %s", it.Type)
	}
	if p, ok := out.Item["publisher"]; ok {
		pv, err := FromAttributeValue(p)
		if err != nil {
			return nil, err
		}
		if pv != nil {
			it.Publisher = value.Str(pv)
		}
	}
	if it.Value, err = s.decode(ctx, it.Type, out.Item["value"]); err != nil {
		return nil, err
	}
	ts, err := FromAttributeValue(out.Item["timestamp"])
	if err != nil {
		return nil, err
	}
	if it.Timestamp, err = value.ParseDateTime(value.Str(ts)); err != nil {
		return nil, fmt.Errorf("Bad state item: timestamp: %v", err)
	}
	if n, ok := out.Item["ttl"].(*types.AttributeValueMemberN); ok {
		d, err := value.ParseDecimal(n.Value)
		if err != nil {
			return nil, err
		}
		it.TTL, _ = d.Int64()
	}
	return it, nil
}

func (s *Store) decode(ctx context.Context, typ string, av types.AttributeValue) (any, error) {
	switch typ {
	case TypeRaw:
		return FromAttributeValue(av)
	case TypeSecure:
		b, ok := av.(*types.AttributeValueMemberB)
		if !ok {
			return nil, fmt.Errorf("Expected DynamoDB Binary type for secure state item value - got %s", pyClass(av))
		}
		if s.kms == nil {
			return nil, errors.New("secure state items need a KMS client")
		}
		out, err := s.kms.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: b.Value})
		if err != nil {
			return nil, errors.New(errorText(err))
		}
		return value.DecodeJSON(out.Plaintext, value.PythonNumbers)
	default:
		sv, ok := av.(*types.AttributeValueMemberS)
		if !ok {
			cls := strings.TrimSuffix(strings.TrimPrefix(pyClass(av), "<class '"), "'>")
			return nil, fmt.Errorf("the JSON object must be str, bytes or bytearray, not %s", cls)
		}
		return value.DecodeJSON([]byte(sv.Value), value.PythonNumbers)
	}
}

// Import fills the job's declared state map (job["state"]: state_id →
// default value) from realm's state table, as lava's worker does at run
// start (spec 2.5): an existing item's value replaces the default, a missing
// item keeps it, and any other error is returned (the job must not run).
// Only declared ids are read.
func (s *Store) Import(ctx context.Context, realm string, job *value.Map) error {
	st := job.Map("state")
	if st == nil {
		return nil
	}
	for _, id := range st.Keys() {
		it, err := s.Get(ctx, realm, id)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		st.Set(id, it.Value)
	}
	return nil
}

// errorText words an AWS error as botocore does.
func errorText(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		op := ""
		var oe *smithy.OperationError
		if errors.As(err, &oe) {
			op = oe.Operation()
		}
		return fmt.Sprintf("An error occurred (%s) when calling the %s operation: %s", ae.ErrorCode(), op, ae.ErrorMessage())
	}
	return err.Error()
}
