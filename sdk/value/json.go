package value

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"strconv"
	"strings"
	"unicode/utf8"
)

// NumberMode says how DecodeJSON types numbers.
type NumberMode int

const (
	// PythonNumbers types numbers as Python's json.loads does: an integer
	// literal is an int (int64, or a Decimal when it does not fit), anything
	// else a float64. Use it for job results and dispatch messages.
	PythonNumbers NumberMode = iota
	// DecimalNumbers keeps every number as a Decimal, as DynamoDB returns
	// them through boto3. Use it for job and realm items.
	DecimalNumbers
)

// SyntaxError is a JSON syntax error with its position.
type SyntaxError struct {
	Line, Column int // 1-based
	Msg          string
}

// Error returns "line L, column C: message".
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, e.Msg)
}

// DecodeJSON parses one JSON document into this package's model: objects
// become *Map (keeping key order; a repeated key keeps its first position and
// last value, as in Python), arrays []any, numbers as mode says.
func DecodeJSON(data []byte, mode NumberMode) (any, error) {
	if !utf8.Valid(data) {
		off := 0
		for off < len(data) {
			r, n := utf8.DecodeRune(data[off:])
			if r == utf8.RuneError && n <= 1 {
				break
			}
			off += n
		}
		return nil, posError(data, int64(off), "invalid UTF-8")
	}
	// Unmarshal reports syntax errors at absolute offsets (a Decoder's are
	// relative to its buffer), so check the syntax with it first.
	var raw json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			msg := strings.TrimPrefix(se.Error(), "json: ")
			if se.Offset >= int64(len(bytes.TrimRight(data, " \t\r\n"))) && strings.Contains(msg, "unexpected end") {
				return nil, posError(data, int64(len(data)), "unexpected end of JSON input")
			}
			return nil, posError(data, max(se.Offset-1, 0), msg)
		}
		return nil, posError(data, 0, err.Error())
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := decodeValue(dec, mode, 0)
	if err == nil {
		if _, err2 := dec.Token(); err2 != io.EOF {
			return nil, posError(data, dec.InputOffset(), "extra data after the JSON value")
		}
		return v, nil
	}
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		return nil, posError(data, max(se.Offset-1, 0), strings.TrimPrefix(se.Error(), "json: "))
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return nil, posError(data, int64(len(data)), "unexpected end of JSON input")
	case errors.Is(err, errTooDeep):
		return nil, posError(data, dec.InputOffset(), err.Error())
	}
	return nil, posError(data, dec.InputOffset(), err.Error())
}

// MaxDepth is the deepest nesting DecodeJSON accepts.
const MaxDepth = 200

var errTooDeep = fmt.Errorf("nesting deeper than %d levels", MaxDepth)

func posError(data []byte, off int64, msg string) error {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	line, col := 1, 1
	for _, r := range string(data[:off]) {
		if r == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return &SyntaxError{Line: line, Column: col, Msg: msg}
}

func decodeValue(dec *json.Decoder, mode NumberMode, depth int) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	return decodeToken(dec, tok, mode, depth)
}

func decodeToken(dec *json.Decoder, tok json.Token, mode NumberMode, depth int) (any, error) {
	switch t := tok.(type) {
	case json.Delim:
		if depth >= MaxDepth {
			return nil, errTooDeep
		}
		switch t {
		case '{':
			m := &Map{}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k, ok := kt.(string)
				if !ok {
					return nil, fmt.Errorf("object key must be a string")
				}
				v, err := decodeValue(dec, mode, depth+1)
				if err != nil {
					return nil, err
				}
				m.Set(k, v)
			}
			_, err := dec.Token()
			return m, err
		case '[':
			l := []any{}
			for dec.More() {
				v, err := decodeValue(dec, mode, depth+1)
				if err != nil {
					return nil, err
				}
				l = append(l, v)
			}
			_, err := dec.Token()
			return l, err
		}
		return nil, fmt.Errorf("unexpected %v", t)
	case json.Number:
		return NumberFromText(string(t), mode)
	default:
		return t, nil // nil, bool, string
	}
}

// NumberFromText types a JSON number literal as mode says.
func NumberFromText(s string, mode NumberMode) (any, error) {
	if mode == DecimalNumbers {
		return ParseDecimal(s)
	}
	if !strings.ContainsAny(s, ".eE") {
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return i, nil
		}
		return ParseDecimal(s) // a Python int too large for int64 keeps its digits
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return nil, err
	}
	return f, nil
}

// EncodeOptions controls EncodeJSON.
type EncodeOptions struct {
	// Indent, when > 0, pretty-prints with that many spaces and the ","
	// item separator, as json.dumps(indent=n) does.
	Indent int
	// SortKeys sorts object keys.
	SortKeys bool
	// DecimalAsNumber writes a Decimal as an int (no '.' or exponent in its
	// text) or a float, as lava's own encoder does. When false a Decimal is
	// an error, as with Python's default encoder.
	DecimalAsNumber bool
	// DecimalAsText writes a Decimal as its stored text (a valid JSON
	// number), so that DecodeJSON in DecimalNumbers mode restores it exactly.
	// It wins over DecimalAsNumber.
	DecimalAsText bool
	// DateTimeAsISO writes a DateTime as its isoformat() string. When false a
	// DateTime is an error, as with Python's default encoder.
	DateTimeAsISO bool
	// HTMLSafe escapes <, >, & and ' as \u003c etc., as jinja2's tojson does.
	HTMLSafe bool
	// IndentZero pretty-prints with newlines and no indentation, as
	// json.dumps(indent=0) does (Indent 0 alone means no pretty-printing).
	IndentZero bool
	// MaxDepth, when > 0, fails values nested deeper than that with
	// ErrCircularReference (a reference cycle can only show as depth).
	MaxDepth int
	// Hook, when set, is called for a value of a type this package does not
	// know. It returns what to encode instead (a value of this model, an
	// Object, or another type for Hook again) or an error. Callers with
	// their own value types (the template renderer) encode through it.
	Hook func(v any) (any, error)
}

// Object is a JSON object whose keys are written in the given order, even
// with SortKeys: a Hook that sorts keys its own way returns one.
type Object struct {
	Keys []string
	Vals []any
}

// ErrCircularReference is Python's "Circular reference detected".
var ErrCircularReference = errors.New("Circular reference detected")

// UnsupportedTypeError is Python's "Object of type X is not JSON serializable".
type UnsupportedTypeError struct{ PyType string }

// Error returns Python's wording.
func (e *UnsupportedTypeError) Error() string {
	return fmt.Sprintf("Object of type %s is not JSON serializable", e.PyType)
}

// EncodeJSON writes v as Python's json.dumps(v, ensure_ascii=True) does, with
// the options given.
func EncodeJSON(v any, opt EncodeOptions) (string, error) {
	var b strings.Builder
	if err := encode(&b, v, opt, 0); err != nil {
		return "", err
	}
	return b.String(), nil
}

func encode(b *strings.Builder, v any, opt EncodeOptions, level int) error {
	if opt.MaxDepth > 0 && level > opt.MaxDepth {
		return ErrCircularReference
	}
	switch t := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		if t {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case int:
		b.WriteString(strconv.Itoa(t))
	case int64:
		b.WriteString(strconv.FormatInt(t, 10))
	case *big.Int:
		b.WriteString(t.String())
	case float64:
		b.WriteString(jsonFloat(t))
	case string:
		WriteJSONString(b, t, opt.HTMLSafe)
	case Decimal:
		return encodeDecimal(b, t, opt)
	case DateTime:
		if !opt.DateTimeAsISO {
			return &UnsupportedTypeError{PyType: "datetime"}
		}
		WriteJSONString(b, t.ISOFormat(), opt.HTMLSafe)
	case *Map:
		keys := t.Keys()
		if opt.SortKeys {
			sortStrings(keys)
		}
		o := Object{Keys: keys, Vals: make([]any, len(keys))}
		for i, k := range keys {
			o.Vals[i], _ = t.Get(k)
		}
		return encodeObject(b, o, opt, level)
	case []any:
		if len(t) == 0 {
			b.WriteString("[]")
			return nil
		}
		b.WriteByte('[')
		for i, e := range t {
			sep(b, opt, level+1, i)
			if err := encode(b, e, opt, level+1); err != nil {
				return err
			}
		}
		closing(b, opt, level)
		b.WriteByte(']')
	case Object:
		return encodeObject(b, t, opt, level)
	default:
		if opt.Hook != nil {
			w, err := opt.Hook(v)
			if err != nil {
				return err
			}
			return encode(b, w, opt, level)
		}
		return &UnsupportedTypeError{PyType: fmt.Sprintf("%T", v)}
	}
	return nil
}

// encodeDecimal writes a Decimal as opt says: its text, an int or float,
// or Python's error.
func encodeDecimal(b *strings.Builder, t Decimal, opt EncodeOptions) error {
	if opt.DecimalAsText {
		b.WriteString(t.String())
		return nil
	}
	if !opt.DecimalAsNumber {
		return &UnsupportedTypeError{PyType: "Decimal"}
	}
	if t.IsInteger() {
		i := new(big.Int)
		if _, ok := i.SetString(t.String(), 10); ok {
			b.WriteString(i.String())
			return nil
		}
	}
	b.WriteString(jsonFloat(t.Float64()))
	return nil
}

func encodeObject(b *strings.Builder, o Object, opt EncodeOptions, level int) error {
	if len(o.Keys) == 0 {
		b.WriteString("{}")
		return nil
	}
	b.WriteByte('{')
	for i, k := range o.Keys {
		sep(b, opt, level+1, i)
		WriteJSONString(b, k, opt.HTMLSafe)
		b.WriteString(": ")
		if err := encode(b, o.Vals[i], opt, level+1); err != nil {
			return err
		}
	}
	closing(b, opt, level)
	b.WriteByte('}')
	return nil
}

func sep(b *strings.Builder, opt EncodeOptions, level, i int) {
	if opt.Indent > 0 || opt.IndentZero {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
		b.WriteString(strings.Repeat(" ", opt.Indent*level))
		return
	}
	if i > 0 {
		b.WriteString(", ")
	}
}

func closing(b *strings.Builder, opt EncodeOptions, level int) {
	if opt.Indent > 0 || opt.IndentZero {
		b.WriteByte('\n')
		b.WriteString(strings.Repeat(" ", opt.Indent*level))
	}
}

// sortStrings sorts as Python sorts str keys: by code point.
func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

func jsonFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	return FormatFloat(f)
}

// FormatFloat returns Python's repr(float): the shortest text that reads
// back to f, with ".0" on integral values and an exponent outside
// 1e-4 <= |f| < 1e16 (e.g. 1e+20, 1.5e-05).
func FormatFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	e := strconv.FormatFloat(f, 'e', -1, 64) // d.ddde±XX
	mant, expText, _ := strings.Cut(e, "e")
	exp, _ := strconv.Atoi(expText)
	if exp >= -4 && exp < 16 {
		s := strconv.FormatFloat(f, 'f', -1, 64)
		if !strings.ContainsAny(s, ".") {
			s += ".0"
		}
		return s
	}
	sign := "+"
	if exp < 0 {
		sign = "-"
		exp = -exp
	}
	return fmt.Sprintf("%se%s%02d", mant, sign, exp)
}

// WriteJSONString writes s as a JSON string the way Python's json.dumps
// does with ensure_ascii: everything outside printable ASCII as \uXXXX
// (surrogate pairs above the BMP). With htmlSafe, < > & and ' are escaped
// too, as jinja2's tojson does.
func WriteJSONString(b *strings.Builder, s string, htmlSafe bool) {
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case htmlSafe && (r == '<' || r == '>' || r == '&' || r == '\''):
			fmt.Fprintf(b, `\u%04x`, r)
		case r < 0x20 || r > 0x7e:
			if r > 0xffff {
				r1, r2 := utf16Pair(r)
				fmt.Fprintf(b, `\u%04x\u%04x`, r1, r2)
			} else {
				fmt.Fprintf(b, `\u%04x`, r)
			}
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
}

func utf16Pair(r rune) (rune, rune) {
	r -= 0x10000
	return 0xd800 + (r>>10)&0x3ff, 0xdc00 + r&0x3ff
}
