package render

import (
	"math"
	"math/big"
	"sort"
	"strconv"
	"strings"

	"github.com/cockroachdb/apd/v3"
	"github.com/lava-actions/lava-actions/sdk/value"
)

// jsonEncode writes v as Python's json.dumps(v, sort_keys=sortKeys,
// indent=indent) does (ensure_ascii), with jinja2's HTML-safe escaping of
// < > & ' as \u003c ... when used by tojson.
func jsonEncode(b *strings.Builder, v any, indent, level int, sortKeys bool) error {
	if level > 200 {
		return valueErrorf("Circular reference detected")
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
	case int64:
		b.WriteString(strconv.FormatInt(t, 10))
	case *big.Int:
		b.WriteString(t.String())
	case float64:
		switch {
		case math.IsNaN(t):
			b.WriteString("NaN")
		case math.IsInf(t, 1):
			b.WriteString("Infinity")
		case math.IsInf(t, -1):
			b.WriteString("-Infinity")
		default:
			b.WriteString(value.FormatFloat(t))
		}
	case string:
		writeJSONStr(b, t)
	case markup:
		writeJSONStr(b, string(t))
	case *pyList:
		return jsonSeq(b, t.items, indent, level, sortKeys)
	case pyTuple:
		return jsonSeq(b, t, indent, level, sortKeys)
	case *pyDict:
		items := t.items()
		if len(items) == 0 {
			b.WriteString("{}")
			return nil
		}
		keys := make([]string, len(items))
		for i, kv := range items {
			switch k := kv[0].(type) {
			case string:
				keys[i] = k
			case markup:
				keys[i] = string(k)
			case nil:
				keys[i] = "null"
			case bool:
				keys[i] = strconv.FormatBool(k)
			case int64, *big.Int:
				keys[i] = reprAny(k)
			case float64:
				keys[i] = value.FormatFloat(k)
			default:
				return typeErrorf("keys must be str, int, float, bool or None, not %s", typeName(kv[0]))
			}
		}
		order := make([]int, len(items))
		for i := range order {
			order[i] = i
		}
		if sortKeys {
			var sortErr error
			sort.SliceStable(order, func(a, c int) bool {
				x, y := items[order[a]][0], items[order[c]][0]
				cmp, err := cmp3("<", x, y)
				if err != nil && sortErr == nil {
					sortErr = err
				}
				return cmp < 0
			})
			if sortErr != nil {
				return sortErr
			}
		}
		b.WriteByte('{')
		for n, i := range order {
			jsonSep(b, indent, level+1, n)
			writeJSONStr(b, keys[i])
			b.WriteString(": ")
			if err := jsonEncode(b, items[i][1], indent, level+1, sortKeys); err != nil {
				return err
			}
		}
		jsonClose(b, indent, level)
		b.WriteByte('}')
	case *apd.Decimal:
		return typeErrorf("Object of type Decimal is not JSON serializable")
	case pyDateTime:
		return typeErrorf("Object of type datetime is not JSON serializable")
	case *undefinedValue:
		return typeErrorf("Object of type Undefined is not JSON serializable")
	default:
		name := typeName(v)
		if i := strings.LastIndexByte(name, '.'); i >= 0 {
			name = name[i+1:]
		}
		return typeErrorf("Object of type %s is not JSON serializable", name)
	}
	return nil
}

func jsonSeq(b *strings.Builder, items []any, indent, level int, sortKeys bool) error {
	if len(items) == 0 {
		b.WriteString("[]")
		return nil
	}
	b.WriteByte('[')
	for i, e := range items {
		jsonSep(b, indent, level+1, i)
		if err := jsonEncode(b, e, indent, level+1, sortKeys); err != nil {
			return err
		}
	}
	jsonClose(b, indent, level)
	b.WriteByte(']')
	return nil
}

func jsonSep(b *strings.Builder, indent, level, i int) {
	if indent >= 0 {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
		b.WriteString(strings.Repeat(" ", indent*level))
		return
	}
	if i > 0 {
		b.WriteString(", ")
	}
}

func jsonClose(b *strings.Builder, indent, level int) {
	if indent >= 0 {
		b.WriteByte('\n')
		b.WriteString(strings.Repeat(" ", indent*level))
	}
}

// writeJSONStr is tojson's string form: ensure_ascii and HTML-safe.
func writeJSONStr(b *strings.Builder, s string) { value.WriteJSONString(b, s, true) }
