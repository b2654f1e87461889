package host

import (
	"fmt"
	"testing"
)

// TestSortedPairs: go-plugin's attributes (in map order) are logged sorted
// by key; anything that is not string-keyed pairs is left alone.
func TestSortedPairs(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		in   []any
		want string
	}{
		{"pairs", []any{"b", 1, "a", 2, "c", 3}, "[a 2 b 1 c 3]"},
		{"one pair", []any{"b", 1}, "[b 1]"},
		{"odd", []any{"b", 1, "a"}, "[b 1 a]"},
		{"non-string key", []any{"b", 1, 7, 2}, "[b 1 7 2]"},
		{"equal keys keep order", []any{"k", 2, "k", 1, "a", 0}, "[a 0 k 2 k 1]"},
		{"none", nil, "[]"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := fmt.Sprint(sortedPairs(tc.in)); got != tc.want {
				t.Errorf("sortedPairs(%v) = %s, want %s", tc.in, got, tc.want)
			}
		})
	}
}
