package sdk

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/lava-actions/lava-actions/sdk/units"
)

// ParseDuration converts a lava duration (spec section 3) to seconds: a
// number, or a string such as "15m", " 2 m ", "0.25h", "1e2s". Units are
// w, d, h, m and s (case-sensitive). Errors are lava's: "Invalid duration:
// <s>" and "Invalid duration type: <class 'list'>". It is
// units.ParseDuration.
func ParseDuration(v any) (float64, error) { return units.ParseDuration(v) }

// ParseSize converts a lava size ("2M", "5MB", "1KiB", "100") to bytes. It
// is units.ParseSize.
func ParseSize(s string) (int64, error) { return units.ParseSize(s) }

// ConfigInt returns the integer value of config key, or def.
func (c Config) ConfigInt(key string, def int) (int, error) {
	s := strings.TrimSpace(c.Get(key, ""))
	if s == "" {
		return def, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("config %s: bad integer %q", strings.ToUpper(key), s)
	}
	return int(f), nil
}
