package render

import (
	"errors"
	"strings"
	"testing"
)

// The golden cases compare texts with Python; these check what the goldens
// do not record: the line of a syntax error, the error class, and the
// parser's own limits.
func TestSyntaxErrorLine(t *testing.T) {
	t.Parallel()
	cases := []struct {
		src, msg string
		line     int
	}{
		{"{{ \\\"x\\\" }}", `unexpected char '\\' at 3`, 1},
		{`{"x": "{{ \"x\" }}"}`, `unexpected char '\\' at 10`, 1},
		{"a\nb\n{{ 1 +\n\n @ }}", "unexpected char '@' at 13", 5},
		{"é{{ ` }}", "unexpected char '`' at 4", 1},
		{"x\n{% if y %}\n{% endfor %}", "Encountered unknown tag 'endfor'. Jinja was looking for the following tags: 'elif' or 'else' or 'endif'. The innermost block that needs to be closed is 'if'.", 3},
		{"{% for x in y %}\n\n", "Unexpected end of template. Jinja was looking for the following tags: 'endfor' or 'else'. The innermost block that needs to be closed is 'for'.", 1},
		{"{{ x\n}", "unexpected '}'", 2},
		{"\n{{ (1 }}", "unexpected '}', expected ')'", 2},
		{"{# never closed", "Missing end of comment tag", 1},
		{"{% raw %}never closed", "Missing end of raw directive", 1},
		{"{{ 'a\\x4' }}", `truncated \xXX escape`, 1},
		{"\n\n{{ f(a=1, 2) }}", "invalid syntax for function call expression", 3},
		{"{{ 1 if }}", "unexpected 'end of print statement'", 1},
		{"{{ x is y is z }}", "You cannot chain multiple tests with is", 1},
	}
	for _, c := range cases {
		err := New().Check(c.src)
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("%q: error %v (%T), want a syntax error", c.src, err, err)
			continue
		}
		if e.Msg != c.msg || e.Line != c.line || e.Class != classSyntax {
			t.Errorf("%q:\n got  %s line %d %q\n want %s line %d %q", c.src, e.Class, e.Line, e.Msg, classSyntax, c.line, c.msg)
		}
	}
}

// A syntax error before a lexer error wins, as in jinja2, whose lexer runs
// only as far as the parser reads.
func TestParserErrorBeforeLexerError(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"{{ 1 + }}{{ \\x }}": "unexpected 'end of print statement'",
		"{{ \\x }}{{ 1 + }}": `unexpected char '\\' at 3`,
		"{{ 1 + @ }}":        "unexpected char '@' at 7",
	}
	for src, want := range cases {
		if err := New().Check(src); err == nil || err.Error() != want {
			t.Errorf("%q: %v, want %q", src, err, want)
		}
	}
}

// Deep nesting is refused before the recursive parser runs: no Go stack
// overflow, one clear error.
func TestParserNestingLimits(t *testing.T) {
	t.Parallel()
	cases := []string{
		"{{ " + strings.Repeat("(", maxBracketDepth+1) + "1" + strings.Repeat(")", maxBracketDepth+1) + " }}",
		"{{ " + strings.Repeat("not ", maxUnaryDepth+1) + "1 }}",
		"{{ " + strings.Repeat("-", maxUnaryDepth+1) + "1 }}",
		"{{ 1 " + strings.Repeat("if 1 else 1 ", maxUnaryDepth+1) + "}}",
		strings.Repeat("{% if 1 %}", maxBlockDepth+1) + strings.Repeat("{% endif %}", maxBlockDepth+1),
		strings.Repeat("{% set x %}", maxBlockDepth+1) + strings.Repeat("{% endset %}", maxBlockDepth+1),
	}
	for _, src := range cases {
		err := New().Check(src)
		var e *Error
		if !errors.As(err, &e) || e.Class != classRecursion {
			t.Errorf("%.40q...: %v, want a RecursionError", src, err)
		}
	}
	// Long flat expressions and many sibling blocks are not nesting.
	sets := strings.Repeat("{% set x = 1 %}{% set y %}{% endset %}", 500) + "ok"
	if out, err := New().Render(sets, nil); err != nil || out != "ok" {
		t.Errorf("sibling sets: %q, %v", out, err)
	}
	flat := "{{ 1" + strings.Repeat(" + 1", 5000) + " }}"
	if out, err := New().Render(flat, nil); err != nil || out != "5001" {
		t.Errorf("flat sum: %q, %v", out, err)
	}
}

// The parser's precedence, checked structurally on a few expressions whose
// values tell the groupings apart.
func TestPrecedence(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"{{ -2 ** 2 }}":                         "4",
		"{{ 2 ** 3 ** 2 }}":                     "64",
		"{{ -3 | abs }}":                        "3",
		"{{ 1 + 3 is odd }}":                    "2",
		"{{ 2 * 3 ~ 4 }}":                       "64",
		"{{ 'a' ~ 2 * 3 }}":                     "a6",
		"{{ not 1 == 2 }}":                      "True",
		"{{ 1 < 2 < 3 }}":                       "True",
		"{{ 3 > 2 > 2 }}":                       "False",
		"{{ 'b' if 0 else 'c' if 0 else 'd' }}": "d",
		"{{ (1 if 0 else 2) + 1 }}":             "3",
		"{{ 'a' \"b\" 'c' }}":                   "abc",
		"{{ dict(*[], **{'a': 1}) }}":           "{'a': 1}",
	}
	for src, want := range cases {
		if out, err := New().Render(src, nil); err != nil || out != want {
			t.Errorf("%s = %q, %v; want %q", src, out, err, want)
		}
	}
}
