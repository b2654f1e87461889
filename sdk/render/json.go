package render

import (
	"errors"
	"math/big"
	"sort"
	"strconv"
	"strings"

	"github.com/cockroachdb/apd/v3"
	"github.com/lava-actions/lava-actions/sdk/value"
)

// jsonEncode is Python's json.dumps(v, sort_keys=sortKeys, indent=indent)
// with jinja2's HTML-safe escaping, as tojson uses it: sdk/value's encoder
// with a hook for the renderer's own types. indent < 0 means none.
func jsonEncode(v any, indent int, sortKeys bool) (string, error) {
	opt := value.EncodeOptions{HTMLSafe: true, MaxDepth: 200, Hook: func(v any) (any, error) { return jsonHook(v, sortKeys) }}
	switch {
	case indent > 0:
		opt.Indent = indent
	case indent == 0:
		opt.IndentZero = true
	}
	s, err := value.EncodeJSON(v, opt)
	if err == nil {
		return s, nil
	}
	var ut *value.UnsupportedTypeError
	switch {
	case errors.As(err, &ut):
		return "", typeErrorf("%s", ut.Error())
	case errors.Is(err, value.ErrCircularReference):
		return "", valueErrorf("Circular reference detected")
	}
	return "", err
}

// jsonHook gives the value-model form of the renderer's types.
func jsonHook(v any, sortKeys bool) (any, error) {
	switch t := v.(type) {
	case markup:
		return string(t), nil
	case *pyList:
		return t.items, nil
	case pyTuple:
		return []any(t), nil
	case *pyDict:
		return jsonObject(t, sortKeys)
	case *apd.Decimal:
		return nil, &value.UnsupportedTypeError{PyType: "Decimal"}
	case pyDateTime:
		return nil, &value.UnsupportedTypeError{PyType: "datetime"}
	case *undefinedValue:
		return nil, &value.UnsupportedTypeError{PyType: "Undefined"}
	}
	name := typeName(v)
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		name = name[i+1:]
	}
	return nil, &value.UnsupportedTypeError{PyType: name}
}

// jsonObject converts a dict's keys as json.dumps does (str, int, float,
// bool, None) and orders them by Python's comparison when sortKeys is set.
func jsonObject(d *pyDict, sortKeys bool) (any, error) {
	items := d.items()
	keys := make([]string, len(items))
	for i, kv := range items {
		k, err := jsonKey(kv[0])
		if err != nil {
			return nil, err
		}
		keys[i] = k
	}
	order := make([]int, len(items))
	for i := range order {
		order[i] = i
	}
	if sortKeys {
		var sortErr error
		sort.SliceStable(order, func(a, c int) bool {
			n, err := cmp3("<", items[order[a]][0], items[order[c]][0])
			if err != nil && sortErr == nil {
				sortErr = err
			}
			return n < 0
		})
		if sortErr != nil {
			return nil, sortErr
		}
	}
	out := value.Object{Keys: make([]string, len(order)), Vals: make([]any, len(order))}
	for n, i := range order {
		out.Keys[n], out.Vals[n] = keys[i], items[i][1]
	}
	return out, nil
}

func jsonKey(k any) (string, error) {
	switch t := k.(type) {
	case string:
		return t, nil
	case markup:
		return string(t), nil
	case nil:
		return "null", nil
	case bool:
		return strconv.FormatBool(t), nil
	case int64, *big.Int:
		return reprAny(t), nil
	case float64:
		return value.FormatFloat(t), nil
	}
	return "", typeErrorf("keys must be str, int, float, bool or None, not %s", typeName(k))
}
