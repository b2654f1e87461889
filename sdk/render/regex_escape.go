package render

import (
	"fmt"
	"strconv"
	"strings"
)

// Python's \w \s \d as regexp2 class contents: Unicode (str.isalnum,
// str.isspace, Nd) or, with re.ASCII, ASCII only.
const (
	reWordU  = `\p{L}\p{N}_`
	reSpaceU = `\s\x1c-\x1f`
	reWordA  = `a-zA-Z0-9_`
	reSpaceA = ` \t\n\r\f\v`
	reDigitA = `0-9`
)

// category is the class body of a \d \s \w escape, its negation as a
// standalone class, and whether it exists.
func (t *reSyntax) category(c rune) (body, alone string, ok bool) {
	word, space, digit := reWordU, reSpaceU, `\d`
	if t.ascii() {
		word, space, digit = reWordA, reSpaceA, reDigitA
	}
	switch c {
	case 'd':
		return digit, "[" + digit + "]", true
	case 'D':
		return `\D`, "[^" + digit + "]", true
	case 'w':
		return word, "[" + word + "]", true
	case 'W':
		return `\W`, "[^" + word + "]", true
	case 's':
		return space, "[" + space + "]", true
	case 'S':
		return `\S`, "[^" + space + "]", true
	}
	return "", "", false
}

// escape translates a backslash escape outside a character class.
func (t *reSyntax) escape() error {
	start := t.pos
	c := t.peek(1)
	if c == 0 && t.pos+1 >= len(t.src) {
		return reErr("bad escape (end of pattern)", start)
	}
	t.pos += 2
	t.last = 1
	if _, alone, ok := t.category(c); ok {
		t.out.WriteString(alone)
		return nil
	}
	switch c {
	case 'A':
		t.out.WriteString(`\A`)
		t.last = 0
		return nil
	case 'Z':
		t.out.WriteString(`\z`)
		t.last = 0
		return nil
	case 'b', 'B':
		t.last = 0
		if t.ascii() {
			w := "[" + reWordA + "]"
			b := `(?:(?<=` + w + `)(?!` + w + `)|(?<!` + w + `)(?=` + w + `))`
			if c == 'B' {
				b = `(?:(?<=` + w + `)(?=` + w + `)|(?<!` + w + `)(?!` + w + `))`
			}
			t.out.WriteString(b)
			return nil
		}
		t.out.WriteString(`\` + string(c))
		return nil
	}
	if c >= '1' && c <= '9' {
		return t.backref(start, c)
	}
	r, err := t.charEscape(start, c)
	if err != nil {
		return err
	}
	t.writeLiteral(r)
	return nil
}

// charEscape decodes an escape that stands for one character (\n, \x41,
// \u00e9, \U0001f600, \0, \012, \.) whose letter c is at t.pos-1.
func (t *reSyntax) charEscape(start int, c rune) (rune, error) {
	switch c {
	case 'a':
		return '\a', nil
	case 'f':
		return '\f', nil
	case 'n':
		return '\n', nil
	case 'r':
		return '\r', nil
	case 't':
		return '\t', nil
	case 'v':
		return '\v', nil
	case 'x', 'u', 'U':
		n := map[rune]int{'x': 2, 'u': 4, 'U': 8}[c]
		j := t.pos
		for j < len(t.src) && j-t.pos < n && strings.ContainsRune("0123456789abcdefABCDEF", t.src[j]) {
			j++
		}
		esc := `\` + string(c) + string(t.src[t.pos:j])
		if j-t.pos != n {
			return 0, reErr("incomplete escape "+esc, start)
		}
		v, _ := strconv.ParseUint(string(t.src[t.pos:j]), 16, 32)
		t.pos = j
		if v > 0x10ffff {
			return 0, reErr("bad escape "+esc, start)
		}
		return rune(v), nil
	case '0':
		return t.octal(start, 0), nil
	case 'N':
		return 0, reErr(`bad escape \N (named Unicode characters are not supported)`, start)
	}
	if c < 0x80 && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
		return 0, reErr(`bad escape \`+string(c), start)
	}
	return c, nil
}

// octal reads up to two more octal digits after a first digit v.
func (t *reSyntax) octal(start int, v rune) rune {
	for k := 0; k < 2 && t.pos < len(t.src) && t.src[t.pos] >= '0' && t.src[t.pos] <= '7'; k++ {
		v = v*8 + t.src[t.pos] - '0'
		t.pos++
	}
	return v
}

// backref translates \1 … \99 (a group reference) or a three-digit octal
// escape, with Python's rules; the first digit c is at t.pos-1.
func (t *reSyntax) backref(start int, c rune) error {
	d1, d2 := t.peek(0), t.peek(1)
	if c <= '7' && d1 >= '0' && d1 <= '7' && d2 >= '0' && d2 <= '7' {
		v := (c-'0')*64 + (d1-'0')*8 + d2 - '0'
		t.pos += 2
		if v > 0o377 {
			return reErr(fmt.Sprintf(`octal escape value \%c%c%c outside of range 0-0o377`, c, d1, d2), start)
		}
		t.writeLiteral(v)
		return nil
	}
	g := int(c - '0')
	if d1 >= '0' && d1 <= '9' {
		g = g*10 + int(d1-'0')
		t.pos++
	}
	if g > t.groups {
		return reErr(fmt.Sprintf("invalid group reference %d", g), start+1)
	}
	for _, o := range t.open {
		if o == g {
			return reErr("cannot refer to an open group", start)
		}
	}
	fmt.Fprintf(&t.out, `\k<%d>`, g)
	return nil
}

// class translates a character class [...]: '[' inside is a literal (no
// .NET subtraction), \b is a backspace, ranges are checked as Python does.
func (t *reSyntax) class() error {
	start := t.pos
	t.pos++
	t.out.WriteByte('[')
	if t.peek(0) == '^' {
		t.out.WriteByte('^')
		t.pos++
	}
	first := t.pos
	prev, prevAt := rune(-1), 0 // the last single character, for ranges
	for {
		if t.pos >= len(t.src) {
			return reErr("unterminated character set", start)
		}
		c := t.src[t.pos]
		if c == ']' && t.pos != first {
			t.out.WriteByte(']')
			t.pos++
			t.last = 1
			return nil
		}
		if c == '-' && prev >= 0 && t.pos+1 < len(t.src) && t.src[t.pos+1] != ']' {
			hiAt := t.pos + 1
			t.pos++
			hi, single, err := t.classAtom()
			if err != nil {
				return err
			}
			if !single {
				return reErr(fmt.Sprintf("bad character range %s-%s", string(t.src[prevAt:hiAt-1]), string(t.src[hiAt:t.pos])), prevAt)
			}
			if hi < prev {
				return reErr(fmt.Sprintf("bad character range %s-%s", string(t.src[prevAt:hiAt-1]), string(t.src[hiAt:t.pos])), prevAt)
			}
			t.out.WriteByte('-')
			t.writeClassChar(hi)
			prev = -1
			continue
		}
		at := t.pos
		r, single, err := t.classAtom()
		if err != nil {
			return err
		}
		if single {
			t.writeClassChar(r)
			prev, prevAt = r, at
		} else {
			prev = -1
		}
	}
}

// classAtom reads one class member: a character (single) or a category
// escape, which it writes itself.
func (t *reSyntax) classAtom() (rune, bool, error) {
	c := t.src[t.pos]
	if c != '\\' {
		t.pos++
		return c, true, nil
	}
	start := t.pos
	e := t.peek(1)
	if t.pos+1 >= len(t.src) {
		return 0, false, reErr("bad escape (end of pattern)", start)
	}
	t.pos += 2
	if body, _, ok := t.category(e); ok {
		t.out.WriteString(body)
		return 0, false, nil
	}
	switch {
	case e == 'b':
		return '\b', true, nil
	case e >= '1' && e <= '7':
		return t.octal(start, e-'0'), true, nil
	case e == '8' || e == '9':
		return 0, false, reErr(`bad escape \`+string(e), start)
	}
	r, err := t.charEscape(start, e)
	return r, err == nil, err
}

// writeClassChar writes one character inside a class.
func (t *reSyntax) writeClassChar(c rune) {
	switch {
	case c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0xffff):
		fmt.Fprintf(&t.out, `\u%04x`, c)
	case strings.ContainsRune(`\]^-[`, c):
		t.out.WriteByte('\\')
		t.out.WriteRune(c)
	default:
		t.out.WriteRune(c)
	}
}
