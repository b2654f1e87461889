package render

import (
	"fmt"
	"html"
	"math"
	"math/big"
	"math/rand/v2"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/cockroachdb/apd/v3"
	"github.com/nikolalohinski/gonja/v2/nodes"
)

// filterFunc is a jinja2 filter with Python semantics.
type filterFunc func(r *rt, v any, args []any, kw *kwargs) (any, error)

var filters map[string]filterFunc

func init() {
	filters = map[string]filterFunc{
		"abs":            fAbs,
		"attr":           fAttr,
		"batch":          fBatch,
		"capitalize":     strFilter(pyCapitalize),
		"center":         fCenter,
		"count":          fLength,
		"d":              fDefault,
		"default":        fDefault,
		"dictsort":       fDictsort,
		"e":              fEscape,
		"escape":         fEscape,
		"filesizeformat": fFilesize,
		"first":          fFirst,
		"float":          fFloat,
		"forceescape":    fForceEscape,
		"format":         fFormat,
		"groupby":        fGroupby,
		"indent":         fIndent,
		"int":            fInt,
		"items":          fItems,
		"join":           fJoin,
		"last":           fLast,
		"length":         fLength,
		"list":           fList,
		"lower":          strFilter(strings.ToLower),
		"map":            fMap,
		"max":            fMinMax(true),
		"min":            fMinMax(false),
		"pprint":         fPprint,
		"random":         fRandom,
		"reject":         fSelect(false, false),
		"rejectattr":     fSelect(false, true),
		"replace":        fReplace,
		"reverse":        fReverse,
		"round":          fRound,
		"safe":           fSafe,
		"select":         fSelect(true, false),
		"selectattr":     fSelect(true, true),
		"slice":          fSlice,
		"sort":           fSort,
		"string":         fString,
		"striptags":      fStriptags,
		"sum":            fSum,
		"title":          strFilter(pyTitle),
		"tojson":         fTojson,
		"trim":           fTrim,
		"truncate":       fTruncate,
		"unique":         fUnique,
		"upper":          strFilter(strings.ToUpper),
		"urlencode":      fUrlencode,
		"urlize":         fUrlize,
		"wordcount":      fWordcount,
		"wordwrap":       fWordwrap,
		"xmlattr":        fXmlattr,
	}
}

func (s scope) applyFilter(name string, v any, argNodes []nodes.Expression, kwNodes map[string]nodes.Expression) (any, error) {
	f, ok := filters[name]
	if !ok {
		return nil, newErr(classRuntime, fmt.Sprintf("No filter named '%s' found.", name))
	}
	args, kw, err := s.evalArgs(argNodes, kwNodes)
	if err != nil {
		return nil, err
	}
	return f(s.r, v, args, kw)
}

func filterArgs(name string, args []any, kw *kwargs, names []string, defaults map[string]any) (map[string]any, error) {
	return bindArgs(name, args, kw, names, defaults)
}

// softStr is jinja2's soft_str: str() unless already a string.
func softStr(v any) string { return pyStr(v) }

func strFilter(fn func(string) string) filterFunc {
	return func(r *rt, v any, args []any, kw *kwargs) (any, error) {
		if len(args) > 0 || kw.len() > 0 {
			return nil, typeErrorf("filter takes no arguments")
		}
		return fn(softStr(v)), nil
	}
}

func fAbs(r *rt, v any, args []any, kw *kwargs) (any, error) {
	switch t := v.(type) {
	case int64, bool, *big.Int:
		b, _ := toBig(t)
		return normInt(new(big.Int).Abs(b)), nil
	case float64:
		return math.Abs(t), nil
	case *apd.Decimal:
		out := new(apd.Decimal)
		_, _ = decCtx.Abs(out, t)
		return out, nil
	case pyTimedelta:
		if t.us < 0 {
			return pyTimedelta{us: -t.us}, nil
		}
		return t, nil
	case *undefinedValue:
		return nil, t.err()
	}
	return nil, typeErrorf("bad operand type for abs(): '%s'", typeName(v))
}

func fAttr(r *rt, v any, args []any, kw *kwargs) (any, error) {
	p, err := filterArgs("attr", args, kw, []string{"name"}, nil)
	if err != nil {
		return nil, err
	}
	name, ok := asString(p["name"])
	if !ok {
		return nil, typeErrorf("attribute name must be string, not '%s'", typeName(p["name"]))
	}
	if u, ok := v.(*undefinedValue); ok {
		return nil, u.err()
	}
	if a, ok := pyAttr(v, name); ok {
		return a, nil
	}
	return undefAttr(v, name), nil
}

func fBatch(r *rt, v any, args []any, kw *kwargs) (any, error) {
	p, err := filterArgs("batch", args, kw, []string{"linecount", "fill_with"}, map[string]any{"fill_with": nil})
	if err != nil {
		return nil, err
	}
	n, err := intArg(p["linecount"])
	if err != nil {
		return nil, err
	}
	items, err := iterate(r, v)
	if err != nil {
		return nil, err
	}
	var out []any
	var tmp []any
	for _, it := range items {
		if len(tmp) == n {
			out = append(out, &pyList{items: tmp})
			tmp = nil
		}
		tmp = append(tmp, it)
	}
	if len(tmp) > 0 {
		if p["fill_with"] != nil && len(tmp) < n {
			for len(tmp) < n {
				tmp = append(tmp, p["fill_with"])
			}
		}
		out = append(out, &pyList{items: tmp})
	}
	if out == nil {
		out = []any{}
	}
	return &pyList{items: out}, nil
}

func fCenter(r *rt, v any, args []any, kw *kwargs) (any, error) {
	p, err := filterArgs("center", args, kw, []string{"width"}, map[string]any{"width": int64(80)})
	if err != nil {
		return nil, err
	}
	w, err := widthArg(p["width"])
	if err != nil {
		return nil, err
	}
	return pyJustify(softStr(v), "center", w, " "), nil
}

func fDefault(r *rt, v any, args []any, kw *kwargs) (any, error) {
	p, err := filterArgs("default", args, kw, []string{"default_value", "boolean"}, map[string]any{"default_value": "", "boolean": false})
	if err != nil {
		return nil, err
	}
	if _, ok := v.(*undefinedValue); ok || (truthy(p["boolean"]) && !truthy(v)) {
		return p["default_value"], nil
	}
	return v, nil
}

func lowerKey(v any, caseSensitive bool) any {
	if !caseSensitive {
		if s, ok := asString(v); ok {
			return strings.ToLower(s)
		}
	}
	return v
}

func fDictsort(r *rt, v any, args []any, kw *kwargs) (any, error) {
	p, err := filterArgs("dictsort", args, kw, []string{"case_sensitive", "by", "reverse"}, map[string]any{"case_sensitive": false, "by": "key", "reverse": false})
	if err != nil {
		return nil, err
	}
	d, ok := v.(*pyDict)
	if !ok {
		if u, isU := v.(*undefinedValue); isU {
			return nil, u.err()
		}
		return nil, newErr(classAttribute, fmt.Sprintf("'%s' object has no attribute 'items'", typeName(v)))
	}
	pos := 0
	switch p["by"] {
	case "key":
	case "value":
		pos = 1
	default:
		return nil, newErr("FilterArgumentError", "You can only sort by either 'key' or 'value'")
	}
	cs := truthy(p["case_sensitive"])
	items := d.items()
	var sortErr error
	sort.SliceStable(items, func(i, j int) bool {
		c, err := cmp3("<", lowerKey(items[i][pos], cs), lowerKey(items[j][pos], cs))
		if err != nil && sortErr == nil {
			sortErr = err
		}
		if truthy(p["reverse"]) {
			return c > 0
		}
		return c < 0
	})
	if sortErr != nil {
		return nil, sortErr
	}
	out := make([]any, len(items))
	for i, kv := range items {
		out[i] = pyTuple{kv[0], kv[1]}
	}
	return &pyList{items: out}, nil
}

func htmlEscape(s string) string {
	if !strings.ContainsAny(s, "&<>'\"") {
		return s
	}
	var b strings.Builder
	for _, c := range s {
		switch c {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '\'':
			b.WriteString("&#39;")
		case '"':
			b.WriteString("&#34;")
		default:
			b.WriteRune(c)
		}
	}
	return b.String()
}

func escapeValue(v any) markup {
	if m, ok := v.(markup); ok {
		return m
	}
	return markup(htmlEscape(softStr(v)))
}

func fEscape(r *rt, v any, args []any, kw *kwargs) (any, error) { return escapeValue(v), nil }

func fForceEscape(r *rt, v any, args []any, kw *kwargs) (any, error) {
	return markup(htmlEscape(softStr(v))), nil
}

func fSafe(r *rt, v any, args []any, kw *kwargs) (any, error) {
	if m, ok := v.(markup); ok {
		return m, nil
	}
	return markup(softStr(v)), nil
}

func fFilesize(r *rt, v any, args []any, kw *kwargs) (any, error) {
	p, err := filterArgs("filesizeformat", args, kw, []string{"binary"}, map[string]any{"binary": false})
	if err != nil {
		return nil, err
	}
	bytes, err := pyFloat(v)
	if err != nil {
		return nil, err
	}
	binary := truthy(p["binary"])
	base := 1000.0
	prefixes := []string{"kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"}
	if binary {
		base = 1024
		prefixes = []string{"KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"}
	}
	if bytes == 1 {
		return "1 Byte", nil
	}
	if bytes < base {
		return fmt.Sprintf("%d Bytes", int64(bytes)), nil
	}
	var unit float64
	var prefix string
	for i, pre := range prefixes {
		unit = math.Pow(base, float64(i+2))
		prefix = pre
		if bytes < unit {
			break
		}
	}
	return formatFloatSpec(base*bytes/unit, 'f', 1, "") + " " + prefix, nil
}

func fFirst(r *rt, v any, args []any, kw *kwargs) (any, error) {
	items, err := iterate(r, v)
	if err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return &undefinedValue{hint: "No first item, sequence was empty."}, nil
	}
	return items[0], nil
}

func fLast(r *rt, v any, args []any, kw *kwargs) (any, error) {
	items, err := iterate(r, v)
	if err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return &undefinedValue{hint: "No last item, sequence was empty."}, nil
	}
	return items[len(items)-1], nil
}

// pyFloat is Python's float(v).
func pyFloat(v any) (float64, error) {
	switch t := v.(type) {
	case float64:
		return t, nil
	case int64, bool, *big.Int, *apd.Decimal:
		f, _ := toFloat(t)
		return f, nil
	case string, markup:
		s, _ := asString(t)
		s = strings.TrimSpace(s)
		ls := strings.ToLower(strings.TrimLeft(s, "+-"))
		if ls == "inf" || ls == "infinity" || ls == "nan" {
			f, _ := strconv.ParseFloat(s, 64)
			return f, nil
		}
		if strings.ContainsAny(ls, "xpn") || strings.HasPrefix(s, "_") || strings.HasSuffix(s, "_") || strings.Contains(s, "__") {
			return 0, valueErrorf("could not convert string to float: %s", reprAny(t))
		}
		f, err := strconv.ParseFloat(strings.ReplaceAll(s, "_", ""), 64)
		if err != nil {
			if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
				return f, nil
			}
			return 0, valueErrorf("could not convert string to float: %s", reprAny(t))
		}
		return f, nil
	case *undefinedValue:
		return 0, t.err()
	}
	return 0, typeErrorf("float() argument must be a string or a real number, not '%s'", typeName(v))
}

func fFloat(r *rt, v any, args []any, kw *kwargs) (any, error) {
	p, err := filterArgs("float", args, kw, []string{"default"}, map[string]any{"default": 0.0})
	if err != nil {
		return nil, err
	}
	f, err := pyFloat(v)
	if err != nil {
		if e, ok := err.(*Error); ok && (e.Class == classType || e.Class == classValue) {
			return p["default"], nil
		}
		return nil, err
	}
	return f, nil
}

// pyInt is Python's int(v) or int(s, base).
func pyInt(v any, base int, withBase bool) (any, error) {
	switch t := v.(type) {
	case int64, *big.Int:
		if withBase {
			return nil, typeErrorf("int() can't convert non-string with explicit base")
		}
		return t, nil
	case bool:
		if t {
			return int64(1), nil
		}
		return int64(0), nil
	case float64:
		if math.IsInf(t, 0) {
			return nil, newErr(classOverflow, "cannot convert float infinity to integer")
		}
		if math.IsNaN(t) {
			return nil, valueErrorf("cannot convert float NaN to integer")
		}
		b, _ := new(big.Float).SetFloat64(math.Trunc(t)).Int(nil)
		return normInt(b), nil
	case *apd.Decimal:
		d := truncDec(t)
		b, ok := new(big.Int).SetString(d.Text('f'), 10)
		if !ok {
			return nil, valueErrorf("cannot convert %s to integer", t.String())
		}
		return normInt(b), nil
	case string, markup:
		s, _ := asString(t)
		orig := s
		s = strings.TrimSpace(s)
		s = strings.ReplaceAll(s, "_", "")
		neg := false
		if strings.HasPrefix(s, "-") || strings.HasPrefix(s, "+") {
			neg = s[0] == '-'
			s = s[1:]
		}
		ls := strings.ToLower(s)
		if base == 0 || base == 16 && strings.HasPrefix(ls, "0x") || base == 8 && strings.HasPrefix(ls, "0o") || base == 2 && strings.HasPrefix(ls, "0b") {
			switch {
			case strings.HasPrefix(ls, "0x"):
				base, s = 16, s[2:]
			case strings.HasPrefix(ls, "0o"):
				base, s = 8, s[2:]
			case strings.HasPrefix(ls, "0b"):
				base, s = 2, s[2:]
			case base == 0:
				base = 10
			}
		}
		b, ok := new(big.Int).SetString(s, base)
		if !ok || s == "" {
			return nil, valueErrorf("invalid literal for int() with base %d: %s", base, reprAny(orig))
		}
		if neg {
			b.Neg(b)
		}
		return normInt(b), nil
	case *undefinedValue:
		return nil, t.err()
	}
	return nil, typeErrorf("int() argument must be a string, a bytes-like object or a real number, not '%s'", typeName(v))
}

func fInt(r *rt, v any, args []any, kw *kwargs) (any, error) {
	p, err := filterArgs("int", args, kw, []string{"default", "base"}, map[string]any{"default": int64(0), "base": int64(10)})
	if err != nil {
		return nil, err
	}
	base, err := intArg(p["base"])
	if err != nil {
		return nil, err
	}
	var out any
	if isString(v) {
		out, err = pyInt(v, base, true)
	} else {
		out, err = pyInt(v, 10, false)
	}
	if err == nil {
		return out, nil
	}
	if e, ok := err.(*Error); !ok || (e.Class != classType && e.Class != classValue) {
		return nil, err
	}
	f, ferr := pyFloat(v)
	if ferr != nil {
		if e, ok := ferr.(*Error); ok && (e.Class == classType || e.Class == classValue) {
			return p["default"], nil
		}
		return nil, ferr
	}
	return pyInt(f, 10, false)
}

func fItems(r *rt, v any, args []any, kw *kwargs) (any, error) {
	switch t := v.(type) {
	case *undefinedValue:
		return &pyList{items: []any{}}, nil
	case *pyDict:
		return &pyList{items: dictView{d: t, kind: "items"}.list()}, nil
	}
	return nil, typeErrorf("Can only get item pairs from a mapping.")
}

func fJoin(r *rt, v any, args []any, kw *kwargs) (any, error) {
	p, err := filterArgs("join", args, kw, []string{"d", "attribute"}, map[string]any{"d": "", "attribute": nil})
	if err != nil {
		return nil, err
	}
	items, err := iterate(r, v)
	if err != nil {
		return nil, err
	}
	if p["attribute"] != nil {
		if items, err = mapAttribute(items, p["attribute"], nil, false); err != nil {
			return nil, err
		}
	}
	parts := make([]string, len(items))
	for i, it := range items {
		parts[i] = softStr(it)
	}
	return strings.Join(parts, softStr(p["d"])), nil
}

func pyLen(v any) (int64, error) {
	switch t := v.(type) {
	case string:
		return int64(len([]rune(t))), nil
	case markup:
		return int64(len([]rune(string(t)))), nil
	case *pyList:
		return int64(len(t.items)), nil
	case pyTuple:
		return int64(len(t)), nil
	case *pyDict:
		return int64(t.Len()), nil
	case dictView:
		return int64(t.d.Len()), nil
	case pyRange:
		return t.length(), nil
	case *undefinedValue:
		return 0, nil
	case *groupTuple:
		return 2, nil
	}
	return 0, typeErrorf("object of type '%s' has no len()", typeName(v))
}

func fLength(r *rt, v any, args []any, kw *kwargs) (any, error) {
	n, err := pyLen(v)
	if err != nil {
		return nil, err
	}
	return n, nil
}

func fList(r *rt, v any, args []any, kw *kwargs) (any, error) {
	items, err := iterate(r, v)
	if err != nil {
		return nil, err
	}
	if items == nil {
		items = []any{}
	}
	return &pyList{items: items}, nil
}

// attrPath resolves jinja2's make_attrgetter path ("a.b", "0").
func attrPath(item any, attr any) (any, error) {
	var parts []any
	switch a := attr.(type) {
	case string:
		for _, p := range strings.Split(a, ".") {
			if n, err := strconv.ParseInt(p, 10, 64); err == nil {
				parts = append(parts, n)
			} else {
				parts = append(parts, p)
			}
		}
	default:
		parts = []any{a}
	}
	cur := item
	for _, p := range parts {
		v, err := getItem(cur, p)
		if err != nil {
			return nil, err
		}
		cur = v
	}
	return cur, nil
}

func mapAttribute(items []any, attr any, def any, hasDefault bool) ([]any, error) {
	out := make([]any, len(items))
	for i, it := range items {
		v, err := attrPath(it, attr)
		if err != nil {
			return nil, err
		}
		if _, u := v.(*undefinedValue); u && hasDefault {
			v = def
		}
		out[i] = v
	}
	return out, nil
}

func fMap(r *rt, v any, args []any, kw *kwargs) (any, error) {
	items, err := iterate(r, v)
	if err != nil {
		return nil, err
	}
	if len(args) == 0 {
		if a, ok := kw.get("attribute"); ok {
			def, hasDef := kw.get("default")
			out, err := mapAttribute(items, a, def, hasDef)
			if err != nil {
				return nil, err
			}
			return &pyList{items: out}, nil
		}
		return nil, newErr("FilterArgumentError", "map requires a filter argument")
	}
	name, ok := asString(args[0])
	if !ok {
		return nil, newErr("FilterArgumentError", "map requires a filter argument")
	}
	f, ok := filters[name]
	if !ok {
		return nil, newErr(classRuntime, fmt.Sprintf("No filter named '%s'.", name))
	}
	out := make([]any, len(items))
	for i, it := range items {
		res, err := f(r, it, args[1:], kw)
		if err != nil {
			return nil, err
		}
		out[i] = res
	}
	return &pyList{items: out}, nil
}

func fSelect(keep, byAttr bool) filterFunc {
	return func(r *rt, v any, args []any, kw *kwargs) (any, error) {
		items, err := iterate(r, v)
		if err != nil {
			return nil, err
		}
		var attr any
		if byAttr {
			if len(args) == 0 {
				return nil, newErr("FilterArgumentError", "Missing parameter for attribute name")
			}
			attr, args = args[0], args[1:]
		}
		var test testFunc
		if len(args) > 0 {
			name, ok := asString(args[0])
			if !ok {
				return nil, typeErrorf("test name must be a string")
			}
			t, ok := tests[name]
			if !ok {
				return nil, newErr(classRuntime, fmt.Sprintf("No test named '%s'.", name))
			}
			test = t
			args = args[1:]
		}
		out := []any{}
		for _, it := range items {
			val := it
			if byAttr {
				val, err = attrPath(it, attr)
				if err != nil {
					return nil, err
				}
			}
			var ok bool
			if test == nil {
				ok = truthy(val)
			} else {
				ok, err = test(r, val, args, kw)
				if err != nil {
					return nil, err
				}
			}
			if ok == keep {
				out = append(out, it)
			}
		}
		return &pyList{items: out}, nil
	}
}

func sortValues(items []any, reverse, caseSensitive bool, attr any) ([]any, error) {
	keys := make([]any, len(items))
	for i, it := range items {
		k := it
		if attr != nil {
			var err error
			if k, err = attrPath(it, attr); err != nil {
				return nil, err
			}
		}
		keys[i] = lowerKey(k, caseSensitive)
	}
	idx := make([]int, len(items))
	for i := range idx {
		idx[i] = i
	}
	var sortErr error
	sort.SliceStable(idx, func(a, b int) bool {
		x, y := keys[idx[a]], keys[idx[b]]
		if reverse {
			x, y = y, x
		}
		c, err := cmp3("<", x, y)
		if err != nil && sortErr == nil {
			sortErr = err
		}
		return c < 0
	})
	if sortErr != nil {
		return nil, sortErr
	}
	out := make([]any, len(items))
	for i, j := range idx {
		out[i] = items[j]
	}
	return out, nil
}

func fSort(r *rt, v any, args []any, kw *kwargs) (any, error) {
	p, err := filterArgs("sort", args, kw, []string{"reverse", "case_sensitive", "attribute"}, map[string]any{"reverse": false, "case_sensitive": false, "attribute": nil})
	if err != nil {
		return nil, err
	}
	items, err := iterate(r, v)
	if err != nil {
		return nil, err
	}
	out, err := sortValues(items, truthy(p["reverse"]), truthy(p["case_sensitive"]), p["attribute"])
	if err != nil {
		return nil, err
	}
	return &pyList{items: out}, nil
}

func fMinMax(isMax bool) filterFunc {
	return func(r *rt, v any, args []any, kw *kwargs) (any, error) {
		p, err := filterArgs("max", args, kw, []string{"case_sensitive", "attribute"}, map[string]any{"case_sensitive": false, "attribute": nil})
		if err != nil {
			return nil, err
		}
		items, err := iterate(r, v)
		if err != nil {
			return nil, err
		}
		if len(items) == 0 {
			return &undefinedValue{hint: "No aggregated item, sequence was empty."}, nil
		}
		cs := truthy(p["case_sensitive"])
		best := items[0]
		bestKey, err := sortKey(best, p["attribute"], cs)
		if err != nil {
			return nil, err
		}
		for _, it := range items[1:] {
			k, err := sortKey(it, p["attribute"], cs)
			if err != nil {
				return nil, err
			}
			c, err := cmp3("<", k, bestKey)
			if err != nil {
				return nil, err
			}
			if (isMax && c > 0) || (!isMax && c < 0) {
				best, bestKey = it, k
			}
		}
		return best, nil
	}
}

func sortKey(v any, attr any, cs bool) (any, error) {
	if attr != nil {
		var err error
		if v, err = attrPath(v, attr); err != nil {
			return nil, err
		}
	}
	return lowerKey(v, cs), nil
}

// pformat is pprint.pformat for values that fit on one line: like repr,
// with dict keys sorted.
func pformat(v any) string { return pformatDepth(v, 0) }

func pformatDepth(v any, depth int) string {
	if depth > 100 {
		return "..."
	}
	switch t := v.(type) {
	case *pyDict:
		items := t.items()
		sort.SliceStable(items, func(i, j int) bool {
			c, _ := cmp3("<", items[i][0], items[j][0])
			return c < 0
		})
		parts := make([]string, len(items))
		for i, kv := range items {
			parts[i] = pformatDepth(kv[0], depth+1) + ": " + pformatDepth(kv[1], depth+1)
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case *pyList:
		parts := make([]string, len(t.items))
		for i, e := range t.items {
			parts[i] = pformatDepth(e, depth+1)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	return reprAny(v)
}

func fPprint(r *rt, v any, args []any, kw *kwargs) (any, error) { return pformat(v), nil }

func fRandom(r *rt, v any, args []any, kw *kwargs) (any, error) {
	items, err := iterate(r, v)
	if err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return &undefinedValue{hint: "No random item, sequence was empty."}, nil
	}
	return items[rand.IntN(len(items))], nil
}

func fReplace(r *rt, v any, args []any, kw *kwargs) (any, error) {
	p, err := filterArgs("replace", args, kw, []string{"old", "new", "count"}, map[string]any{"count": nil})
	if err != nil {
		return nil, err
	}
	n := -1
	if p["count"] != nil {
		if n, err = intArg(p["count"]); err != nil {
			return nil, err
		}
	}
	return strings.Replace(softStr(v), softStr(p["old"]), softStr(p["new"]), n), nil
}

func fReverse(r *rt, v any, args []any, kw *kwargs) (any, error) {
	if s, ok := asString(v); ok {
		rs := []rune(s)
		for i, j := 0, len(rs)-1; i < j; i, j = i+1, j-1 {
			rs[i], rs[j] = rs[j], rs[i]
		}
		return string(rs), nil
	}
	items, err := iterate(r, v)
	if err != nil {
		return nil, typeErrorf("argument to reverse() must be a sequence")
	}
	out := make([]any, len(items))
	for i, it := range items {
		out[len(items)-1-i] = it
	}
	return &pyList{items: out}, nil
}

// pyRoundFloat is Python's round(f, n): correctly rounded, half-even.
func pyRoundFloat(f float64, n int) float64 {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return f
	}
	if n >= 0 {
		if n > 308 {
			return f
		}
		s := strconv.FormatFloat(f, 'f', n, 64)
		r, _ := strconv.ParseFloat(s, 64)
		return r
	}
	// negative precision: round to tens, hundreds, ... exactly
	rat := new(big.Rat).SetFloat64(f)
	p := new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(-n)), nil))
	q := new(big.Rat).Quo(rat, p)
	num, den := q.Num(), q.Denom()
	div, mod := new(big.Int).DivMod(num, den, new(big.Int))
	twice := new(big.Int).Mul(mod, big.NewInt(2))
	if c := twice.Cmp(den); c > 0 || (c == 0 && div.Bit(0) == 1) {
		div.Add(div, big.NewInt(1))
	}
	res := new(big.Rat).Mul(new(big.Rat).SetInt(div), p)
	out, _ := res.Float64()
	return out
}

func pyRound(v any, n int64, withN bool) (any, error) {
	switch t := v.(type) {
	case float64:
		r := pyRoundFloat(t, int(n))
		if !withN {
			if math.IsInf(r, 0) || math.IsNaN(r) {
				return nil, newErr(classOverflow, "cannot convert float infinity to integer")
			}
			b, _ := new(big.Float).SetFloat64(r).Int(nil)
			return normInt(b), nil
		}
		return r, nil
	case int64, bool, *big.Int:
		b, _ := toBig(t)
		if !withN || n >= 0 {
			return normInt(b), nil
		}
		p := new(big.Int).Exp(big.NewInt(10), big.NewInt(-n), nil)
		q, m := new(big.Int).DivMod(b, p, new(big.Int))
		twice := new(big.Int).Mul(m, big.NewInt(2))
		if c := twice.Cmp(p); c > 0 || (c == 0 && q.Bit(0) == 1) {
			q.Add(q, big.NewInt(1))
		}
		return normInt(q.Mul(q, p)), nil
	case *apd.Decimal:
		out := new(apd.Decimal)
		if _, err := decCtx.Quantize(out, t, int32(-n)); err != nil {
			return nil, decErr(err)
		}
		if !withN {
			b, _ := new(big.Int).SetString(out.Text('f'), 10)
			return normInt(b), nil
		}
		return out, nil
	case *undefinedValue:
		return nil, t.err()
	}
	return nil, typeErrorf("type %s doesn't define __round__ method", typeName(v))
}

func fRound(r *rt, v any, args []any, kw *kwargs) (any, error) {
	p, err := filterArgs("round", args, kw, []string{"precision", "method"}, map[string]any{"precision": int64(0), "method": "common"})
	if err != nil {
		return nil, err
	}
	prec, err := intArg(p["precision"])
	if err != nil {
		return nil, err
	}
	method := softStr(p["method"])
	switch method {
	case "common":
		return pyRound(v, int64(prec), true)
	case "floor", "ceil":
		f, ok := toFloat(v)
		if !ok {
			return nil, typeErrorf("must be real number, not %s", typeName(v))
		}
		scale := math.Pow(10, float64(prec))
		x := f * scale
		if method == "floor" {
			x = math.Floor(x)
		} else {
			x = math.Ceil(x)
		}
		return x / scale, nil
	}
	return nil, newErr("FilterArgumentError", "method must be common, ceil or floor")
}

func fSlice(r *rt, v any, args []any, kw *kwargs) (any, error) {
	p, err := filterArgs("slice", args, kw, []string{"slices", "fill_with"}, map[string]any{"fill_with": nil})
	if err != nil {
		return nil, err
	}
	slices, err := intArg(p["slices"])
	if err != nil {
		return nil, err
	}
	seq, err := iterate(r, v)
	if err != nil {
		return nil, err
	}
	if slices <= 0 {
		return nil, newErr(classZeroDiv, "integer division or modulo by zero")
	}
	length := len(seq)
	per := length / slices
	extra := length % slices
	offset := 0
	var out []any
	for i := 0; i < slices; i++ {
		start := offset + i*per
		if i < extra {
			offset++
		}
		end := offset + (i+1)*per
		tmp := append([]any(nil), seq[start:end]...)
		if p["fill_with"] != nil && i >= extra {
			tmp = append(tmp, p["fill_with"])
		}
		if tmp == nil {
			tmp = []any{}
		}
		out = append(out, &pyList{items: tmp})
	}
	return &pyList{items: out}, nil
}

func fString(r *rt, v any, args []any, kw *kwargs) (any, error) {
	if m, ok := v.(markup); ok {
		return m, nil
	}
	return softStr(v), nil
}

var (
	tagRe     = regexp.MustCompile(`(?s)<!--.*?-->|<[^>]*>`)
	wordSplit = regexp.MustCompile(`\w+`)
)

func fStriptags(r *rt, v any, args []any, kw *kwargs) (any, error) {
	s := tagRe.ReplaceAllString(softStr(v), "")
	s = strings.Join(strings.Fields(s), " ")
	return html.UnescapeString(s), nil
}

func fSum(r *rt, v any, args []any, kw *kwargs) (any, error) {
	p, err := filterArgs("sum", args, kw, []string{"attribute", "start"}, map[string]any{"attribute": nil, "start": int64(0)})
	if err != nil {
		return nil, err
	}
	items, err := iterate(r, v)
	if err != nil {
		return nil, err
	}
	if p["attribute"] != nil {
		if items, err = mapAttribute(items, p["attribute"], nil, false); err != nil {
			return nil, err
		}
	}
	acc := p["start"]
	for _, it := range items {
		if isString(it) && isNumber(acc) {
			return nil, typeErrorf("unsupported operand type(s) for +: '%s' and '%s'", typeName(acc), typeName(it))
		}
		if acc, err = binOp("+", acc, it); err != nil {
			return nil, err
		}
	}
	return acc, nil
}

func fTrim(r *rt, v any, args []any, kw *kwargs) (any, error) {
	p, err := filterArgs("trim", args, kw, []string{"chars"}, map[string]any{"chars": nil})
	if err != nil {
		return nil, err
	}
	return pyStrip(softStr(v), p["chars"], true, true), nil
}

func fTruncate(r *rt, v any, args []any, kw *kwargs) (any, error) {
	p, err := filterArgs("truncate", args, kw, []string{"length", "killwords", "end", "leeway"}, map[string]any{"length": int64(255), "killwords": false, "end": "...", "leeway": nil})
	if err != nil {
		return nil, err
	}
	s := []rune(softStr(v))
	length, err := intArg(p["length"])
	if err != nil {
		return nil, err
	}
	end := softStr(p["end"])
	leeway := 5
	if p["leeway"] != nil {
		if leeway, err = intArg(p["leeway"]); err != nil {
			return nil, err
		}
	}
	if length < len([]rune(end)) {
		return nil, newErr("AssertionError", fmt.Sprintf("expected length >= %d, got %d", len([]rune(end)), length))
	}
	if leeway < 0 {
		return nil, newErr("AssertionError", fmt.Sprintf("expected leeway >= 0, got %d", leeway))
	}
	if len(s) <= length+leeway {
		return string(s), nil
	}
	cut := string(s[:length-len([]rune(end))])
	if truthy(p["killwords"]) {
		return cut + end, nil
	}
	if i := strings.LastIndex(cut, " "); i >= 0 {
		cut = cut[:i]
	}
	return cut + end, nil
}

func fUnique(r *rt, v any, args []any, kw *kwargs) (any, error) {
	p, err := filterArgs("unique", args, kw, []string{"case_sensitive", "attribute"}, map[string]any{"case_sensitive": false, "attribute": nil})
	if err != nil {
		return nil, err
	}
	items, err := iterate(r, v)
	if err != nil {
		return nil, err
	}
	seen := map[any]bool{}
	out := []any{}
	for _, it := range items {
		k, err := sortKey(it, p["attribute"], truthy(p["case_sensitive"]))
		if err != nil {
			return nil, err
		}
		h, err := hashKey(k)
		if err != nil {
			return nil, err
		}
		if !seen[h] {
			seen[h] = true
			out = append(out, it)
		}
	}
	return &pyList{items: out}, nil
}

func urlQuote(s string, forQS bool) string {
	safe := "/"
	if forQS {
		safe = ""
	}
	var b strings.Builder
	for _, c := range []byte(s) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', strings.IndexByte("_.-~", c) >= 0, strings.IndexByte(safe, c) >= 0:
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	out := b.String()
	if forQS {
		out = strings.ReplaceAll(out, "%20", "+")
	}
	return out
}

func fUrlencode(r *rt, v any, args []any, kw *kwargs) (any, error) {
	if s, ok := asString(v); ok {
		return urlQuote(s, false), nil
	}
	var pairs [][2]any
	switch t := v.(type) {
	case *pyDict:
		pairs = t.items()
	default:
		items, err := iterate(r, v)
		if err != nil {
			return urlQuote(softStr(v), false), nil
		}
		for _, it := range items {
			kv, err := iterate(r, it)
			if err != nil || len(kv) != 2 {
				return nil, valueErrorf("too many values to unpack (expected 2)")
			}
			pairs = append(pairs, [2]any{kv[0], kv[1]})
		}
	}
	parts := make([]string, len(pairs))
	for i, kv := range pairs {
		parts[i] = urlQuote(softStr(kv[0]), true) + "=" + urlQuote(softStr(kv[1]), true)
	}
	return strings.Join(parts, "&"), nil
}

var urlRe = regexp.MustCompile(`^(https?://[^\s<>"']+|www\.[^\s<>"']+)$`)

func fUrlize(r *rt, v any, args []any, kw *kwargs) (any, error) {
	words := regexp.MustCompile(`(\s+)`).Split(softStr(v), -1)
	seps := regexp.MustCompile(`(\s+)`).FindAllString(softStr(v), -1)
	var b strings.Builder
	for i, w := range words {
		if urlRe.MatchString(w) {
			href := w
			if strings.HasPrefix(w, "www.") {
				href = "https://" + w
			}
			b.WriteString(`<a href="` + htmlEscape(href) + `" rel="noopener">` + htmlEscape(w) + `</a>`)
		} else {
			b.WriteString(htmlEscape(w))
		}
		if i < len(seps) {
			b.WriteString(seps[i])
		}
	}
	_ = url.QueryEscape
	return b.String(), nil
}

func fWordcount(r *rt, v any, args []any, kw *kwargs) (any, error) {
	return int64(len(wordSplit.FindAllString(softStr(v), -1))), nil
}

func fWordwrap(r *rt, v any, args []any, kw *kwargs) (any, error) {
	p, err := filterArgs("wordwrap", args, kw, []string{"width", "break_long_words", "wrapstring", "break_on_hyphens"}, map[string]any{"width": int64(79), "break_long_words": true, "wrapstring": nil, "break_on_hyphens": true})
	if err != nil {
		return nil, err
	}
	width, err := intArg(p["width"])
	if err != nil {
		return nil, err
	}
	wrap := "\n"
	if p["wrapstring"] != nil {
		wrap = softStr(p["wrapstring"])
	}
	var paras []string
	for _, line := range strings.Split(softStr(v), "\n") {
		paras = append(paras, strings.Join(textWrap(line, width, truthy(p["break_long_words"])), wrap))
	}
	return strings.Join(paras, wrap), nil
}

func textWrap(s string, width int, breakLong bool) []string {
	words := strings.FieldsFunc(s, unicode.IsSpace)
	var lines []string
	cur := ""
	for _, w := range words {
		for breakLong && len([]rune(w)) > width && width > 0 {
			room := width
			if cur != "" {
				room = width - len([]rune(cur)) - 1
				if room <= 0 {
					lines = append(lines, cur)
					cur = ""
					room = width
				}
			}
			rw := []rune(w)
			chunk := string(rw[:room])
			if cur != "" {
				cur += " " + chunk
			} else {
				cur = chunk
			}
			lines = append(lines, cur)
			cur = ""
			w = string(rw[room:])
		}
		if w == "" {
			continue
		}
		switch {
		case cur == "":
			cur = w
		case len([]rune(cur))+1+len([]rune(w)) <= width:
			cur += " " + w
		default:
			lines = append(lines, cur)
			cur = w
		}
	}
	if cur != "" {
		lines = append(lines, cur)
	}
	return lines
}

func fXmlattr(r *rt, v any, args []any, kw *kwargs) (any, error) {
	p, err := filterArgs("xmlattr", args, kw, []string{"autospace"}, map[string]any{"autospace": true})
	if err != nil {
		return nil, err
	}
	d, ok := v.(*pyDict)
	if !ok {
		return nil, newErr(classAttribute, fmt.Sprintf("'%s' object has no attribute 'items'", typeName(v)))
	}
	var parts []string
	for _, kv := range d.items() {
		if kv[1] == nil {
			continue
		}
		if _, u := kv[1].(*undefinedValue); u {
			continue
		}
		parts = append(parts, fmt.Sprintf(`%s="%s"`, htmlEscape(softStr(kv[0])), htmlEscape(softStr(kv[1]))))
	}
	out := strings.Join(parts, " ")
	if out != "" && truthy(p["autospace"]) {
		out = " " + out
	}
	return markup(out), nil
}

func fFormat(r *rt, v any, args []any, kw *kwargs) (any, error) {
	if len(args) > 0 && kw.len() > 0 {
		return nil, newErr("FilterArgumentError", "can't handle positional and keyword arguments at the same time")
	}
	if kw.len() > 0 {
		d := newDict(kw.len())
		for _, k := range kw.names {
			_ = d.set(k, kw.vals[k])
		}
		return pyPercent(softStr(v), d)
	}
	return pyPercent(softStr(v), pyTuple(args))
}

func fIndent(r *rt, v any, args []any, kw *kwargs) (any, error) {
	p, err := filterArgs("indent", args, kw, []string{"width", "first", "blank"}, map[string]any{"width": int64(4), "first": false, "blank": false})
	if err != nil {
		return nil, err
	}
	var ind string
	if s, ok := asString(p["width"]); ok {
		ind = s
	} else {
		w, err := widthArg(p["width"])
		if err != nil {
			return nil, err
		}
		ind = strings.Repeat(" ", w)
	}
	s := softStr(v) + "\n"
	lines := splitLines(s, false).items
	if len(lines)*len(ind) > maxRepeat {
		return nil, &limitError{sentinel: ErrOutputTooLarge, detail: "indented text too large"}
	}
	var rv string
	if truthy(p["blank"]) {
		parts := make([]string, len(lines))
		for i, l := range lines {
			parts[i] = l.(string)
		}
		rv = strings.Join(parts, "\n"+ind)
	} else {
		rv = lines[0].(string)
		if len(lines) > 1 {
			parts := make([]string, 0, len(lines)-1)
			for _, l := range lines[1:] {
				ls := l.(string)
				if ls != "" {
					ls = ind + ls
				}
				parts = append(parts, ls)
			}
			rv += "\n" + strings.Join(parts, "\n")
		}
	}
	if truthy(p["first"]) {
		rv = ind + rv
	}
	return rv, nil
}

// groupTuple is jinja2's _GroupTuple(grouper, list).
type groupTuple struct {
	grouper any
	list    *pyList
}

func (g *groupTuple) getattr(name string) (any, bool) {
	switch name {
	case "grouper":
		return g.grouper, true
	case "list":
		return g.list, true
	}
	return nil, false
}

func (g *groupTuple) items() []any { return []any{g.grouper, g.list} }

func fGroupby(r *rt, v any, args []any, kw *kwargs) (any, error) {
	p, err := filterArgs("groupby", args, kw, []string{"attribute", "default", "case_sensitive"}, map[string]any{"default": nil, "case_sensitive": false})
	if err != nil {
		return nil, err
	}
	items, err := iterate(r, v)
	if err != nil {
		return nil, err
	}
	cs := truthy(p["case_sensitive"])
	keyOf := func(it any) (any, error) {
		k, err := attrPath(it, p["attribute"])
		if err != nil {
			return nil, err
		}
		if _, u := k.(*undefinedValue); u && p["default"] != nil {
			k = p["default"]
		}
		return k, nil
	}
	keys := make([]any, len(items))
	for i, it := range items {
		var err error
		if keys[i], err = keyOf(it); err != nil {
			return nil, err
		}
	}
	idx := make([]int, len(items))
	for i := range idx {
		idx[i] = i
	}
	var sortErr error
	sort.SliceStable(idx, func(a, b int) bool {
		c, err := cmp3("<", lowerKey(keys[idx[a]], cs), lowerKey(keys[idx[b]], cs))
		if err != nil && sortErr == nil {
			sortErr = err
		}
		return c < 0
	})
	if sortErr != nil {
		return nil, sortErr
	}
	var out []any
	var cur *groupTuple
	var curKey any
	for _, i := range idx {
		k := lowerKey(keys[i], cs)
		if cur == nil || !pyEqual(k, curKey) {
			cur = &groupTuple{grouper: keys[i], list: &pyList{}}
			curKey = k
			out = append(out, cur)
		}
		cur.list.items = append(cur.list.items, items[i])
	}
	if out == nil {
		out = []any{}
	}
	return &pyList{items: out}, nil
}

func fTojson(r *rt, v any, args []any, kw *kwargs) (any, error) {
	p, err := filterArgs("tojson", args, kw, []string{"indent"}, map[string]any{"indent": nil})
	if err != nil {
		return nil, err
	}
	indent := -1
	if p["indent"] != nil {
		if indent, err = intArg(p["indent"]); err != nil {
			return nil, err
		}
	}
	out, err := jsonEncode(v, indent, true)
	if err != nil {
		return nil, err
	}
	return markup(out), nil
}
