package render

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/nikolalohinski/gonja/v2/tokens"
)

// The lexer is jinja2's (lexer.py, default delimiters, trim_blocks and
// lstrip_blocks off): it applies whitespace control, drops comments, turns
// raw blocks into data and reports jinja2's errors with jinja2's character
// offsets. It emits gonja token values so gonja's node types can carry
// them; names include the keywords (and, or, not, in, is, if, ...) as in
// jinja2.

// lexer is the state of one tokenization.
type lexer struct {
	src  string
	pos  int
	line int
	out  []*tokens.Token
	// balance holds the closing brackets expected inside the current tag.
	balance []byte
}

// lexTemplate tokenizes src (newlines already normalized). It returns the
// tokens up to the first error; the error, if any, is the last token, of
// type tokens.Error, with the *Error in lexErrs. The token list always ends
// with an EOF token or an error token.
func lexTemplate(src string) ([]*tokens.Token, *Error) {
	src = strings.TrimSuffix(src, "\n")
	lx := &lexer{src: src, line: 1}
	err := lx.run()
	if err != nil {
		lx.out = append(lx.out, &tokens.Token{Type: tokens.Error, Val: err.Msg, Pos: lx.pos, Line: err.Line})
		return lx.out, err
	}
	// jinja2's end-of-template token has the line of the last token.
	line := 1
	if n := len(lx.out); n > 0 {
		line = lx.out[n-1].Line
	}
	lx.out = append(lx.out, &tokens.Token{Type: tokens.EOF, Pos: len(src), Line: line})
	return lx.out, nil
}

func (lx *lexer) emit(typ tokens.Type, val string, pos int) *tokens.Token {
	t := &tokens.Token{Type: typ, Val: val, Pos: pos, Line: lx.line}
	lx.out = append(lx.out, t)
	return t
}

func (lx *lexer) fail(msg string) *Error {
	return &Error{Class: classSyntax, Msg: msg, Line: lx.line}
}

// advance moves to end, counting newlines.
func (lx *lexer) advance(end int) {
	lx.line += strings.Count(lx.src[lx.pos:end], "\n")
	lx.pos = end
}

func (lx *lexer) run() *Error {
	for lx.pos < len(lx.src) {
		if err := lx.root(); err != nil {
			return err
		}
	}
	return nil
}

// root lexes template data up to the next tag and the tag itself.
func (lx *lexer) root() *Error {
	i := lx.nextTagStart(lx.pos)
	if i < 0 {
		lx.emit(tokens.Data, lx.src[lx.pos:], lx.pos)
		lx.advance(len(lx.src))
		return nil
	}
	kind := lx.src[i+1]
	if kind == '%' {
		if end, sign, ok := matchRawBegin(lx.src, i); ok {
			lx.data(i, sign)
			lx.advance(end)
			return lx.raw()
		}
	}
	sign := byte(0)
	if i+2 < len(lx.src) && (lx.src[i+2] == '-' || lx.src[i+2] == '+') {
		sign = lx.src[i+2]
	}
	lx.data(i, sign)
	begin := i + 2
	if sign != 0 {
		begin++
	}
	switch kind {
	case '#':
		lx.advance(begin)
		return lx.comment()
	case '%':
		lx.emit(tokens.BlockBegin, "{%", i)
	default:
		lx.emit(tokens.VariableBegin, "{{", i)
	}
	lx.advance(begin)
	return lx.tag(kind == '%')
}

// nextTagStart finds the next "{{", "{%" or "{#" at or after from.
func (lx *lexer) nextTagStart(from int) int {
	for {
		j := strings.IndexByte(lx.src[from:], '{')
		if j < 0 || from+j+1 >= len(lx.src) {
			return -1
		}
		i := from + j
		switch lx.src[i+1] {
		case '{', '%', '#':
			return i
		}
		from = i + 1
	}
}

// data emits the text from lx.pos to end, right-stripped when the next tag
// starts with '-'.
func (lx *lexer) data(end int, sign byte) {
	text := lx.src[lx.pos:end]
	if sign == '-' {
		text = strings.TrimRightFunc(text, isPySpace)
	}
	if text != "" {
		lx.emit(tokens.Data, text, lx.pos)
	}
	lx.advance(end)
}

// isPySpace is Python's str.isspace for one character.
func isPySpace(r rune) bool {
	return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f)
}

func skipSpace(s string, i int) int {
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		if !isPySpace(r) {
			break
		}
		i += n
	}
	return i
}

// matchRawBegin matches `{%(-|+|)\s*raw\s*(-%}\s*|%})` at i.
func matchRawBegin(s string, i int) (end int, sign byte, ok bool) {
	j := i + 2
	if j < len(s) && (s[j] == '-' || s[j] == '+') {
		sign = s[j]
		j++
	}
	j = skipSpace(s, j)
	if !strings.HasPrefix(s[j:], "raw") {
		return 0, 0, false
	}
	j = skipSpace(s, j+3)
	switch {
	case strings.HasPrefix(s[j:], "-%}"):
		return skipSpace(s, j+3), sign, true
	case strings.HasPrefix(s[j:], "%}"):
		return j + 2, sign, true
	}
	return 0, 0, false
}

// raw lexes the body of a raw block up to its endraw tag.
func (lx *lexer) raw() *Error {
	if lx.pos >= len(lx.src) {
		return nil // jinja2's lexer simply stops at the end of the source
	}
	from := lx.pos
	for {
		i := strings.Index(lx.src[from:], "{%")
		if i < 0 {
			return lx.fail("Missing end of raw directive")
		}
		i += from
		j := i + 2
		sign := byte(0)
		if j < len(lx.src) && (lx.src[j] == '-' || lx.src[j] == '+') {
			sign = lx.src[j]
			j++
		}
		j = skipSpace(lx.src, j)
		if strings.HasPrefix(lx.src[j:], "endraw") {
			k := skipSpace(lx.src, j+6)
			end := -1
			switch {
			case strings.HasPrefix(lx.src[k:], "+%}"):
				end = k + 3
			case strings.HasPrefix(lx.src[k:], "-%}"):
				end = skipSpace(lx.src, k+3)
			case strings.HasPrefix(lx.src[k:], "%}"):
				end = k + 2
			}
			if end >= 0 {
				lx.data(i, sign)
				lx.advance(end)
				return nil
			}
		}
		from = i + 1
	}
}

// comment skips a comment up to its end.
func (lx *lexer) comment() *Error {
	if lx.pos >= len(lx.src) {
		return nil // jinja2's lexer simply stops at the end of the source
	}
	i := strings.Index(lx.src[lx.pos:], "#}")
	if i < 0 {
		return lx.fail("Missing end of comment tag")
	}
	i += lx.pos
	end := i + 2
	if i > lx.pos && lx.src[i-1] == '-' {
		end = skipSpace(lx.src, end)
	}
	lx.advance(end)
	return nil
}

// tagEnd matches the end of the current tag at lx.pos.
func (lx *lexer) tagEnd(block bool) (int, bool) {
	s := lx.src[lx.pos:]
	if block {
		switch {
		case strings.HasPrefix(s, "+%}"):
			return lx.pos + 3, true
		case strings.HasPrefix(s, "-%}"):
			return skipSpace(lx.src, lx.pos+3), true
		case strings.HasPrefix(s, "%}"):
			return lx.pos + 2, true
		}
		return 0, false
	}
	switch {
	case strings.HasPrefix(s, "-}}"):
		return skipSpace(lx.src, lx.pos+3), true
	case strings.HasPrefix(s, "}}"):
		return lx.pos + 2, true
	}
	return 0, false
}

// tag lexes the inside of a {% %} or {{ }} tag and its end.
func (lx *lexer) tag(block bool) *Error {
	lx.balance = lx.balance[:0]
	for lx.pos < len(lx.src) {
		if len(lx.balance) == 0 {
			if end, ok := lx.tagEnd(block); ok {
				if block {
					lx.emit(tokens.BlockEnd, "%}", lx.pos)
				} else {
					lx.emit(tokens.VariableEnd, "}}", lx.pos)
				}
				lx.advance(end)
				return nil
			}
		}
		if err := lx.tagToken(); err != nil {
			return err
		}
	}
	return nil
}

// tagToken lexes one token inside a tag, in jinja2's rule order:
// whitespace, float, integer, name, string, operator.
func (lx *lexer) tagToken() *Error {
	s, pos := lx.src, lx.pos
	if end := skipSpace(s, pos); end > pos {
		lx.advance(end)
		return nil
	}
	if end := matchFloat(s, pos); end > 0 {
		lx.emit(tokens.Float, s[pos:end], pos)
		lx.advance(end)
		return nil
	}
	if end := matchInteger(s, pos); end > 0 {
		lx.emit(tokens.Integer, s[pos:end], pos)
		lx.advance(end)
		return nil
	}
	if end := matchName(s, pos); end > 0 {
		name := s[pos:end]
		if !isIdentifier(name) {
			return lx.fail("Invalid character in identifier")
		}
		lx.emit(tokens.Name, name, pos)
		lx.advance(end)
		return nil
	}
	if s[pos] == '\'' || s[pos] == '"' {
		if end := matchString(s, pos); end > 0 {
			val, msg := decodeString(s[pos+1 : end-1])
			if msg != "" {
				return lx.fail(msg)
			}
			lx.emit(tokens.String, val, pos)
			lx.advance(end)
			return nil
		}
	}
	if typ, n := matchOperator(s[pos:]); n > 0 {
		op := s[pos : pos+n]
		if err := lx.balanceOp(op); err != nil {
			return err
		}
		lx.emit(typ, op, pos)
		lx.advance(pos + n)
		return nil
	}
	r, _ := utf8.DecodeRuneInString(s[pos:])
	return lx.fail(fmt.Sprintf("unexpected char %s at %d", reprAny(string(r)), utf8.RuneCountInString(s[:pos])))
}

func (lx *lexer) balanceOp(op string) *Error {
	switch op {
	case "(":
		lx.balance = append(lx.balance, ')')
	case "[":
		lx.balance = append(lx.balance, ']')
	case "{":
		lx.balance = append(lx.balance, '}')
	case ")", "]", "}":
		if len(lx.balance) == 0 {
			return lx.fail(fmt.Sprintf("unexpected '%s'", op))
		}
		want := lx.balance[len(lx.balance)-1]
		lx.balance = lx.balance[:len(lx.balance)-1]
		if want != op[0] {
			return lx.fail(fmt.Sprintf("unexpected '%s', expected '%c'", op, want))
		}
	}
	return nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// digitsUnderscore matches `(\d+_)*\d+` at i and returns its end or -1.
func digitsUnderscore(s string, i int) int {
	end := -1
	for i < len(s) && isDigit(s[i]) {
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		end = i
		if i+1 < len(s) && s[i] == '_' && isDigit(s[i+1]) {
			i++
			continue
		}
		break
	}
	return end
}

// matchFloat matches jinja2's float_re at i and returns its end or 0.
func matchFloat(s string, i int) int {
	if i > 0 && s[i-1] == '.' {
		return 0
	}
	j := digitsUnderscore(s, i)
	if j < 0 {
		return 0
	}
	exponent := func(k int) int {
		if k < len(s) && (s[k] == 'e' || s[k] == 'E') {
			k++
			if k < len(s) && (s[k] == '+' || s[k] == '-') {
				k++
			}
			return digitsUnderscore(s, k)
		}
		return -1
	}
	frac := -1
	if j < len(s) && s[j] == '.' {
		frac = digitsUnderscore(s, j+1)
	}
	if frac > 0 {
		if e := exponent(frac); e > 0 {
			return e
		}
		return frac
	}
	if e := exponent(j); e > 0 {
		return e
	}
	return 0
}

// matchInteger matches jinja2's integer_re at i and returns its end or 0.
func matchInteger(s string, i int) int {
	if i >= len(s) || !isDigit(s[i]) {
		return 0
	}
	if s[i] == '0' && i+1 < len(s) {
		var ok func(c byte) bool
		switch s[i+1] {
		case 'b', 'B':
			ok = func(c byte) bool { return c == '0' || c == '1' }
		case 'o', 'O':
			ok = func(c byte) bool { return c >= '0' && c <= '7' }
		case 'x', 'X':
			ok = func(c byte) bool {
				return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
			}
		}
		if ok != nil {
			if end := underscoreRun(s, i+2, ok); end > i+2 {
				return end
			}
		}
	}
	if s[i] != '0' {
		return underscoreRun(s, i+1, isDigit)
	}
	return underscoreRun(s, i+1, func(c byte) bool { return c == '0' })
}

// underscoreRun matches `(_?D)*` at i and returns its end.
func underscoreRun(s string, i int, ok func(c byte) bool) int {
	for {
		switch {
		case i < len(s) && ok(s[i]):
			i++
		case i+1 < len(s) && s[i] == '_' && ok(s[i+1]):
			i += 2
		default:
			return i
		}
	}
}

// isNameChar approximates Python's `\w` plus the combining marks of
// jinja2's identifier pattern.
func isNameChar(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsNumber(r) ||
		unicode.In(r, unicode.Mn, unicode.Mc, unicode.Pc) || r == 0xB7 || r == 0x387
}

func matchName(s string, i int) int {
	j := i
	for j < len(s) {
		r, n := utf8.DecodeRuneInString(s[j:])
		if !isNameChar(r) {
			break
		}
		j += n
	}
	if j == i {
		return 0
	}
	return j
}

// isIdentifier is Python's str.isidentifier (approximately, by category).
func isIdentifier(s string) bool {
	for i, r := range s {
		first := r == '_' || unicode.IsLetter(r) || unicode.Is(unicode.Nl, r)
		if i == 0 && !first {
			return false
		}
		if !first && !unicode.IsDigit(r) && !unicode.In(r, unicode.Mn, unicode.Mc, unicode.Pc, unicode.Nd) && r != 0xB7 && r != 0x387 {
			return false
		}
	}
	return s != ""
}

// matchString matches a quoted string with backslash escapes at i.
func matchString(s string, i int) int {
	q := s[i]
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++
		case q:
			return j + 1
		}
	}
	return 0
}

// decodeString is Python's unicode-escape decoding of a string literal's
// body; msg is the text of a decoding error.
func decodeString(body string) (string, string) {
	if !strings.Contains(body, "\\") {
		return body, ""
	}
	var b strings.Builder
	for i := 0; i < len(body); i++ {
		c := body[i]
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		if i+1 >= len(body) {
			return "", "\\ at end of string"
		}
		i++
		switch e := body[i]; e {
		case '\n':
		case '\\', '\'', '"':
			b.WriteByte(e)
		case 'a':
			b.WriteByte(7)
		case 'b':
			b.WriteByte(8)
		case 'f':
			b.WriteByte(12)
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'v':
			b.WriteByte(11)
		case '0', '1', '2', '3', '4', '5', '6', '7':
			j := i
			for j < len(body) && j < i+3 && body[j] >= '0' && body[j] <= '7' {
				j++
			}
			n, _ := strconv.ParseUint(body[i:j], 8, 32)
			b.WriteRune(rune(n))
			i = j - 1
		case 'x', 'u', 'U':
			width := map[byte]int{'x': 2, 'u': 4, 'U': 8}[e]
			names := map[byte]string{'x': `\xXX`, 'u': `\uXXXX`, 'U': `\UXXXXXXXX`}
			if i+width >= len(body) {
				return "", "truncated " + names[e] + " escape"
			}
			hex := body[i+1 : i+1+width]
			n, err := strconv.ParseUint(hex, 16, 32)
			if err != nil || strings.ContainsAny(hex, "+-_") {
				return "", "truncated " + names[e] + " escape"
			}
			if n > unicode.MaxRune {
				return "", "illegal Unicode character"
			}
			b.WriteRune(rune(n))
			i += width
		case 'N':
			// Character names are not supported: Go's standard library has
			// no Unicode name table.
			if i+1 < len(body) && body[i+1] == '{' && strings.IndexByte(body[i:], '}') > 2 {
				return "", "unknown Unicode character name"
			}
			return "", "malformed \\N character escape"
		default:
			b.WriteByte('\\')
			b.WriteByte(e)
		}
	}
	return b.String(), ""
}

// operators in jinja2's match order: longest first.
var operatorTypes = []struct {
	op  string
	typ tokens.Type
}{
	{"//", tokens.FloorDivision}, {"**", tokens.Power}, {"==", tokens.Equals},
	{"!=", tokens.Ne}, {">=", tokens.GreaterThanOrEqual}, {"<=", tokens.LowerThanOrEqual},
	{"+", tokens.Addition}, {"-", tokens.Subtraction}, {"/", tokens.Division},
	{"*", tokens.Multiply}, {"%", tokens.Modulo}, {"~", tokens.Tilde},
	{"[", tokens.LeftBracket}, {"]", tokens.RightBracket}, {"(", tokens.LeftParenthesis},
	{")", tokens.RightParenthesis}, {"{", tokens.LeftBrace}, {"}", tokens.RightBrace},
	{">", tokens.GreaterThan}, {"<", tokens.LowerThan}, {"=", tokens.Assign},
	{".", tokens.Dot}, {":", tokens.Colon}, {"|", tokens.Pipe}, {",", tokens.Comma},
	{";", tokens.Semicolon},
}

func matchOperator(s string) (tokens.Type, int) {
	for _, o := range operatorTypes {
		if strings.HasPrefix(s, o.op) {
			return o.typ, len(o.op)
		}
	}
	return 0, 0
}
