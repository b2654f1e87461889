package render

import (
	"strings"
)

// reModule is utils.re: Python's re module.
var reModule = &module{name: "re", attrs: map[string]any{
	"compile":    reFunc("compile", []string{"pattern", "flags"}, reCompileFn),
	"search":     reFunc("search", []string{"pattern", "string", "flags"}, reOp("search")),
	"match":      reFunc("match", []string{"pattern", "string", "flags"}, reOp("match")),
	"fullmatch":  reFunc("fullmatch", []string{"pattern", "string", "flags"}, reOp("fullmatch")),
	"findall":    reFunc("findall", []string{"pattern", "string", "flags"}, reOp("findall")),
	"finditer":   reFunc("finditer", []string{"pattern", "string", "flags"}, reOp("finditer")),
	"split":      reFunc("split", []string{"pattern", "string", "maxsplit", "flags"}, reOp("split")),
	"sub":        reFunc("sub", []string{"pattern", "repl", "string", "count", "flags"}, reOp("sub")),
	"subn":       reFunc("subn", []string{"pattern", "repl", "string", "count", "flags"}, reOp("subn")),
	"escape":     &builtinFunc{name: "escape", typName: "function", fn: reEscape},
	"purge":      &builtinFunc{name: "purge", typName: "function", fn: rePurge},
	"NOFLAG":     int64(0),
	"I":          int64(reIgnoreCase),
	"IGNORECASE": int64(reIgnoreCase),
	"L":          int64(reLocale),
	"LOCALE":     int64(reLocale),
	"M":          int64(reMultiline),
	"MULTILINE":  int64(reMultiline),
	"S":          int64(reDotAll),
	"DOTALL":     int64(reDotAll),
	"U":          int64(reUnicode),
	"UNICODE":    int64(reUnicode),
	"X":          int64(reVerbose),
	"VERBOSE":    int64(reVerbose),
	"A":          int64(reASCII),
	"ASCII":      int64(reASCII),
	"DEBUG":      int64(reDebug),
}}

// reOpFn runs one operation of a compiled pattern with its bound arguments.
type reOpFn func(r *rt, p *pyRegex, a map[string]any) (any, error)

// reFunc is a module-level function: the pattern (a string or a compiled
// pattern) and flags are bound, then the operation runs.
func reFunc(name string, names []string, op reOpFn) *builtinFunc {
	defaults := map[string]any{"flags": int64(0), "count": int64(0), "maxsplit": int64(0)}
	return &builtinFunc{name: name, typName: "function", fn: func(r *rt, args []any, kw *kwargs) (any, error) {
		a, err := bindPyArgs(name, args, kw, names, defaults)
		if err != nil {
			return nil, err
		}
		flags, ok := a["flags"].(int64)
		if !ok {
			if b, isB := a["flags"].(bool); isB {
				flags = boolInt(b)
			} else {
				return nil, typeErrorf("unsupported operand type(s) for &: '%s' and 'RegexFlag'", typeName(a["flags"]))
			}
		}
		var p *pyRegex
		switch pat := a["pattern"].(type) {
		case *pyRegex:
			if flags != 0 {
				return nil, valueErrorf("cannot process flags argument with a compiled pattern")
			}
			p = pat
		case *undefinedValue:
			return nil, pat.err()
		default:
			s, ok := asString(pat)
			if !ok {
				return nil, typeErrorf("first argument must be string or compiled pattern")
			}
			if p, err = compileRe(s, flags); err != nil {
				return nil, err
			}
		}
		return op(r, p, a)
	}}
}

func reCompileFn(r *rt, p *pyRegex, a map[string]any) (any, error) { return p, nil }

// reOp is the operation name with its string argument checked.
func reOp(name string) reOpFn {
	return func(r *rt, p *pyRegex, a map[string]any) (any, error) {
		s, ok := asString(a["string"])
		if !ok {
			if u, isU := a["string"].(*undefinedValue); isU {
				return nil, u.err()
			}
			return nil, typeErrorf("expected string or bytes-like object, got '%s'", typeName(a["string"]))
		}
		run := newRun(p, s)
		return run.op(r, name, a)
	}
}

func (run *reRun) op(r *rt, name string, a map[string]any) (any, error) {
	switch name {
	case "search":
		return orNone(run.find(run.p.re, run.start))
	case "match":
		return orNone(run.find(run.p.anchored, run.start))
	case "fullmatch":
		return orNone(run.find(run.p.full, run.start))
	case "findall":
		return run.findall()
	case "finditer":
		out := []any{}
		err := run.each(0, func(m *reMatch) error { out = append(out, m); return nil })
		return &pyList{items: out}, err
	case "split":
		n, err := intArg(a["maxsplit"])
		if err != nil {
			return nil, err
		}
		return run.split(n)
	}
	n, err := intArg(a["count"])
	if err != nil {
		return nil, err
	}
	out, count, err := run.sub(r, a["repl"], n)
	if err != nil || name == "sub" {
		return out, err
	}
	return pyTuple{out, int64(count)}, nil
}

// orNone turns a missing match into None (not a typed nil pointer).
func orNone(m *reMatch, err error) (any, error) {
	if err != nil || m == nil {
		return nil, err
	}
	return m, nil
}

func (run *reRun) findall() (any, error) {
	out := []any{}
	err := run.each(0, func(m *reMatch) error {
		switch run.p.groups {
		case 0:
			out = append(out, m.group(0))
		case 1:
			out = append(out, groupOrEmpty(m, 1))
		default:
			t := make(pyTuple, run.p.groups)
			for i := range t {
				t[i] = groupOrEmpty(m, i+1)
			}
			out = append(out, t)
		}
		return nil
	})
	return &pyList{items: out}, err
}

func groupOrEmpty(m *reMatch, i int) any {
	if v := m.group(i); v != nil {
		return v
	}
	return ""
}

func (run *reRun) split(maxsplit int) (any, error) {
	out := []any{}
	last := run.start
	err := run.each(maxsplit, func(m *reMatch) error {
		out = append(out, string(run.runes[last:m.pos[0]]))
		for i := 1; i <= run.p.groups; i++ {
			out = append(out, m.group(i))
		}
		last = m.pos[1]
		return nil
	})
	out = append(out, string(run.runes[last:]))
	return &pyList{items: out}, err
}

func (run *reRun) sub(r *rt, repl any, count int) (string, int, error) {
	tpl, isStr := asString(repl)
	fn, isFn := repl.(callable)
	switch {
	case isStr:
		// Python checks the template before matching.
		if _, err := expandRepl(tpl, &reMatch{p: run.p, pos: noGroups(run.p.groups)}); err != nil {
			return "", 0, err
		}
	case isFn:
	default:
		if u, isU := repl.(*undefinedValue); isU {
			return "", 0, u.err()
		}
		return "", 0, typeErrorf("decoding to str: need a bytes-like object, %s found", typeName(repl))
	}
	var b strings.Builder
	last, n := 0, 0
	err := run.each(count, func(m *reMatch) error {
		b.WriteString(string(run.runes[last:m.pos[0]]))
		last = m.pos[1]
		n++
		if isStr {
			s, err := expandRepl(tpl, m)
			b.WriteString(s)
			return err
		}
		v, err := fn.call(r, []any{m}, nil)
		if err != nil {
			return err
		}
		s, ok := asString(v)
		if !ok {
			return typeErrorf("expected str instance, %s found", typeName(v))
		}
		b.WriteString(s)
		return nil
	})
	b.WriteString(string(run.runes[last:]))
	return b.String(), n, err
}

func noGroups(n int) []int {
	pos := make([]int, 2*(n+1))
	for i := range pos {
		pos[i] = -1
	}
	return pos
}

func reEscape(r *rt, args []any, kw *kwargs) (any, error) {
	s, err := oneStringArg("escape", "pattern", args, kw)
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	for _, c := range s {
		if strings.ContainsRune("()[]{}?*+-|^$\\.&~# \t\n\r\v\f", c) {
			b.WriteByte('\\')
		}
		b.WriteRune(c)
	}
	return b.String(), nil
}

func rePurge(r *rt, args []any, kw *kwargs) (any, error) {
	if err := argsCount("purge", args, kw, 0, 0); err != nil {
		return nil, err
	}
	reCache.Lock()
	reCache.m = map[string]*pyRegex{}
	reCache.Unlock()
	return nil, nil
}
