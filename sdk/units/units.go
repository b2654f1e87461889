// Package units parses lava's durations and sizes with lava's error
// wording. It is shared by the SDK, the bundled plugins and the state
// manager, and depends only on the value model.
package units

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"

	"github.com/lava-actions/lava-actions/sdk/value"
)

var durationRE = regexp.MustCompile(`^\s*([+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?)\s*([wdhms]?)\s*$`)

var durationUnits = map[string]float64{"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1, "": 1}

// ParseDuration converts a lava duration (spec section 3) to seconds: a
// number, or a string such as "15m", " 2 m ", "0.25h", "1e2s". Units are
// w, d, h, m and s (case-sensitive). Errors are lava's: "Invalid duration:
// <s>" and "Invalid duration type: <class 'list'>".
func ParseDuration(v any) (float64, error) {
	switch t := v.(type) {
	case int64:
		return float64(t), nil
	case int:
		return float64(t), nil
	case float64:
		return t, nil
	case value.Decimal:
		return t.Float64(), nil
	case string:
		m := durationRE.FindStringSubmatch(t)
		if m == nil {
			return 0, fmt.Errorf("Invalid duration: %s", t)
		}
		n, err := strconv.ParseFloat(m[1], 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return 0, fmt.Errorf("Invalid duration: %s", t)
		}
		// Out of range is ±Inf or 0, as Python's float() gives; callers
		// bound the value.
		return n * durationUnits[m[5]], nil
	}
	return 0, fmt.Errorf("Invalid duration type: <class '%s'>", value.PyType(v))
}

var sizeUnits = map[string]float64{
	"": 1, "B": 1, "K": 1e3, "KB": 1e3, "M": 1e6, "MB": 1e6, "G": 1e9, "GB": 1e9, "T": 1e12, "TB": 1e12,
	"P": 1e15, "PB": 1e15, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40, "PiB": 1 << 50,
}

var sizeRE = regexp.MustCompile(`^\s*(\d+(\.\d*)?|\.\d+)\s*([A-Za-z]*)\s*$`)

// ParseSize converts a lava size ("2M", "5MB", "1KiB", "100") to bytes.
func ParseSize(s string) (int64, error) {
	m := sizeRE.FindStringSubmatch(s)
	if m == nil {
		return 0, fmt.Errorf("Invalid size: %s", s)
	}
	mult, ok := sizeUnits[m[3]]
	if !ok {
		return 0, fmt.Errorf("Invalid size: %s", s)
	}
	n, _ := strconv.ParseFloat(m[1], 64)
	return int64(n * mult), nil
}
