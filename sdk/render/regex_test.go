package render

import (
	"errors"
	"strings"
	"testing"
)

// TestRegexHostilePattern checks that catastrophic backtracking ends with
// one clear re.error instead of hanging the worker.
func TestRegexHostilePattern(t *testing.T) {
	t.Parallel()
	eng := New()
	cases := []struct{ name, tpl string }{
		{"nested quantifier", `{{ utils.re.match('(a+)+$', 'a' * 5000 + 'b') }}`},
		{"alternation", `{{ utils.re.findall('(a|aa)+$', 'a' * 3000 + 'b') }}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			out, err := eng.Render(c.tpl, specVars(t))
			var re *Error
			if !errors.As(err, &re) || re.Class != classRegexError {
				t.Fatalf("Render = %q, %v; want a re.error", out, err)
			}
			if !strings.Contains(re.Msg, "regular expression match") {
				t.Errorf("error %q does not say the match was stopped", re.Msg)
			}
		})
	}
}

// TestRegexTranslate checks the Python-to-regexp2 translation of the
// constructs regexp2 spells differently.
func TestRegexTranslate(t *testing.T) {
	t.Parallel()
	cases := []struct {
		pattern string
		flags   int64
		want    string
	}{
		{`(?P<y>\d{4})(?P=y)`, 0, `(?<y>[\d]{4})\k<1>`},
		{`a\Z`, 0, `a\z`},
		{`x{,3}`, 0, `x{0,3}`},
		{`[a-z-[aeiou]]`, 0, `[a-z\-\[aeiou]\]`},
		{`\w`, reASCII, `[a-zA-Z0-9_]`},
		{`(a)\1`, 0, `(a)\k<1>`},
		{`a # comment` + "\n b", reVerbose, `ab`},
		{`\101`, 0, `A`},
	}
	for _, c := range cases {
		s, err := translateRe(c.pattern, c.flags)
		if err != nil {
			t.Errorf("translateRe(%q): %v", c.pattern, err)
			continue
		}
		if got := s.out.String(); got != c.want {
			t.Errorf("translateRe(%q) = %q, want %q", c.pattern, got, c.want)
		}
	}
}

// FuzzRegex checks that no pattern, flag set or subject makes utils.re
// panic or hang: every call ends with a result or one error.
func FuzzRegex(f *testing.F) {
	for _, p := range []string{`(?P<a>x)(?P=a)`, `x*`, `[]a-]`, `(?(1)a|b)`, `\U0001F600{,3}`, `(?<=a)b`, `(a|b)*?c`, `(?x) a # c`} {
		f.Add(p, "axb x", int64(0))
	}
	eng := New()
	f.Fuzz(func(t *testing.T, pattern, subject string, flags int64) {
		vars := &Vars{}
		tpl := `{{ utils.re.findall(p, s, f) }}{{ utils.re.sub(p, '-', s, flags=f) }}{{ utils.re.split(p, s, flags=f) }}`
		p, _ := compileRe(pattern, flags&(reIgnoreCase|reMultiline|reDotAll|reVerbose|reASCII))
		if p == nil {
			return
		}
		_, _ = eng.Render(`{% set p = `+reprAny(pattern)+` %}{% set s = `+reprAny(subject)+` %}{% set f = `+reprAny(flags&(reIgnoreCase|reMultiline|reDotAll|reVerbose|reASCII))+` %}`+tpl, vars)
	})
}
