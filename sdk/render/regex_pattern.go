package render

import (
	"strings"
)

// reFlagNames lists re.RegexFlag members in Python's repr order.
var reFlagNames = []struct {
	v    int64
	name string
}{
	{reIgnoreCase, "IGNORECASE"}, {reLocale, "LOCALE"}, {reMultiline, "MULTILINE"}, {reDotAll, "DOTALL"},
	{reVerbose, "VERBOSE"}, {reDebug, "DEBUG"}, {reASCII, "ASCII"},
}

// repr is Python's repr of a compiled pattern: re.compile('a', re.I…).
func (p *pyRegex) repr() string {
	var names []string
	for _, f := range reFlagNames {
		if p.flags&f.v != 0 {
			names = append(names, "re."+f.name)
		}
	}
	s := "re.compile(" + reprAny(p.pattern)
	if len(names) > 0 {
		s += ", " + strings.Join(names, "|")
	}
	return s + ")"
}

// getattr gives re.Pattern's attributes and methods.
func (p *pyRegex) getattr(name string) (any, bool) {
	switch name {
	case "pattern":
		return p.pattern, true
	case "flags":
		return p.flags, true
	case "groups":
		return int64(p.groups), true
	case "groupindex":
		d := newDict(0)
		for i, n := range p.names {
			if n != "" {
				_ = d.set(n, int64(i+1))
			}
		}
		return d, true
	case "search", "match", "fullmatch", "findall", "finditer":
		return p.method(name, []string{"string", "pos", "endpos"}), true
	case "split":
		return p.method(name, []string{"string", "maxsplit"}), true
	case "sub", "subn":
		return p.method(name, []string{"repl", "string", "count"}), true
	}
	return nil, false
}

// method binds a pattern method's arguments and runs the operation.
func (p *pyRegex) method(name string, names []string) *builtinFunc {
	return method(name, func(r *rt, args []any, kw *kwargs) (any, error) {
		a, err := bindArgs(name, args, kw, names, map[string]any{"pos": int64(0), "endpos": nil, "count": int64(0), "maxsplit": int64(0)})
		if err != nil {
			return nil, err
		}
		s, ok := asString(a["string"])
		if !ok {
			if u, isU := a["string"].(*undefinedValue); isU {
				return nil, u.err()
			}
			return nil, typeErrorf("expected string or bytes-like object, got '%s'", typeName(a["string"]))
		}
		run := newRun(p, s)
		if err := run.bounds(a["pos"], a["endpos"]); err != nil {
			return nil, err
		}
		return run.op(r, name, a)
	})
}

// bounds applies a pattern method's pos and endpos, clamped as Python does.
func (run *reRun) bounds(pos, endpos any) error {
	n := len(run.runes)
	clamp := func(v any, def int) (int, error) {
		if v == nil {
			return def, nil
		}
		i, err := intArg(v)
		if err != nil {
			return 0, err
		}
		if i < 0 {
			i = 0
		}
		if i > n {
			i = n
		}
		return i, nil
	}
	start, err := clamp(pos, 0)
	if err != nil {
		return err
	}
	end, err := clamp(endpos, n)
	if err != nil {
		return err
	}
	if end < start {
		end = start
	}
	run.runes = run.runes[:end]
	run.start = start
	return nil
}
