package render

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
)

// utils.re is Python's re module on Go's RE2 engine. RE2 has no
// look-around assertions, backreferences or possessive quantifiers, and
// \d \w \s \b are ASCII-only; a pattern using them fails with re.error.

const (
	reIgnoreCase = 2
	reMultiline  = 8
	reDotAll     = 16
	reVerbose    = 64
	reASCII      = 256
)

var reCache = struct {
	sync.Mutex
	m map[string]*regexp.Regexp
}{m: map[string]*regexp.Regexp{}}

func compileRe(pattern string, flags int64) (*regexp.Regexp, error) {
	key := fmt.Sprintf("%d:%s", flags, pattern)
	reCache.Lock()
	re, ok := reCache.m[key]
	reCache.Unlock()
	if ok {
		return re, nil
	}
	p := pattern
	var f string
	if flags&reIgnoreCase != 0 {
		f += "i"
	}
	if flags&reMultiline != 0 {
		f += "m"
	}
	if flags&reDotAll != 0 {
		f += "s"
	}
	if f != "" {
		p = "(?" + f + ")" + p
	}
	p = translatePattern(p, flags&reASCII != 0)
	re, err := regexp.Compile(p)
	if err != nil {
		msg := err.Error()
		msg = strings.TrimPrefix(msg, "error parsing regexp: ")
		return nil, newErr(classRegexError, "unsupported regular expression (Go RE2 syntax): "+msg)
	}
	reCache.Lock()
	if len(reCache.m) > 512 {
		reCache.m = map[string]*regexp.Regexp{}
	}
	reCache.m[key] = re
	reCache.Unlock()
	return re, nil
}

// translatePattern adapts Python syntax to RE2: \Z is \z, and unless
// re.ASCII is set \d \w \s match Unicode as in Python 3 (RE2's are ASCII).
func translatePattern(p string, ascii bool) string {
	var b strings.Builder
	inClass := false
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c == '\\' && i+1 < len(p) {
			n := p[i+1]
			i++
			rep := ""
			switch n {
			case 'Z':
				rep = `\z`
			case 'd':
				if !ascii {
					rep = `\p{Nd}`
				}
			case 'D':
				if !ascii {
					rep = `\P{Nd}`
				}
			case 'w':
				if !ascii {
					rep = `\p{L}\p{N}_`
					if !inClass {
						rep = "[" + rep + "]"
					}
				}
			case 'W':
				if !ascii && !inClass {
					rep = `[^\p{L}\p{N}_]`
				}
			case 's':
				if !ascii {
					rep = `\s\x{1c}-\x{1f}\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}\v`
					if !inClass {
						rep = "[" + rep + "]"
					}
				}
			}
			if rep == "" {
				b.WriteByte(c)
				b.WriteByte(n)
			} else {
				b.WriteString(rep)
			}
			continue
		}
		switch {
		case c == '[' && !inClass:
			inClass = true
			b.WriteByte(c)
			if i+1 < len(p) && p[i+1] == '^' {
				b.WriteByte('^')
				i++
			}
			if i+1 < len(p) && p[i+1] == ']' {
				b.WriteByte(']')
				i++
			}
			continue
		case c == ']' && inClass:
			inClass = false
		}
		b.WriteByte(c)
	}
	return b.String()
}

// reMatch is Python's re.Match.
type reMatch struct {
	re  *regexp.Regexp
	s   string
	loc []int // byte offsets from FindStringSubmatchIndex
}

func (m *reMatch) groupIndex(g any) (int, error) {
	switch t := g.(type) {
	case int64:
		if t < 0 || int(t) > m.re.NumSubexp() {
			return 0, newErr(classIndex, "no such group")
		}
		return int(t), nil
	case bool:
		if t {
			return 1, nil
		}
		return 0, nil
	case string:
		i := m.re.SubexpIndex(t)
		if i < 0 {
			return 0, newErr(classIndex, "no such group")
		}
		return i, nil
	}
	return 0, newErr(classIndex, "no such group")
}

func (m *reMatch) group(i int) any {
	if m.loc[2*i] < 0 {
		return nil
	}
	return m.s[m.loc[2*i]:m.loc[2*i+1]]
}

func (m *reMatch) groupArg(g any) (any, error) {
	i, err := m.groupIndex(g)
	if err != nil {
		return nil, err
	}
	return m.group(i), nil
}

func (m *reMatch) runeOffset(b int) int64 {
	if b < 0 {
		return -1
	}
	return int64(len([]rune(m.s[:b])))
}

func (m *reMatch) span(i int) [2]int64 {
	return [2]int64{m.runeOffset(m.loc[2*i]), m.runeOffset(m.loc[2*i+1])}
}

func (m *reMatch) getattr(name string) (any, bool) {
	groupArgs := func(args []any) (int, error) {
		if len(args) == 0 {
			return 0, nil
		}
		return m.groupIndex(args[0])
	}
	switch name {
	case "string":
		return m.s, true
	case "lastindex":
		last := -1
		for i := 1; i <= m.re.NumSubexp(); i++ {
			if m.loc[2*i] >= 0 {
				last = i
			}
		}
		if last < 0 {
			return nil, true
		}
		return int64(last), true
	case "group":
		return method(name, func(r *rt, args []any, kw *kwargs) (any, error) {
			if len(args) <= 1 {
				i, err := groupArgs(args)
				if err != nil {
					return nil, err
				}
				return m.group(i), nil
			}
			out := make(pyTuple, len(args))
			for k, a := range args {
				v, err := m.groupArg(a)
				if err != nil {
					return nil, err
				}
				out[k] = v
			}
			return out, nil
		}), true
	case "groups":
		return method(name, func(r *rt, args []any, kw *kwargs) (any, error) {
			p, err := bindArgs("groups", args, kw, []string{"default"}, map[string]any{"default": nil})
			if err != nil {
				return nil, err
			}
			out := make(pyTuple, m.re.NumSubexp())
			for i := range out {
				v := m.group(i + 1)
				if v == nil {
					v = p["default"]
				}
				out[i] = v
			}
			return out, nil
		}), true
	case "groupdict":
		return method(name, func(r *rt, args []any, kw *kwargs) (any, error) {
			d := newDict(0)
			for i, n := range m.re.SubexpNames() {
				if n != "" {
					_ = d.set(n, m.group(i))
				}
			}
			return d, nil
		}), true
	case "start", "end", "span":
		return method(name, func(r *rt, args []any, kw *kwargs) (any, error) {
			i, err := groupArgs(args)
			if err != nil {
				return nil, err
			}
			sp := m.span(i)
			switch name {
			case "start":
				return sp[0], nil
			case "end":
				return sp[1], nil
			}
			return pyTuple{sp[0], sp[1]}, nil
		}), true
	}
	return nil, false
}

func reFlags(v any) (int64, error) {
	switch t := v.(type) {
	case nil:
		return 0, nil
	case int64:
		return t, nil
	}
	return 0, typeErrorf("flags must be an int")
}

func reArgs(fname string, args []any, kw *kwargs, names []string, defaults map[string]any) (*regexp.Regexp, map[string]any, error) {
	p, err := bindArgs(fname, args, kw, names, defaults)
	if err != nil {
		return nil, nil, err
	}
	pat, ok := asString(p["pattern"])
	if !ok {
		if u, isU := p["pattern"].(*undefinedValue); isU {
			return nil, nil, u.err()
		}
		return nil, nil, typeErrorf("first argument must be string or compiled pattern")
	}
	flags, err := reFlags(p["flags"])
	if err != nil {
		return nil, nil, err
	}
	if s, ok := p["string"]; ok {
		if _, ok := asString(s); !ok {
			if u, isU := s.(*undefinedValue); isU {
				return nil, nil, u.err()
			}
			return nil, nil, typeErrorf("expected string or bytes-like object, got '%s'", typeName(s))
		}
	}
	re, err := compileRe(pat, flags)
	return re, p, err
}

func reMatchFunc(mode string) *builtinFunc {
	return &builtinFunc{name: mode, typName: "function", fn: func(r *rt, args []any, kw *kwargs) (any, error) {
		re, p, err := reArgs(mode, args, kw, []string{"pattern", "string", "flags"}, map[string]any{"flags": int64(0)})
		if err != nil {
			return nil, err
		}
		s, _ := asString(p["string"])
		switch mode {
		case "fullmatch":
			full, err := compileRe(`^(?:`+re.String()+`)\z`, 0)
			if err != nil {
				return nil, err
			}
			loc := full.FindStringSubmatchIndex(s)
			if loc == nil {
				return nil, nil
			}
			return &reMatch{re: full, s: s, loc: loc}, nil
		case "match":
			anchored, err := compileRe(`^(?:`+re.String()+`)`, 0)
			if err != nil {
				return nil, err
			}
			loc := anchored.FindStringSubmatchIndex(s)
			if loc == nil {
				return nil, nil
			}
			return &reMatch{re: anchored, s: s, loc: loc}, nil
		}
		loc := re.FindStringSubmatchIndex(s)
		if loc == nil {
			return nil, nil
		}
		return &reMatch{re: re, s: s, loc: loc}, nil
	}}
}

// pyReplTemplate converts a Python replacement template (\1, \g<name>) to
// the expansion of each match.
func expandRepl(repl string, m *reMatch) (string, error) {
	var b strings.Builder
	for i := 0; i < len(repl); i++ {
		c := repl[i]
		if c != '\\' || i+1 >= len(repl) {
			b.WriteByte(c)
			continue
		}
		i++
		n := repl[i]
		switch {
		case n >= '0' && n <= '9':
			j := i
			for j < len(repl) && j-i < 2 && repl[j] >= '0' && repl[j] <= '9' {
				j++
			}
			var g int
			fmt.Sscanf(repl[i:j], "%d", &g)
			if g > m.re.NumSubexp() {
				return "", newErr(classRegexError, fmt.Sprintf("invalid group reference %d at position %d", g, i-1))
			}
			if v := m.group(g); v != nil {
				b.WriteString(v.(string))
			}
			i = j - 1
		case n == 'g':
			end := strings.IndexByte(repl[i:], '>')
			if i+1 >= len(repl) || repl[i+1] != '<' || end < 0 {
				return "", newErr(classRegexError, fmt.Sprintf("missing < at position %d", i-1))
			}
			name := repl[i+2 : i+end]
			var key any = name
			var g int
			if _, err := fmt.Sscanf(name, "%d", &g); err == nil {
				key = int64(g)
			}
			idx, err := m.groupIndex(key)
			if err != nil {
				return "", newErr(classIndex, "unknown group name '"+name+"'")
			}
			if v := m.group(idx); v != nil {
				b.WriteString(v.(string))
			}
			i += end
		case n == 'n':
			b.WriteByte('\n')
		case n == 't':
			b.WriteByte('\t')
		case n == 'r':
			b.WriteByte('\r')
		case n == '\\':
			b.WriteByte('\\')
		default:
			if (n >= 'a' && n <= 'z') || (n >= 'A' && n <= 'Z') {
				return "", newErr(classRegexError, fmt.Sprintf("bad escape \\%c at position %d", n, i-1))
			}
			b.WriteByte('\\')
			b.WriteByte(n)
		}
	}
	return b.String(), nil
}

func reSub(r *rt, args []any, kw *kwargs) (any, error) {
	re, p, err := reArgs("sub", args, kw, []string{"pattern", "repl", "string", "count", "flags"}, map[string]any{"count": int64(0), "flags": int64(0)})
	if err != nil {
		return nil, err
	}
	s, _ := asString(p["string"])
	count, err := intArg(p["count"])
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	last := 0
	n := 0
	for _, loc := range re.FindAllStringSubmatchIndex(s, -1) {
		if count > 0 && n >= count {
			break
		}
		m := &reMatch{re: re, s: s, loc: loc}
		b.WriteString(s[last:loc[0]])
		switch rp := p["repl"].(type) {
		case string:
			out, err := expandRepl(rp, m)
			if err != nil {
				return nil, err
			}
			b.WriteString(out)
		case callable:
			v, err := rp.call(r, []any{m}, nil)
			if err != nil {
				return nil, err
			}
			b.WriteString(pyStr(v))
		default:
			return nil, typeErrorf("expected str instance, %s found", typeName(rp))
		}
		last = loc[1]
		n++
	}
	b.WriteString(s[last:])
	return b.String(), nil
}

func reFindall(r *rt, args []any, kw *kwargs) (any, error) {
	re, p, err := reArgs("findall", args, kw, []string{"pattern", "string", "flags"}, map[string]any{"flags": int64(0)})
	if err != nil {
		return nil, err
	}
	s, _ := asString(p["string"])
	out := []any{}
	for _, loc := range re.FindAllStringSubmatchIndex(s, -1) {
		m := &reMatch{re: re, s: s, loc: loc}
		switch re.NumSubexp() {
		case 0:
			out = append(out, m.group(0))
		case 1:
			v := m.group(1)
			if v == nil {
				v = ""
			}
			out = append(out, v)
		default:
			t := make(pyTuple, re.NumSubexp())
			for i := range t {
				v := m.group(i + 1)
				if v == nil {
					v = ""
				}
				t[i] = v
			}
			out = append(out, t)
		}
	}
	return &pyList{items: out}, nil
}

func reSplit(r *rt, args []any, kw *kwargs) (any, error) {
	re, p, err := reArgs("split", args, kw, []string{"pattern", "string", "maxsplit", "flags"}, map[string]any{"maxsplit": int64(0), "flags": int64(0)})
	if err != nil {
		return nil, err
	}
	s, _ := asString(p["string"])
	maxsplit, err := intArg(p["maxsplit"])
	if err != nil {
		return nil, err
	}
	out := []any{}
	last := 0
	n := 0
	for _, loc := range re.FindAllStringSubmatchIndex(s, -1) {
		if maxsplit > 0 && n >= maxsplit {
			break
		}
		out = append(out, s[last:loc[0]])
		m := &reMatch{re: re, s: s, loc: loc}
		for i := 1; i <= re.NumSubexp(); i++ {
			out = append(out, m.group(i))
		}
		last = loc[1]
		n++
	}
	out = append(out, s[last:])
	return &pyList{items: out}, nil
}

var reModule = &module{name: "re", attrs: map[string]any{
	"match":      reMatchFunc("match"),
	"search":     reMatchFunc("search"),
	"fullmatch":  reMatchFunc("fullmatch"),
	"sub":        &builtinFunc{name: "sub", typName: "function", fn: reSub},
	"findall":    &builtinFunc{name: "findall", typName: "function", fn: reFindall},
	"split":      &builtinFunc{name: "split", typName: "function", fn: reSplit},
	"escape":     &builtinFunc{name: "escape", typName: "function", fn: reEscape},
	"I":          int64(reIgnoreCase),
	"IGNORECASE": int64(reIgnoreCase),
	"M":          int64(reMultiline),
	"MULTILINE":  int64(reMultiline),
	"S":          int64(reDotAll),
	"DOTALL":     int64(reDotAll),
	"A":          int64(reASCII),
	"ASCII":      int64(reASCII),
}}

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
