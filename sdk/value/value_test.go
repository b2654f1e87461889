package value_test

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/lava-actions/lava-actions/sdk/value"
)

// Expected texts below were produced by Python 3.11's json and repr.

func TestEncodeJSONMatchesPython(t *testing.T) {
	t.Parallel()
	v := value.NewMap("a", "é", "b", []any{int64(1), 2.5, nil, true}, "c", "<>&'\"\\\n\x7f\U0001F600")
	got, err := value.EncodeJSON(v, value.EncodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"a": "\u00e9", "b": [1, 2.5, null, true], "c": "<>&'\"\\\n\u007f\ud83d\ude00"}`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	nested := value.NewMap("a", value.NewMap("b", []any{int64(1), value.NewMap()}, "c", []any{}))
	got, _ = value.EncodeJSON(nested, value.EncodeOptions{Indent: 2})
	if want := "{\n  \"a\": {\n    \"b\": [\n      1,\n      {}\n    ],\n    \"c\": []\n  }\n}"; got != want {
		t.Errorf("indent: got\n%s\nwant\n%s", got, want)
	}
}

func TestEncodeJSONOptions(t *testing.T) {
	t.Parallel()
	dt := value.DateTime{Time: time.Date(2024, 3, 1, 10, 0, 0, 0, time.FixedZone("", 11*3600))}
	cases := []struct {
		name string
		v    any
		opt  value.EncodeOptions
		want string
		err  string
	}{
		{"decimal refused", value.MustDecimal("1.50"), value.EncodeOptions{}, "", "Object of type Decimal is not JSON serializable"},
		{"decimal int", value.MustDecimal("30"), value.EncodeOptions{DecimalAsNumber: true}, "30", ""},
		{"decimal float", value.MustDecimal("1.50"), value.EncodeOptions{DecimalAsNumber: true}, "1.5", ""},
		{"datetime refused", dt, value.EncodeOptions{}, "", "Object of type datetime is not JSON serializable"},
		{"datetime iso", dt, value.EncodeOptions{DateTimeAsISO: true}, `"2024-03-01T10:00:00+11:00"`, ""},
		{"sorted html-safe", value.NewMap("b", "<&>'", "a", int64(1)), value.EncodeOptions{SortKeys: true, HTMLSafe: true}, `{"a": 1, "b": "\u003c\u0026\u003e\u0027"}`, ""},
		{"nan", math.NaN(), value.EncodeOptions{}, "NaN", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := value.EncodeJSON(tc.v, tc.opt)
			if tc.err != "" {
				var ute *value.UnsupportedTypeError
				if err == nil || err.Error() != tc.err || !errors.As(err, &ute) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestFormatFloatIsPythonRepr(t *testing.T) {
	t.Parallel()
	a, b := 0.1, 0.2
	cases := map[float64]string{
		1.0: "1.0", a + b: "0.30000000000000004", 1e20: "1e+20", 1e16: "1e+16",
		1e15: "1000000000000000.0", 1.5e-05: "1.5e-05", 0.0001: "0.0001", math.Copysign(0, -1): "-0.0",
		123456789.125: "123456789.125", 2.5e-300: "2.5e-300",
	}
	for f, want := range cases {
		if got := value.FormatFloat(f); got != want {
			t.Errorf("FormatFloat(%v) = %q, want %q", f, got, want)
		}
	}
}

func TestReprIsPythonRepr(t *testing.T) {
	t.Parallel()
	v := value.NewMap("a", nil, "s", "it's", "q", `say "hi"`, "both", `it's "x"`, "n", "\n\t\x01é\u200b")
	want := `{'a': None, 's': "it's", 'q': 'say "hi"', 'both': 'it\'s "x"', 'n': '\n\t\x01é\u200b'}`
	if got := value.Repr(v); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	dt := value.DateTime{Time: time.Date(2024, 3, 1, 10, 0, 0, 0, time.FixedZone("", 11*3600))}
	if got, want := value.Str(dt), "2024-03-01 10:00:00+11:00"; got != want {
		t.Errorf("str(datetime) = %q, want %q", got, want)
	}
	if got, want := value.Repr([]any{dt, value.MustDecimal("1.50")}),
		"[datetime.datetime(2024, 3, 1, 10, 0, tzinfo=datetime.timezone(datetime.timedelta(seconds=39600))), Decimal('1.50')]"; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestDecodeJSON(t *testing.T) {
	t.Parallel()
	v, err := value.DecodeJSON([]byte(`{"z": 1, "a": [2.5, 30, 99999999999999999999, null], "z": 3}`), value.PythonNumbers)
	if err != nil {
		t.Fatal(err)
	}
	m := v.(*value.Map)
	if diff := cmp.Diff([]string{"z", "a"}, m.Keys()); diff != "" {
		t.Errorf("key order (-want +got):\n%s", diff)
	}
	if got := value.Repr(m); got != "{'z': 3, 'a': [2.5, 30, Decimal('99999999999999999999'), None]}" {
		t.Errorf("repr = %s", got)
	}
	d, _ := value.DecodeJSON([]byte(`{"n": 5, "f": 1.50}`), value.DecimalNumbers)
	if got := value.Repr(d); got != "{'n': Decimal('5'), 'f': Decimal('1.50')}" {
		t.Errorf("decimal mode repr = %s", got)
	}
}

func TestDecodeJSONErrorsHavePositions(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in         string
		line, col  int
		msgContain string
	}{
		{"{\n  \"a\": 1,\n  \"b\": tru\n}", 3, 11, "invalid character"},
		{`{"a": 1`, 1, 8, "unexpected end"},
		{`{"a": 1} x`, 1, 10, "extra data"},
		{"\"\xff\"", 1, 2, "invalid UTF-8"},
	}
	for _, tc := range cases {
		_, err := value.DecodeJSON([]byte(tc.in), value.PythonNumbers)
		var se *value.SyntaxError
		if !errors.As(err, &se) {
			t.Fatalf("%q: err = %v, want a SyntaxError", tc.in, err)
		}
		if se.Line != tc.line || se.Column != tc.col {
			t.Errorf("%q: at %d:%d, want %d:%d (%v)", tc.in, se.Line, se.Column, tc.line, tc.col, err)
		}
	}
}

func TestDecodeJSONDepthLimit(t *testing.T) {
	t.Parallel()
	deep := make([]byte, 0, 2*value.MaxDepth+2)
	for range value.MaxDepth + 1 {
		deep = append(deep, '[')
	}
	for range value.MaxDepth + 1 {
		deep = append(deep, ']')
	}
	if _, err := value.DecodeJSON(deep, value.PythonNumbers); err == nil {
		t.Error("no error for nesting past MaxDepth")
	}
}

func TestMapKeepsInsertionOrder(t *testing.T) {
	t.Parallel()
	m := value.NewMap("b", 1, "a", 2)
	m.Set("b", 3)
	m.Set("c", 4)
	m.Delete("a")
	if diff := cmp.Diff([]string{"b", "c"}, m.Keys()); diff != "" {
		t.Error(diff)
	}
	c := m.Clone()
	c.Set("d", 5)
	if m.Has("d") {
		t.Error("Clone shares storage")
	}
}

func TestTruthy(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		v    any
		want bool
	}{
		{nil, false}, {"", false}, {"x", true}, {false, false}, {true, true}, {int64(0), false}, {int64(2), true},
		{0.0, false}, {value.MustDecimal("0.00"), false}, {value.MustDecimal("1.5"), true},
		{[]any{}, false}, {[]any{1}, true}, {value.NewMap(), false}, {value.NewMap("a", 1), true},
	} {
		if got := value.Truthy(tc.v); got != tc.want {
			t.Errorf("Truthy(%#v) = %v, want %v", tc.v, got, tc.want)
		}
	}
}
