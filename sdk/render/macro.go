package render

import (
	"fmt"
	"io"

	"github.com/nikolalohinski/gonja/v2/exec"
	"github.com/nikolalohinski/gonja/v2/nodes"
	"github.com/nikolalohinski/gonja/v2/tokens"
)

// macro and call: template macros and call blocks with caller().

// macroValue is a template macro, callable from expressions.
type macroValue struct {
	name         string
	params       []string
	defaults     []nodes.Expression
	body         *nodes.Wrapper
	r            *exec.Renderer
	catchVarargs bool
	catchKwargs  bool
	caller       bool
}

func (m *macroValue) str() string { return "<Macro '" + m.name + "'>" }

func (m *macroValue) getattr(name string) (any, bool) {
	switch name {
	case "name":
		return m.name, true
	case "arguments":
		t := make(pyTuple, len(m.params))
		for i, p := range m.params {
			t[i] = p
		}
		return t, true
	case "catch_kwargs":
		return m.catchKwargs, true
	case "catch_varargs":
		return m.catchVarargs, true
	case "caller":
		return m.caller, true
	}
	return nil, false
}

// subRenderer is r.Inherit() without copying the configuration, which
// nothing changes during a render: a new variable scope writing to out.
func subRenderer(r *exec.Renderer, out io.Writer) *exec.Renderer {
	return &exec.Renderer{
		Config: r.Config,
		Environment: &exec.Environment{
			Context:           r.Environment.Context.Inherit(),
			Tests:             r.Environment.Tests,
			Filters:           r.Environment.Filters,
			ControlStructures: r.Environment.ControlStructures,
			Methods:           r.Environment.Methods,
		},
		Template: r.Template,
		RootNode: r.RootNode,
		Output:   out,
		Loader:   r.Loader,
	}
}

// bindParams sets the macro's parameters in sc's context from the
// positional and keyword arguments, evaluating defaults for the others.
func (m *macroValue) bindParams(sc scope, args []any, kw *kwargs) error {
	for i, p := range m.params {
		var v any
		found := false
		if i < len(args) {
			v, found = args[i], true
			if _, dup := kw.get(p); dup {
				return typeErrorf("macro '%s' takes no keyword argument '%s'", m.name, p)
			}
		} else if kv, ok := kw.get(p); ok {
			v, found = kv, true
		}
		if !found {
			if m.defaults[i] != nil {
				dv, err := sc.eval(m.defaults[i])
				if err != nil {
					return err
				}
				v = dv
			} else {
				v = &undefinedValue{name: p, hint: fmt.Sprintf("parameter %s was not provided", reprAny(p))}
			}
		}
		sc.ctx.Set(p, v)
	}
	return nil
}

// bindExtraKwargs collects keyword arguments that are not parameters into
// extra (the macro's kwargs), or fails when the macro does not use kwargs.
func (m *macroValue) bindExtraKwargs(kw *kwargs, hasCaller bool, extra *pyDict) error {
	if kw == nil {
		return nil
	}
	for _, k := range kw.names {
		if k == "caller" && hasCaller {
			continue
		}
		known := false
		for _, p := range m.params {
			if p == k {
				known = true
				break
			}
		}
		if !known {
			if !m.catchKwargs {
				return typeErrorf("macro '%s' takes no keyword argument '%s'", m.name, k)
			}
			_ = extra.set(k, kw.vals[k])
		}
	}
	return nil
}

func (m *macroValue) call(st *rt, args []any, kw *kwargs) (any, error) {
	if st.depth >= st.e.MaxDepth {
		return nil, newErr(classRecursion, "maximum recursion depth exceeded")
	}
	// Each call counts as a loop iteration, so that a fan-out of calls that
	// prints nothing is bounded too.
	if err := st.countIterations(1); err != nil {
		return nil, err
	}
	st.depth++
	defer func() { st.depth-- }()
	out := &outWriter{rt: st}
	sub := subRenderer(m.r, out)
	ctx := sub.Environment.Context
	sc := scope{r: st, ctx: ctx}
	var callerVal any
	hasCaller := false
	var extraKw *pyDict
	if m.catchKwargs {
		extraKw = newDict(0)
	}
	if kw != nil {
		for _, k := range kw.names {
			if k == "caller" && m.name != "caller" {
				callerVal, hasCaller = kw.vals[k], true
				continue
			}
		}
	}
	if hasCaller && !m.caller {
		return nil, typeErrorf("macro '%s' was invoked with two values for the special caller argument. This is most likely a bug.", m.name)
	}
	if err := m.bindParams(sc, args, kw); err != nil {
		return nil, err
	}
	if err := m.bindExtraKwargs(kw, hasCaller, extraKw); err != nil {
		return nil, err
	}
	if len(args) > len(m.params) {
		if !m.catchVarargs {
			return nil, typeErrorf("macro '%s' takes not more than %d argument(s)", m.name, len(m.params))
		}
		ctx.Set("varargs", pyTuple(append([]any(nil), args[len(m.params):]...)))
	} else if m.catchVarargs {
		ctx.Set("varargs", pyTuple{})
	}
	if m.catchKwargs {
		ctx.Set("kwargs", extraKw)
	}
	if m.caller {
		if hasCaller {
			ctx.Set("caller", callerVal)
		} else {
			ctx.Set("caller", &undefinedValue{name: "caller", hint: "No caller defined"})
		}
	}
	if err := nodes.Walk(sub, m.body); err != nil {
		return nil, err
	}
	return markup(out.b.String()), nil
}

type macroStmt struct {
	loc      *tokens.Token
	name     string
	params   []string
	defaults []nodes.Expression
	body     *nodes.Wrapper
	varargs  bool
	kwargs   bool
	caller   bool
}

func (s *macroStmt) Position() *tokens.Token { return s.loc }
func (s *macroStmt) String() string          { return "macro" }
func (s *macroStmt) walk(v *visitor, soft bool) error {
	if err := v.exprs(soft, s.defaults...); err != nil {
		return err
	}
	return v.wrapper(s.body, false)
}

func (s *macroStmt) Execute(r *exec.Renderer, _ *nodes.ControlStructureBlock) error {
	r.Environment.Context.Set(s.name, s.macro(r))
	return nil
}

func (s *macroStmt) macro(r *exec.Renderer) *macroValue {
	return &macroValue{name: s.name, params: s.params, defaults: s.defaults, body: s.body, r: r,
		catchVarargs: s.varargs, catchKwargs: s.kwargs, caller: s.caller}
}

// parseSignature parses `(a, b=1)`.
func parseSignature(p *tplParser) ([]string, []nodes.Expression, error) {
	var params []string
	var defaults []nodes.Expression
	hasDefault := false
	p.expect(tokens.LeftParenthesis, "(")
	for p.cur().Type != tokens.RightParenthesis {
		if len(params) > 0 {
			p.expect(tokens.Comma, ",")
		}
		params = append(params, p.parseNameTarget())
		var def nodes.Expression
		if p.Match(tokens.Assign) != nil {
			def = p.parseExpression(true)
			hasDefault = true
		} else if hasDefault {
			p.fail("non-default argument follows default argument")
		}
		defaults = append(defaults, def)
	}
	p.expect(tokens.RightParenthesis, ")")
	return params, defaults, nil
}

func usedNames(w *nodes.Wrapper) map[string]bool {
	used := map[string]bool{}
	v := &visitor{onName: func(n string) { used[n] = true }}
	_ = v.wrapper(w, false)
	return used
}

func macroParser(p *tplParser, _ *tplParser) (stmt, error) {
	s := &macroStmt{loc: p.Current()}
	s.name = p.parseNameTarget()
	params, defaults, err := parseSignature(p)
	if err != nil {
		return nil, err
	}
	s.params, s.defaults = params, defaults
	w, _, err := wrapUntil(p, "macro", "endmacro")
	if err != nil {
		return nil, err
	}
	s.body = w
	used := usedNames(w)
	s.varargs, s.kwargs, s.caller = used["varargs"], used["kwargs"], used["caller"]
	return s, nil
}

type callStmt struct {
	loc      *tokens.Token
	call     *nodes.Call
	params   []string
	defaults []nodes.Expression
	body     *nodes.Wrapper
	varargs  bool
	kwargs   bool
}

func (s *callStmt) Position() *tokens.Token { return s.loc }
func (s *callStmt) String() string          { return "call" }
func (s *callStmt) walk(v *visitor, soft bool) error {
	if err := v.expr(s.call, soft); err != nil {
		return err
	}
	if err := v.exprs(soft, s.defaults...); err != nil {
		return err
	}
	return v.wrapper(s.body, false)
}

func (s *callStmt) Execute(r *exec.Renderer, _ *nodes.ControlStructureBlock) error {
	sc := scopeOf(r)
	caller := &macroValue{name: "caller", params: s.params, defaults: s.defaults, body: s.body, r: r,
		catchVarargs: s.varargs, catchKwargs: s.kwargs}
	fn, err := sc.eval(s.call.Func.(nodes.Expression))
	if err != nil {
		return err
	}
	args, kw, err := sc.evalArgs(s.call.Args, s.call.Kwargs)
	if err != nil {
		return err
	}
	if kw == nil {
		kw = &kwargs{}
	}
	kw.add("caller", caller)
	v, err := callValue(sc.r, fn, args, kw)
	if err != nil {
		return err
	}
	_, err = io.WriteString(r.Output, pyStr(v))
	return err
}

func callParser(p *tplParser, _ *tplParser) (stmt, error) {
	s := &callStmt{loc: p.Current()}
	if p.Current(tokens.LeftParenthesis) != nil {
		params, defaults, err := parseSignature(p)
		if err != nil {
			return nil, err
		}
		s.params, s.defaults = params, defaults
	}
	line := p.cur().Line
	c, ok := p.parseExpression(true).(*nodes.Call)
	if !ok {
		return nil, &Error{Class: classSyntax, Msg: "expected call", Line: line}
	}
	s.call = c
	w, _, err := wrapUntil(p, "call", "endcall")
	if err != nil {
		return nil, err
	}
	s.body = w
	used := usedNames(w)
	s.varargs, s.kwargs = used["varargs"], used["kwargs"]
	return s, nil
}
