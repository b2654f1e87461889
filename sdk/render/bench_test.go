package render

import (
	"strings"
	"testing"

	"github.com/lava-actions/lava-actions/sdk/value"
)

const benchSmall = "{{job.job_id}}@{{realm.realm}} failed: {{result.error}}"

// bench2KB is a ~2 KB notification template: 38 expressions, two if/else
// blocks, two loops and filters.
var bench2KB = strings.Repeat("", 0) + `Lava job notification
=====================

Job:        {{ job.job_id }}
Run:        {{ job.run_id }}
Realm:      {{ realm.realm }} ({{ job.realm }})
Worker:     {{ job.worker }}
Type:       {{ job.type }}
Started:    {{ start }} / {{ ustart.isoformat() }}
Dispatched: {{ job.ts_dispatch }}
Iteration:  {{ globals.lava.iteration }} of {{ job.iteration_limit | default(1) }}
Master:     {{ globals.lava.master_job_id }} at {{ globals.lava.master_start.strftime('%Y-%m-%d %H:%M') }}
Parent:     {{ globals.lava.parent_job_id }}

{% if result.error is defined %}
Status:     FAILED
Error:      {{ result.error }}
Exit:       {{ result.error_data.exit_status if result.error_data else 'n/a' }}
{% else %}
Status:     OK (exit {{ result.exit_status }})
{% endif %}

Parameters
----------
{% for k, v in job.parameters.items() %}
  {{ k }}: {{ v }}
{% endfor %}

Output ({{ result.output | length }} lines)
------
{% for line in result.output %}
  {{ loop.index }}. {{ line | trim | truncate(60) }}
{% else %}
  (no output)
{% endfor %}

Storage
-------
Payloads:   s3://{{ utils.s3bucket(realm.s3_payloads) }}/{{ utils.s3key(realm.s3_payloads) }}
Temp:       s3://{{ utils.s3bucket(realm.s3_temp) }}/{{ utils.s3key(realm.s3_temp) }}/{{ job.job_id }}/{{ start.strftime('%Y/%m/%d') }}
Report:     {{ realm.s3_temp }}/reports/{{ job.run_id }}.json

{% if result.exit_status is defined and result.exit_status == 0 %}
Everything went fine for {{ job.job_id | upper }} in {{ realm.realm | upper }}.
{% else %}
Please check the logs of {{ job.worker }} for run {{ job.run_id }}.
{% endif %}
Yesterday:  {{ (start - utils.timedelta(days=1)).strftime('%Y%m%d') }}
Tags:       {{ job.tags | join(', ') if job.tags is defined else '-' }}
Owner:      {{ job.owner | default('unknown') }}
Summary:    {{ '%s/%s: %d line(s)' % (realm.realm, job.job_id, result.output | length) }}
--
lava {{ job.worker }} / {{ job.run_id }} / {{ ustart.strftime('%H:%M:%SZ') }}
`

func benchVars(b *testing.B) *Vars {
	v := specVars(b)
	v.Job.Set("iteration_limit", value.MustDecimal("3"))
	v.Job.Set("owner", "ops@example.com")
	v.Job.Set("tags", []any{"a", "b"})
	v.Job.Map("parameters").Set("schema", "finance")
	v.Job.Map("parameters").Set("table", "txn")
	v.Result = value.NewMap("error", "boom", "error_data", value.NewMap("exit_status", int64(1)),
		"output", []any{"line one", "line two", "  line three  "})
	return v
}

func benchRender(b *testing.B, eng *Engine, tpl string) {
	vars := benchVars(b)
	if _, err := eng.Render(tpl, vars); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := eng.Render(tpl, vars); err != nil {
			b.Fatal(err)
		}
	}
}

// Parse+render: the cache is off, so every render parses.
func BenchmarkSmallParseRender(b *testing.B) { benchRender(b, NewWithCache(0), benchSmall) }
func BenchmarkSmallCached(b *testing.B)      { benchRender(b, New(), benchSmall) }
func Benchmark2KBParseRender(b *testing.B)   { benchRender(b, NewWithCache(0), bench2KB) }
func Benchmark2KBCached(b *testing.B)        { benchRender(b, New(), bench2KB) }

// BenchmarkMacroCalls is a fan-out of 2^12 macro calls (the shape of the
// corpus's macro bomb, smaller).
func BenchmarkMacroCalls(b *testing.B) {
	benchRender(b, New(), "{% macro f(n) %}{% if n > 0 %}{{ f(n-1) }}{{ f(n-1) }}{% endif %}{% endmacro %}{{ f(12) }}")
}

func TestBenchTemplates(t *testing.T) {
	if n := len(bench2KB); n < 1800 || n > 2400 {
		t.Errorf("bench2KB is %d bytes", n)
	}
	b := &testing.B{}
	out, err := New().Render(bench2KB, benchVars(b))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Status:     FAILED", "Exit:       1", "  3. line three", "Yesterday:  20240229", "Summary:    dev/demo/job1: 3 line(s)", "Tags:       a, b"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// benchRegex exercises utils.re: a substitution with groups, findall and a
// search with a match object, on a cached template.
const benchRegex = `{{ utils.re.sub('(\\w+)/(\\w+)', '\\2:\\1', job.job_id) }} ` +
	`{{ utils.re.findall('[a-z]+', 'alpha beta gamma delta epsilon') | length }} ` +
	`{{ utils.re.search('(?P<d>\\d{4})-(\\d\\d)', 'run at 2024-03-01').group('d') }}`

func BenchmarkRegexCached(b *testing.B) { benchRender(b, New(), benchRegex) }
