package render

import (
	"fmt"
	"strings"
)

// getattr gives re.Match's attributes and methods.
func (m *reMatch) getattr(name string) (any, bool) {
	switch name {
	case "string":
		return m.s, true
	case "re":
		return m.p, true
	case "pos":
		return int64(m.start), true
	case "endpos":
		return int64(m.endpos), true
	case "lastindex", "lastgroup":
		i := m.lastIndex()
		switch {
		case i < 0:
			return nil, true
		case name == "lastindex":
			return int64(i), true
		case m.p.names[i-1] == "":
			return nil, true
		}
		return m.p.names[i-1], true
	case "regs":
		out := make(pyTuple, m.p.groups+1)
		for i := range out {
			sp := m.span(i)
			out[i] = pyTuple{sp[0], sp[1]}
		}
		return out, true
	case "group":
		return method(name, m.groupMethod), true
	case "groups", "groupdict":
		return method(name, func(r *rt, args []any, kw *kwargs) (any, error) { return m.groupsMethod(name, args, kw) }), true
	case "start", "end", "span":
		return method(name, func(r *rt, args []any, kw *kwargs) (any, error) { return m.spanMethod(name, args, kw) }), true
	case "expand":
		return method(name, func(r *rt, args []any, kw *kwargs) (any, error) {
			tpl, err := oneStringArg("expand", "template", args, kw)
			if err != nil {
				return nil, err
			}
			return expandRepl(tpl, m)
		}), true
	}
	return nil, false
}

// lastIndex is the group that closed last, or -1.
func (m *reMatch) lastIndex() int {
	last := -1
	for i := 1; i <= m.p.groups; i++ {
		if m.pos[2*i] < 0 {
			continue
		}
		if last < 0 || m.pos[2*i+1] > m.pos[2*last+1] || (m.pos[2*i+1] == m.pos[2*last+1] && m.pos[2*i] >= m.pos[2*last+1]) {
			last = i
		}
	}
	return last
}

func (m *reMatch) groupMethod(r *rt, args []any, kw *kwargs) (any, error) {
	if kw.len() > 0 {
		return nil, typeErrorf("group() takes no keyword arguments")
	}
	if len(args) == 0 {
		return m.group(0), nil
	}
	if len(args) == 1 {
		return m.groupArg(args[0])
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
}

func (m *reMatch) groupsMethod(name string, args []any, kw *kwargs) (any, error) {
	p, err := bindArgs(name, args, kw, []string{"default"}, map[string]any{"default": nil})
	if err != nil {
		return nil, err
	}
	value := func(i int) any {
		if v := m.group(i); v != nil {
			return v
		}
		return p["default"]
	}
	if name == "groupdict" {
		d := newDict(0)
		for i, n := range m.p.names {
			if n != "" {
				_ = d.set(n, value(i+1))
			}
		}
		return d, nil
	}
	out := make(pyTuple, m.p.groups)
	for i := range out {
		out[i] = value(i + 1)
	}
	return out, nil
}

func (m *reMatch) spanMethod(name string, args []any, kw *kwargs) (any, error) {
	if err := argsCount(name, args, kw, 0, 1); err != nil {
		return nil, err
	}
	i := 0
	if len(args) == 1 {
		var err error
		if i, err = m.groupIndex(args[0]); err != nil {
			return nil, err
		}
	}
	sp := m.span(i)
	switch name {
	case "start":
		return sp[0], nil
	case "end":
		return sp[1], nil
	}
	return pyTuple{sp[0], sp[1]}, nil
}

// expandRepl expands a Python replacement template (\1, \g<name>, \n, …)
// for one match.
func expandRepl(repl string, m *reMatch) (string, error) {
	var b strings.Builder
	src := []rune(repl)
	for i := 0; i < len(src); i++ {
		c := src[i]
		if c != '\\' {
			b.WriteRune(c)
			continue
		}
		if i+1 >= len(src) {
			return "", newErr(classRegexError, fmt.Sprintf("bad escape (end of pattern) at position %d", i))
		}
		n, err := expandEscape(&b, src, i, m)
		if err != nil {
			return "", err
		}
		i += n
	}
	return b.String(), nil
}

// expandEscape writes the escape at src[i] and says how many characters
// after the backslash it used.
func expandEscape(b *strings.Builder, src []rune, i int, m *reMatch) (int, error) {
	n := src[i+1]
	switch {
	case n == 'g':
		end := i + 2
		for end < len(src) && src[end] != '>' {
			end++
		}
		if i+2 >= len(src) || src[i+2] != '<' {
			return 0, newErr(classRegexError, fmt.Sprintf("missing < at position %d", i+2))
		}
		if end >= len(src) {
			return 0, newErr(classRegexError, fmt.Sprintf("missing >, unterminated name at position %d", i+3))
		}
		name := string(src[i+3 : end])
		var key any = name
		var g int
		if _, err := fmt.Sscanf(name, "%d", &g); err == nil && fmt.Sprint(g) == name {
			key = int64(g)
		}
		idx, err := m.groupIndex(key)
		if err != nil {
			if _, isNum := key.(int64); isNum {
				return 0, newErr(classRegexError, fmt.Sprintf("invalid group reference %s at position %d", name, i+3))
			}
			return 0, newErr(classIndex, "unknown group name '"+name+"'")
		}
		if v := m.group(idx); v != nil {
			b.WriteString(v.(string))
		}
		return end - i, nil
	case n == '0' || (n >= '1' && n <= '7' && i+3 < len(src) && isOct(src[i+2]) && isOct(src[i+3])):
		v, k := rune(0), i+1
		for ; k < len(src) && k < i+4 && isOct(src[k]); k++ {
			v = v*8 + src[k] - '0'
		}
		b.WriteRune(v)
		return k - i - 1, nil
	case n >= '1' && n <= '9':
		g, k := int(n-'0'), i+2
		if k < len(src) && src[k] >= '0' && src[k] <= '9' {
			g = g*10 + int(src[k]-'0')
			k++
		}
		if g > m.p.groups {
			return 0, newErr(classRegexError, fmt.Sprintf("invalid group reference %d at position %d", g, i+1))
		}
		if v := m.group(g); v != nil {
			b.WriteString(v.(string))
		}
		return k - i - 1, nil
	}
	if esc, ok := map[rune]string{'n': "\n", 't': "\t", 'r': "\r", 'a': "\a", 'f': "\f", 'v': "\v", '\\': "\\"}[n]; ok {
		b.WriteString(esc)
		return 1, nil
	}
	if n < 0x80 && (n >= 'a' && n <= 'z' || n >= 'A' && n <= 'Z') {
		return 0, newErr(classRegexError, fmt.Sprintf("bad escape \\%c at position %d", n, i))
	}
	b.WriteByte('\\')
	b.WriteRune(n)
	return 1, nil
}

func isOct(c rune) bool { return c >= '0' && c <= '7' }
