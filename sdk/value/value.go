// Package value is the data model shared by the lava-actions host, its
// plugins and the template renderer.
//
// Lava's job, realm and result objects are Python values: dictionaries that
// keep insertion order, DynamoDB numbers (decimal.Decimal), JSON numbers
// (int or float), datetimes and None. Go's map[string]any loses the order and
// encoding/json loses the number types, so this package defines the few types
// needed to carry those values faithfully:
//
//   - nil is None;
//   - bool, int64, float64 and string are the Python scalars;
//   - [Decimal] is a DynamoDB number, kept as its stored text;
//   - [DateTime] is a timezone-aware datetime;
//   - *[Map] is a dict with insertion order;
//   - []any is a list.
//
// [DecodeJSON] reads JSON into this model and [EncodeJSON] writes it the way
// Python's json.dumps does.
package value

import (
	"fmt"
	"math"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Map is an insertion-ordered string-keyed map, like a Python dict.
// The zero value is an empty map ready to use. A Map is not safe for
// concurrent mutation.
type Map struct {
	keys []string
	vals map[string]any
}

// NewMap returns a map holding the given key/value pairs in order.
// It panics if kv has an odd length or a key is not a string; it is meant for
// literals in code and tests.
func NewMap(kv ...any) *Map {
	if len(kv)%2 != 0 {
		panic("value.NewMap: odd number of arguments")
	}
	m := &Map{}
	for i := 0; i < len(kv); i += 2 {
		m.Set(kv[i].(string), kv[i+1])
	}
	return m
}

// Len returns the number of entries.
func (m *Map) Len() int {
	if m == nil {
		return 0
	}
	return len(m.keys)
}

// Keys returns the keys in insertion order. The slice is a copy.
func (m *Map) Keys() []string {
	if m == nil {
		return nil
	}
	return slices.Clone(m.keys)
}

// Get returns the value stored under key and whether it was present.
func (m *Map) Get(key string) (any, bool) {
	if m == nil || m.vals == nil {
		return nil, false
	}
	v, ok := m.vals[key]
	return v, ok
}

// Has reports whether key is present.
func (m *Map) Has(key string) bool {
	_, ok := m.Get(key)
	return ok
}

// Set stores v under key. A new key goes to the end; an existing key keeps
// its position, as in Python.
func (m *Map) Set(key string, v any) {
	if m.vals == nil {
		m.vals = make(map[string]any)
	}
	if _, ok := m.vals[key]; !ok {
		m.keys = append(m.keys, key)
	}
	m.vals[key] = v
}

// Delete removes key if present.
func (m *Map) Delete(key string) {
	if m == nil || m.vals == nil {
		return
	}
	if _, ok := m.vals[key]; !ok {
		return
	}
	delete(m.vals, key)
	m.keys = slices.DeleteFunc(m.keys, func(k string) bool { return k == key })
}

// String returns the value of key if it is a string, else "".
func (m *Map) String(key string) string {
	v, _ := m.Get(key)
	s, _ := v.(string)
	return s
}

// Map returns the value of key if it is a *Map, else nil.
func (m *Map) Map(key string) *Map {
	v, _ := m.Get(key)
	mm, _ := v.(*Map)
	return mm
}

// Range calls f for each entry in order until f returns false.
func (m *Map) Range(f func(key string, v any) bool) {
	if m == nil {
		return
	}
	for _, k := range m.keys {
		if !f(k, m.vals[k]) {
			return
		}
	}
}

// Clone returns a deep copy of m: nested maps and lists are copied too.
func (m *Map) Clone() *Map {
	if m == nil {
		return nil
	}
	c := &Map{keys: slices.Clone(m.keys), vals: make(map[string]any, len(m.vals))}
	for k, v := range m.vals {
		c.vals[k] = Clone(v)
	}
	return c
}

// Clone returns a deep copy of a value of this model.
func Clone(v any) any {
	switch t := v.(type) {
	case *Map:
		return t.Clone()
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = Clone(e)
		}
		return out
	default:
		return v
	}
}

// Decimal is a DynamoDB number as boto3 returns it: Python's decimal.Decimal.
// It keeps the exact text it was stored with, so 1.50 prints as 1.50.
type Decimal struct {
	text string
}

// ParseDecimal checks s is a decimal number and returns it.
func ParseDecimal(s string) (Decimal, error) {
	if _, ok := new(big.Float).SetString(s); !ok || strings.ContainsAny(s, "xXpP_") || s == "" {
		return Decimal{}, fmt.Errorf("invalid decimal %q", s)
	}
	return Decimal{text: s}, nil
}

// MustDecimal is ParseDecimal for literals; it panics on bad input.
func MustDecimal(s string) Decimal {
	d, err := ParseDecimal(s)
	if err != nil {
		panic(err)
	}
	return d
}

// String returns the stored text, as Python's str(Decimal) does for values
// that came from DynamoDB.
func (d Decimal) String() string {
	if d.text == "" {
		return "0"
	}
	return d.text
}

// IsInteger reports whether the text has no fraction or exponent, which is
// how lava's JSON encoder decides between int and float.
func (d Decimal) IsInteger() bool { return !strings.ContainsAny(d.String(), ".eE") }

// Int64 returns the value truncated toward zero and whether it fits.
func (d Decimal) Int64() (int64, bool) {
	f, ok := new(big.Float).SetString(d.String())
	if !ok {
		return 0, false
	}
	i, _ := f.Int(nil)
	if !i.IsInt64() {
		return 0, false
	}
	return i.Int64(), true
}

// Float64 returns the nearest float64.
func (d Decimal) Float64() float64 {
	f, err := strconv.ParseFloat(d.String(), 64)
	if err != nil {
		return math.NaN()
	}
	return f
}

// DateTime is a timezone-aware Python datetime.
type DateTime struct {
	time.Time
}

// ISOFormat returns Python's datetime.isoformat(): 2024-03-01T10:00:00+11:00,
// with .ffffff only when microseconds are not zero.
func (d DateTime) ISOFormat() string { return d.format("T") }

// String returns Python's str(datetime): like ISOFormat with a space.
func (d DateTime) String() string { return d.format(" ") }

func (d DateTime) format(sep string) string {
	layout := "2006-01-02" + sep + "15:04:05"
	if d.Nanosecond()/1000 != 0 {
		layout += ".000000"
	}
	return d.Time.Format(layout) + formatOffset(d.Time)
}

func formatOffset(t time.Time) string {
	_, off := t.Zone()
	sign := '+'
	if off < 0 {
		sign = '-'
		off = -off
	}
	s := fmt.Sprintf("%c%02d:%02d", sign, off/3600, off/60%60)
	if off%60 != 0 {
		s += fmt.Sprintf(":%02d", off%60)
	}
	return s
}

// ParseDateTime reads an ISO 8601 datetime with an offset, as lava writes
// them (datetime.isoformat()), also accepting a space separator and "Z".
func ParseDateTime(s string) (DateTime, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999Z07:00"} {
		if t, err := time.Parse(layout, s); err == nil {
			return DateTime{t}, nil
		}
	}
	return DateTime{}, fmt.Errorf("invalid datetime %q: want ISO 8601 with a UTC offset", s)
}

// Truthy reports Python's truth value of v: None, False, "", zero numbers
// (a Decimal zero included) and empty lists and maps are false; anything
// else is true.
func Truthy(v any) bool {
	switch t := v.(type) {
	case nil:
		return false
	case bool:
		return t
	case string:
		return t != ""
	case int:
		return t != 0
	case int64:
		return t != 0
	case float64:
		return t != 0
	case Decimal:
		f, ok := new(big.Float).SetString(t.String())
		return ok && f.Sign() != 0
	case *Map:
		return t.Len() > 0
	case []any:
		return len(t) > 0
	case []byte:
		return len(t) > 0
	}
	return true
}
