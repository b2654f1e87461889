package render

import (
	"math"
	"math/big"
	"strings"
	"unicode"
)

// method wraps a Go function as a bound Python method.
func method(name string, fn func(r *rt, args []any, kw *kwargs) (any, error)) *builtinFunc {
	return &builtinFunc{name: name, fn: fn}
}

func noArgs(name string, args []any, kw *kwargs) error {
	if len(args) > 0 || kw.len() > 0 {
		return typeErrorf("%s() takes no arguments (%d given)", name, len(args)+kw.len())
	}
	return nil
}

// bindArgs binds positional and keyword arguments to names. A name missing
// from defaults is required.
func bindArgs(fname string, args []any, kw *kwargs, names []string, defaults map[string]any) (map[string]any, error) {
	out := make(map[string]any, len(names))
	if len(args) > len(names) {
		return nil, typeErrorf("%s() takes at most %d arguments (%d given)", fname, len(names), len(args))
	}
	for i, a := range args {
		out[names[i]] = a
	}
	if kw != nil {
		for _, k := range kw.names {
			found := false
			for _, n := range names {
				if n == k {
					found = true
					break
				}
			}
			if !found {
				return nil, typeErrorf("%s() got an unexpected keyword argument '%s'", fname, k)
			}
			if _, dup := out[k]; dup {
				return nil, typeErrorf("%s() got multiple values for argument '%s'", fname, k)
			}
			out[k] = kw.vals[k]
		}
	}
	for i, n := range names {
		if _, ok := out[n]; !ok {
			d, has := defaults[n]
			if !has {
				if fname == "function" { // CPython's argument parser for a C constructor
					return nil, typeErrorf("function missing required argument '%s' (pos %d)", n, i+1)
				}
				return nil, typeErrorf("%s() missing required argument '%s' (pos %d)", fname, n, i+1)
			}
			out[n] = d
		}
	}
	return out, nil
}

// bindPyArgs is bindArgs for a function written in Python: missing
// arguments are reported as Python reports them.
func bindPyArgs(fname string, args []any, kw *kwargs, names []string, defaults map[string]any) (map[string]any, error) {
	var missing []string
	for i, n := range names {
		if _, has := defaults[n]; has || i < len(args) {
			continue
		}
		if _, byKw := kw.get(n); !byKw {
			missing = append(missing, "'"+n+"'")
		}
	}
	switch len(missing) {
	case 0:
		return bindArgs(fname, args, kw, names, defaults)
	case 1:
		return nil, typeErrorf("%s() missing 1 required positional argument: %s", fname, missing[0])
	case 2:
		return nil, typeErrorf("%s() missing 2 required positional arguments: %s and %s", fname, missing[0], missing[1])
	}
	last := len(missing) - 1
	return nil, typeErrorf("%s() missing %d required positional arguments: %s, and %s", fname, len(missing), strings.Join(missing[:last], ", "), missing[last])
}

func oneStringArg(fname, argName string, args []any, kw *kwargs) (string, error) {
	p, err := bindArgs(fname, args, kw, []string{argName}, nil)
	if err != nil {
		return "", err
	}
	s, ok := asString(p[argName])
	if !ok {
		return "", typeErrorf("%s() argument 1 must be str, not %s", fname, typeName(p[argName]))
	}
	return s, nil
}

func intArg(v any) (int, error) {
	switch t := v.(type) {
	case int64:
		return int(t), nil
	case bool:
		if t {
			return 1, nil
		}
		return 0, nil
	case *undefinedValue:
		return 0, t.err()
	}
	return 0, typeErrorf("'%s' object cannot be interpreted as an integer", typeName(v))
}

func strArg(fname string, v any) (string, error) {
	s, ok := asString(v)
	if !ok {
		if u, isU := v.(*undefinedValue); isU {
			return "", u.err()
		}
		return "", typeErrorf("%s() argument must be str, not %s", fname, typeName(v))
	}
	return s, nil
}

func argsCount(fname string, args []any, kw *kwargs, min, max int) error {
	if kw.len() > 0 {
		return typeErrorf("%s() takes no keyword arguments", fname)
	}
	n := len(args)
	if n < min || n > max {
		switch {
		case max == 0:
			return typeErrorf("%s() takes no arguments (%d given)", fname, n)
		case min == max:
			return typeErrorf("%s() takes exactly one argument (%d given)", fname, n)
		case n < min:
			return typeErrorf("%s expected at least %d argument, got %d", fname, min, n)
		default:
			return typeErrorf("%s expected at most %d arguments, got %d", fname, max, n)
		}
	}
	return nil
}

func pyStrip(s string, chars any, left, right bool) string {
	cs, isStr := asString(chars)
	if chars == nil || !isStr {
		if left {
			s = strings.TrimLeftFunc(s, unicode.IsSpace)
		}
		if right {
			s = strings.TrimRightFunc(s, unicode.IsSpace)
		}
		return s
	}
	if left {
		s = strings.TrimLeft(s, cs)
	}
	if right {
		s = strings.TrimRight(s, cs)
	}
	return s
}

func pySplit(s string, sep any, maxsplit int, fromRight bool) *pyList {
	var parts []string
	if sep == nil {
		fields := strings.Fields(s)
		if maxsplit < 0 || maxsplit >= len(fields)-1 {
			parts = fields
		} else if !fromRight {
			// keep the remainder intact after maxsplit splits
			rest := strings.TrimLeftFunc(s, unicode.IsSpace)
			for i := 0; i < maxsplit; i++ {
				j := strings.IndexFunc(rest, unicode.IsSpace)
				parts = append(parts, rest[:j])
				rest = strings.TrimLeftFunc(rest[j:], unicode.IsSpace)
			}
			parts = append(parts, rest)
		} else {
			rest := strings.TrimRightFunc(s, unicode.IsSpace)
			var rev []string
			for i := 0; i < maxsplit; i++ {
				j := strings.LastIndexFunc(rest, unicode.IsSpace)
				rev = append(rev, rest[j+1:])
				rest = strings.TrimRightFunc(rest[:j], unicode.IsSpace)
			}
			parts = append(parts, rest)
			for i := len(rev) - 1; i >= 0; i-- {
				parts = append(parts, rev[i])
			}
		}
	} else {
		sp := sep.(string)
		switch {
		case maxsplit < 0:
			parts = strings.Split(s, sp)
		case !fromRight:
			parts = strings.SplitN(s, sp, maxsplit+1)
		default:
			all := strings.Split(s, sp)
			if len(all) > maxsplit+1 {
				head := strings.Join(all[:len(all)-maxsplit], sp)
				parts = append([]string{head}, all[len(all)-maxsplit:]...)
			} else {
				parts = all
			}
		}
	}
	out := make([]any, len(parts))
	for i, p := range parts {
		out[i] = p
	}
	return &pyList{items: out}
}

func pyTitle(s string) string {
	var b strings.Builder
	prevCased := false
	for _, r := range s {
		if unicode.IsLetter(r) {
			if prevCased {
				b.WriteRune(unicode.ToLower(r))
			} else {
				b.WriteRune(unicode.ToTitle(r))
			}
			prevCased = true
		} else {
			b.WriteRune(r)
			prevCased = false
		}
	}
	return b.String()
}

func pyCapitalize(s string) string {
	rs := []rune(s)
	if len(rs) == 0 {
		return s
	}
	return string(unicode.ToUpper(rs[0])) + strings.ToLower(string(rs[1:]))
}

// strMethods are Python's str methods, by name.
var strMethods = map[string]func(s, name string, args []any, kw *kwargs) (any, error){
	"upper":        strCase,
	"lower":        strCase,
	"title":        strCase,
	"capitalize":   strCase,
	"swapcase":     strCase,
	"isdigit":      strCase,
	"isalpha":      strCase,
	"isalnum":      strCase,
	"isspace":      strCase,
	"islower":      strCase,
	"isupper":      strCase,
	"isnumeric":    strCase,
	"isdecimal":    strCase,
	"istitle":      strCase,
	"splitlines":   strCase,
	"casefold":     strCase,
	"strip":        strStrip,
	"lstrip":       strStrip,
	"rstrip":       strStrip,
	"split":        strSplit,
	"rsplit":       strSplit,
	"replace":      strReplace,
	"startswith":   strAffix,
	"endswith":     strAffix,
	"find":         strFind,
	"rfind":        strFind,
	"index":        strFind,
	"rindex":       strFind,
	"count":        strFind,
	"join":         strJoin,
	"zfill":        strZfill,
	"center":       strJustify,
	"ljust":        strJustify,
	"rjust":        strJustify,
	"partition":    strPartition,
	"rpartition":   strPartition,
	"removeprefix": strRemoveAffix,
	"removesuffix": strRemoveAffix,
}

// strMethod is the bound str method name of s.
func strMethod(s string, name string) (any, bool) {
	if name == "format" {
		return method(name, func(r *rt, args []any, kw *kwargs) (any, error) { return pyStrFormat(r, s, args, kw) }), true
	}
	fn, ok := strMethods[name]
	if !ok {
		return nil, false
	}
	return method(name, func(r *rt, args []any, kw *kwargs) (any, error) { return fn(s, name, args, kw) }), true
}

func strCase(s, name string, args []any, kw *kwargs) (any, error) {
	if name == "splitlines" {
		p, err := bindArgs("str."+name, args, kw, []string{"keepends"}, map[string]any{"keepends": false})
		if err != nil {
			return nil, err
		}
		return splitLines(s, truthy(p["keepends"])), nil
	}
	if err := noArgs("str."+name, args, kw); err != nil {
		return nil, err
	}
	switch name {
	case "upper":
		return strings.ToUpper(s), nil
	case "lower", "casefold":
		return strings.ToLower(s), nil
	case "title":
		return pyTitle(s), nil
	case "capitalize":
		return pyCapitalize(s), nil
	case "swapcase":
		return swapCase(s), nil
	case "isdigit", "isnumeric", "isdecimal":
		return s != "" && strings.IndexFunc(s, func(r rune) bool { return !unicode.IsDigit(r) }) < 0, nil
	case "isalpha":
		return s != "" && strings.IndexFunc(s, func(r rune) bool { return !unicode.IsLetter(r) }) < 0, nil
	case "isalnum":
		return s != "" && strings.IndexFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) < 0, nil
	case "isspace":
		return s != "" && strings.IndexFunc(s, func(r rune) bool { return !unicode.IsSpace(r) }) < 0, nil
	case "islower":
		return strings.IndexFunc(s, unicode.IsLower) >= 0 && strings.IndexFunc(s, unicode.IsUpper) < 0, nil
	case "isupper":
		return strings.IndexFunc(s, unicode.IsUpper) >= 0 && strings.IndexFunc(s, unicode.IsLower) < 0, nil
	case "istitle":
		return s != "" && pyTitle(s) == s, nil
	}
	return nil, nil
}

func strStrip(s, name string, args []any, kw *kwargs) (any, error) {
	if err := argsCount(name, args, kw, 0, 1); err != nil {
		return nil, err
	}
	var chars any
	if len(args) == 1 {
		chars = args[0]
	}
	return pyStrip(s, chars, name != "rstrip", name != "lstrip"), nil
}

func strSplit(s, name string, args []any, kw *kwargs) (any, error) {
	p, err := bindArgs(name, args, kw, []string{"sep", "maxsplit"}, map[string]any{"sep": nil, "maxsplit": int64(-1)})
	if err != nil {
		return nil, err
	}
	if p["sep"] != nil {
		sep, ok := asString(p["sep"])
		if !ok {
			return nil, typeErrorf("must be str or None, not %s", typeName(p["sep"]))
		}
		if sep == "" {
			return nil, valueErrorf("empty separator")
		}
		p["sep"] = sep
	}
	n, err := intArg(p["maxsplit"])
	if err != nil {
		return nil, err
	}
	return pySplit(s, p["sep"], n, name == "rsplit"), nil
}

func strReplace(s, name string, args []any, kw *kwargs) (any, error) {
	if err := argsCount("replace", args, kw, 2, 3); err != nil {
		return nil, err
	}
	old, err := strArg("replace", args[0])
	if err != nil {
		return nil, err
	}
	nw, err := strArg("replace", args[1])
	if err != nil {
		return nil, err
	}
	n := -1
	if len(args) == 3 {
		if n, err = intArg(args[2]); err != nil {
			return nil, err
		}
	}
	return strings.Replace(s, old, nw, n), nil
}

func strAffix(s, name string, args []any, kw *kwargs) (any, error) {
	if err := argsCount(name, args, kw, 1, 3); err != nil {
		return nil, err
	}
	var cands []string
	switch t := args[0].(type) {
	case pyTuple:
		for _, c := range t {
			cs, ok := asString(c)
			if !ok {
				return nil, typeErrorf("tuple for %s must only contain str, not %s", name, typeName(c))
			}
			cands = append(cands, cs)
		}
	default:
		cs, ok := asString(t)
		if !ok {
			return nil, typeErrorf("%s first arg must be str or a tuple of str, not %s", name, typeName(t))
		}
		cands = []string{cs}
	}
	for _, c := range cands {
		if name == "startswith" && strings.HasPrefix(s, c) || name == "endswith" && strings.HasSuffix(s, c) {
			return true, nil
		}
	}
	return false, nil
}

func strFind(s, name string, args []any, kw *kwargs) (any, error) {
	if err := argsCount(name, args, kw, 1, 1); err != nil {
		return nil, err
	}
	sub, err := strArg(name, args[0])
	if err != nil {
		return nil, err
	}
	if name == "count" {
		if sub == "" {
			return int64(len([]rune(s)) + 1), nil
		}
		return int64(strings.Count(s, sub)), nil
	}
	var i int
	if name == "find" || name == "index" {
		i = strings.Index(s, sub)
	} else {
		i = strings.LastIndex(s, sub)
	}
	if i < 0 {
		if name == "index" || name == "rindex" {
			return nil, valueErrorf("substring not found")
		}
		return int64(-1), nil
	}
	return int64(len([]rune(s[:i]))), nil
}

func strJoin(s, name string, args []any, kw *kwargs) (any, error) {
	if err := argsCount("join", args, kw, 1, 1); err != nil {
		return nil, err
	}
	items, err := iterate(nil, args[0])
	if err != nil {
		return nil, err
	}
	parts := make([]string, len(items))
	for i, it := range items {
		str, ok := asString(it)
		if !ok {
			return nil, typeErrorf("sequence item %d: expected str instance, %s found", i, typeName(it))
		}
		parts[i] = str
	}
	return strings.Join(parts, s), nil
}

func strZfill(s, name string, args []any, kw *kwargs) (any, error) {
	if err := argsCount("zfill", args, kw, 1, 1); err != nil {
		return nil, err
	}
	w, err := widthArg(args[0])
	if err != nil {
		return nil, err
	}
	n := len([]rune(s))
	if w <= n {
		return s, nil
	}
	sign := ""
	body := s
	if strings.HasPrefix(s, "-") || strings.HasPrefix(s, "+") {
		sign, body = s[:1], s[1:]
	}
	return sign + strings.Repeat("0", w-n) + body, nil
}

func strJustify(s, name string, args []any, kw *kwargs) (any, error) {
	if err := argsCount(name, args, kw, 1, 2); err != nil {
		return nil, err
	}
	w, err := widthArg(args[0])
	if err != nil {
		return nil, err
	}
	fill := " "
	if len(args) == 2 {
		f, ok := asString(args[1])
		if !ok || len([]rune(f)) != 1 {
			return nil, typeErrorf("The fill character must be exactly one character long")
		}
		fill = f
	}
	return pyJustify(s, name, w, fill), nil
}

func strPartition(s, name string, args []any, kw *kwargs) (any, error) {
	if err := argsCount(name, args, kw, 1, 1); err != nil {
		return nil, err
	}
	sep, err := strArg(name, args[0])
	if err != nil {
		return nil, err
	}
	var i int
	if name == "partition" {
		i = strings.Index(s, sep)
		if i < 0 {
			return pyTuple{s, "", ""}, nil
		}
	} else {
		i = strings.LastIndex(s, sep)
		if i < 0 {
			return pyTuple{"", "", s}, nil
		}
	}
	return pyTuple{s[:i], sep, s[i+len(sep):]}, nil
}

func strRemoveAffix(s, name string, args []any, kw *kwargs) (any, error) {
	if err := argsCount(name, args, kw, 1, 1); err != nil {
		return nil, err
	}
	a, err := strArg(name, args[0])
	if err != nil {
		return nil, err
	}
	if name == "removeprefix" {
		return strings.TrimPrefix(s, a), nil
	}
	return strings.TrimSuffix(s, a), nil
}

func pyJustify(s, how string, w int, fill string) string {
	n := len([]rune(s))
	if w <= n {
		return s
	}
	padN := w - n
	switch how {
	case "ljust":
		return s + strings.Repeat(fill, padN)
	case "rjust":
		return strings.Repeat(fill, padN) + s
	}
	left := padN / 2
	if padN%2 == 1 && w%2 == 1 {
		left++
	}
	return strings.Repeat(fill, left) + s + strings.Repeat(fill, padN-left)
}

func splitLines(s string, keep bool) *pyList {
	var out []any
	for len(s) > 0 {
		i := strings.IndexAny(s, "\n\r")
		if i < 0 {
			out = append(out, s)
			break
		}
		end := i + 1
		if s[i] == '\r' && end < len(s) && s[end] == '\n' {
			end++
		}
		if keep {
			out = append(out, s[:end])
		} else {
			out = append(out, s[:i])
		}
		s = s[end:]
	}
	if out == nil {
		out = []any{}
	}
	return &pyList{items: out}
}

// dictMethods are the dict methods with a plain body, by name.
var dictMethods = map[string]func(d *pyDict, name string, args []any, kw *kwargs) (any, error){
	"keys":       dictKeys,
	"values":     dictKeys,
	"items":      dictKeys,
	"get":        dictGet,
	"copy":       dictCopy,
	"update":     dictUpdate,
	"pop":        dictPop,
	"setdefault": dictSetdefault,
	"clear":      dictClear,
}

func dictMethod(d *pyDict, name string) (any, bool) {
	if fn, ok := dictMethods[name]; ok {
		return method(name, func(r *rt, args []any, kw *kwargs) (any, error) { return fn(d, name, args, kw) }), true
	}
	return nil, false
}

func dictKeys(d *pyDict, name string, args []any, kw *kwargs) (any, error) {
	if err := noArgs("dict."+name, args, kw); err != nil {
		return nil, err
	}
	return dictView{d: d, kind: name}, nil
}

func dictGet(d *pyDict, name string, args []any, kw *kwargs) (any, error) {
	if err := argsCount("get", args, kw, 1, 2); err != nil {
		return nil, err
	}
	if v, ok := d.get(args[0]); ok {
		return v, nil
	}
	if len(args) == 2 {
		return args[1], nil
	}
	return nil, nil
}

func dictCopy(d *pyDict, name string, args []any, kw *kwargs) (any, error) {
	return d.copy(), nil
}

func dictUpdate(d *pyDict, name string, args []any, kw *kwargs) (any, error) {
	if len(args) > 1 {
		return nil, typeErrorf("update expected at most 1 argument, got %d", len(args))
	}
	if len(args) == 1 {
		switch o := args[0].(type) {
		case *pyDict:
			for _, kv := range o.items() {
				if err := d.set(kv[0], kv[1]); err != nil {
					return nil, err
				}
			}
		default:
			items, err := iterate(nil, o)
			if err != nil {
				return nil, err
			}
			for _, it := range items {
				pair, err := iterate(nil, it)
				if err != nil || len(pair) != 2 {
					return nil, valueErrorf("dictionary update sequence element has wrong length")
				}
				if err := d.set(pair[0], pair[1]); err != nil {
					return nil, err
				}
			}
		}
	}
	if kw != nil {
		for _, k := range kw.names {
			_ = d.set(k, kw.vals[k])
		}
	}
	return nil, nil
}

func dictPop(d *pyDict, name string, args []any, kw *kwargs) (any, error) {
	if err := argsCount("pop", args, kw, 1, 2); err != nil {
		return nil, err
	}
	if v, ok := d.get(args[0]); ok {
		d.del(args[0])
		return v, nil
	}
	if len(args) == 2 {
		return args[1], nil
	}
	return nil, newErr(classKey, reprAny(args[0]))
}

func dictSetdefault(d *pyDict, name string, args []any, kw *kwargs) (any, error) {
	if err := argsCount("setdefault", args, kw, 1, 2); err != nil {
		return nil, err
	}
	if v, ok := d.get(args[0]); ok {
		return v, nil
	}
	var def any
	if len(args) == 2 {
		def = args[1]
	}
	if err := d.set(args[0], def); err != nil {
		return nil, err
	}
	return def, nil
}

func dictClear(d *pyDict, name string, args []any, kw *kwargs) (any, error) {
	*d = *newDict(0)
	return nil, nil
}

// listMethods are the list methods with a plain body, by name.
var listMethods = map[string]func(l *pyList, name string, args []any, kw *kwargs) (any, error){
	"append":  listAppend,
	"extend":  listExtend,
	"insert":  listInsert,
	"pop":     listPop,
	"remove":  listRemove,
	"reverse": listReverse,
	"copy":    listCopy,
	"clear":   listClear,
}

func listMethod(l *pyList, name string) (any, bool) {
	if fn, ok := listMethods[name]; ok {
		return method(name, func(r *rt, args []any, kw *kwargs) (any, error) { return fn(l, name, args, kw) }), true
	}
	switch name {
	case "sort":
		return method(name, func(r *rt, args []any, kw *kwargs) (any, error) {
			p, err := bindArgs("sort", args, kw, []string{"reverse"}, map[string]any{"reverse": false})
			if err != nil {
				return nil, err
			}
			sorted, err := sortValues(l.items, truthy(p["reverse"]), true, nil)
			if err != nil {
				return nil, err
			}
			l.items = sorted
			return nil, nil
		}), true
	case "index", "count":
		return seqMethod(l.items, name)
	}
	return nil, false
}

func listAppend(l *pyList, name string, args []any, kw *kwargs) (any, error) {
	if err := argsCount("list.append", args, kw, 1, 1); err != nil {
		return nil, err
	}
	if len(l.items) >= maxRepeat {
		return nil, &limitError{sentinel: ErrOutputTooLarge, detail: "list too large"}
	}
	l.items = append(l.items, args[0])
	return nil, nil
}

func listExtend(l *pyList, name string, args []any, kw *kwargs) (any, error) {
	if err := argsCount("list.extend", args, kw, 1, 1); err != nil {
		return nil, err
	}
	items, err := iterate(nil, args[0])
	if err != nil {
		return nil, err
	}
	if len(l.items)+len(items) > maxRepeat {
		return nil, &limitError{sentinel: ErrOutputTooLarge, detail: "list too large"}
	}
	l.items = append(l.items, items...)
	return nil, nil
}

func listInsert(l *pyList, name string, args []any, kw *kwargs) (any, error) {
	if err := argsCount("insert", args, kw, 2, 2); err != nil {
		return nil, err
	}
	i, err := intArg(args[0])
	if err != nil {
		return nil, err
	}
	n := len(l.items)
	if i < 0 {
		i += n
		if i < 0 {
			i = 0
		}
	}
	if i > n {
		i = n
	}
	l.items = append(l.items[:i], append([]any{args[1]}, l.items[i:]...)...)
	return nil, nil
}

func listPop(l *pyList, name string, args []any, kw *kwargs) (any, error) {
	if err := argsCount("pop", args, kw, 0, 1); err != nil {
		return nil, err
	}
	if len(l.items) == 0 {
		return nil, newErr(classIndex, "pop from empty list")
	}
	i := len(l.items) - 1
	if len(args) == 1 {
		j, err := intArg(args[0])
		if err != nil {
			return nil, err
		}
		if j < 0 {
			j += len(l.items)
		}
		if j < 0 || j >= len(l.items) {
			return nil, newErr(classIndex, "pop index out of range")
		}
		i = j
	}
	v := l.items[i]
	l.items = append(l.items[:i], l.items[i+1:]...)
	return v, nil
}

func listRemove(l *pyList, name string, args []any, kw *kwargs) (any, error) {
	if err := argsCount("list.remove", args, kw, 1, 1); err != nil {
		return nil, err
	}
	for i, e := range l.items {
		if pyEqual(e, args[0]) {
			l.items = append(l.items[:i], l.items[i+1:]...)
			return nil, nil
		}
	}
	return nil, valueErrorf("list.remove(x): x not in list")
}

func listReverse(l *pyList, name string, args []any, kw *kwargs) (any, error) {
	for i, j := 0, len(l.items)-1; i < j; i, j = i+1, j-1 {
		l.items[i], l.items[j] = l.items[j], l.items[i]
	}
	return nil, nil
}

func listCopy(l *pyList, name string, args []any, kw *kwargs) (any, error) {
	return &pyList{items: append([]any(nil), l.items...)}, nil
}

func listClear(l *pyList, name string, args []any, kw *kwargs) (any, error) {
	l.items = nil
	return nil, nil
}

func tupleMethod(t pyTuple, name string) (any, bool) {
	if v, ok := namedField(t, name); ok {
		return v, true
	}
	switch name {
	case "index", "count":
		return seqMethod(t, name)
	}
	return nil, false
}

func seqMethod(items []any, name string) (any, bool) {
	return method(name, func(r *rt, args []any, kw *kwargs) (any, error) {
		if err := argsCount(name, args, kw, 1, 1); err != nil {
			return nil, err
		}
		n := int64(0)
		for i, e := range items {
			if pyEqual(e, args[0]) {
				if name == "index" {
					return int64(i), nil
				}
				n++
			}
		}
		if name == "index" {
			return nil, valueErrorf("%s is not in list", reprAny(args[0]))
		}
		return n, nil
	}), true
}

func numberAttr(v any, name string) (any, bool) {
	switch name {
	case "real":
		return v, true
	case "imag":
		if _, ok := v.(float64); ok {
			return 0.0, true
		}
		return int64(0), true
	case "is_integer":
		if f, ok := v.(float64); ok {
			return method(name, func(r *rt, args []any, kw *kwargs) (any, error) { return f == math.Trunc(f), nil }), true
		}
	case "bit_length":
		if b, ok := toBig(v); ok {
			return method(name, func(r *rt, args []any, kw *kwargs) (any, error) { return int64(new(big.Int).Abs(b).BitLen()), nil }), true
		}
	}
	return nil, false
}
