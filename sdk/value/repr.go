package value

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"unicode"
)

// Str returns Python's str(v): strings as they are, None/True/False, floats
// in repr form, Decimals as stored, datetimes with a space separator, and
// containers in repr form.
func Str(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case DateTime:
		return t.String()
	case Decimal:
		return t.String()
	}
	return Repr(v)
}

// Repr returns Python's repr(v) for a value of this model, e.g.
// {'a': 1, 'b': [None, True, 'x']}. Inside containers a Decimal shows as
// Decimal('1.50') and a datetime as datetime.datetime(…), as Python does.
func Repr(v any) string {
	var b strings.Builder
	WriteRepr(&b, v, ReprOptions{}, 0)
	return b.String()
}

// ReprOptions lets a caller with its own value types (the template
// renderer) print through the same repr printer.
type ReprOptions struct {
	// MaxDepth, when > 0, prints "..." for values nested deeper.
	MaxDepth int
	// Hook, when set, is called for a value of a type this package does not
	// know; it writes the repr and reports true, or reports false to leave
	// the value to the default form. It prints children with WriteRepr.
	Hook func(b *strings.Builder, v any, depth int) bool
}

// WriteRepr writes Python's repr(v) at nesting depth depth.
func WriteRepr(b *strings.Builder, v any, opt ReprOptions, depth int) {
	if opt.MaxDepth > 0 && depth > opt.MaxDepth {
		b.WriteString("...")
		return
	}
	switch t := v.(type) {
	case nil:
		b.WriteString("None")
	case bool:
		if t {
			b.WriteString("True")
		} else {
			b.WriteString("False")
		}
	case int:
		b.WriteString(strconv.Itoa(t))
	case int64:
		b.WriteString(strconv.FormatInt(t, 10))
	case *big.Int:
		b.WriteString(t.String())
	case float64:
		b.WriteString(FormatFloat(t))
	case string:
		b.WriteString(QuoteString(t))
	case Decimal:
		b.WriteString("Decimal(" + QuoteString(t.String()) + ")")
	case DateTime:
		b.WriteString(reprDateTime(t))
	case *Map:
		b.WriteByte('{')
		for i, k := range t.Keys() {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(QuoteString(k))
			b.WriteString(": ")
			vv, _ := t.Get(k)
			WriteRepr(b, vv, opt, depth+1)
		}
		b.WriteByte('}')
	case []any:
		WriteSeqRepr(b, t, "[", "]", opt, depth)
	default:
		if opt.Hook != nil && opt.Hook(b, v, depth) {
			return
		}
		if s, ok := v.(fmt.Stringer); ok {
			b.WriteString(s.String())
			return
		}
		fmt.Fprint(b, v)
	}
}

// WriteSeqRepr writes items between open and closing, comma-separated.
func WriteSeqRepr(b *strings.Builder, items []any, open, closing string, opt ReprOptions, depth int) {
	b.WriteString(open)
	for i, e := range items {
		if i > 0 {
			b.WriteString(", ")
		}
		WriteRepr(b, e, opt, depth+1)
	}
	b.WriteString(closing)
}

func reprDateTime(d DateTime) string {
	t := d.Time
	args := fmt.Sprintf("%d, %d, %d, %d, %d", t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute())
	us := t.Nanosecond() / 1000
	if t.Second() != 0 || us != 0 {
		args += fmt.Sprintf(", %d", t.Second())
	}
	if us != 0 {
		args += fmt.Sprintf(", %d", us)
	}
	_, off := t.Zone()
	tz := "datetime.timezone.utc"
	if off != 0 {
		tz = fmt.Sprintf("datetime.timezone(datetime.timedelta(seconds=%d))", off)
		if off%86400 != off || off < 0 {
			days, secs := floorDiv(off, 86400)
			tz = fmt.Sprintf("datetime.timezone(datetime.timedelta(days=%d, seconds=%d))", days, secs)
			if secs == 0 {
				tz = fmt.Sprintf("datetime.timezone(datetime.timedelta(days=%d))", days)
			}
		}
	}
	return "datetime.datetime(" + args + ", tzinfo=" + tz + ")"
}

func floorDiv(a, b int) (int, int) {
	q, r := a/b, a%b
	if r < 0 {
		q--
		r += b
	}
	return q, r
}

// QuoteString returns Python's repr of a str: single quotes unless the text
// holds a single quote and no double quote.
func QuoteString(s string) string {
	q := byte('\'')
	if strings.ContainsRune(s, '\'') && !strings.ContainsRune(s, '"') {
		q = '"'
	}
	var b strings.Builder
	b.WriteByte(q)
	for _, r := range s {
		switch {
		case r == rune(q) || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r < 0x7f:
			b.WriteRune(r)
		case !unicode.IsPrint(r) && r != ' ':
			switch {
			case r <= 0xff:
				fmt.Fprintf(&b, `\x%02x`, r)
			case r <= 0xffff:
				fmt.Fprintf(&b, `\u%04x`, r)
			default:
				fmt.Fprintf(&b, `\U%08x`, r)
			}
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte(q)
	return b.String()
}

// PyType returns the Python class name of v (str, int, float, bool,
// NoneType, list, dict, decimal.Decimal, datetime.datetime).
func PyType(v any) string {
	switch v.(type) {
	case nil:
		return "NoneType"
	case bool:
		return "bool"
	case int, int64, *big.Int:
		return "int"
	case float64:
		return "float"
	case string:
		return "str"
	case Decimal:
		return "decimal.Decimal"
	case DateTime:
		return "datetime.datetime"
	case *Map:
		return "dict"
	case []any:
		return "list"
	}
	return fmt.Sprintf("%T", v)
}
