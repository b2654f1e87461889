// Package render renders lava's Jinja templates the way Python's jinja2 3.1
// renders them in the original lava (lava spec section 2.7).
//
// Everything that decides what a template prints is ours: a lexer and a
// parser that follow jinja2's lexer.py and parser.py (the whole expression
// grammar, whitespace control, raw blocks, jinja2's syntax error texts and
// positions), the statements (if, for, set, macro, call, filter, with,
// block, print, autoescape — jinja2's default tags; include, import, from
// and extends are refused as jinja2.Template refuses them, having no
// loader), and an expression evaluator with Python semantics: Python
// str()/repr() printing with insertion-ordered dicts, None distinct from
// undefined (jinja2's default Undefined), exact DynamoDB Decimal
// arithmetic, datetime/date/timedelta values with Python's methods and
// operators, jinja2's filters and tests, Python %-formatting, and lava's
// utils namespace (spec section 2.6). An unmodified gonja v2 supplies the
// node types and walks the document.
//
// An [Engine] parses and caches templates and is safe for concurrent use.
// [Vars] is the render context of one action. Errors are *[Error] values
// whose text is jinja2's str(exception) for the same failure.
//
// Known differences from Python are listed in testdata/known_differences.json
// and in the project's COMPATIBILITY.md. Regular expressions (utils.re) use
// Go's RE2: no look-around, no backreferences, an ASCII-only \b.
package render

import (
	"container/list"
	"errors"
	"fmt"
	"math/big"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/cockroachdb/apd/v3"
	"github.com/lava-actions/lava-actions/sdk/value"
	"github.com/nikolalohinski/gonja/v2/builtins"
	"github.com/nikolalohinski/gonja/v2/config"
	"github.com/nikolalohinski/gonja/v2/exec"
	"github.com/nikolalohinski/gonja/v2/nodes"
	"github.com/nikolalohinski/gonja/v2/parser"
)

// Vars is the input of one render: lava's augmented job, the realm item and
// the job's result. Globals, state, start, ustart and utils are derived from
// them (lava spec section 2.1): globals is job.globals, state is job.state,
// start is job.ts_start (a value.DateTime) and ustart is start in UTC. A nil
// Result renders as {}. A render reads the maps while it runs (the parts a
// template uses, when it uses them) and never changes them; templates that
// mutate a dict or list change the render's own copy.
type Vars struct {
	Job    *value.Map
	Realm  *value.Map
	Result *value.Map
}

// Default limits of a new Engine.
const (
	DefaultMaxOutput     = 4 << 20 // bytes produced by one render
	DefaultMaxRange      = 100000  // items of one range()
	DefaultMaxIterations = 1000000 // loop iterations of one render
	DefaultMaxDepth      = 200     // nested macro calls (Python fails near 240)
	DefaultMaxTemplate   = 1 << 20 // bytes of template source
	DefaultCacheSize     = 1024    // parsed templates kept
)

// Engine renders templates. It is safe for concurrent use. The limit
// fields may be changed after New but not once the engine is in use; a
// value <= 0 disables that limit (MaxDepth cannot be disabled).
type Engine struct {
	// MaxOutput is the most bytes one render may write, counting text
	// captured by macros, set blocks and filter blocks.
	MaxOutput int
	// MaxRange is the most items one range() may produce when iterated.
	MaxRange int
	// MaxIterations is the most loop iterations (and range items, and macro
	// calls) of one render.
	MaxIterations int
	// MaxDepth is the deepest macro call nesting; deeper calls fail with
	// "maximum recursion depth exceeded", as Python's RecursionError.
	MaxDepth int
	// MaxTemplate is the longest template source accepted, in bytes.
	MaxTemplate int

	cfg *config.Config
	env *exec.Environment

	mu        sync.Mutex
	cacheSize int
	cache     map[string]*list.Element
	lru       *list.List
}

type cached struct {
	src string
	tpl *nodes.Template
	err error
}

// New returns an engine with the default limits and a cache of
// DefaultCacheSize parsed templates.
func New() *Engine { return NewWithCache(DefaultCacheSize) }

// NewWithCache returns an engine whose parsed-template cache keeps up to
// size templates (least recently used first out); size <= 0 disables it.
func NewWithCache(size int) *Engine {
	cfg := config.New()
	cfg.AutoEscape = false
	cfg.StrictUndefined = false
	cfg.KeepTrailingNewline = false
	env := &exec.Environment{
		Context:           exec.EmptyContext(),
		Filters:           exec.NewFilterSet(map[string]exec.FilterFunction{}),
		Tests:             exec.NewTestSet(map[string]exec.TestFunction{}),
		ControlStructures: exec.NewControlStructureSet(map[string]parser.ControlStructureParser{}),
		Methods:           builtins.Methods,
	}
	return &Engine{
		MaxOutput:     DefaultMaxOutput,
		MaxRange:      DefaultMaxRange,
		MaxIterations: DefaultMaxIterations,
		MaxDepth:      DefaultMaxDepth,
		MaxTemplate:   DefaultMaxTemplate,
		cfg:           cfg,
		env:           env,
		cacheSize:     size,
		cache:         map[string]*list.Element{},
		lru:           list.New(),
	}
}

// Check parses src and reports a syntax error without rendering. It also
// reports the errors jinja2 raises when compiling: an unknown filter or
// test outside an if block or conditional expression.
func (e *Engine) Check(src string) error {
	_, err := e.template(src)
	return err
}

// Render renders src with vars and returns the text.
func (e *Engine) Render(src string, vars *Vars) (string, error) {
	tpl, err := e.template(src)
	if err != nil {
		return "", err
	}
	return e.execute(tpl, vars.data())
}

// RenderValue renders every string in v (map keys and values, list items)
// and keeps other values as they are (decision 0.5 of the spec). Maps are
// *value.Map and lists []any; the result is a new value, v is not changed.
func (e *Engine) RenderValue(v any, vars *Vars) (any, error) {
	var data map[string]any
	getData := func() map[string]any {
		if data == nil {
			data = vars.data()
		}
		return data
	}
	var walk func(v any) (any, error)
	walk = func(v any) (any, error) {
		switch t := v.(type) {
		case string:
			return e.renderString(t, getData)
		case *value.Map:
			out := &value.Map{}
			var err error
			t.Range(func(k string, x any) bool {
				var rk string
				if rk, err = e.renderString(k, getData); err != nil {
					return false
				}
				var rv any
				if rv, err = walk(x); err != nil {
					return false
				}
				out.Set(rk, rv)
				return true
			})
			if err != nil {
				return nil, err
			}
			return out, nil
		case []any:
			out := make([]any, len(t))
			for i, x := range t {
				r, err := walk(x)
				if err != nil {
					return nil, err
				}
				out[i] = r
			}
			return out, nil
		}
		return v, nil
	}
	return walk(v)
}

// renderString renders one string of a structure. Text without markup or
// newlines renders as itself, so it is not parsed.
func (e *Engine) renderString(s string, data func() map[string]any) (string, error) {
	if !strings.ContainsAny(s, "{\n\r") {
		return s, nil
	}
	tpl, err := e.template(s)
	if err != nil {
		return "", err
	}
	return e.execute(tpl, data())
}

func (e *Engine) template(src string) (*nodes.Template, error) {
	if e.MaxTemplate > 0 && len(src) > e.MaxTemplate {
		return nil, &limitError{sentinel: ErrTemplateTooLarge, detail: fmt.Sprintf("%d bytes, the limit is %d", len(src), e.MaxTemplate)}
	}
	if e.cacheSize > 0 {
		e.mu.Lock()
		if el, ok := e.cache[src]; ok {
			e.lru.MoveToFront(el)
			c := el.Value.(*cached)
			e.mu.Unlock()
			return c.tpl, c.err
		}
		e.mu.Unlock()
	}
	tpl, err := e.parse(src)
	if e.cacheSize > 0 {
		e.mu.Lock()
		if _, ok := e.cache[src]; !ok {
			e.cache[src] = e.lru.PushFront(&cached{src: src, tpl: tpl, err: err})
			for e.lru.Len() > e.cacheSize {
				old := e.lru.Back()
				e.lru.Remove(old)
				delete(e.cache, old.Value.(*cached).src)
			}
		}
		e.mu.Unlock()
	}
	return tpl, err
}

// CacheLen returns the number of parsed templates in the cache.
func (e *Engine) CacheLen() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.lru.Len()
}

const rootName = "template"

func (e *Engine) parse(src string) (tpl *nodes.Template, err error) {
	defer func() {
		if p := recover(); p != nil {
			tpl, err = nil, newErr(classInternal, "render: internal error while parsing the template")
		}
	}()
	root, err := parseTemplate(normalizeNewlines(src))
	if err != nil {
		return nil, err
	}
	// jinja2's compiler checks block names before the filters and tests.
	blocks := map[string]bool{}
	bv := &visitor{onBlock: func(name string) error {
		if blocks[name] {
			return newErr(classAssertion, fmt.Sprintf("block '%s' defined twice", name))
		}
		blocks[name] = true
		return nil
	}}
	if err := bv.nodeList(root.Nodes, false); err != nil {
		return nil, err
	}
	v := &visitor{
		onFilter: func(name string, soft bool) error {
			if _, ok := filters[name]; !ok && !soft {
				return newErr(classAssertion, fmt.Sprintf("No filter named '%s'.", name))
			}
			return nil
		},
		onTest: func(name string, soft bool) error {
			if _, ok := tests[name]; !ok && !soft {
				return newErr(classAssertion, fmt.Sprintf("No test named '%s'.", name))
			}
			return nil
		},
	}
	if err := v.nodeList(root.Nodes, false); err != nil {
		return nil, err
	}
	return root, nil
}

// normalizeNewlines turns \r\n and \r into \n, as jinja2's lexer does with
// its default newline_sequence.
func normalizeNewlines(s string) string {
	if !strings.Contains(s, "\r") {
		return s
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.ReplaceAll(s, "\r", "\n")
}

func (e *Engine) execute(tpl *nodes.Template, data map[string]any) (out string, err error) {
	st := &rt{e: e}
	w := &outWriter{rt: st}
	defer func() {
		if p := recover(); p != nil {
			out, err = "", newErr(classInternal, "render: internal error while rendering the template")
		}
	}()
	ctx := e.env.Context.Inherit().Update(exec.NewContext(data))
	ctx.Set(rtKey, st)
	r := &exec.Renderer{
		Config: e.cfg,
		Environment: &exec.Environment{
			Context:           ctx,
			Filters:           e.env.Filters,
			Tests:             e.env.Tests,
			ControlStructures: e.env.ControlStructures,
			Methods:           e.env.Methods,
		},
		RootNode: tpl,
		Output:   w,
	}
	r.Environment.Context.Set("self", exec.Self(r))
	if err := r.Execute(); err != nil {
		return "", cleanError(err)
	}
	return w.b.String(), nil
}

// cleanError extracts our error from gonja's wrapping.
func cleanError(err error) error {
	var le *limitError
	if errors.As(err, &le) {
		return le
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return newErr(classInternal, "render: "+lastLine(err.Error()))
}

func lastLine(s string) string {
	if i := strings.LastIndex(s, ": "); i >= 0 {
		return s[i+2:]
	}
	return s
}

// ---- context ----

func (v *Vars) data() map[string]any {
	var job, realm, result *pyDict
	if v != nil {
		job = toRuntimeMap(v.Job)
		realm = toRuntimeMap(v.Realm)
		result = toRuntimeMap(v.Result)
	} else {
		job, realm, result = newDict(0), newDict(0), newDict(0)
	}
	data := map[string]any{
		"job":    job,
		"realm":  realm,
		"result": result,
		"utils":  &pyDict{fill: fillUtils},
	}
	if g, ok := job.getStr("globals"); ok {
		data["globals"] = g
	} else {
		data["globals"] = undefAttr(job, "globals")
	}
	if s, ok := job.getStr("state"); ok {
		data["state"] = s
	} else {
		data["state"] = undefAttr(job, "state")
	}
	if s, ok := job.getStr("ts_start"); ok {
		data["start"] = s
		if d, ok := s.(pyDateTime); ok {
			data["ustart"] = pyDateTime{t: d.t.UTC(), naive: d.naive}
		}
	}
	return data
}

func toRuntimeMap(m *value.Map) *pyDict {
	if m == nil {
		return newDict(0)
	}
	return toRuntime(m).(*pyDict)
}

// toRuntime converts the shared value model (and plain Go values) to the
// template runtime's Python-like values. Containers are copied: a template
// never changes the caller's data.
func toRuntime(v any) any { return toRuntimeDepth(v, 0) }

func toRuntimeDepth(v any, depth int) any {
	if depth > 500 {
		return nil
	}
	switch t := v.(type) {
	case nil, bool, int64, float64, string, *big.Int:
		return t
	case int:
		return int64(t)
	case int32:
		return int64(t)
	case float32:
		return float64(t)
	case *value.Map:
		if t == nil {
			return newDict(0)
		}
		return &pyDict{src: t}
	case []any:
		items := make([]any, len(t))
		for i, x := range t {
			items[i] = toRuntimeDepth(x, depth+1)
		}
		return &pyList{items: items}
	case []string:
		items := make([]any, len(t))
		for i, x := range t {
			items[i] = x
		}
		return &pyList{items: items}
	case value.Decimal:
		d, _, err := apd.NewFromString(t.String())
		if err != nil {
			return t.String()
		}
		return d
	case value.DateTime:
		return fromValueDateTime(t)
	case time.Time:
		return newAware(t)
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		d := newDict(len(t))
		for _, k := range keys {
			_ = d.set(k, toRuntimeDepth(t[k], depth+1))
		}
		return d
	}
	return v
}
