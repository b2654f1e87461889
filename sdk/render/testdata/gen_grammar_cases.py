"""Generate cases_grammar.json: the template grammar cases (ids G...).

Run from the repository root, then regenerate the goldens:

    python3 sdk/render/testdata/gen_grammar_cases.py
    python3 sdk/render/testdata/gen_golden.py

The precedence tables are generated: every ordered pair of binary operators
between three operands, every unary operator before every binary one, and
filters and tests against every binary operator, so jinja2's precedence and
associativity are checked systematically. The other groups are written out
by hand: conditional expressions in every position an expression can take,
string literal concatenation, calls, subscripts, tests, statements and the
lexer's and parser's error texts.
"""

import json
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))

BINARY = ["+", "-", "*", "/", "//", "%", "**", "~", "==", "!=", "<", "<=", ">", ">=", "and", "or"]

CONTEXT = {
    "job": {
        "job_id": "g/job",
        "globals": {"g1": "G1"},
        "state": {},
        "ts_start": {"$dt": "2024-03-01T10:00:00+11:00"},
        "n": 7,
        "items": [3, 1, 2],
        "names": ["a", "b"],
        "d": {"k": "v", "n": 2},
        "s": "abc",
        "none": None,
        "t": True,
        "f": False,
    },
    "realm": {"realm": "dev", "x": 1, "y": 0},
    "results": {
        "success": {"exit_status": 0, "retry": False, "output": ["l1", "l2"]},
        "retry": {"exit_status": 1, "retry": True},
        "fail": {"exit_status": 2, "retry": False, "error": "boom"},
    },
}


def precedence_pairs():
    cases = []
    for a in BINARY:
        for b in BINARY:
            cases.append(f"{{{{ 7 {a} 3 {b} 2 }}}}")
    return cases


def unary_cases():
    cases = []
    for u in ["-", "+", "not "]:
        for b in BINARY:
            cases.append(f"{{{{ {u}3 {b} 2 }}}}")
            cases.append(f"{{{{ 3 {b} {u}2 }}}}")
    return cases


def filter_test_cases():
    cases = []
    for b in BINARY:
        cases.append(f"{{{{ -3 {b} 2 | abs }}}}")
        cases.append(f"{{{{ 3 {b} 2 is odd }}}}")
        cases.append(f"{{{{ 3 {b} 2 is not odd }}}}")
    return cases


def membership_cases():
    cases = []
    for b in ["+", "~", "==", "and", "or", "<"]:
        cases.append(f"{{{{ 'a' in 'abc' {b} 'b' }}}}")
        cases.append(f"{{{{ 'b' {b} 'a' not in 'abc' }}}}")
    cases += [
        "{{ 1 < 2 < 3 }}", "{{ 3 > 2 > 1 > 0 }}", "{{ 1 < 3 > 2 }}", "{{ 1 == 1 == 1 }}",
        "{{ 1 < 2 in [True] }}", "{{ 'a' in 'ab' in 'x' }}", "{{ (1 < 2) < 3 }}",
        "{{ 2 < 1 < undefined_thing.x }}", "{{ 1 in [1] == True }}", "{{ not 1 in [1] }}",
        "{{ not 1 not in [1] }}", "{{ 1 not in [2] and 2 in [2] }}",
    ]
    return cases


CONDITIONAL = [
    "{{ 'ok' if result.exit_status == 0 else 'retry' if result.retry else 'failed' }}",
    "{{ 'a' if job.f else 'b' if job.f else 'c' }}",
    "{{ 'a' if job.t else 'b' if job.f else 'c' }}",
    "{{ (1 if job.t else 2) + 1 }}",
    "{{ 1 + (1 if job.f else 2) }}",
    "{{ (1 if job.f else 2) * (3 if job.t else 4) }}",
    "{{ ('x' if job.t else 'y') | upper }}",
    "{{ 'x' if job.t else 'y' | upper }}",
    "{{ 'x' if job.f else 'y' | upper }}",
    "{{ [1 if job.t else 2, 3 if job.f else 4] }}",
    "{{ {'k': 1 if job.t else 2} }}",
    "{{ {('a' if job.t else 'b'): 1} }}",
    "{{ job.names[0 if job.t else 1] }}",
    "{{ job.names[0 if job.f else 1] }}",
    "{{ job.items[1 if job.t else 0:] }}",
    "{{ 'abc' | replace('a' if job.t else 'b', 'z') }}",
    "{{ 'abc' | replace(old='a' if job.f else 'b', new='z') }}",
    "{{ range(3 if job.t else 5) | list }}",
    "{{ dict(a=1 if job.t else 2) }}",
    "{% set x = 'p' if job.t else 'q' %}{{ x }}",
    "{% set x = ('p' if job.f else 'q') ~ '!' %}{{ x }}",
    "{% set x = 'p' if job.f else 'q' if job.t else 'r' %}{{ x }}",
    "{% set a, b = (1, 2) if job.t else (3, 4) %}{{ a }}{{ b }}",
    "{% if ('y' if job.t else '') %}yes{% endif %}",
    "{% if (job.f if job.t else job.t) %}yes{% else %}no{% endif %}",
    "{% for i in ([1, 2] if job.t else [3]) %}{{ i }}{% endfor %}",
    "{% for i in job.items if (i > 1 if job.t else i < 2) %}{{ i }}{% endfor %}",
    "{% for i in job.items if i > 1 if job.t else i < 2 %}{{ i }}{% endfor %}",
    "{% with v = 1 if job.t else 2 %}{{ v }}{% endwith %}",
    "{% macro m(a=1 if job.t else 2) %}{{ a }}{% endmacro %}{{ m() }}",
    "{{ (1 if job.t else 2, 3) }}",
    "{{ 1 if job.t else 2, 3 }}",
    "{{ 'a' if job.t }}|",
    "{{ 'a' if job.f }}|",
    "{{ ('a' if job.f) is defined }}",
    "{{ 1 if 2 if job.f else 0 else 3 }}",
    "{{ 1 if job.t else 2 if job.t else 3 if job.t else 4 }}",
    "{{ (1 if job.t else 2) if job.f else (3 if job.f else 4) }}",
    "{{ not job.t if job.t else job.t }}",
    "{{ 1 if job.t and job.f else 2 }}",
    "{{ 1 if job.t or job.f else 2 }}",
    "{{ job.n - 1 if job.n > 5 else job.n + 1 }}",
    "{{ 'x' ~ ('y' if job.t else 'z') ~ 'w' }}",
    "{{ 'x' ~ 'y' if job.f else 'z' ~ 'w' }}",
    "{{ -(1 if job.t else 2) }}",
    "{{ not (1 if job.f else 0) }}",
    "{{ (job.d if job.t else {}).k }}",
    "{{ (job.names if job.t else [])[1] }}",
    "{{ (job.s if job.t else '').upper() }}",
    "{{ (job.items if job.t else []) | sort | join(',') }}",
    "{{ 1 if job.missing is defined else 2 }}",
    "{{ job.missing if job.missing is defined else 'dflt' }}",
    "{{ (1 if x else 2) }}",
    "{{ 1 if (2 if job.t else 0) else 3 }}",
    "{{ [x if x > 1 else 0 for x in job.items] }}",
    "{% set ns = namespace(v=0) %}{% set ns.v = 5 if job.t else 6 %}{{ ns.v }}",
    "{{ 'yes' if 'a' in job.names else 'no' }}",
    "{{ 'yes' if 'z' not in job.names else 'no' }}",
    "{% filter upper if job.t else lower %}x{% endfilter %}",
    "{% print 1 if job.t else 2 %}",
    "{{ ('a' if job.f).x }}",
    "\n\n{{ ('a' if job.f) + 1 }}",
    "{{ ('a' if job.f)() }}",
    "{{ 1 if job.f else\n('b' if job.f) ~ 1 }}",
]

CONCAT = [
    "{{ 'a' \"b\" }}",
    "{{ 'a' 'b' 'c' }}",
    "{{ 'a' 'b' ~ 'c' }}",
    "{{ 'a' 'b' | upper }}",
    "{{ 'x' 'y' in 'wxyz' }}",
    "{{ ('a' 'b') * 2 }}",
    "{{ 'a' 'b' == 'ab' }}",
    "{{ ['a' 'b', 'c'] }}",
    "{% set s = 'p' 'q' %}{{ s }}",
    "{{ 'it''s' }}",
    "{{ '' '' }}|",
    "{{ 'a\\n' 'b' }}",
    "{{ \"a\" 'b' \"c\" | length }}",
    "{{ 'a' 'b'[1] }}",
    "{{ 'a' 1 }}",
    "{{ 1 'a' }}",
    "{{ 'a' ~ 1 ~ none ~ true }}",
    "{{ 1 ~ 2 + 3 }}",
    "{{ 1 + 2 ~ 3 }}",
    "{{ 2 * 3 ~ 4 }}",
    "{{ 'a' ~ 'b' * 2 }}",
    "{{ 'x' ~ job.missing ~ 'y' }}",
    "{{ '%s' % job.missing }}", "{{ '%s|%s' % (job.missing, 1) }}", "{{ '%d' % job.missing }}",
    "{{ job.missing in 'a' }}", "{{ job.missing in ['a'] }}", "{{ '%s' % 1 .5 }}",
]

SYNTAX = [
    "{{ 1 + 2 ** 3 * 4 }}", "{{ -2 ** 2 }}", "{{ (-2) ** 2 }}", "{{ 2 ** -1 }}", "{{ 2 ** 3 ** 2 }}",
    "{{ -2 | abs }}", "{{ -job.n | abs }}", "{{ - - 2 }}", "{{ +-2 }}", "{{ not not 1 }}",
    "{{ 10 - 2 - 3 }}", "{{ 100 / 10 / 5 }}", "{{ 2 * 3 % 4 }}", "{{ 7 // 2 * 2 }}",
    "{{ 8 % 3 ** 2 }}", "{{ 1 + 2 | string }}", "{{ 1 ~ 2 | string }}", "{{ '3' | int + 1 }}",
    "{{ job.items | sort | first }}", "{{ job.items|length * 2 }}", "{{ job.s|upper|lower }}",
    "{{ job.n is odd }}", "{{ job.n is divisibleby 7 }}", "{{ job.n is divisibleby(3) }}",
    "{{ job.n is not none }}", "{{ job.none is none }}", "{{ job.n is sameas 7 }}",
    "{{ job.names is iterable and job.n is number }}", "{{ job.n is gt 3 }}", "{{ job.n is lt(3) }}",
    "{{ job.n is eq 7 or false }}", "{{ job.n is in [7] }}", "{{ job.n is in([1]) }}",
    "{{ job.s is string is sameas true }}", "{{ job.n is defined is sameas true }}",
    "{{ 1 is number + 1 }}", "{{ job.d is mapping }}", "{{ job.items is sequence }}",
    "{{ job.names[0] }}", "{{ job.names[-1] }}", "{{ job.names.0 }}", "{{ job.names.1 }}",
    "{{ job.items[1:] }}", "{{ job.items[:1] }}", "{{ job.items[::2] }}", "{{ job.items[::-1] }}",
    "{{ job.items[0:2:1] }}", "{{ job.items[:] }}", "{{ job.s[1:] }}", "{{ job.s[-2:] }}",
    "{{ job.d['k'] }}", "{{ job.d.k }}", "{{ job['d']['n'] + 1 }}",
    "{{ (range(5) | list)[1:3] }}",
    "{{ dict(a=1, b=2) }}", "{{ dict(**job.d) }}", "{{ dict(job.d, x=1) }}",
    "{{ range(*[1, 5]) | list }}", "{{ range(*[1, 10], *[]) | list }}",
    "{{ 'a-b'.split(*['-']) }}", "{{ '{}-{}'.format(*job.names) }}", "{{ '{k}'.format(**job.d) }}",
    "{{ '{x}'.format(**{'x': 1}) }}", "{{ 'abc'.replace('b', 'x',) }}",
    "{{ job.names | join(*['+']) }}", "{{ job.names | join(**{'d': '+'}) }}",
    "{{ range(3) | list }}", "{{ (1, 2) }}", "{{ (1,) }}", "{{ () }}", "{{ 1, 2 }}", "{{ 1, }}",
    "{{ [] }}", "{{ [1,] }}", "{{ {} }}", "{{ {'a': 1,} }}", "{{ {'a': 1}['a'] }}",
    "{{ [1, 2][0] }}", "{{ (1, 2)[1] }}", "{{ 'abc'[1] }}", "{{ [[1, 2]][0][1] }}",
    "{{ 0x1F }}", "{{ 0o17 }}", "{{ 0b101 }}", "{{ 1_000 }}", "{{ 1_0.5 }}", "{{ 1e3 }}",
    "{{ 1.5e-3 }}", "{{ 2E2 }}", "{{ 0 }}", "{{ 00 }}", "{{ 1.0 }}", "{{ .5 }}", "{{ 1. }}",
    "{{ 'a\\tb' }}", "{{ 'a\\x41' }}", "{{ 'a\\u00e9' }}", "{{ 'a\\101' }}", "{{ 'a\\qb' }}",
    "{{ \"d\\\"q\" }}", "{{ 'x\\\\y' }}",
    "{{ True }} {{ False }} {{ None }} {{ true }} {{ false }} {{ none }}",
    "{{ job.n.real }}", "{{ job['s'].upper() }}", "{{ (job.s).upper() }}",
    "{{ job.s.upper()[1] }}", "{{ job.names|map('upper')|list }}",
    "{{ job.names | map('upper') | join(',') | length }}",
    "{{ job.missing is undefined }}", "{{ job.missing | default('d') }}",
    "{{ job.n > 3 and job.n < 10 }}", "{{ job.n > 3 and not job.n < 10 }}",
    "{{ not job.n > 3 }}", "{{ 0 or 'x' }}", "{{ 1 and 'y' }}", "{{ none or [] or 'z' }}",
    "{{ 'x' if 0 or '' else 'y' }}",
    "{% set a, b = 1, 2 %}{{ a }}{{ b }}", "{% set (a, b) = [3, 4] %}{{ a }}{{ b }}",
    "{% set a = 1, 2 %}{{ a }}", "{% for a, b in [(1, 2)] %}{{ a }}{{ b }}{% endfor %}",
    "{% for (a, b) in [(1, 2)] %}{{ a + b }}{% endfor %}",
    "{% for a in 1, 2 %}{{ a }}{% endfor %}",
    "{% for a in job.items recursive %}{{ a }}{% endfor %}",
    "{% for x in [1, 2] %}{{ loop.index }}{% else %}empty{% endfor %}",
    "{% for x in [] %}{{ x }}{% else %}empty{% endfor %}",
    "{% if job.t %}a{% elif job.f %}b{% else %}c{% endif %}",
    "{% if job.f %}a{% elif job.t %}b{% else %}c{% endif %}",
    "{% if job.t: %}colon{% endif %}",
    "{% if 1, 2 %}tuple{% endif %}",
    "{% print 'a', 'b' %}", "{% print %}|", "{% print 1 + 2 %}",
    "{% with a = 1, b = 2 %}{{ a + b }}{% endwith %}",
    "{% macro m(a, b=2) %}{{ a }}{{ b }}{% endmacro %}{{ m(1) }}{{ m(1, b=3) }}{{ m(*[5, 6]) }}",
    "{% macro m() %}{{ varargs }}{{ kwargs }}{% endmacro %}{{ m(1, 2, x=3) }}",
    "{% macro m(a) %}[{{ caller(a) }}]{% endmacro %}{% call(x) m(4) %}c{{ x }}{% endcall %}",
    "{% filter upper %}abc{% endfilter %}", "{% filter replace('a', 'b') | upper %}abc{% endfilter %}",
    "{% raw %}{{ x }}{% endraw %}", "{%- raw -%}  {{ x }}  {%- endraw -%}|",
    "a {%- if true %} b {% endif -%} c", "a {{- 1 -}} b", "a {#- c -#} b", "a {{+ 1 +}} b",
    "{{- 1 }}", "{{ 1 -}}\n  x", "a\n{# comment #}\nb", "{# {{ x }} #}ok",
    "{% block b %}in{% endblock %}", "{% block b %}in{% endblock b %}",
    "{% set x %}cap{% endset %}{{ x }}", "{% set x | upper %}cap{% endset %}{{ x }}",
    "{% autoescape true %}{{ '<' }}{% endautoescape %}",
    "{{ 'a' }}{{ 'b' }}\n", "line\n\n", "x\r\ny",
    "{{ [1, 2] + [3] }}", "{{ (1, 2) + (3,) }}", "{{ 'ab' * 2 }}", "{{ 2 * 'ab' }}",
    "{{ job.items.index(1) }}", "{{ job.d.get('k') }}", "{{ job.d.get('z', 0) }}",
    "{{ job.items | sum(start=10) }}", "{{ range(10) | select('odd') | list }}",
    "{{ range(10) | reject('gt', 3) | list }}",
    "{{ job.names | select('in', ['a']) | list }}",
    "{{ (job.n) (1) }}",
    "{{ job.s.upper() }}",
    "{{ x.y.z is defined }}",
    "{{ 1 if job.t is sameas true else 2 }}",
    "{{ -4 ** 2 }}",
    "{{ 2 ** 0.5 > 1 }}",
    "{{ 3 - -3 }}", "{{ 3 + +3 }}", "{{ 3 * -1 }}", "{{ - job.n }}", "{{ -job.items[0] }}",
    "{{ not job.items }}", "{{ not [] }}", "{{ not none is none }}",
    "{{ job.n in job.items }}", "{{ 3 in job.items }}", "{{ 'k' in job.d }}", "{{ 'b' in job.s }}",
]

ERRORS = [
    "{{ \\\"x\\\" }}",
    "{\"message\": \"{{ \\\"x\\\" }}\"}",
    "{{ 1 $ 2 }}", "{{ @ }}", "{{ x ? y }}", "{{ 'abc }}", "{{ \"abc }}", "{{ a.` }}", "{{ ! }}",
    "{{ 1 + }}", "{{ 1 + ", "{{ ", "{{ }}", "{{ x", "{{ x y }}", "{{ x 1 }}", "{{ (1 }}",
    "{{ [1 }}", "{{ {1: 2 }}", "{{ 1) }}", "{{ 1] }}", "{{ (1] }}", "{{ [1) }}", "{{ {'a' 1} }}",
    "{{ x. }}", "{{ x.'a' }}", "{{ x[ }}", "{{ x[] }}", "{{ f(1 }}", "{{ f(a=1, 2) }}",
    "{{ f(*a, *b) }}", "{{ f(**a, *b) }}", "{{ f(**a, b) }}", "{{ f(**a, **b) }}", "{{ f(,) }}",
    "{{ x | }}", "{{ x | 1 }}", "{{ x | f( }}", "{{ x is }}", "{{ x is 1 }}", "{{ x is not }}",
    "{{ x is defined is defined }}", "{{ x is divisibleby is }}",
    "{{ x if }}", "{{ x if y else }}", "{{ 1 if 2 else }}", "{{ if }}", "{{ else }}",
    "{{ not }}", "{{ - }}", "{{ 1 ** }}", "{{ 1 ~ }}", "{{ a and }}", "{{ a or }}", "{{ 1 < }}",
    "{{ 1 in }}", "{{ 1 not }}", "{{ 1 not 2 }}", "{{ 1 == == 2 }}",
    "{{ 1 %}", "{% if x }}", "{% if x %}", "{% if x %}a", "{% if x %}a{% else %}b",
    "{% if x %}{% endfor %}", "{% for x in y %}{% endif %}", "{% if x %}{% for y in z %}{% endif %}",
    "{% endif %}", "{% for %}", "{% for x %}", "{% for x in %}", "{% for x in y %}",
    "{% for 1 in y %}{% endfor %}", "{% for x, in y %}{{ x }}{% endfor %}",
    "{% set %}", "{% set x %}", "{% set x = %}", "{% set 1 = 2 %}", "{% set x = 1 2 %}",
    "{% set x.y = 1 %}", "{% set [a] = [1] %}", "{% set x | %}{% endset %}",
    "{% macro %}", "{% macro m %}", "{% macro m( %}", "{% macro m(a=1, b) %}{% endmacro %}",
    "{% block a %}{% endblock %}{% block a %}{% endblock %}",
    "{% block a %}{% block a %}{% endblock %}{% endblock %}",
    "{% if x %}{% block a %}{% endblock %}{% endif %}{% block a %}{% endblock %}",
    "{{ x|nofilter }}{% block a %}{% endblock %}{% block a %}{% endblock %}",
    "{% macro m() %}{% block a %}{% endblock %}{% endmacro %}{% block a %}{% endblock %}",
    "{% for a, b in [1] %}{% endfor %}", "{% set a, b = 1 %}", "{% for a, b in [none] %}{% endfor %}",
    "{% for a, b in [x] %}{{ a }}{% endfor %}", "{% set a, b = 1.5 %}", "{% set a, b = 'xy' %}{{ b }}{{ a }}",
    "{% include x %}", "{% include 1 %}", "{% include none %}", "{% include [] %}", "{% include ['a'] %}",
    "{% include 'a' ignore missing with context %}", "{% include 'a' b %}", "{% import 'a' as b %}",
    "{% import 'a' %}", "{% import 'a' as none %}", "{% from 'a' import b, c as d with context %}",
    "{% from 'a' import _b %}", "{% from 'a' import %}", "{% from 'a' b %}", "{% extends 'a' %}",
    "{% extends x %}", "{% include x.y %}",
    "{% set upper , true %}{% endset %}", "{% with 's' , %}{% endwith %}", "{% set (a.b) = 1 %}",
    "{% set (a, (b, c)) = [1, [2, 3]] %}{{ a }}{{ b }}{{ c }}", "{% for (a, (b, c)) in [[1, [2, 3]]] %}{{ a + b + c }}{% endfor %}",
    "{% set () = [] %}ok", "{% set (a,) = [1] %}{{ a }}", "{% set ( none if ) m %}{% endset %}",
    "{% set (a + b) = 1 %}", "{% set (a|f) = 1 %}", "{% set (a()) = 1 %}", "{% set (a[0]) = 1 %}",
    "{% macro none %}{% endmacro %}", "{% macro m(true) %}{% endmacro %}", "{% call (none) m() %}{% endcall %}",
    "{% block b required %}  {# c #}\n{% endblock %}ok", "{% block b required %}x{% endblock %}",
    "{% block b required %}{{ 1 }}{% endblock %}", "{{ 1 in x }}", "{{ 1 not in x }}",
    "{% for ns.x in [1] %}{% endfor %}", "{% set ns = namespace() %}{% for a, ns.b in [(1, 2)] %}{% endfor %}",
    "{{ f(*2) }}", "{{ dict(*2) }}", "{{ dict(**2) }}", "{{ range(*none) }}", "{{ dict(**{1: 2}) }}",
    "{{ dict(a=1, **{'a': 2}) }}", "{{ dict(*[], b=1, **{'a': 2}) }}",
    "{% macro m(1) %}{% endmacro %}", "a{#", "a{% raw %}", "a{% raw -%}\n", "a{% raw %}b", "{# a", "{{ 1 }}{#", "{% call %}", "{% call m %}{% endcall %}",
    "{% filter %}{% endfilter %}", "{% filter 1 %}{% endfilter %}",
    "{% with %}{% endwith %}|", "{% with a %}{% endwith %}", "{% with a = %}{% endwith %}",
    "{% block %}", "{% block a-b %}{% endblock %}", "{% block a %}",
    "{% %}", "{% 1 %}", "{% foo %}", "{% do x %}", "{% break %}", "{% endfor %}",
    "{% include 'x' %}", "{% import 'x' as y %}", "{% extends 'x' %}",
    "{% raw %}abc", "{# abc", "{# abc #", "{{ 'a' }} {# x", "{% if x %}{% endif x %}",
    "{% for x in y %}{% endfor x %}", "{{ 1 }}{{ 1 + }}{{ \\x }}", "{{ \\x }}{{ 1 + }}",
    "{{ 'a\\x4' }}", "{{ 'a\\u12' }}", "{{ 'a\\N{DASH}' }}", "{{ 'a\\N' }}", "{{ 1 +\n\n @ }}",
    "{{ 'é' ~ @ }}", "{{ x }} é {{ ` }}", "{{ 0b2 }}", "{{ 1__0 }}", "{{ 1_ }}",
    "{{ a.b.1x }}", "{{ x | 'f' }}", "{{ x.1.y }}", "{{ x is not is }}",
    "{{ [1, 2 }}", "{{ [1, 2) }}", "{{ (1, 2 }}", "{{ {'a': 1 }}", "{{ {'a': 1]}",
    "{{ {{ 1 }} }}", "{{ } }}", "{{ ) }}", "{{ ] }}", "{{ x }} }}", "{{ x }}}",
    "{{ 'a' if x else 'b' else 'c' }}", "{{ 1 if 2 if 3 }}",
    "{% if %}{% endif %}", "{% elif x %}", "{% else %}", "{% if x %}{% elif %}{% endif %}",
    "{% if x %}{% else x %}{% endif %}", "{% for x in y %}{% else %}{% else %}{% endfor %}",
    "{% set x = 1 %}{% endset %}", "{% autoescape %}{% endautoescape %}",
    "{% print 1 2 %}", "{% print 1, %}",
]


# Token soups for the seeded random groups: expressions, tag structure
# (whitespace control, raw, comments, unclosed blocks) and literals.
EXPR_TOKENS = ["1", "2", "0", "7", "1.5", "'a'", '"b"', "x", "job", "job.n", "job.names", "none", "true",
               "(", ")", "[", "]", "{", "}", ",", ":", ".", "|", "upper", "abs", "length", "is", "not",
               "odd", "defined", "in", "and", "or", "if", "else", "+", "-", "*", "/", "//", "%", "**", "~",
               "==", "!=", "<", ">=", "=", "(1)", "[1]", "'s'", "job.d", "k", "join", "\\", "@", "$", "`",
               "'", "#", "}}", "%}", "{{", "{%"]
TAG_TOKENS = ["{% if job.t %}", "{% endif %}", "{% for i in job.names %}", "{% endfor %}", "{% else %}",
              "{% elif 1 %}", "{{ i }}", "{# c #}", "{#", "#}", "{% raw %}", "{% endraw %}", "{%- if 1 -%}",
              "{%+ if 1 +%}", " ", "\n", "  \n ", "text", "{% set a = 1 %}", "{% set b %}", "{% endset %}",
              "{% macro m() %}", "{% endmacro %}", "{{ m() }}", "{% call m() %}", "{% endcall %}",
              "{% with q = 2 %}", "{% endwith %}", "{% filter upper %}", "{% endfilter %}", "{% block b %}",
              "{% endblock %}", "{{- 'x' -}}", "{{ a }}", "{{", "}}", "{%", "%}", "{% print 'p' %}",
              "{% endblock b %}", "{% foo %}", "{{ loop.index }}", "{% raw -%}", " {%- endraw %}", "\t",
              "{{ caller() }}"]
LIT_TOKENS = ["1_0", "0x1f", "0b1", "0o7", "1e3", "1.", "1.5e+2", ".5", "'a\\nb'", "'\\x41'", "'\\u0041'",
              "'\\101'", "'\\q'", "'\\\\'", '"\\""', "'é'", "é", "x1", "_a", "a.0", "a.b", "[1,2][0:1]",
              "[1,2][::1]", "(1,)", "()", "{}", "{'a':1}.a", "range(3)", "dict(a=1)", "'%s'%1", "'{}'.format(1)",
              "f(*[1])", "f(**{})", "|", "is", "not", "in", "if", "else", "and", "or", "-", "+", "**", "*",
              "//", "%", "~", "==", "<", "<=", ">", ",", "(", ")", "[", "]", ":", ".", "\t", "\n", "  ",
              "{", "}", "-}}", "+}}", "lower", "string", "none", "None", "True", "false", "divisibleby",
              "sameas", "number", "'x' 'y'", "'"]


def random_cases(seed, count, make, seen):
    """count templates from make(rng), seeded so the set is stable."""
    rng = random.Random(seed)
    out = []
    while len(out) < count:
        tpl = make(rng)
        if tpl not in seen:
            seen.add(tpl)
            out.append(tpl)
    return out


def random_expr(rng):
    body = " ".join(rng.choice(EXPR_TOKENS) for _ in range(rng.randint(1, 7)))
    return rng.choice(["{{ %s }}", "{%% if %s %%}y{%% endif %%}", "{%% set v = %s %%}{{ v }}",
                       "{%% for i in %s %%}{{ i }}{%% endfor %%}", "{{ %s"]) % body


def random_tags(rng):
    return "".join(rng.choice(TAG_TOKENS) for _ in range(rng.randint(1, 8)))


def random_literals(rng):
    body = " ".join(rng.choice(LIT_TOKENS) for _ in range(rng.randint(1, 6)))
    return rng.choice(["{{ %s }}", "{%%- set v = %s -%%}[{{ v }}]", "x {{- %s -}} y"]) % body


def main():
    groups = [
        ("grammar-precedence", "every ordered pair of binary operators: 7 a 3 b 2", precedence_pairs()),
        ("grammar-unary", "unary -, + and not before every binary operator", unary_cases()),
        ("grammar-filter-test", "filters and tests against every binary operator", filter_test_cases()),
        ("grammar-membership", "in, not in and chained comparisons", membership_cases()),
        ("grammar-conditional", "conditional expressions in every position", CONDITIONAL),
        ("grammar-concat", "adjacent string literals and ~", CONCAT),
        ("grammar-syntax", "the rest of jinja2's expression and statement grammar", SYNTAX),
        ("grammar-errors", "jinja2's lexer and parser error texts", ERRORS),
    ]
    out = {
        "doc": "Template grammar cases, generated by gen_grammar_cases.py (do not edit by hand). "
        "Same context conventions as cases.json.",
        "context": CONTEXT,
        "groups": [],
    }
    seen = set()
    for _, _, tpls in groups:
        seen.update(tpls)
    groups += [
        ("grammar-random-expr", "seeded random expressions in every tag", random_cases(1, 150, random_expr, seen)),
        ("grammar-random-tags", "seeded random tag structure", random_cases(2, 150, random_tags, seen)),
        ("grammar-random-literals", "seeded random literals and operators", random_cases(3, 150, random_literals, seen)),
    ]
    n = 0
    seen = set()
    for name, doc, tpls in groups:
        cases = []
        for tpl in tpls:
            if tpl in seen:
                raise SystemExit(f"duplicate template {tpl!r}")
            seen.add(tpl)
            n += 1
            cases.append({"id": f"G{n:03d}", "tpl": tpl})
        out["groups"].append({"name": name, "doc": doc, "cases": cases})
    # Conditional cases that depend on the job's result.
    extra = []
    for r in ["retry", "fail"]:
        n += 1
        extra.append({"id": f"G{n:03d}", "tpl": CONDITIONAL[0], "result": r})
    out["groups"].append({"name": "grammar-results", "doc": "X44's template with other results", "cases": extra})
    # Known differences keep fixed ids (listed in known_differences.json).
    out["groups"].append({"name": "grammar-known", "doc": "known differences (known_differences.json)",
                          "cases": [{"id": "GK01", "tpl": "{{ '\\N{BULLET}' }}"}]})
    n += 1
    with open(os.path.join(HERE, "cases_grammar.json"), "w", encoding="utf-8") as f:
        json.dump(out, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print(f"{n} cases")


if __name__ == "__main__":
    main()
