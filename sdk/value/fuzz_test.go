package value_test

import (
	"strings"
	"testing"

	"github.com/lava-actions/lava-actions/sdk/value"
)

// FuzzDecodeJSON checks that any input decodes or fails cleanly, and that
// what decodes survives an encode/decode round trip unchanged.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{
		`{"a": 1, "b": [1.50, "x", null, true], "c": {"d": "é"}}`,
		`[]`, `"\ud83d\ude00"`, `{"a": 1e400}`, `{"a": -0.0, "a": 2}`, `[[[[[[]]]]]]`, `{"`, "\xff",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, mode := range []value.NumberMode{value.PythonNumbers, value.DecimalNumbers} {
			v, err := value.DecodeJSON(data, mode)
			if err != nil {
				continue
			}
			text, err := value.EncodeJSON(v, value.EncodeOptions{DecimalAsText: true, DateTimeAsISO: true})
			if err != nil {
				t.Fatalf("encode %q: %v", data, err)
			}
			if strings.Contains(text, "Infinity") || strings.Contains(text, "NaN") {
				continue // Python writes these; JSON (and so DecodeJSON) has no such literals
			}
			again, err := value.DecodeJSON([]byte(text), mode)
			if err != nil {
				t.Fatalf("re-decode %q (from %q): %v", text, data, err)
			}
			if value.Repr(again) != value.Repr(v) {
				t.Fatalf("round trip changed %q: %s != %s", data, value.Repr(again), value.Repr(v))
			}
		}
	})
}
