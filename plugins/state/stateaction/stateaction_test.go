package stateaction_test

import (
	"context"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/google/go-cmp/cmp"
	"github.com/lava-actions/lava-actions/plugins/internal/awstest"
	"github.com/lava-actions/lava-actions/plugins/state/stateaction"
	"github.com/lava-actions/lava-actions/sdk"
	"github.com/lava-actions/lava-actions/sdk/plugintest"
	"github.com/lava-actions/lava-actions/sdk/render"
	"github.com/lava-actions/lava-actions/sdk/value"
	"github.com/lava-actions/lava-actions/state"
)

var (
	env     *awstest.Env
	keyID   string                                                            // the key behind alias/lava-dev-sys
	otherID string                                                            // another key
	fixedAt = time.Date(2024, 3, 1, 10, 0, 5, 0, time.FixedZone("", 11*3600)) // epoch 1709247605
)

func TestMain(m *testing.M) {
	e, stop := awstest.StartMain()
	env = e
	t := awstest.MainTB()
	env.CreateTable(t, "lava.dev.state", "state_id")
	keyID = env.CreateKMSKey(t, "alias/lava-dev-sys")
	otherID = env.CreateKMSKey(t, "")
	code := m.Run()
	stop()
	os.Exit(code)
}

func clock() time.Time { return fixedAt }

func item(kv ...any) *value.Map {
	return value.NewMap(append([]any{"action", "state"}, kv...)...)
}

func stored(t *testing.T, id string) map[string]types.AttributeValue {
	t.Helper()
	out, err := env.DynamoDB().GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String("lava.dev.state"),
		Key: map[string]types.AttributeValue{"state_id": &types.AttributeValueMemberS{Value: id}}, ConsistentRead: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	return out.Item
}

func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
func n(v string) types.AttributeValue { return &types.AttributeValueMemberN{Value: v} }

var avOpts = cmp.Exporter(func(reflect.Type) bool { return true })

// TestPut covers spec 9.11 (as amended by decisions 0.5 and 0.6), reading
// each item back with GetItem.
func TestPut(t *testing.T) {
	t.Parallel()
	conn := plugintest.InProcess(t, stateaction.Action{Now: clock})
	job, _, _ := plugintest.Fixture()
	job.Map("globals").Set("q", `a"b`)
	job.Map("globals").Set("u", "a\nb")
	cases := []struct {
		name   string
		kv     []any // "ID" in state_id is replaced by a unique id
		result *value.Map
		// want: the stored attributes besides state_id and timestamp.
		want map[string]types.AttributeValue
	}{
		{name: "T01 Decimal kept (0.6)", kv: []any{"state_id", "sid-{{ job.job_id }}-ID", "value", value.NewMap("a", "{{ globals.g1 }}", "n", value.MustDecimal("1"))},
			want: map[string]types.AttributeValue{"type": s("json"), "value": s(`{"a": "G1", "n": 1}`), "ttl": n("1709852405"), "publisher": s("demo/job1")}},
		{name: "T03 raw", kv: []any{"state_id", "ID", "type", "raw", "ttl", "2h", "publisher", "pub-{{ realm.realm }}", "value", value.NewMap("a", "{{ globals.g1 }}")},
			want: map[string]types.AttributeValue{"type": s("raw"), "ttl": n("1709254805"), "publisher": s("pub-dev"),
				"value": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"a": s("G1")}}}},
		{name: "T05 ttl capped", kv: []any{"state_id", "ID", "ttl", "400d", "value", "x"},
			want: map[string]types.AttributeValue{"type": s("json"), "value": s(`"x"`), "ttl": n("1740870005"), "publisher": s("demo/job1")}},
		{name: "T07 ttl 0 is default", kv: []any{"state_id", "ID", "ttl", int64(0), "value", "x"},
			want: map[string]types.AttributeValue{"type": s("json"), "value": s(`"x"`), "ttl": n("1709852405"), "publisher": s("demo/job1")}},
		{name: "ttl empty is default", kv: []any{"state_id", "ID", "ttl", "", "value", "x"},
			want: map[string]types.AttributeValue{"type": s("json"), "value": s(`"x"`), "ttl": n("1709852405"), "publisher": s("demo/job1")}},
		{name: "ttl Decimal", kv: []any{"state_id", "ID", "ttl", value.MustDecimal("60"), "value", "x"},
			want: map[string]types.AttributeValue{"type": s("json"), "value": s(`"x"`), "ttl": n("1709247665"), "publisher": s("demo/job1")}},
		{name: "T11 int", kv: []any{"state_id", "ID", "value", int64(5)},
			want: map[string]types.AttributeValue{"type": s("json"), "value": s("5"), "ttl": n("1709852405"), "publisher": s("demo/job1")}},
		{name: "T11 null", kv: []any{"state_id", "ID", "value", nil},
			want: map[string]types.AttributeValue{"type": s("json"), "value": s("null"), "ttl": n("1709852405"), "publisher": s("demo/job1")}},
		{name: "T13 tojson (0.5)", kv: []any{"state_id", "ID", "value", value.NewMap("r", "{{ result | tojson }}")}, result: value.NewMap("exit_status", int64(0)),
			want: map[string]types.AttributeValue{"type": s("json"), "value": s(`{"r": "{\"exit_status\": 0}"}`), "ttl": n("1709852405"), "publisher": s("demo/job1")}},
		{name: "T12-like double quotes in expressions (0.5)", kv: []any{"state_id", "ID", "value", value.NewMap("q", `{{ "dq" }}`, "g", "{{ globals.q }}", "u", "{{ globals.u }}")},
			want: map[string]types.AttributeValue{"type": s("json"), "value": s(`{"q": "dq", "g": "a\"b", "u": "a\nb"}`), "ttl": n("1709852405"), "publisher": s("demo/job1")}},
		{name: "T17 empty publisher omitted", kv: []any{"state_id", "ID", "publisher", "", "value", "x"},
			want: map[string]types.AttributeValue{"type": s("json"), "value": s(`"x"`), "ttl": n("1709852405")}},
		{name: "T19 exact text", kv: []any{"state_id", "ID", "value", value.NewMap("status", "ok", "job", "{{ job.job_id }}",
			"when", "{{ ustart.isoformat() }}", "tags", []any{"a", "{{ globals.g1 }}"}, "flag", true)},
			want: map[string]types.AttributeValue{"type": s("json"), "ttl": n("1709852405"), "publisher": s("demo/job1"),
				"value": s(`{"status": "ok", "job": "demo/job1", "when": "2024-02-29T23:00:00+00:00", "tags": ["a", "G1"], "flag": true}`)}},
		{name: "keys rendered, non-ASCII", kv: []any{"state_id", "ID", "value", value.NewMap("{{ job.run_id }}", "é")},
			want: map[string]types.AttributeValue{"type": s("json"), "value": s(`{"run-0001": "\u00e9"}`), "ttl": n("1709852405"), "publisher": s("demo/job1")}},
		{name: "raw Decimal", kv: []any{"state_id", "ID", "type", "raw", "value", []any{value.MustDecimal("1.50"), true, nil}},
			want: map[string]types.AttributeValue{"type": s("raw"), "ttl": n("1709852405"), "publisher": s("demo/job1"),
				"value": &types.AttributeValueMemberL{Value: []types.AttributeValue{n("1.50"), &types.AttributeValueMemberBOOL{Value: true}, &types.AttributeValueMemberNULL{Value: true}}}}},
		{name: "config STATE_TTL", kv: []any{"state_id", "ID", "value", "x"},
			want: map[string]types.AttributeValue{"type": s("json"), "value": s(`"x"`), "ttl": n("1709251205"), "publisher": s("demo/job1")}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			uid := awstest.Unique("st")
			kv := append([]any(nil), tc.kv...)
			kv[1] = strings.Replace(kv[1].(string), "ID", uid, 1)
			var cfg sdk.Config
			if tc.name == "config STATE_TTL" {
				cfg = sdk.Config{"STATE_TTL": "1h", "STATE_MAX_TTL": "30d"}
			}
			out, err := conn.Run(context.Background(), plugintest.Input{Item: item(kv...), Job: job.Clone(), Result: tc.result, Config: cfg})
			if err != nil {
				t.Fatal(err)
			}
			if out.Error != "" {
				t.Fatal(out.Error)
			}
			id := strings.Replace(tc.kv[1].(string), "{{ job.job_id }}", "demo/job1", 1)
			id = strings.Replace(id, "ID", uid, 1)
			want := map[string]types.AttributeValue{"state_id": s(id), "timestamp": s("2024-03-01T10:00:05+11:00")}
			for k, v := range tc.want {
				want[k] = v
			}
			if diff := cmp.Diff(want, stored(t, id), avOpts); diff != "" {
				t.Errorf("stored item (-want +got):\n%s", diff)
			}
			if len(out.Effects) != 1 || out.Effects[0].Operation != "dynamodb:PutItem" || out.Effects[0].Target != "lava.dev.state" {
				t.Errorf("effects = %+v", out.Effects)
			}
		})
	}
}

// TestSecure covers T15: KMS Encrypt with the given key (or the realm's
// system key); the plaintext is json.dumps of the value; nothing secret in
// the report.
func TestSecure(t *testing.T) {
	t.Parallel()
	conn := plugintest.InProcess(t, stateaction.Action{Now: clock})
	for _, tc := range []struct {
		name, key, wantKey string
	}{{"T15 given key", otherID, otherID}, {"default alias", "", keyID}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			id := awstest.Unique("sec")
			kv := []any{"state_id", id, "type", "secure", "value", "x-{{ job.run_id }}"}
			if tc.key != "" {
				kv = append(kv, "kms_key", tc.key)
			}
			out, err := conn.Run(context.Background(), plugintest.Input{Item: item(kv...)})
			if err != nil || out.Error != "" {
				t.Fatal(err, out.Error)
			}
			if strings.Contains(out.Effects[0].Detail, "x-run-0001") {
				t.Errorf("report shows the secret: %s", out.Effects[0].Detail)
			}
			b, ok := stored(t, id)["value"].(*types.AttributeValueMemberB)
			if !ok {
				t.Fatalf("value is not binary")
			}
			dec, err := env.KMS().Decrypt(context.Background(), &kms.DecryptInput{CiphertextBlob: b.Value})
			if err != nil {
				t.Fatal(err)
			}
			if string(dec.Plaintext) != `"x-run-0001"` {
				t.Errorf("plaintext = %q", dec.Plaintext)
			}
			if got := aws.ToString(dec.KeyId); !strings.Contains(got, tc.wantKey) {
				t.Errorf("encrypted with %q, want %q", got, tc.wantKey)
			}
			// G01: the state manager reads it back through KMS.
			st := state.New(env.DynamoDB(), env.KMS())
			it, err := st.Get(context.Background(), "dev", id)
			if err != nil || it.Value != "x-run-0001" || it.Type != "secure" {
				t.Errorf("Get = %+v, %v", it, err)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	conn := plugintest.InProcess(t, stateaction.Action{Now: clock})
	syntax := func(src string) string { return render.New().Check(src).Error() }
	cases := []struct {
		name string
		kv   []any
		want string
	}{
		{"missing keys", nil, "Missing keys: state_id, value"},
		{"missing value", []any{"state_id", "x"}, "Missing keys: value"},
		{"unexpected keys", []any{"state_id", "x", "value", "v", "zzz", int64(1), "X-y", "z"}, "Unexpected keys: X-y, zzz"},
		{"T09 unknown type", []any{"state_id", "x", "value", "v", "type", "xml"}, "xml: No such state type"},
		{"bad ttl", []any{"state_id", "x", "value", "v", "ttl", "5 parsecs"}, "Invalid duration: 5 parsecs"},
		{"bad ttl type", []any{"state_id", "x", "value", "v", "ttl", []any{"1d"}}, "Invalid duration type: <class 'list'>"},
		{"reserved", []any{"state_id", "LaVa-{{ job.run_id }}", "value", "v"}, `Bad state_id: Values beginning with "lava" are reserved`},
		{"reserved after render", []any{"state_id", "{{ 'la' }}va", "value", "v"}, `Bad state_id: Values beginning with "lava" are reserved`},
		{"state_id syntax", []any{"state_id", "{{ x", "value", "v"}, "Bad state_id: " + syntax("{{ x")},
		{"state_id render", []any{"state_id", "{{ x.y.z }}", "value", "v"}, "Bad state_id: 'x' is undefined"},
		{"publisher syntax", []any{"state_id", "x", "value", "v", "publisher", "{{ x"}, "Bad publisher: " + syntax("{{ x")},
		{"publisher render", []any{"state_id", "x", "value", "v", "publisher", "{{ x.y.z }}"}, "Bad publisher: 'x' is undefined"},
		{"value syntax", []any{"state_id", "x", "value", value.NewMap("k", []any{"{{ x"})}, "Bad value: " + syntax("{{ x")},
		{"value key syntax", []any{"state_id", "x", "value", value.NewMap("{{ x", "v")}, "Bad value: " + syntax("{{ x")},
		{"value render", []any{"state_id", "x", "value", value.NewMap("k", "{{ x.y.z }}")}, "Bad value: 'x' is undefined"},
		{"state_id not a string", []any{"state_id", int64(5), "value", "v"}, "state_id must be a string"},
		{"config STATE_MAX_TTL bad", []any{"state_id", "x", "value", "v", "ttl", "1d"}, "Invalid duration: soon"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var cfg sdk.Config
			if strings.HasPrefix(tc.name, "config") {
				cfg = sdk.Config{"STATE_MAX_TTL": "soon"}
			}
			out, err := conn.Run(context.Background(), plugintest.Input{Item: item(tc.kv...), Config: cfg})
			if err != nil {
				t.Fatal(err)
			}
			if out.Error != tc.want {
				t.Fatalf("error = %q, want %q", out.Error, tc.want)
			}
			if len(out.Effects) != 0 {
				t.Errorf("effects = %+v", out.Effects)
			}
		})
	}
	t.Run("put failure", func(t *testing.T) {
		t.Parallel()
		_, realm, _ := plugintest.Fixture()
		realm.Set("realm", "norealm")
		out, err := conn.Run(context.Background(), plugintest.Input{Item: item("state_id", "x", "value", "v"), Realm: realm})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(out.Error, "Cannot put state item: An error occurred (") || !strings.Contains(out.Error, "PutItem operation") {
			t.Errorf("error = %q", out.Error)
		}
	})
	t.Run("KMS failure", func(t *testing.T) {
		t.Parallel()
		out, err := conn.Run(context.Background(), plugintest.Input{Item: item("state_id", awstest.Unique("k"), "value", "v", "type", "secure", "kms_key", "alias/none")})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(out.Error, "An error occurred (") || !strings.Contains(out.Error, "Encrypt operation") {
			t.Errorf("error = %q", out.Error)
		}
	})
}

// TestDryRun makes no AWS call and reports the item.
func TestDryRun(t *testing.T) {
	t.Parallel()
	conn := plugintest.InProcess(t, stateaction.Action{Now: clock})
	id := awstest.Unique("dry")
	out, err := conn.Run(context.Background(), plugintest.Input{DryRun: true, Item: item("state_id", id, "value", value.NewMap("a", "{{ globals.g1 }}"), "ttl", "2h")})
	if err != nil || out.Error != "" {
		t.Fatal(err, out.Error)
	}
	want := []sdk.Effect{{Operation: "dynamodb:PutItem", Target: "lava.dev.state",
		Detail: `{"Item": {"state_id": "` + id + `", "type": "json", "value": "{\"a\": \"G1\"}", "timestamp": "2024-03-01T10:00:05+11:00", "ttl": 1709254805, "publisher": "demo/job1"}, "ReturnValues": "NONE"}`}}
	if diff := cmp.Diff(want, out.Effects); diff != "" {
		t.Errorf("effects (-want +got):\n%s", diff)
	}
	if got := stored(t, id); got != nil {
		t.Errorf("dry run wrote %v", got)
	}
	out, err = conn.Run(context.Background(), plugintest.Input{DryRun: true, Item: item("state_id", id, "value", "top-secret", "type", "secure")})
	if err != nil || out.Error != "" || strings.Contains(out.Effects[0].Detail, "top-secret") {
		t.Errorf("secure dry run: %v %+v", err, out)
	}
}

func TestSubprocess(t *testing.T) {
	t.Parallel()
	conn := plugintest.Exec(t, plugintest.Build(t, "github.com/lava-actions/lava-actions/plugins/state", "state"), env.PluginEnv()...)
	id := awstest.Unique("sub")
	before := time.Now().Unix()
	out, err := conn.Run(context.Background(), plugintest.Input{Item: item("state_id", id, "type", "secure", "value", value.NewMap("n", value.MustDecimal("2"), "j", "{{ job.job_id }}"))})
	if err != nil || out.Error != "" {
		t.Fatal(err, out.Error)
	}
	it, err := state.New(env.DynamoDB(), env.KMS()).Get(context.Background(), "dev", id)
	if err != nil {
		t.Fatal(err)
	}
	if value.Repr(it.Value) != value.Repr(value.NewMap("n", int64(2), "j", "demo/job1")) || it.Publisher != "demo/job1" {
		t.Errorf("item = %+v", it)
	}
	if it.TTL < before+7*86400 || it.TTL > time.Now().Unix()+7*86400 {
		t.Errorf("ttl = %d, want now+7d", it.TTL)
	}
	out, err = conn.Run(context.Background(), plugintest.Input{Item: item("state_id", "lava-x", "value", "v")})
	if err != nil || out.Error != `Bad state_id: Values beginning with "lava" are reserved` {
		t.Errorf("reserved: %v %q", err, out.Error)
	}
}
