package render

import (
	"fmt"
	"strconv"
	"strings"
)

// group translates an opening parenthesis and its extension.
func (t *reSyntax) group() error {
	start := t.pos
	if t.peek(1) != '?' {
		t.groups++
		t.push(t.groups, start)
		t.out.WriteByte('(')
		t.pos++
		return nil
	}
	t.pos += 2
	c := t.peek(0)
	if t.pos >= len(t.src) {
		return reErr("unexpected end of pattern", t.pos)
	}
	switch c {
	case ':', '=', '!', '>':
		t.push(0, start)
		t.out.WriteString("(?" + string(c))
		t.pos++
		return nil
	case '<':
		if n := t.peek(1); n == '=' || n == '!' {
			t.push(0, start)
			t.out.WriteString("(?<" + string(n))
			t.pos += 2
			return nil
		}
		return reErr("unknown extension ?<"+string(t.peek(1)), start+1)
	case 'P':
		return t.pythonGroup(start)
	case '#':
		end := t.pos
		for end < len(t.src) && t.src[end] != ')' {
			end++
		}
		if end >= len(t.src) {
			return reErr("missing ), unterminated comment", start)
		}
		t.pos = end + 1
		return nil
	case '(':
		return t.conditional(start)
	}
	if strings.ContainsRune("aiLmsux-", c) {
		return t.scopedFlags(start)
	}
	return reErr("unknown extension ?"+string(c), start+1)
}

func (t *reSyntax) push(n, at int) {
	t.open = append(t.open, n)
	t.openAt = append(t.openAt, at)
	t.last = 0
}

// groupName reads a group name ended by term.
func (t *reSyntax) groupName(term rune) (string, error) {
	j := t.pos
	for j < len(t.src) && t.src[j] != term {
		j++
	}
	if j >= len(t.src) {
		return "", reErr(fmt.Sprintf("missing %c, unterminated name", term), t.pos)
	}
	name := string(t.src[t.pos:j])
	if name == "" {
		return "", reErr("missing group name", t.pos)
	}
	if !isIdentifier(name) {
		return "", reErr(fmt.Sprintf("bad character in group name %s", reprAny(name)), t.pos)
	}
	t.pos = j + 1
	return name, nil
}

// pythonGroup translates (?P<name>…) and (?P=name).
func (t *reSyntax) pythonGroup(start int) error {
	t.pos++
	switch t.peek(0) {
	case '<':
		t.pos++
		name, err := t.groupName('>')
		if err != nil {
			return err
		}
		t.groups++
		if g, dup := t.names[name]; dup {
			return reErr(fmt.Sprintf("redefinition of group name %s as group %d; was group %d", reprAny(name), t.groups, g), t.pos-len([]rune(name))-1)
		}
		t.names[name] = t.groups
		t.push(t.groups, start)
		t.out.WriteString("(?<" + name + ">")
		return nil
	case '=':
		t.pos++
		at := t.pos
		name, err := t.groupName(')')
		if err != nil {
			return err
		}
		g, ok := t.names[name]
		if !ok {
			return reErr(fmt.Sprintf("unknown group name %s", reprAny(name)), at)
		}
		for _, o := range t.open {
			if o == g {
				return reErr("cannot refer to an open group", start)
			}
		}
		fmt.Fprintf(&t.out, `\k<%d>`, g)
		t.last = 1
		return nil
	}
	if t.pos >= len(t.src) {
		return reErr("unexpected end of pattern", t.pos)
	}
	return reErr("unknown extension ?P"+string(t.peek(0)), start+1)
}

// conditional translates (?(id/name)yes|no). A numbered group that does
// not exist is reported after the whole pattern is read, as Python does.
func (t *reSyntax) conditional(start int) error {
	t.pos++
	name, err := t.condName()
	if err != nil {
		return err
	}
	at := t.pos - len([]rune(name)) - 1
	g, ok := t.names[name]
	switch {
	case ok:
	case isIdentifier(name):
		return reErr(fmt.Sprintf("unknown group name %s", reprAny(name)), at)
	default:
		n, e := strconv.Atoi(name)
		if e != nil || n < 0 || strings.ContainsAny(name, "+- ") {
			return reErr(fmt.Sprintf("bad character in group name %s", reprAny(name)), at)
		}
		if n == 0 {
			return reErr("bad group number", at)
		}
		if n >= 100 {
			return reErr(fmt.Sprintf("invalid group reference %d", n), at)
		}
		if _, seen := t.condRefs[n]; !seen {
			t.condRefs[n] = at
			t.condOrder = append(t.condOrder, n)
		}
		g = n
	}
	t.push(0, start)
	fmt.Fprintf(&t.out, "(?(%d)", g)
	return nil
}

// checkCondRefs reports a conditional's reference to a group the pattern
// does not have.
func (t *reSyntax) checkCondRefs() error {
	for _, g := range t.condOrder {
		if g > t.groups {
			return reErr(fmt.Sprintf("invalid group reference %d", g), t.condRefs[g])
		}
	}
	return nil
}

func (t *reSyntax) condName() (string, error) {
	j := t.pos
	for j < len(t.src) && t.src[j] != ')' {
		j++
	}
	if j >= len(t.src) {
		return "", reErr("missing ), unterminated name", t.pos)
	}
	name := string(t.src[t.pos:j])
	if name == "" {
		return "", reErr("missing group name", t.pos)
	}
	t.pos = j + 1
	return name, nil
}

// scopedFlags translates (?flags-flags:…); global flags are only allowed
// at the start.
func (t *reSyntax) scopedFlags(start int) error {
	var on, off strings.Builder
	cur := &on
	for t.pos < len(t.src) {
		c := t.src[t.pos]
		switch {
		case c == '-' && cur == &on:
			cur = &off
		case strings.ContainsRune("aiLmsux", c):
			if c == 'L' {
				return valueErrorf("bad inline flags: cannot use 'L' flag with a str pattern")
			}
			if c == 'a' || c == 'u' {
				if cur == &off {
					return reErr("bad inline flags: cannot turn off flags 'a', 'u' and 'L'", t.pos)
				}
			} else {
				cur.WriteRune(c)
			}
		case c == ')' && cur == &on:
			return reErr("global flags not at the start of the expression", start)
		case c == ':':
			for _, r := range off.String() {
				if strings.ContainsRune(on.String(), r) {
					return reErr("bad inline flags: flag turned on and off", t.pos)
				}
			}
			t.pos++
			t.push(0, start)
			s := "(?" + on.String()
			if off.Len() > 0 {
				s += "-" + off.String()
			}
			t.out.WriteString(strings.ReplaceAll(s+":", "u", ""))
			return nil
		default:
			if t.pos >= len(t.src) {
				return reErr("missing -, : or )", t.pos)
			}
			if cur == &off {
				return reErr("missing :", t.pos)
			}
			return reErr("missing -, : or )", t.pos)
		}
		t.pos++
	}
	return reErr("missing -, : or )", t.pos)
}
