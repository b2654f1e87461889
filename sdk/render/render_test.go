package render

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/lava-actions/lava-actions/sdk/value"
)

// specVars is the fixture of lava spec 9.0: realm R (plus the DynamoDB
// numbers n=5 and f=1.50 of case R07), job J and the success result RS.
func specVars(t testing.TB) *Vars {
	t.Helper()
	dt := func(s string) value.DateTime {
		d, err := value.ParseDateTime(s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	start := dt("2024-03-01T10:00:00+11:00")
	ustart := dt("2024-02-29T23:00:00+00:00")
	job := value.NewMap(
		"job_id", "demo/job1",
		"type", "cmd",
		"worker", "core",
		"run_id", "run-0001",
		"realm", "dev",
		"parameters", &value.Map{},
		"state", &value.Map{},
		"ts_dispatch", dt("2024-03-01T09:59:58+11:00"),
		"ts_start", start,
		"ts_ustart", ustart,
		"globals", value.NewMap(
			"g1", "G1",
			"lava", value.NewMap(
				"master_job_id", "demo/job1",
				"parent_job_id", "demo/job1",
				"master_start", start,
				"master_ustart", ustart,
				"parent_start", start,
				"parent_ustart", ustart,
				"iteration", int64(1),
			),
		),
	)
	realm := value.NewMap(
		"realm", "dev",
		"s3_payloads", "s3://pb/payloads",
		"s3_temp", "s3://tb/tmp",
		"config", &value.Map{},
		"n", value.MustDecimal("5"),
		"f", value.MustDecimal("1.50"),
	)
	result := value.NewMap("exit_status", int64(0), "output", []any{})
	return &Vars{Job: job, Realm: realm, Result: result}
}

func TestSpecRenderingCases(t *testing.T) {
	t.Parallel()
	cases := []struct {
		id, tpl, want, err string
	}{
		{id: "R01",
			tpl:  "j={{job.job_id}} r={{realm.realm}} run={{job.run_id}} g={{globals.g1}} it={{globals.lava.iteration}} start={{start}} ustart={{ustart}} st={{state}} res={{result}} err=[{{result.error}}] w={{job.worker}} tsd={{job.ts_dispatch}} ms={{globals.lava.master_start}}",
			want: "j=demo/job1 r=dev run=run-0001 g=G1 it=1 start=2024-03-01 10:00:00+11:00 ustart=2024-02-29 23:00:00+00:00 st={} res={'exit_status': 0, 'output': []} err=[] w=core tsd=2024-03-01 09:59:58+11:00 ms=2024-03-01 10:00:00+11:00"},
		{id: "R03", tpl: "x[{{ job.nope }}]", want: "x[]"},
		{id: "R05", tpl: "x {{ job.job_id ", err: "unexpected end of template, expected 'end of print statement'."},
		{id: "R07", tpl: `{{ true }} {{ none }} {{ {"a": 1} }} {{ [1,"b"] }} {{ realm.n }} {{ realm.f }}`, want: "True None {'a': 1} [1, 'b'] 5 1.50"},
		{id: "R09", tpl: "line1\n", want: "line1"},
		{id: "R11", tpl: `{% for k in ["a","b"] %}{{ k }}{% if not loop.last %},{% endif %}{% endfor %}`, want: "a,b"},
	}
	eng := New()
	for _, c := range cases {
		t.Run(c.id, func(t *testing.T) {
			t.Parallel()
			got, err := eng.Render(c.tpl, specVars(t))
			if c.err != "" {
				if err == nil || err.Error() != c.err {
					t.Fatalf("error = %v, want %q", err, c.err)
				}
				var e *Error
				if !errors.As(err, &e) || e.Class != "TemplateSyntaxError" {
					t.Errorf("error %#v is not a TemplateSyntaxError", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("-want +got:\n%s", diff)
			}
		})
	}
}

func TestLoadingRefused(t *testing.T) {
	t.Parallel()
	eng := New()
	for _, tpl := range []string{
		"{% include '/etc/hostname' %}",
		"{% include '../../../etc/passwd' %}",
		"{% import 'macros.j2' as m %}{{ m.x() }}",
		"{% from 'macros.j2' import x %}",
		"{% extends 'base.html' %}",
		"{% if true %}{% include 'go.mod' %}{% endif %}",
	} {
		if err := eng.Check(tpl); err != nil {
			t.Errorf("Check(%q) = %v, want nil (jinja2 fails at render time)", tpl, err)
		}
		out, err := eng.Render(tpl, specVars(t))
		if err == nil || err.Error() != "no loader for this environment specified" {
			t.Errorf("Render(%q) = %q, %v; want the no-loader error", tpl, out, err)
		}
		if !errors.Is(err, ErrNoLoader) {
			t.Errorf("Render(%q) error does not wrap ErrNoLoader", tpl)
		}
	}
}

func TestRecursionLimit(t *testing.T) {
	t.Parallel()
	eng := New()
	_, err := eng.Render("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}", specVars(t))
	var e *Error
	if !errors.As(err, &e) || e.Class != "RecursionError" || e.Msg != "maximum recursion depth exceeded" {
		t.Fatalf("error = %#v, want RecursionError", err)
	}
	// Recursion within the limit works, like Python's (which allows ~240).
	out, err := eng.Render("{% macro f(n) %}{% if n > 0 %}.{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(150) }}", specVars(t))
	if err != nil || len(out) != 150 {
		t.Fatalf("depth 150: %d bytes, %v", len(out), err)
	}
	// Mutual recursion through caller() is bounded too.
	_, err = eng.Render("{% macro a() %}{{ caller() }}{% call a() %}x{% endcall %}{% endmacro %}{% call a() %}y{% endcall %}", specVars(t))
	if !errors.As(err, &e) || e.Class != "RecursionError" {
		t.Fatalf("call recursion: %v", err)
	}
}

func TestLimits(t *testing.T) {
	t.Parallel()
	eng := New()
	cases := []struct {
		tpl  string
		want error
	}{
		{"{% for i in range(200000) %}{% endfor %}", ErrRangeTooLarge},
		{"{{ range(100001) | list | length }}", ErrRangeTooLarge},
		{"{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}", ErrRangeTooLarge},
		{"{% for i in range(100000) %}{{ 'x' * 100 }}{% endfor %}", ErrOutputTooLarge},
		{"{{ 'x' * 100000000 }}", ErrOutputTooLarge},
		{"{{ 9 ** 99999999 }}", ErrOutputTooLarge},
		{strings.Repeat("x", DefaultMaxTemplate+1), ErrTemplateTooLarge},
	}
	for _, c := range cases {
		_, err := eng.Render(c.tpl, specVars(t))
		if !errors.Is(err, c.want) {
			t.Errorf("Render(%.60q) error = %v, want %v", c.tpl, err, c.want)
		}
	}
	// range() itself is lazy, as in Python: its length needs no items.
	out, err := eng.Render("{{ range(10000000) | length }}", specVars(t))
	if err != nil || out != "10000000" {
		t.Errorf("range length: %q %v", out, err)
	}
}

// panicky is a value whose call panics, standing in for a bug.
type panicky struct{}

func (panicky) call(*rt, []any, *kwargs) (any, error) { panic("boom") }

func TestPanicRecovered(t *testing.T) {
	t.Parallel()
	eng := New()
	vars := specVars(t)
	vars.Result = value.NewMap("f", panicky{})
	_, err := eng.Render("{{ result.f() }}", vars)
	if err == nil || !strings.Contains(err.Error(), "internal error") {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(err.Error(), "goroutine") || strings.Contains(err.Error(), ".go:") {
		t.Errorf("error leaks Go internals: %v", err)
	}
	// the engine still works
	if out, err := eng.Render("{{ 1 + 1 }}", vars); err != nil || out != "2" {
		t.Fatalf("after panic: %q %v", out, err)
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	eng := New()
	good := []string{
		"", "plain", "{{ job.job_id }}", "{% for x in y %}{{ x }}{% endfor %}",
		"{% if false %}{{ x | nosuch }}{% endif %}", "{{ nope.deeper.still }}",
		"{% set a, b = 1, 2 %}", "{% macro m(a, b=1) %}{{ caller() }}{% endmacro %}",
	}
	for _, s := range good {
		if err := eng.Check(s); err != nil {
			t.Errorf("Check(%q) = %v", s, err)
		}
	}
	bad := map[string]string{
		"x {{ job.job_id ":       "unexpected end of template, expected 'end of print statement'.",
		"{% for x in y %}":       "Unexpected end of template. Jinja was looking for the following tags: 'endfor' or 'else'. The innermost block that needs to be closed is 'for'.",
		"{% foo %}":              "Encountered unknown tag 'foo'.",
		"{{ x | nosuch }}":       "No filter named 'nosuch'.",
		"{{ x is nosuch }}":      "No test named 'nosuch'.",
		"{% if x %}{% endfor %}": "Encountered unknown tag 'endfor'. Jinja was looking for the following tags: 'elif' or 'else' or 'endif'. The innermost block that needs to be closed is 'if'.",
		"{{ 'abc }}":             `unexpected char "'" at 3`,
		"{# open":                "Missing end of comment tag",
		"{% for x in [1] %}{% break %}{% endfor %}": "Encountered unknown tag 'break'. Jinja was looking for the following tags: 'endfor' or 'else'. The innermost block that needs to be closed is 'for'.",
	}
	for s, want := range bad {
		err := eng.Check(s)
		if err == nil || err.Error() != want {
			t.Errorf("Check(%q) = %v, want %q", s, err, want)
		}
		if err != nil && strings.Contains(err.Error(), s) && len(s) > 12 {
			t.Errorf("Check(%q) error quotes the template source", s)
		}
	}
}

func TestRenderValue(t *testing.T) {
	t.Parallel()
	eng := New()
	in := value.NewMap(
		"{{ job.run_id }}", int64(1),
		"name", "{{ job.job_id | upper }}",
		"n", int64(42),
		"f", 1.5,
		"ok", true,
		"none", nil,
		"dec", value.MustDecimal("1.50"),
		"list", []any{"{{ 1 + 1 }}", int64(3), false, nil, value.NewMap("{{ realm.realm }}", "{{ realm.f }}")},
		"quote", `{{ "say \"hi\"" }}`,
		"plain", "no markup",
	)
	got, err := eng.RenderValue(in, specVars(t))
	if err != nil {
		t.Fatal(err)
	}
	want := value.NewMap(
		"run-0001", int64(1),
		"name", "DEMO/JOB1",
		"n", int64(42),
		"f", 1.5,
		"ok", true,
		"none", nil,
		"dec", value.MustDecimal("1.50"),
		"list", []any{"2", int64(3), false, nil, value.NewMap("dev", "1.50")},
		"quote", `say "hi"`,
		"plain", "no markup",
	)
	if value.Repr(got) != value.Repr(want) {
		t.Errorf("got  %s\nwant %s", value.Repr(got), value.Repr(want))
	}
	if value.Repr(in) == value.Repr(got) {
		t.Error("input changed")
	}
	// errors come back with jinja2's text
	_, err = eng.RenderValue([]any{"{{ nope.x }}"}, specVars(t))
	if err == nil || err.Error() != "'nope' is undefined" {
		t.Errorf("err = %v", err)
	}
	// scalars are returned unchanged
	for _, v := range []any{int64(7), false, nil, 2.5} {
		if r, err := eng.RenderValue(v, specVars(t)); err != nil || r != v {
			t.Errorf("RenderValue(%v) = %v, %v", v, r, err)
		}
	}
}

func TestTemplatesDoNotChangeCallerData(t *testing.T) {
	t.Parallel()
	eng := New()
	vars := specVars(t)
	before := value.Repr(vars.Job)
	out, err := eng.Render("{% set _ = job.parameters.update({'x': 1}) %}{% set _ = globals.lava.update({'y': 2}) %}{{ job.parameters }} {{ job.globals.lava.y }}", vars)
	if err != nil || out != "{'x': 1} 2" {
		t.Fatalf("%q %v", out, err)
	}
	if value.Repr(vars.Job) != before {
		t.Error("render changed the caller's job map")
	}
}

func TestConcurrentRenders(t *testing.T) {
	t.Parallel()
	eng := New()
	tpl := `{% macro row(k, v) %}{{ k }}={{ v }}{% endmacro %}{% set ns = namespace(n=0) %}` +
		`{% for k, v in result.items() %}{% set ns.n = ns.n + 1 %}{{ row(k, v) }};{% endfor %}` +
		`{{ ns.n }} {{ (start + utils.timedelta(days=result.i)).strftime('%Y-%m-%d') }} {{ realm.f * result.i }} {{ result | tojson }}`
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := 0; g < 32; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				vars := specVars(t)
				vars.Result = value.NewMap("i", int64(g), "name", fmt.Sprintf("g%d", g))
				out, err := eng.Render(tpl, vars)
				if err != nil {
					errs <- err
					return
				}
				day := fmt.Sprintf("2024-03-%02d", 1+g)
				if g > 30 {
					day = fmt.Sprintf("2024-04-%02d", g-30)
				}
				dec := fmt.Sprintf("%d.%02d", g*150/100, g*150%100)
				want := fmt.Sprintf(`i=%d;name=g%d;2 %s %s {"i": %d, "name": "g%d"}`, g, g, day, dec, g, g)
				if out != want {
					errs <- fmt.Errorf("goroutine %d: got %q want %q", g, out, want)
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := eng.CacheLen(); n != 1 {
		t.Errorf("cache holds %d templates, want 1", n)
	}
}

func TestCacheBounded(t *testing.T) {
	t.Parallel()
	eng := NewWithCache(8)
	for i := 0; i < 50; i++ {
		if _, err := eng.Render(fmt.Sprintf("{{ %d }}", i), specVars(t)); err != nil {
			t.Fatal(err)
		}
	}
	if n := eng.CacheLen(); n != 8 {
		t.Errorf("cache holds %d templates, want 8", n)
	}
	// syntax errors are cached too and stay the same
	for i := 0; i < 2; i++ {
		if err := eng.Check("{{ x "); err == nil {
			t.Fatal("no error")
		}
	}
	off := NewWithCache(0)
	if out, err := off.Render("{{ 2 * 3 }}", specVars(t)); err != nil || out != "6" || off.CacheLen() != 0 {
		t.Errorf("no cache: %q %v %d", out, err, off.CacheLen())
	}
}

func TestNilVars(t *testing.T) {
	t.Parallel()
	out, err := New().Render("[{{ job }}|{{ result }}|{{ start }}|{{ utils.s3key('s3://b/k') }}]", nil)
	if err != nil || out != "[{}|{}||k]" {
		t.Fatalf("%q %v", out, err)
	}
}

func TestErrorsAreClean(t *testing.T) {
	t.Parallel()
	eng := New()
	long := strings.Repeat("x", 200)
	for _, tpl := range []string{
		long + "{{ 1 / 0 }}",
		long + "{{ nope.x }}",
		long + "{{ x | int(1, 2, 3, 4) }}",
		long + "{{ 'a' < 1 }}",
		long + "{% for %}",
	} {
		_, err := eng.Render(tpl, specVars(t))
		if err == nil {
			t.Errorf("%q: no error", tpl)
			continue
		}
		msg := err.Error()
		if strings.Contains(msg, long) || strings.Contains(msg, "gonja") || strings.Contains(msg, "Unable to") || strings.Contains(msg, "\n") {
			t.Errorf("%q: unclean error %q", tpl, msg)
		}
	}
}

func TestNestingLimits(t *testing.T) {
	t.Parallel()
	eng := New()
	for _, src := range []string{
		"{{ " + strings.Repeat("(", 5000) + "1" + strings.Repeat(")", 5000) + " }}",
		strings.Repeat("{% if true %}", 5000) + "x" + strings.Repeat("{% endif %}", 5000),
		"{{ 1" + strings.Repeat(" + 1", 50000) + " }}",
	} {
		_, err := eng.Render(src, nil)
		var e *Error
		if !errors.As(err, &e) || e.Class != "RecursionError" {
			t.Errorf("%.40q...: err = %v, want RecursionError", src, err)
		}
	}
	// moderate nesting works
	out, err := eng.Render("{{ "+strings.Repeat("(", 50)+"1"+strings.Repeat(")", 50)+" }}", nil)
	if err != nil || out != "1" {
		t.Errorf("50 parens: %q %v", out, err)
	}
	// self-referencing containers do not overflow the stack
	out, err = eng.Render("{% set l = [] %}{% set _ = l.append(l) %}{{ l == l }} {{ [l] == [l] }} {{ l | length }}", nil)
	if err != nil || out != "True True 1" {
		t.Errorf("cyclic list: %q %v", out, err)
	}
}

// TestWidthBombsFailFast: padding to a huge width is refused before any
// memory is spent on it.
func TestWidthBombsFailFast(t *testing.T) {
	t.Parallel()
	e := New()
	vars := specVars(t)
	for _, src := range []string{
		"{{ 'x' | center(10**9) }}",
		"{{ 'x' | indent(10**9) }}",
		"{{ '%1000000000s' % 'x' }}",
		"{{ '%.1000000000f' % 1.5 }}",
		"{{ 'x'.ljust(10**9) }}",
		"{{ 'x'.zfill(10**9) }}",
		"{{ '{:>1000000000}'.format(1) }}",
		"{% macro m(n) %}{% if n %}{{ m(n-1) }}{{ m(n-1) }}{% endif %}{% endmacro %}{{ m(40) }}",
	} {
		_, err := e.Render(src, vars)
		if !errors.Is(err, ErrOutputTooLarge) && !errors.Is(err, ErrRangeTooLarge) {
			t.Errorf("%s: err = %v, want a size limit error", src, err)
		}
	}
}
