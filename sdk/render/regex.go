package render

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/dlclark/regexp2/v2"
)

// utils.re is Python's re module on regexp2 (a backtracking engine with
// look-around, backreferences, atomic groups and possessive quantifiers).
// Patterns are translated from Python's syntax first (regex_translate.go).
// A hostile pattern cannot hang a worker: each match attempt is limited to
// reMatchTimeout, and one call (sub, findall, split, …) to reCallBudget.

const (
	// reMatchTimeout bounds one match attempt.
	reMatchTimeout = time.Second
	// reCallBudget bounds the matching time of one re function call.
	reCallBudget = 2 * time.Second
	// reMaxPattern bounds the pattern length, in characters.
	reMaxPattern = 64 << 10
)

// pyRegex is a compiled Python pattern (re.Pattern).
type pyRegex struct {
	pattern  string
	flags    int64
	groups   int
	names    []string // names[i] is the name of group i+1, or ""
	re       *regexp2.Regexp
	anchored *regexp2.Regexp // the pattern at the start position only
	nonEmpty *regexp2.Regexp // a non-empty match at the start position
	full     *regexp2.Regexp // the whole of the text from the start position
}

var reCache = struct {
	sync.Mutex
	m map[string]*pyRegex
}{m: map[string]*pyRegex{}}

func compileRe(pattern string, flags int64) (*pyRegex, error) {
	key := fmt.Sprintf("%d:%s", flags, pattern)
	reCache.Lock()
	p, ok := reCache.m[key]
	reCache.Unlock()
	if ok {
		return p, nil
	}
	p, err := newRegex(pattern, flags)
	if err != nil {
		return nil, err
	}
	reCache.Lock()
	if len(reCache.m) > 512 {
		reCache.m = map[string]*pyRegex{}
	}
	reCache.m[key] = p
	reCache.Unlock()
	return p, nil
}

func newRegex(pattern string, flags int64) (*pyRegex, error) {
	if len(pattern) > reMaxPattern {
		return nil, newErr(classRegexError, fmt.Sprintf("pattern too long (over %d bytes)", reMaxPattern))
	}
	t, err := translateRe(pattern, flags)
	if err != nil {
		return nil, err
	}
	body := t.out.String()
	p := &pyRegex{pattern: pattern, flags: t.flags | reUnicode*boolInt(t.flags&reASCII == 0), groups: t.groups, names: make([]string, t.groups)}
	for n, g := range t.names {
		p.names[g-1] = n
	}
	forms := []*(*regexp2.Regexp){&p.re, &p.anchored, &p.nonEmpty, &p.full}
	for i, src := range []string{body, `\G(?:` + body + `)`, `\G(?:` + body + `)(?<!\G)`, `\G(?:` + body + `)\z`} {
		re, err := regexp2.Compile(src, t.options(), regexp2.OptionMaintainCaptureOrder())
		if err != nil {
			msg := strings.TrimPrefix(err.Error(), "error parsing regexp: ")
			return nil, newErr(classRegexError, msg)
		}
		re.MatchTimeout = reMatchTimeout
		*forms[i] = re
	}
	return p, nil
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// reRun is one re function call: the text as runes and the time budget.
type reRun struct {
	p        *pyRegex
	s        string
	runes    []rune
	start    int // pos: where matching starts
	deadline time.Time
}

func newRun(p *pyRegex, s string) *reRun {
	return &reRun{p: p, s: s, runes: []rune(s), deadline: time.Now().Add(reCallBudget)}
}

func reMatchError(err error) error {
	if errors.Is(err, regexp2.ErrBacktrackingStackLimit) {
		return newErr(classRegexError, "regular expression match exceeded the backtracking limit")
	}
	return newErr(classRegexError, fmt.Sprintf("regular expression match timed out after %s", reMatchTimeout))
}

// find runs one of the pattern's forms at pos.
func (r *reRun) find(re *regexp2.Regexp, pos int) (*reMatch, error) {
	if time.Now().After(r.deadline) {
		return nil, newErr(classRegexError, fmt.Sprintf("regular expression matching took more than %s in one call", reCallBudget))
	}
	m, err := re.FindRunesMatchStartingAt(r.runes, pos)
	if err != nil {
		return nil, reMatchError(err)
	}
	if m == nil {
		return nil, nil
	}
	return newReMatch(r, m), nil
}

// each calls fn for every match in Python 3.7+ order: an empty match is
// allowed right after a non-empty one, and after an empty match the next
// one must be non-empty or start later.
func (r *reRun) each(limit int, fn func(m *reMatch) error) error {
	pos, mustAdvance, n := r.start, false, 0
	for pos <= len(r.runes) && (limit <= 0 || n < limit) {
		var m *reMatch
		var err error
		if mustAdvance {
			if m, err = r.find(r.p.nonEmpty, pos); err != nil {
				return err
			}
			if m == nil && pos < len(r.runes) {
				m, err = r.find(r.p.re, pos+1)
			}
		} else {
			m, err = r.find(r.p.re, pos)
		}
		if err != nil {
			return err
		}
		if m == nil {
			return nil
		}
		if err := fn(m); err != nil {
			return err
		}
		n++
		pos, mustAdvance = m.pos[1], m.pos[0] == m.pos[1]
	}
	return nil
}

// reMatch is Python's re.Match: group spans in characters.
type reMatch struct {
	p      *pyRegex
	s      string
	runes  []rune
	pos    []int // start, end of each group; -1, -1 when it did not take part
	start  int   // the pos argument
	endpos int
}

func newReMatch(r *reRun, m *regexp2.Match) *reMatch {
	out := &reMatch{p: r.p, s: r.s, runes: r.runes, pos: make([]int, 2*(r.p.groups+1)), start: r.start, endpos: len(r.runes)}
	for i := 0; i <= r.p.groups; i++ {
		g := m.GroupByNumber(i)
		if g == nil || len(g.Captures) == 0 {
			out.pos[2*i], out.pos[2*i+1] = -1, -1
			continue
		}
		out.pos[2*i], out.pos[2*i+1] = g.RuneIndex, g.RuneIndex+g.RuneLength
	}
	return out
}

func (m *reMatch) groupIndex(g any) (int, error) {
	switch t := g.(type) {
	case int64:
		if t >= 0 && int(t) <= m.p.groups {
			return int(t), nil
		}
	case bool:
		if t {
			return 1, nil
		}
		return 0, nil
	case string:
		for i, n := range m.p.names {
			if n == t {
				return i + 1, nil
			}
		}
	}
	return 0, newErr(classIndex, "no such group")
}

func (m *reMatch) group(i int) any {
	if m.pos[2*i] < 0 {
		return nil
	}
	return string(m.runes[m.pos[2*i]:m.pos[2*i+1]])
}

func (m *reMatch) groupArg(g any) (any, error) {
	i, err := m.groupIndex(g)
	if err != nil {
		return nil, err
	}
	return m.group(i), nil
}

func (m *reMatch) span(i int) [2]int64 {
	return [2]int64{int64(m.pos[2*i]), int64(m.pos[2*i+1])}
}
