package state_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/google/go-cmp/cmp"
	"github.com/lava-actions/lava-actions/sdk/value"
	"github.com/lava-actions/lava-actions/state"
	"github.com/sivchari/kumo"
)

var (
	awsCfg  aws.Config
	db      *dynamodb.Client
	kmsc    *kms.Client
	keyID   string
	seq     atomic.Int64
	tz      = time.FixedZone("", 11*3600)
	fixedAt = time.Date(2024, 3, 1, 10, 0, 5, 0, tz) // epoch 1709247605
)

// realm is the realm of most tests; its table and system key are made in
// TestMain.
const realm = "dev"

func TestMain(m *testing.M) {
	srv := kumo.NewServer()
	cfg := aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")}
	awsCfg = cfg
	db = dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) { o.DisableValidateResponseChecksum = true })
	kmsc = kms.NewFromConfig(cfg)
	ctx := context.Background()
	if err := createTable(ctx, state.Table(realm)); err != nil {
		panic(err)
	}
	k, err := kmsc.CreateKey(ctx, &kms.CreateKeyInput{})
	if err != nil {
		panic(err)
	}
	keyID = aws.ToString(k.KeyMetadata.KeyId)
	if _, err := kmsc.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String(state.DefaultKMSKey(realm)), TargetKeyId: k.KeyMetadata.KeyId}); err != nil {
		panic(err)
	}
	code := m.Run()
	srv.Close()
	os.Exit(code)
}

func createTable(ctx context.Context, name string) error {
	_, err := db.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(name),
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("state_id"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("state_id"), KeyType: types.KeyTypeHash}},
	})
	return err
}

func unique(p string) string { return fmt.Sprintf("%s-%d", p, seq.Add(1)) }

func store() *state.Store {
	s := state.New(db, kmsc)
	s.Now = func() time.Time { return fixedAt }
	return s
}

func rawItem(t *testing.T, id string) map[string]types.AttributeValue {
	t.Helper()
	out, err := db.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(state.Table(realm)),
		Key: map[string]types.AttributeValue{"state_id": &types.AttributeValueMemberS{Value: id}}, ConsistentRead: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	return out.Item
}

func putRaw(t *testing.T, item map[string]types.AttributeValue) {
	t.Helper()
	if _, err := db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(state.Table(realm)), Item: item}); err != nil {
		t.Fatal(err)
	}
}

var avOpts = cmp.Options{cmp.Exporter(func(reflect.Type) bool { return true })}

// TestPutLayout checks the stored attributes of each type (spec 5).
func TestPutLayout(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	val := value.NewMap("a", "G1", "n", value.MustDecimal("1"), "f", value.MustDecimal("2.50"), "l", []any{true, nil, int64(3)})
	cases := []struct {
		typ       string
		publisher string
		ttl       float64
		wantValue types.AttributeValue // nil: secure, checked by decrypting
		wantTTL   string
	}{
		{typ: "", publisher: "demo/job1", ttl: 0, wantTTL: "1709852405",
			wantValue: &types.AttributeValueMemberS{Value: `{"a": "G1", "n": 1, "f": 2.5, "l": [true, null, 3]}`}},
		{typ: "raw", publisher: "pub-dev", ttl: 7200, wantTTL: "1709254805",
			wantValue: &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{
				"a": &types.AttributeValueMemberS{Value: "G1"}, "n": &types.AttributeValueMemberN{Value: "1"},
				"f": &types.AttributeValueMemberN{Value: "2.50"},
				"l": &types.AttributeValueMemberL{Value: []types.AttributeValue{&types.AttributeValueMemberBOOL{Value: true},
					&types.AttributeValueMemberNULL{Value: true}, &types.AttributeValueMemberN{Value: "3"}}}}}},
		{typ: "secure", publisher: "", ttl: 366 * 86400, wantTTL: "1740870005"},
	}
	for _, tc := range cases {
		t.Run("type="+tc.typ, func(t *testing.T) {
			t.Parallel()
			id := unique("layout")
			it := &state.Item{ID: id, Type: tc.typ, Value: val, Publisher: tc.publisher}
			report, err := store().Put(ctx, realm, it, state.PutOptions{TTL: tc.ttl})
			if err != nil {
				t.Fatal(err)
			}
			got := rawItem(t, id)
			wantType := tc.typ
			if wantType == "" {
				wantType = "json"
			}
			want := map[string]types.AttributeValue{
				"state_id":  &types.AttributeValueMemberS{Value: id},
				"type":      &types.AttributeValueMemberS{Value: wantType},
				"timestamp": &types.AttributeValueMemberS{Value: "2024-03-01T10:00:05+11:00"},
				"ttl":       &types.AttributeValueMemberN{Value: tc.wantTTL},
				"value":     tc.wantValue,
			}
			if tc.publisher != "" {
				want["publisher"] = &types.AttributeValueMemberS{Value: tc.publisher}
			}
			if tc.typ == "secure" {
				b, ok := got["value"].(*types.AttributeValueMemberB)
				if !ok {
					t.Fatalf("secure value is %T, want B", got["value"])
				}
				dec, err := kmsc.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: b.Value})
				if err != nil {
					t.Fatal(err)
				}
				if string(dec.Plaintext) != `{"a": "G1", "n": 1, "f": 2.5, "l": [true, null, 3]}` {
					t.Errorf("plaintext = %s", dec.Plaintext)
				}
				if aws.ToString(dec.KeyId) != "" && !strings.Contains(aws.ToString(dec.KeyId), keyID) {
					t.Errorf("decrypted with key %s, want %s", aws.ToString(dec.KeyId), keyID)
				}
				want["value"] = got["value"]
				if strings.Contains(value.Repr(report), "G1") {
					t.Errorf("report shows the secure value: %s", value.Repr(report))
				}
			}
			if diff := cmp.Diff(want, got, avOpts); diff != "" {
				t.Errorf("item (-want +got):\n%s", diff)
			}
			if it.TTL != mustInt(tc.wantTTL) || it.Timestamp.ISOFormat() != "2024-03-01T10:00:05+11:00" {
				t.Errorf("item stamped %d %s", it.TTL, it.Timestamp.ISOFormat())
			}
			// G01: read back, decoded (secure through KMS Decrypt).
			back, err := store().Get(ctx, realm, id)
			if err != nil {
				t.Fatal(err)
			}
			wantBack := &state.Item{ID: id, Type: wantType, Publisher: tc.publisher, TTL: mustInt(tc.wantTTL),
				Timestamp: value.DateTime{Time: fixedAt}, Value: value.NewMap("a", "G1", "n", int64(1), "f", 2.5, "l", []any{true, nil, int64(3)})}
			if tc.typ == "raw" {
				// raw comes back as DynamoDB has it: numbers are Decimal, map keys sorted.
				wantBack.Value = value.NewMap("a", "G1", "f", value.MustDecimal("2.50"), "l", []any{true, nil, value.MustDecimal("3")}, "n", value.MustDecimal("1"))
			}
			if diff := cmp.Diff(wantBack, back, itemOpts); diff != "" {
				t.Errorf("Get (-want +got):\n%s", diff)
			}
		})
	}
}

var itemOpts = cmp.Options{
	cmp.Comparer(func(a, b value.DateTime) bool { return a.Equal(b.Time) && a.ISOFormat() == b.ISOFormat() }),
	cmp.Comparer(func(a, b *value.Map) bool { return value.Repr(a) == value.Repr(b) }),
}

func mustInt(s string) int64 {
	var n int64
	fmt.Sscan(s, &n)
	return n
}

// TestGetValues covers G01's scalar values and the publisher/timestamp.
func TestGetValues(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tc := range []struct {
		typ string
		val any
	}{{"json", "x"}, {"secure", "x"}, {"raw", "x"}, {"json", nil}, {"json", int64(5)}, {"json", []any{"é"}}} {
		id := unique("g01")
		if _, err := store().Put(ctx, realm, &state.Item{ID: id, Type: tc.typ, Value: tc.val, Publisher: "demo/job1"}, state.PutOptions{}); err != nil {
			t.Fatal(err)
		}
		it, err := store().Get(ctx, realm, id)
		if err != nil {
			t.Fatal(err)
		}
		if !cmp.Equal(it.Value, tc.val) || it.Publisher != "demo/job1" || it.Timestamp.String() != "2024-03-01 10:00:05+11:00" || it.Type != tc.typ {
			t.Errorf("%s %v: got %+v", tc.typ, tc.val, it)
		}
	}
}

func TestGetErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := func(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
	full := func(id string, kv ...any) map[string]types.AttributeValue {
		m := map[string]types.AttributeValue{"state_id": s(id), "type": s("json"), "value": s(`"x"`),
			"timestamp": s("2024-03-01T10:00:05+11:00"), "ttl": &types.AttributeValueMemberN{Value: "1709852405"}}
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == nil {
				delete(m, kv[i].(string))
			} else {
				m[kv[i].(string)] = kv[i+1].(types.AttributeValue)
			}
		}
		return m
	}
	cases := []struct {
		name string
		kv   []any
		want string
	}{
		{"G03 unknown type", []any{"type", s("xml")}, "Unknown state type: xml"},
		{"missing keys", []any{"ttl", nil, "timestamp", nil}, "Bad state item: Missing keys: timestamp, ttl"},
		{"unexpected keys", []any{"zz", s("1"), "aa", s("2")}, "Bad state item: Unexpected keys: aa, zz"},
		{"secure not binary", []any{"type", s("secure")}, "Expected DynamoDB Binary type for secure state item value - got <class 'str'>"},
		{"json not a string", []any{"value", &types.AttributeValueMemberN{Value: "5"}}, "the JSON object must be str, bytes or bytearray, not decimal.Decimal"},
		{"bad ciphertext", []any{"type", s("secure"), "value", &types.AttributeValueMemberB{Value: []byte("junk")}}, "An error occurred ("},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			id := unique("bad")
			putRaw(t, full(id, tc.kv...))
			_, err := store().Get(ctx, realm, id)
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("error = %v, want %q", err, tc.want)
			}
			if tc.name == "bad ciphertext" && !strings.Contains(err.Error(), "when calling the Decrypt operation") {
				t.Errorf("error %q does not name Decrypt", err)
			}
		})
	}
	t.Run("missing", func(t *testing.T) {
		t.Parallel()
		_, err := store().Get(ctx, realm, unique("absent"))
		if !errors.Is(err, state.ErrNotFound) {
			t.Errorf("error = %v, want ErrNotFound", err)
		}
	})
	t.Run("no table", func(t *testing.T) {
		t.Parallel()
		_, err := store().Get(ctx, "norealm", "x")
		if err == nil || !strings.Contains(err.Error(), "when calling the GetItem operation") {
			t.Errorf("error = %v", err)
		}
	})
}

func TestPutErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cases := []struct {
		name  string
		realm string
		it    state.Item
		opt   state.PutOptions
		want  string
	}{
		{"no table", "norealm", state.Item{ID: "x", Value: "v"}, state.PutOptions{}, "Cannot put state item: An error occurred ("},
		{"unknown type", realm, state.Item{ID: "x", Type: "xml", Value: "v"}, state.PutOptions{}, "xml: No such state type"},
		{"bad KMS key", realm, state.Item{ID: "x", Type: "secure", Value: "v"}, state.PutOptions{KMSKey: "alias/none"}, "An error occurred ("},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := store().Put(ctx, tc.realm, &tc.it, tc.opt)
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("error = %v, want prefix %q", err, tc.want)
			}
		})
	}
}

func TestImport(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	have, missing := unique("have"), unique("missing")
	if _, err := store().Put(ctx, realm, &state.Item{ID: have, Type: "raw", Value: value.NewMap("k", "stored")}, state.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	job := value.NewMap("job_id", "j", "state", value.NewMap(have, "default1", missing, "default2"))
	if err := state.NewFromConfig(awsCfg).Import(ctx, realm, job); err != nil {
		t.Fatal(err)
	}
	want := value.NewMap(have, value.NewMap("k", "stored"), missing, "default2")
	if got := job.Map("state"); value.Repr(got) != value.Repr(want) {
		t.Errorf("state = %s, want %s", value.Repr(got), value.Repr(want))
	}

	bad := unique("bad")
	putRaw(t, map[string]types.AttributeValue{"state_id": &types.AttributeValueMemberS{Value: bad}, "type": &types.AttributeValueMemberS{Value: "xml"},
		"value": &types.AttributeValueMemberS{Value: "1"}, "timestamp": &types.AttributeValueMemberS{Value: "2024-03-01T10:00:05+11:00"},
		"ttl": &types.AttributeValueMemberN{Value: "1"}})
	job = value.NewMap("state", value.NewMap(have, nil, bad, nil))
	if err := store().Import(ctx, realm, job); err == nil || err.Error() != "Unknown state type: xml" {
		t.Errorf("import of a bad item: %v", err)
	}
	if err := store().Import(ctx, realm, value.NewMap("job_id", "no state")); err != nil {
		t.Errorf("job without state: %v", err)
	}
}

func TestResolveTTL(t *testing.T) {
	t.Parallel()
	cases := []struct {
		ttl           any
		stateTTL, max string
		want          float64
		wantErr       string
	}{
		{nil, "", "", 7 * 86400, ""},
		{int64(0), "", "", 7 * 86400, ""},                              // T07
		{"", "", "", 7 * 86400, ""},                                    // falsy
		{"2h", "", "", 7200, ""},                                       // T03
		{"400d", "", "", 366 * 86400, ""},                              // T05
		{value.MustDecimal("90"), "", "", 90, ""},                      // DynamoDB number
		{"1w", "1d", "2d", 2 * 86400, ""},                              // config max
		{nil, "1d", "", 86400, ""},                                     // config default
		{"5 parsecs", "", "", 0, "Invalid duration: 5 parsecs"},        // bad
		{[]any{1}, "", "", 0, "Invalid duration type: <class 'list'>"}, // bad type
		{nil, "soon", "", 0, "Invalid duration: soon"},                 // bad config
		{"1d", "", "forever", 0, "Invalid duration: forever"},          // bad config max
		{"-1d", "", "", -86400, ""},                                    // as lava: negative kept
		{1.5, "", "", 1.5, ""},                                         // seconds
		{"  3 m ", "", "", 180, ""},                                    // spaces
		{"1e1s", "", "", 10, ""},                                       // exponent
		{true, "", "", 0, "Invalid duration type: <class 'bool'>"},     // bool
		{value.NewMap(), "", "", 7 * 86400, ""},                        // falsy dict
		{value.MustDecimal("0.0"), "", "", 7 * 86400, ""},              // falsy Decimal
		{"0", "", "", 0, ""},                                           // truthy string "0"
		{[]any{}, "", "", 7 * 86400, ""},                               // falsy list
		{"366d", "", "", 366 * 86400, ""},                              // at the cap
		{"52.3w", "", "", 366 * 86400, ""},                             // over the cap
		{"10", "", "", 10, ""},                                         // bare number
		{" .5h", "", "", 1800, ""},                                     // leading dot
		{"1H", "", "", 0, "Invalid duration: 1H"},                      // case-sensitive unit
		{"1 d", "", "", 86400, ""},                                     // space before unit
		{"+2m", "", "", 120, ""},                                       // sign
		{"2mm", "", "", 0, "Invalid duration: 2mm"},                    // junk
		{"", "0", "", 0, ""},                                           // STATE_TTL 0
		{"", "", "0", 0, ""},                                           // max 0
		{int64(-5), "", "", -5, ""},                                    // negative number
		{value.MustDecimal("1e2"), "", "", 100, ""},                    // Decimal exponent
		{"1e400", "", "", 366 * 86400, ""},                             // float overflow is inf in Python, then capped at STATE_MAX_TTL
		{"1.5d", "", "", 1.5 * 86400, ""},                              // fraction
		{"7d", "7d", "366d", 7 * 86400, ""},                            // explicit
		{nil, "", "1h", 3600, ""},                                      // default capped by max
		{false, "", "", 7 * 86400, ""},                                 // False is falsy
		{value.MustDecimal("-0"), "", "", 7 * 86400, ""},               // -0 falsy
		{float64(0), "", "", 7 * 86400, ""},                            // 0.0 falsy
		{"0.0", "", "", 0, ""},                                         // "0.0" truthy
		{"5s", "", "", 5, ""},                                          // seconds unit
		{value.NewMap("a", int64(1)), "", "", 0, "Invalid duration type: <class 'dict'>"}, // dict
	}
	for _, tc := range cases {
		got, err := state.ResolveTTL(tc.ttl, tc.stateTTL, tc.max)
		gotErr := ""
		if err != nil {
			gotErr = err.Error()
		}
		if gotErr != tc.wantErr || (err == nil && got != tc.want) {
			t.Errorf("ResolveTTL(%s, %q, %q) = %v, %q; want %v, %q", value.Repr(tc.ttl), tc.stateTTL, tc.max, got, gotErr, tc.want, tc.wantErr)
		}
	}
}

func TestCheckTypeAndReserved(t *testing.T) {
	t.Parallel()
	for _, typ := range []string{"", "json", "raw", "secure"} {
		if err := state.CheckType(typ); err != nil {
			t.Errorf("CheckType(%q) = %v", typ, err)
		}
	}
	if err := state.CheckType("xml"); err == nil || err.Error() != "xml: No such state type" {
		t.Errorf("CheckType(xml) = %v", err)
	}
	for id, want := range map[string]bool{"lava": true, "LaVa-x": true, "lavalamp": true, "my-lava": false, "": false, "lav": false} {
		if got := state.Reserved(id); got != want {
			t.Errorf("Reserved(%q) = %v", id, got)
		}
	}
}

// TestAttributeRoundTrip converts values to DynamoDB and back.
func TestAttributeRoundTrip(t *testing.T) {
	t.Parallel()
	in := value.NewMap("s", "x", "n", value.MustDecimal("1.50"), "i", int64(-3), "f", 0.25, "b", false, "z", nil,
		"l", []any{"a", value.NewMap("k", []any{})}, "bin", []byte{1, 2}, "dt", value.DateTime{Time: fixedAt})
	av, err := state.ToAttributeValue(in)
	if err != nil {
		t.Fatal(err)
	}
	back, err := state.FromAttributeValue(av)
	if err != nil {
		t.Fatal(err)
	}
	want := value.NewMap("b", false, "bin", []byte{1, 2}, "dt", "2024-03-01T10:00:05+11:00", "f", value.MustDecimal("0.25"),
		"i", value.MustDecimal("-3"), "l", []any{"a", value.NewMap("k", []any{})}, "n", value.MustDecimal("1.50"), "s", "x", "z", nil)
	if value.Repr(back) != value.Repr(want) {
		t.Errorf("round trip = %s\nwant %s", value.Repr(back), value.Repr(want))
	}
	if _, err := state.ToAttributeValue(struct{}{}); err == nil {
		t.Errorf("unsupported type accepted")
	}
	sets := map[string]types.AttributeValue{
		"ss": &types.AttributeValueMemberSS{Value: []string{"a"}},
		"ns": &types.AttributeValueMemberNS{Value: []string{"1"}},
		"bs": &types.AttributeValueMemberBS{Value: [][]byte{{1}}},
	}
	m, err := state.ItemFromAttributes(sets)
	if err != nil || value.Repr(m) != value.Repr(value.NewMap("bs", []any{[]byte{1}}, "ns", []any{value.MustDecimal("1")}, "ss", []any{"a"})) {
		t.Errorf("sets = %s, %v", value.Repr(m), err)
	}
}

// TestPreviewMatchesPut: Preview makes no call and reports what Put writes.
func TestPreviewMatchesPut(t *testing.T) {
	t.Parallel()
	it := state.Item{ID: unique("prev"), Type: "secure", Value: "secret-value", Publisher: "p"}
	p := it
	noClients := state.New(nil, nil)
	noClients.Now = func() time.Time { return fixedAt }
	preview, err := noClients.Preview(realm, &p, state.PutOptions{TTL: 60})
	if err != nil {
		t.Fatal(err)
	}
	report, err := store().Put(context.Background(), realm, &it, state.PutOptions{TTL: 60})
	if err != nil {
		t.Fatal(err)
	}
	if value.Repr(preview) != value.Repr(report) {
		t.Errorf("preview %s\nput     %s", value.Repr(preview), value.Repr(report))
	}
	if strings.Contains(value.Repr(report), "secret-value") {
		t.Errorf("report shows the secure value")
	}
}
