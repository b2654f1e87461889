package render

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"github.com/dlclark/regexp2/v2"
)

// Python re flag values (re.RegexFlag).
const (
	reLocale     = 4
	reIgnoreCase = 2
	reMultiline  = 8
	reDotAll     = 16
	reUnicode    = 32
	reVerbose    = 64
	reDebug      = 128
	reASCII      = 256
)

// reSyntax is the translation of a Python pattern to regexp2's syntax:
// Python-only constructs ((?P<name>…), (?P=name), \Z, \U…, {,n}, …)
// rewritten, Python's character classes (\w \s \d, with or without
// re.ASCII) spelled out, and Python's compile errors raised with Python's
// texts and positions.
type reSyntax struct {
	src    []rune
	pos    int
	out    strings.Builder
	flags  int64
	groups int
	names  map[string]int
	open   []int // open groups: their number, 0 for non-capturing
	openAt []int // where each open group starts
	// condRefs are the numbered groups conditionals refer to, with the
	// position of the first reference, checked at the end.
	condRefs  map[int]int
	condOrder []int
	last      int // what precedes: 0 nothing repeatable, 1 an atom, 2 a repeat
}

// reErr is a Python re.error at a pattern position.
func reErr(msg string, pos int) error {
	return newErr(classRegexError, fmt.Sprintf("%s at position %d", msg, pos))
}

// translateRe translates pattern with Python flags into a regexp2 pattern.
func translateRe(pattern string, flags int64) (*reSyntax, error) {
	t := &reSyntax{src: []rune(pattern), flags: flags, names: map[string]int{}, condRefs: map[int]int{}}
	if err := t.globalFlags(); err != nil {
		return nil, err
	}
	if t.flags&reLocale != 0 {
		return nil, valueErrorf("cannot use LOCALE flag with a str pattern")
	}
	if t.flags&reASCII != 0 && t.flags&reUnicode != 0 {
		return nil, valueErrorf("ASCII and UNICODE flags are incompatible")
	}
	for t.pos < len(t.src) {
		if err := t.item(); err != nil {
			return nil, err
		}
	}
	if len(t.open) > 0 {
		return nil, reErr("missing ), unterminated subpattern", t.openAt[len(t.openAt)-1])
	}
	if err := t.checkCondRefs(); err != nil {
		return nil, err
	}
	return t, nil
}

// globalFlags consumes leading (?aiLmsux) groups into t.flags.
func (t *reSyntax) globalFlags() error {
	for t.pos+2 < len(t.src) && t.src[t.pos] == '(' && t.src[t.pos+1] == '?' {
		j := t.pos + 2
		var f int64
		for j < len(t.src) && strings.ContainsRune("aiLmsux", t.src[j]) {
			f |= reFlagLetter(t.src[j])
			j++
		}
		if j == t.pos+2 || j >= len(t.src) || t.src[j] != ')' {
			return nil
		}
		t.flags |= f
		t.pos = j + 1
	}
	return nil
}

func reFlagLetter(c rune) int64 {
	return map[rune]int64{'a': reASCII, 'i': reIgnoreCase, 'L': reLocale, 'm': reMultiline, 's': reDotAll, 'u': reUnicode, 'x': reVerbose}[c]
}

// options are the regexp2 options for the translated pattern.
func (t *reSyntax) options() regexp2.RegexOptions {
	o := regexp2.None
	if t.flags&reIgnoreCase != 0 {
		o |= regexp2.IgnoreCase
	}
	if t.flags&reMultiline != 0 {
		o |= regexp2.Multiline
	}
	if t.flags&reDotAll != 0 {
		o |= regexp2.Singleline
	}
	return o
}

func (t *reSyntax) peek(off int) rune {
	if t.pos+off < len(t.src) {
		return t.src[t.pos+off]
	}
	return 0
}

func (t *reSyntax) ascii() bool { return t.flags&reASCII != 0 }

// item translates one element of the pattern outside a character class.
func (t *reSyntax) item() error {
	c := t.src[t.pos]
	if t.flags&reVerbose != 0 && t.skipVerbose(c) {
		return nil
	}
	switch c {
	case '\\':
		return t.escape()
	case '[':
		return t.class()
	case '(':
		return t.group()
	case ')':
		if len(t.open) == 0 {
			return reErr("unbalanced parenthesis", t.pos)
		}
		t.open = t.open[:len(t.open)-1]
		t.openAt = t.openAt[:len(t.openAt)-1]
		t.out.WriteByte(')')
		t.pos++
		t.last = 1
		return nil
	case '*', '+', '?':
		return t.repeat(1)
	case '{':
		if n := t.quantifierLen(); n > 0 {
			return t.repeat(n)
		}
		t.out.WriteString(`\{`)
		t.pos++
		t.last = 1
		return nil
	case '|':
		t.last = 0
	case '^', '$':
		t.last = 0
	default:
		t.last = 1
	}
	t.writeLiteralOrMeta(c)
	t.pos++
	return nil
}

// skipVerbose drops white space and # comments in re.VERBOSE patterns.
func (t *reSyntax) skipVerbose(c rune) bool {
	if c == '#' {
		for t.pos < len(t.src) && t.src[t.pos] != '\n' {
			t.pos++
		}
		return true
	}
	if strings.ContainsRune(" \t\n\r\v\f", c) {
		t.pos++
		return true
	}
	return false
}

func (t *reSyntax) writeLiteralOrMeta(c rune) {
	if strings.ContainsRune(".|^$", c) {
		t.out.WriteRune(c)
		return
	}
	t.writeLiteral(c)
}

// writeLiteral writes one character matching itself.
func (t *reSyntax) writeLiteral(c rune) {
	switch {
	case c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0xffff && !unicode.IsPrint(c)):
		fmt.Fprintf(&t.out, `\u%04x`, c)
	case c < 0x80:
		t.out.WriteString(regexp2.Escape(string(c)))
	default:
		t.out.WriteRune(c)
	}
}

// quantifierLen is the length of a {m,n} quantifier at t.pos, or 0 when
// the brace is a literal (Python's rules).
func (t *reSyntax) quantifierLen() int {
	j := t.pos + 1
	for j < len(t.src) && t.src[j] >= '0' && t.src[j] <= '9' {
		j++
	}
	if j < len(t.src) && t.src[j] == ',' {
		j++
		for j < len(t.src) && t.src[j] >= '0' && t.src[j] <= '9' {
			j++
		}
	}
	if j >= len(t.src) || t.src[j] != '}' || j == t.pos+1 {
		return 0
	}
	return j + 1 - t.pos
}

// repeat translates a quantifier n characters long with its lazy or
// possessive suffix.
func (t *reSyntax) repeat(n int) error {
	switch t.last {
	case 0:
		return reErr("nothing to repeat", t.pos)
	case 2:
		return reErr("multiple repeat", t.pos)
	}
	q := string(t.src[t.pos : t.pos+n])
	if n > 1 {
		lo, hi, comma := strings.Cut(q[1:len(q)-1], ",")
		if lo == "" {
			lo = "0"
		}
		if comma && hi != "" {
			a, _ := strconv.Atoi(lo)
			b, _ := strconv.Atoi(hi)
			if b < a {
				return reErr("min repeat greater than max repeat", t.pos+1)
			}
		}
		if comma {
			q = "{" + lo + "," + hi + "}"
		} else {
			q = "{" + lo + "}"
		}
	}
	t.out.WriteString(q)
	t.pos += n
	if c := t.peek(0); c == '?' || c == '+' {
		t.out.WriteRune(c)
		t.pos++
	}
	t.last = 2
	return nil
}
