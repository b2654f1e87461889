package units_test

import (
	"math"
	"testing"

	"github.com/lava-actions/lava-actions/sdk/units"
	"github.com/lava-actions/lava-actions/sdk/value"
)

func TestParseDuration(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in   any
		want float64
		err  string
	}{
		{"15m", 900, ""}, {"0.25h", 900, ""}, {"1.9", 1.9, ""}, {" 2 m ", 120, ""}, {"900", 900, ""},
		{"1w", 604800, ""}, {"+1e2s", 100, ""}, {".5d", 43200, ""}, {"-1", -1, ""},
		{int64(30), 30, ""}, {value.MustDecimal("30"), 30, ""}, {2.5, 2.5, ""},
		{"1e999", math.Inf(1), ""},
		{"1M", 0, "Invalid duration: 1M"}, {"5 mins", 0, "Invalid duration: 5 mins"}, {"", 0, "Invalid duration: "},
		{[]any{"1"}, 0, "Invalid duration type: <class 'list'>"}, {nil, 0, "Invalid duration type: <class 'NoneType'>"},
		{true, 0, "Invalid duration type: <class 'bool'>"},
	}
	for _, tc := range cases {
		got, err := units.ParseDuration(tc.in)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("ParseDuration(%#v) error = %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseDuration(%#v) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

func TestParseSize(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]int64{"2M": 2_000_000, "5MB": 5_000_000, "1KiB": 1024, "100": 100, "1.5K": 1500} {
		if got, err := units.ParseSize(in); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"2X", "", "M", "-1"} {
		if _, err := units.ParseSize(bad); err == nil {
			t.Errorf("ParseSize(%q): no error", bad)
		}
	}
}
