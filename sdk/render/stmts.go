package render

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/nikolalohinski/gonja/v2/exec"
	"github.com/nikolalohinski/gonja/v2/nodes"
	"github.com/nikolalohinski/gonja/v2/parser"
	"github.com/nikolalohinski/gonja/v2/tokens"
)

// The statements are our own gonja control structures: gonja parses the
// template and walks it, these evaluate every expression with Python
// semantics (eval.go). The set of tags is exactly jinja2's default one.

// stmt is implemented by every statement of ours.
type stmt interface {
	exec.ControlStructure
	walk(v *visitor, soft bool) error
}

// visitor walks expressions for the static checks and for finding the
// names a macro body uses.
type visitor struct {
	onName   func(name string)
	onFilter func(name string, soft bool) error
	onTest   func(name string, soft bool) error
	onBinary func(b *nodes.BinaryExpression)
}

func (v *visitor) wrapper(w *nodes.Wrapper, soft bool) error {
	if w == nil {
		return nil
	}
	return v.nodeList(w.Nodes, soft)
}

func (v *visitor) nodeList(ns []nodes.Node, soft bool) error {
	for _, n := range ns {
		if b, ok := n.(*nodes.ControlStructureBlock); ok {
			if s, ok := b.ControlStructure.(stmt); ok {
				if err := s.walk(v, soft); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func (v *visitor) exprs(soft bool, es ...nodes.Expression) error {
	for _, e := range es {
		if err := v.expr(e, soft); err != nil {
			return err
		}
	}
	return nil
}

func (v *visitor) args(soft bool, args []nodes.Expression, kw map[string]nodes.Expression) error {
	if err := v.exprs(soft, args...); err != nil {
		return err
	}
	for _, e := range kw {
		if err := v.expr(e, soft); err != nil {
			return err
		}
	}
	return nil
}

func (v *visitor) expr(e nodes.Expression, soft bool) error {
	switch t := e.(type) {
	case nil:
		return nil
	case *nodes.Name:
		if v.onName != nil {
			v.onName(t.Name.Val)
		}
	case *nodes.List:
		return v.exprs(soft, t.Val...)
	case *nodes.Tuple:
		return v.exprs(soft, t.Val...)
	case *nodes.Dict:
		for _, p := range t.Pairs {
			if err := v.exprs(soft, p.Key, p.Value); err != nil {
				return err
			}
		}
	case *nodes.GetAttribute:
		return v.expr(t.Node, soft)
	case *nodes.GetItem:
		if err := v.expr(t.Node, soft); err != nil {
			return err
		}
		if a, ok := t.Arg.(nodes.Expression); ok {
			return v.expr(a, soft)
		}
	case *nodes.GetSlice:
		for _, n := range []nodes.Node{t.Node, t.Start, t.End, t.Step} {
			if x, ok := n.(nodes.Expression); ok && n != nil {
				if err := v.expr(x, soft); err != nil {
					return err
				}
			}
		}
	case *nodes.Call:
		if f, ok := t.Func.(nodes.Expression); ok {
			if err := v.expr(f, soft); err != nil {
				return err
			}
		}
		return v.args(soft, t.Args, t.Kwargs)
	case *nodes.Negation:
		return v.expr(t.Term, soft)
	case *nodes.UnaryExpression:
		return v.expr(t.Term, soft)
	case *nodes.BinaryExpression:
		if v.onBinary != nil {
			v.onBinary(t)
		}
		return v.exprs(soft, t.Left, t.Right)
	case *nodes.FilteredExpression:
		if err := v.expr(t.Expression, soft); err != nil {
			return err
		}
		for _, f := range t.Filters {
			if v.onFilter != nil {
				if err := v.onFilter(f.Name, soft); err != nil {
					return err
				}
			}
			if err := v.args(soft, f.Args, f.Kwargs); err != nil {
				return err
			}
		}
	case *nodes.TestExpression:
		if err := v.expr(t.Expression, soft); err != nil {
			return err
		}
		if v.onTest != nil {
			if err := v.onTest(t.Test.Name, soft); err != nil {
				return err
			}
		}
		return v.args(soft, t.Test.Args, t.Test.Kwargs)
	case *condExpr:
		return v.exprs(true, t.expr, t.cond, t.alt)
	}
	return nil
}

// ---- output writers ----

// outWriter collects output and enforces the render's size limit. Every
// output of a render (the root and the buffers of macros, set blocks,
// filter blocks) is an outWriter sharing the render's rt.
type outWriter struct {
	rt *rt
	b  strings.Builder
}

func (w *outWriter) Write(p []byte) (int, error) {
	w.rt.written += int64(len(p))
	if w.rt.e.MaxOutput > 0 && w.rt.written > int64(w.rt.e.MaxOutput) {
		return 0, &limitError{sentinel: ErrOutputTooLarge, detail: fmt.Sprintf("more than %d bytes", w.rt.e.MaxOutput)}
	}
	return w.b.Write(p)
}

func (w *outWriter) WriteString(s string) (int, error) {
	w.rt.written += int64(len(s))
	if w.rt.e.MaxOutput > 0 && w.rt.written > int64(w.rt.e.MaxOutput) {
		return 0, &limitError{sentinel: ErrOutputTooLarge, detail: fmt.Sprintf("more than %d bytes", w.rt.e.MaxOutput)}
	}
	return w.b.WriteString(s)
}

func rtOf(r *exec.Renderer) *rt {
	if w, ok := r.Output.(*outWriter); ok {
		return w.rt
	}
	if v, ok := r.Environment.Context.Get(rtKey); ok {
		if x, ok := v.(*rt); ok {
			return x
		}
	}
	panic("render: no render state")
}

func scopeOf(r *exec.Renderer) scope {
	return scope{r: rtOf(r), ctx: r.Environment.Context}
}

// capture runs a wrapper in a new scope and returns its output.
func capture(r *exec.Renderer, w *nodes.Wrapper, setup func(ctx *exec.Context)) (string, error) {
	sub := r.Inherit()
	out := &outWriter{rt: rtOf(r)}
	sub.Output = out
	if setup != nil {
		setup(sub.Environment.Context)
	}
	if err := nodes.Walk(sub, w); err != nil {
		return "", err
	}
	return out.b.String(), nil
}

// ---- parse helpers ----

func isOurError(err error) bool {
	var e *Error
	return errors.As(err, &e)
}

func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = "'" + n + "'"
	}
	return strings.Join(q, " or ")
}

// wrapUntil is parser.WrapUntil with jinja2's error texts for a missing
// end tag or an unknown tag inside the block, and with output nodes
// converted to our print statement.
func wrapUntil(p *parser.Parser, block string, names ...string) (*nodes.Wrapper, *parser.Parser, error) {
	w, args, err := p.WrapUntil(names...)
	if err != nil {
		if isOurError(err) {
			return nil, nil, err
		}
		looking := fmt.Sprintf("Jinja was looking for the following tags: %s. The innermost block that needs to be closed is '%s'.", quoteList(names), block)
		var se *parser.SyntaxError
		if errors.As(err, &se) {
			if tag, ok := unknownTag(se.Message); ok {
				e := syntaxErrorf("Encountered unknown tag '%s'. %s", tag, looking)
				e.Line = se.Line
				return nil, nil, e
			}
		}
		if strings.HasPrefix(err.Error(), "Unexpected EOF") {
			return nil, nil, syntaxErrorf("Unexpected end of template. %s", looking)
		}
		return nil, nil, err
	}
	if err := rewriteNodes(w.Nodes); err != nil {
		return nil, nil, err
	}
	return w, args, nil
}

func unknownTag(msg string) (string, bool) {
	const pre = "ControlStructure '"
	if strings.HasPrefix(msg, pre) {
		rest := msg[len(pre):]
		if i := strings.IndexByte(rest, '\''); i >= 0 {
			return rest[:i], true
		}
	}
	return "", false
}

// rewriteNodes turns gonja's output nodes into our print statements.
func rewriteNodes(ns []nodes.Node) error {
	for i, n := range ns {
		if o, ok := n.(*nodes.Output); ok {
			e := nodes.Expression(o.Expression)
			if o.Condition != nil {
				e = &condExpr{expr: o.Expression, cond: o.Condition, alt: o.Alternative}
			}
			ns[i] = &nodes.ControlStructureBlock{Location: o.Start, Name: "print", ControlStructure: &printStmt{loc: o.Start, expr: e}}
		}
	}
	return nil
}

func tokenDesc(t *tokens.Token, blockEnd string) string {
	if t == nil || t.Type == tokens.EOF {
		return blockEnd
	}
	switch t.Type {
	case tokens.Name:
		return "name"
	case tokens.String:
		return "string"
	case tokens.Integer:
		return "integer"
	case tokens.Float:
		return "float"
	}
	return t.Val
}

// expectExpr parses one expression (with an optional inline if/else) from
// a tag's arguments.
func expectExpr(args *parser.Parser) (nodes.Expression, error) {
	if args.End() {
		return nil, syntaxErrorf("Expected an expression, got 'end of statement block'")
	}
	e, err := args.ParseExpression()
	if err != nil {
		return nil, err
	}
	if e == nil {
		return nil, syntaxErrorf("Expected an expression, got '%s'", tokenDesc(args.Current(), "end of statement block"))
	}
	if args.MatchName("if") != nil {
		c, err := args.ParseExpression()
		if err != nil {
			return nil, err
		}
		ce := &condExpr{expr: e, cond: c}
		if args.MatchName("else") != nil {
			alt, err := expectExpr(args)
			if err != nil {
				return nil, err
			}
			ce.alt = alt
		}
		return ce, nil
	}
	return e, nil
}

// expectTupleExpr parses `a` or `a, b, ...` (a tuple).
func expectTupleExpr(args *parser.Parser) (nodes.Expression, error) {
	first, err := expectExpr(args)
	if err != nil {
		return nil, err
	}
	if args.Current(tokens.Comma) == nil {
		return first, nil
	}
	tup := &nodes.Tuple{Location: first.Position(), Val: []nodes.Expression{first}}
	for args.Match(tokens.Comma) != nil {
		if args.End() {
			break
		}
		e, err := expectExpr(args)
		if err != nil {
			return nil, err
		}
		tup.Val = append(tup.Val, e)
	}
	return tup, nil
}

func endOfTag(args *parser.Parser) error {
	if !args.End() {
		return syntaxErrorf("expected token 'end of statement block', got '%s'", tokenDesc(args.Current(), "end of statement block"))
	}
	return nil
}

// parseTargets parses assignment targets: name, name.attr, or a, b.
func parseTargets(args *parser.Parser) ([]target, error) {
	if args.End() {
		return nil, syntaxErrorf("Expected an expression, got 'end of statement block'")
	}
	var out []target
	paren := args.Match(tokens.LeftParenthesis) != nil
	for {
		name := args.Match(tokens.Name)
		if name == nil {
			return nil, syntaxErrorf("expected token 'name', got '%s'", tokenDesc(args.Current(), "end of statement block"))
		}
		t := target{name: name.Val}
		if args.Match(tokens.Dot) != nil {
			attr := args.Match(tokens.Name)
			if attr == nil {
				return nil, syntaxErrorf("expected token 'name', got '%s'", tokenDesc(args.Current(), "end of statement block"))
			}
			t.attr = attr.Val
		}
		out = append(out, t)
		if args.Match(tokens.Comma) == nil {
			break
		}
		if args.Current(tokens.Name) == nil {
			break
		}
	}
	if paren && args.Match(tokens.RightParenthesis) == nil {
		return nil, syntaxErrorf("expected token ')', got '%s'", tokenDesc(args.Current(), "end of statement block"))
	}
	if len(out) > 1 || paren {
		for i := range out {
			out[i].multi = true
		}
	}
	return out, nil
}

type target struct {
	name, attr string
	multi      bool
}

// assign stores v into the targets, unpacking a sequence for several.
func assign(s scope, ctx *exec.Context, ts []target, v any) error {
	if len(ts) == 1 && !ts[0].multi {
		return assignOne(ctx, ts[0], v)
	}
	items, err := iterate(s.r, v)
	if err != nil {
		return err
	}
	if len(items) < len(ts) {
		return valueErrorf("not enough values to unpack (expected %d, got %d)", len(ts), len(items))
	}
	if len(items) > len(ts) {
		return valueErrorf("too many values to unpack (expected %d)", len(ts))
	}
	for i, t := range ts {
		if err := assignOne(ctx, t, items[i]); err != nil {
			return err
		}
	}
	return nil
}

func assignOne(ctx *exec.Context, t target, v any) error {
	if t.attr == "" {
		ctx.Set(t.name, v)
		return nil
	}
	obj, ok := ctx.Get(t.name)
	ns, isNS := obj.(*namespace)
	if !ok || !isNS {
		return newErr(classRuntime, "cannot assign attribute on non-namespace object")
	}
	return ns.attrs.set(t.attr, v)
}

// ---- print ----

type printStmt struct {
	loc  *tokens.Token
	expr nodes.Expression
}

func (s *printStmt) Position() *tokens.Token { return s.loc }
func (s *printStmt) String() string          { return "print" }
func (s *printStmt) walk(v *visitor, soft bool) error {
	return v.expr(s.expr, soft)
}

func (s *printStmt) Execute(r *exec.Renderer, _ *nodes.ControlStructureBlock) error {
	sc := scopeOf(r)
	val, err := sc.eval(s.expr)
	if err != nil {
		return err
	}
	var out string
	if sc.r.autoescape {
		out = string(escapeValue(val))
	} else {
		out = pyStr(val)
	}
	_, err = io.WriteString(r.Output, out)
	return err
}

// ---- if ----

type ifStmt struct {
	loc      *tokens.Token
	conds    []nodes.Expression
	wrappers []*nodes.Wrapper // len(conds) or len(conds)+1 with else
}

func (s *ifStmt) Position() *tokens.Token { return s.loc }
func (s *ifStmt) String() string          { return "if" }
func (s *ifStmt) walk(v *visitor, soft bool) error {
	if err := v.exprs(true, s.conds...); err != nil {
		return err
	}
	for _, w := range s.wrappers {
		if err := v.wrapper(w, true); err != nil {
			return err
		}
	}
	return nil
}

func (s *ifStmt) Execute(r *exec.Renderer, _ *nodes.ControlStructureBlock) error {
	sc := scopeOf(r)
	for i, c := range s.conds {
		v, err := sc.eval(c)
		if err != nil {
			return err
		}
		if truthy(v) {
			return nodes.Walk(r, s.wrappers[i])
		}
	}
	if len(s.wrappers) > len(s.conds) {
		return nodes.Walk(r, s.wrappers[len(s.conds)])
	}
	return nil
}

func ifParser(p *parser.Parser, args *parser.Parser) (nodes.ControlStructure, error) {
	s := &ifStmt{loc: p.Current()}
	cond, err := expectExpr(args)
	if err != nil {
		return nil, err
	}
	if err := endOfTag(args); err != nil {
		return nil, err
	}
	s.conds = append(s.conds, cond)
	names := []string{"elif", "else", "endif"}
	for {
		w, endArgs, err := wrapUntil(p, "if", names...)
		if err != nil {
			return nil, err
		}
		s.wrappers = append(s.wrappers, w)
		switch w.EndTag {
		case "elif":
			c, err := expectExpr(endArgs)
			if err != nil {
				return nil, err
			}
			if err := endOfTag(endArgs); err != nil {
				return nil, err
			}
			s.conds = append(s.conds, c)
		case "else":
			if err := endOfTag(endArgs); err != nil {
				return nil, err
			}
			names = []string{"endif"}
		default:
			return s, endOfTag(endArgs)
		}
	}
}

// ---- for ----

type forStmt struct {
	loc       *tokens.Token
	targets   []target
	iter      nodes.Expression
	cond      nodes.Expression
	recursive bool
	body      *nodes.Wrapper
	elseBody  *nodes.Wrapper
}

func (s *forStmt) Position() *tokens.Token { return s.loc }
func (s *forStmt) String() string          { return "for" }
func (s *forStmt) walk(v *visitor, soft bool) error {
	if err := v.exprs(soft, s.iter, s.cond); err != nil {
		return err
	}
	if err := v.wrapper(s.body, false); err != nil {
		return err
	}
	return v.wrapper(s.elseBody, soft)
}

func (s *forStmt) Execute(r *exec.Renderer, _ *nodes.ControlStructureBlock) error {
	sc := scopeOf(r)
	it, err := sc.eval(s.iter)
	if err != nil {
		return err
	}
	out, err := s.run(r, sc.r, it, 0)
	if err != nil {
		return err
	}
	_, err = io.WriteString(r.Output, out)
	return err
}

func (s *forStmt) run(r *exec.Renderer, st *rt, iterable any, depth int) (string, error) {
	items, err := iterate(st, iterable)
	if err != nil {
		return "", err
	}
	sub := r.Inherit()
	out := &outWriter{rt: st}
	sub.Output = out
	ctx := sub.Environment.Context
	if s.cond != nil {
		kept := items[:0:0]
		for _, it := range items {
			if err := assign(scope{r: st, ctx: ctx}, ctx, s.targets, it); err != nil {
				return "", err
			}
			c, err := scope{r: st, ctx: ctx}.eval(s.cond)
			if err != nil {
				return "", err
			}
			if truthy(c) {
				kept = append(kept, it)
			}
		}
		items = kept
	}
	if len(items) == 0 {
		if s.elseBody != nil {
			return capture(r, s.elseBody, nil)
		}
		return "", nil
	}
	if err := st.countIterations(int64(len(items))); err != nil {
		return "", err
	}
	loop := &loopCtx{items: items, length: len(items), depth0: depth}
	if s.recursive {
		loop.recurse = func(rr *rt, v any) (any, error) {
			o, err := s.run(r, rr, v, depth+1)
			return markup(o), err
		}
	}
	ctx.Set("loop", loop)
	for i, it := range items {
		loop.index0 = i
		if err := assign(scope{r: st, ctx: ctx}, ctx, s.targets, it); err != nil {
			return "", err
		}
		if err := nodes.Walk(sub, s.body); err != nil {
			return "", err
		}
	}
	return out.b.String(), nil
}

func forParser(p *parser.Parser, args *parser.Parser) (nodes.ControlStructure, error) {
	s := &forStmt{loc: p.Current()}
	ts, err := parseTargets(args)
	if err != nil {
		return nil, err
	}
	s.targets = ts
	if args.Match(tokens.In) == nil {
		return nil, syntaxErrorf("expected token 'in', got '%s'", tokenDesc(args.Current(), "end of statement block"))
	}
	if args.End() {
		return nil, syntaxErrorf("Expected an expression, got 'end of statement block'")
	}
	iter, err := args.ParseExpression()
	if err != nil {
		return nil, err
	}
	s.iter = iter
	if args.MatchName("if") != nil {
		c, err := expectExpr(args)
		if err != nil {
			return nil, err
		}
		s.cond = c
	}
	if args.MatchName("recursive") != nil {
		s.recursive = true
	}
	if err := endOfTag(args); err != nil {
		return nil, err
	}
	w, endArgs, err := wrapUntil(p, "for", "endfor", "else")
	if err != nil {
		return nil, err
	}
	s.body = w
	if w.EndTag == "else" {
		if err := endOfTag(endArgs); err != nil {
			return nil, err
		}
		e, endArgs2, err := wrapUntil(p, "for", "endfor")
		if err != nil {
			return nil, err
		}
		s.elseBody = e
		endArgs = endArgs2
	}
	return s, endOfTag(endArgs)
}

// loopCtx is jinja2's LoopContext.
type loopCtx struct {
	items       []any
	index0      int
	length      int
	depth0      int
	changedLast any
	changedSet  bool
	recurse     func(r *rt, v any) (any, error)
}

func (l *loopCtx) call(r *rt, args []any, kw *kwargs) (any, error) {
	if l.recurse == nil {
		return nil, typeErrorf("The loop must have the 'recursive' marker to be called recursively.")
	}
	if len(args) != 1 {
		return nil, typeErrorf("loop() takes exactly one argument")
	}
	return l.recurse(r, args[0])
}

func (l *loopCtx) getattr(name string) (any, bool) {
	i := int64(l.index0)
	n := int64(l.length)
	switch name {
	case "index":
		return i + 1, true
	case "index0":
		return i, true
	case "revindex":
		return n - i, true
	case "revindex0":
		return n - i - 1, true
	case "first":
		return i == 0, true
	case "last":
		return i == n-1, true
	case "length":
		return n, true
	case "depth":
		return int64(l.depth0 + 1), true
	case "depth0":
		return int64(l.depth0), true
	case "previtem":
		if i == 0 {
			return &undefinedValue{hint: "there is no previous item"}, true
		}
		return l.items[i-1], true
	case "nextitem":
		if i == n-1 {
			return &undefinedValue{hint: "there is no next item"}, true
		}
		return l.items[i+1], true
	case "cycle":
		return method("cycle", func(r *rt, args []any, kw *kwargs) (any, error) {
			if len(args) == 0 {
				return nil, typeErrorf("no items for cycling given")
			}
			return args[l.index0%len(args)], nil
		}), true
	case "changed":
		return method("changed", func(r *rt, args []any, kw *kwargs) (any, error) {
			var v any = pyTuple(args)
			if l.changedSet && pyEqual(v, l.changedLast) {
				return false, nil
			}
			l.changedSet, l.changedLast = true, v
			return true, nil
		}), true
	}
	return nil, false
}

// ---- set ----

type setStmt struct {
	loc     *tokens.Token
	targets []target
	expr    nodes.Expression
	body    *nodes.Wrapper
	filters []*nodes.FilterCall
}

func (s *setStmt) Position() *tokens.Token { return s.loc }
func (s *setStmt) String() string          { return "set" }
func (s *setStmt) walk(v *visitor, soft bool) error {
	if err := v.expr(s.expr, soft); err != nil {
		return err
	}
	if err := walkFilterCalls(v, s.filters, soft); err != nil {
		return err
	}
	return v.wrapper(s.body, false)
}

func walkFilterCalls(v *visitor, fs []*nodes.FilterCall, soft bool) error {
	for _, f := range fs {
		if v.onFilter != nil {
			if err := v.onFilter(f.Name, soft); err != nil {
				return err
			}
		}
		if err := v.args(soft, f.Args, f.Kwargs); err != nil {
			return err
		}
	}
	return nil
}

func (s *setStmt) Execute(r *exec.Renderer, _ *nodes.ControlStructureBlock) error {
	sc := scopeOf(r)
	var val any
	if s.body != nil {
		out, err := capture(r, s.body, nil)
		if err != nil {
			return err
		}
		val = markup(out)
		for _, f := range s.filters {
			if val, err = sc.applyFilter(f.Name, val, f.Args, f.Kwargs); err != nil {
				return err
			}
		}
	} else {
		v, err := sc.eval(s.expr)
		if err != nil {
			return err
		}
		val = v
	}
	return assign(sc, r.Environment.Context, s.targets, val)
}

func parseFilterChain(args *parser.Parser) ([]*nodes.FilterCall, error) {
	var out []*nodes.FilterCall
	for {
		f, err := args.ParseFilter()
		if err != nil {
			return nil, err
		}
		out = append(out, f)
		if args.Match(tokens.Pipe) == nil {
			return out, nil
		}
	}
}

func setParser(p *parser.Parser, args *parser.Parser) (nodes.ControlStructure, error) {
	s := &setStmt{loc: p.Current()}
	ts, err := parseTargets(args)
	if err != nil {
		return nil, err
	}
	s.targets = ts
	if args.Match(tokens.Assign) == nil {
		if args.Match(tokens.Pipe) != nil {
			if s.filters, err = parseFilterChain(args); err != nil {
				return nil, err
			}
		}
		if !args.End() {
			return nil, syntaxErrorf("expected token '=', got '%s'", tokenDesc(args.Current(), "end of statement block"))
		}
		w, endArgs, err := wrapUntil(p, "set", "endset")
		if err != nil {
			return nil, err
		}
		s.body = w
		return s, endOfTag(endArgs)
	}
	e, err := expectTupleExpr(args)
	if err != nil {
		return nil, err
	}
	s.expr = e
	return s, endOfTag(args)
}

// ---- macro and call ----

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
	sub := m.r.Inherit()
	out := &outWriter{rt: st}
	sub.Output = out
	ctx := sub.Environment.Context
	sc := scope{r: st, ctx: ctx}
	var callerVal any
	hasCaller := false
	extraKw := newDict(0)
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
	for i, p := range m.params {
		var v any
		found := false
		if i < len(args) {
			v, found = args[i], true
			if _, dup := kw.get(p); dup {
				return nil, typeErrorf("macro '%s' takes no keyword argument '%s'", m.name, p)
			}
		} else if kv, ok := kw.get(p); ok {
			v, found = kv, true
		}
		if !found {
			if m.defaults[i] != nil {
				dv, err := sc.eval(m.defaults[i])
				if err != nil {
					return nil, err
				}
				v = dv
			} else {
				v = &undefinedValue{name: p, hint: fmt.Sprintf("parameter %s was not provided", reprAny(p))}
			}
		}
		ctx.Set(p, v)
	}
	if kw != nil {
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
					return nil, typeErrorf("macro '%s' takes no keyword argument '%s'", m.name, k)
				}
				_ = extraKw.set(k, kw.vals[k])
			}
		}
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
func parseSignature(args *parser.Parser) ([]string, []nodes.Expression, error) {
	var params []string
	var defaults []nodes.Expression
	if args.Match(tokens.LeftParenthesis) == nil {
		return nil, nil, syntaxErrorf("expected token '(', got '%s'", tokenDesc(args.Current(), "end of statement block"))
	}
	for args.Match(tokens.RightParenthesis) == nil {
		if len(params) > 0 && args.Match(tokens.Comma) == nil {
			return nil, nil, syntaxErrorf("expected token ',', got '%s'", tokenDesc(args.Current(), "end of statement block"))
		}
		if args.Match(tokens.RightParenthesis) != nil {
			break
		}
		name := args.Match(tokens.Name)
		if name == nil {
			return nil, nil, syntaxErrorf("expected token 'name', got '%s'", tokenDesc(args.Current(), "end of statement block"))
		}
		params = append(params, name.Val)
		var def nodes.Expression
		if args.Match(tokens.Assign) != nil {
			e, err := expectExpr(args)
			if err != nil {
				return nil, nil, err
			}
			def = e
		} else if len(defaults) > 0 && defaults[len(defaults)-1] != nil {
			return nil, nil, syntaxErrorf("parameter without a default follows parameter with a default")
		}
		defaults = append(defaults, def)
	}
	return params, defaults, nil
}

func usedNames(w *nodes.Wrapper) map[string]bool {
	used := map[string]bool{}
	v := &visitor{onName: func(n string) { used[n] = true }}
	_ = v.wrapper(w, false)
	return used
}

func macroParser(p *parser.Parser, args *parser.Parser) (nodes.ControlStructure, error) {
	s := &macroStmt{loc: p.Current()}
	name := args.Match(tokens.Name)
	if name == nil {
		return nil, syntaxErrorf("expected token 'name', got '%s'", tokenDesc(args.Current(), "end of statement block"))
	}
	s.name = name.Val
	params, defaults, err := parseSignature(args)
	if err != nil {
		return nil, err
	}
	s.params, s.defaults = params, defaults
	if err := endOfTag(args); err != nil {
		return nil, err
	}
	w, endArgs, err := wrapUntil(p, "macro", "endmacro")
	if err != nil {
		return nil, err
	}
	s.body = w
	used := usedNames(w)
	s.varargs, s.kwargs, s.caller = used["varargs"], used["kwargs"], used["caller"]
	return s, endOfTag(endArgs)
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

func callParser(p *parser.Parser, args *parser.Parser) (nodes.ControlStructure, error) {
	s := &callStmt{loc: p.Current()}
	if args.Current(tokens.LeftParenthesis) != nil {
		params, defaults, err := parseSignature(args)
		if err != nil {
			return nil, err
		}
		s.params, s.defaults = params, defaults
	}
	e, err := expectExpr(args)
	if err != nil {
		return nil, err
	}
	c, ok := e.(*nodes.Call)
	if !ok {
		return nil, syntaxErrorf("expected call")
	}
	s.call = c
	if err := endOfTag(args); err != nil {
		return nil, err
	}
	w, endArgs, err := wrapUntil(p, "call", "endcall")
	if err != nil {
		return nil, err
	}
	s.body = w
	used := usedNames(w)
	s.varargs, s.kwargs = used["varargs"], used["kwargs"]
	return s, endOfTag(endArgs)
}

// ---- filter block ----

type filterStmt struct {
	loc     *tokens.Token
	filters []*nodes.FilterCall
	body    *nodes.Wrapper
}

func (s *filterStmt) Position() *tokens.Token { return s.loc }
func (s *filterStmt) String() string          { return "filter" }
func (s *filterStmt) walk(v *visitor, soft bool) error {
	if err := walkFilterCalls(v, s.filters, soft); err != nil {
		return err
	}
	return v.wrapper(s.body, false)
}

func (s *filterStmt) Execute(r *exec.Renderer, _ *nodes.ControlStructureBlock) error {
	sc := scopeOf(r)
	out, err := capture(r, s.body, nil)
	if err != nil {
		return err
	}
	var val any = markup(out)
	for _, f := range s.filters {
		if val, err = sc.applyFilter(f.Name, val, f.Args, f.Kwargs); err != nil {
			return err
		}
	}
	_, err = io.WriteString(r.Output, pyStr(val))
	return err
}

func filterParser(p *parser.Parser, args *parser.Parser) (nodes.ControlStructure, error) {
	s := &filterStmt{loc: p.Current()}
	if args.End() {
		return nil, syntaxErrorf("expected token 'name', got 'end of statement block'")
	}
	fs, err := parseFilterChain(args)
	if err != nil {
		return nil, err
	}
	s.filters = fs
	if err := endOfTag(args); err != nil {
		return nil, err
	}
	w, endArgs, err := wrapUntil(p, "filter", "endfilter")
	if err != nil {
		return nil, err
	}
	s.body = w
	return s, endOfTag(endArgs)
}

// ---- with ----

type withStmt struct {
	loc     *tokens.Token
	targets [][]target
	values  []nodes.Expression
	body    *nodes.Wrapper
}

func (s *withStmt) Position() *tokens.Token { return s.loc }
func (s *withStmt) String() string          { return "with" }
func (s *withStmt) walk(v *visitor, soft bool) error {
	if err := v.exprs(soft, s.values...); err != nil {
		return err
	}
	return v.wrapper(s.body, false)
}

func (s *withStmt) Execute(r *exec.Renderer, _ *nodes.ControlStructureBlock) error {
	sc := scopeOf(r)
	vals := make([]any, len(s.values))
	for i, e := range s.values {
		v, err := sc.eval(e)
		if err != nil {
			return err
		}
		vals[i] = v
	}
	sub := r.Inherit()
	ctx := sub.Environment.Context
	for i, ts := range s.targets {
		if err := assign(sc, ctx, ts, vals[i]); err != nil {
			return err
		}
	}
	return nodes.Walk(sub, s.body)
}

func withParser(p *parser.Parser, args *parser.Parser) (nodes.ControlStructure, error) {
	s := &withStmt{loc: p.Current()}
	for !args.End() {
		if len(s.targets) > 0 && args.Match(tokens.Comma) == nil {
			return nil, syntaxErrorf("expected token ',', got '%s'", tokenDesc(args.Current(), "end of statement block"))
		}
		name := args.Match(tokens.Name)
		if name == nil {
			return nil, syntaxErrorf("expected token 'name', got '%s'", tokenDesc(args.Current(), "end of statement block"))
		}
		if args.Match(tokens.Assign) == nil {
			return nil, syntaxErrorf("expected token '=', got '%s'", tokenDesc(args.Current(), "end of statement block"))
		}
		e, err := expectExpr(args)
		if err != nil {
			return nil, err
		}
		s.targets = append(s.targets, []target{{name: name.Val}})
		s.values = append(s.values, e)
	}
	w, endArgs, err := wrapUntil(p, "with", "endwith")
	if err != nil {
		return nil, err
	}
	s.body = w
	return s, endOfTag(endArgs)
}

// ---- block (rendered in place: there is no inheritance without a loader) ----

type blockStmt struct {
	loc  *tokens.Token
	body *nodes.Wrapper
}

func (s *blockStmt) Position() *tokens.Token { return s.loc }
func (s *blockStmt) String() string          { return "block" }
func (s *blockStmt) walk(v *visitor, soft bool) error {
	return v.wrapper(s.body, false)
}

func (s *blockStmt) Execute(r *exec.Renderer, _ *nodes.ControlStructureBlock) error {
	return r.ExecuteWrapper(s.body)
}

func blockParser(p *parser.Parser, args *parser.Parser) (nodes.ControlStructure, error) {
	s := &blockStmt{loc: p.Current()}
	name := args.Match(tokens.Name)
	if name == nil {
		return nil, syntaxErrorf("expected token 'name', got '%s'", tokenDesc(args.Current(), "end of statement block"))
	}
	args.MatchName("scoped")
	args.MatchName("required")
	if err := endOfTag(args); err != nil {
		return nil, err
	}
	w, endArgs, err := wrapUntil(p, "block", "endblock")
	if err != nil {
		return nil, err
	}
	s.body = w
	endArgs.Match(tokens.Name)
	return s, endOfTag(endArgs)
}

// ---- autoescape ----

type autoescapeStmt struct {
	loc  *tokens.Token
	expr nodes.Expression
	body *nodes.Wrapper
}

func (s *autoescapeStmt) Position() *tokens.Token { return s.loc }
func (s *autoescapeStmt) String() string          { return "autoescape" }
func (s *autoescapeStmt) walk(v *visitor, soft bool) error {
	if err := v.expr(s.expr, soft); err != nil {
		return err
	}
	return v.wrapper(s.body, false)
}

func (s *autoescapeStmt) Execute(r *exec.Renderer, _ *nodes.ControlStructureBlock) error {
	sc := scopeOf(r)
	v, err := sc.eval(s.expr)
	if err != nil {
		return err
	}
	prev := sc.r.autoescape
	sc.r.autoescape = truthy(v)
	defer func() { sc.r.autoescape = prev }()
	return nodes.Walk(r, s.body)
}

func autoescapeParser(p *parser.Parser, args *parser.Parser) (nodes.ControlStructure, error) {
	s := &autoescapeStmt{loc: p.Current()}
	e, err := expectExpr(args)
	if err != nil {
		return nil, err
	}
	s.expr = e
	if err := endOfTag(args); err != nil {
		return nil, err
	}
	w, endArgs, err := wrapUntil(p, "autoescape", "endautoescape")
	if err != nil {
		return nil, err
	}
	s.body = w
	return s, endOfTag(endArgs)
}

// ---- raw ----

type rawStmt struct {
	loc  *tokens.Token
	text string
}

func (s *rawStmt) Position() *tokens.Token          { return s.loc }
func (s *rawStmt) String() string                   { return "raw" }
func (s *rawStmt) walk(v *visitor, soft bool) error { return nil }

func (s *rawStmt) Execute(r *exec.Renderer, _ *nodes.ControlStructureBlock) error {
	_, err := io.WriteString(r.Output, s.text)
	return err
}

func rawParser(p *parser.Parser, args *parser.Parser) (nodes.ControlStructure, error) {
	s := &rawStmt{loc: p.Current()}
	w, _, err := p.WrapUntil("endraw")
	if err != nil {
		if isOurError(err) {
			return nil, err
		}
		return nil, syntaxErrorf("Missing end of raw directive")
	}
	for _, n := range w.Nodes {
		if d, ok := n.(*nodes.Data); ok {
			text := d.Data.Val
			if d.Trim.Left {
				text = strings.TrimLeft(text, " \r\n\t")
			}
			if d.Trim.Right {
				text = strings.TrimRight(text, " \r\n\t")
			}
			s.text += text
		}
	}
	if !args.End() {
		return nil, syntaxErrorf("expected token 'end of statement block', got '%s'", tokenDesc(args.Current(), "end of statement block"))
	}
	return s, nil
}

// ---- include, import, from, extends: refused (no loader) ----

type noLoaderStmt struct {
	loc  *tokens.Token
	name string
}

func (s *noLoaderStmt) Position() *tokens.Token          { return s.loc }
func (s *noLoaderStmt) String() string                   { return s.name }
func (s *noLoaderStmt) walk(v *visitor, soft bool) error { return nil }

// ErrNoLoader is the error of include, import, from and extends: templates
// cannot load other templates, as with jinja2.Template, which has no loader.
var ErrNoLoader = newErr(classType, "no loader for this environment specified")

func (s *noLoaderStmt) Execute(r *exec.Renderer, _ *nodes.ControlStructureBlock) error {
	return ErrNoLoader
}

func noLoaderParser(name string) parser.ControlStructureParser {
	return func(p *parser.Parser, args *parser.Parser) (nodes.ControlStructure, error) {
		s := &noLoaderStmt{loc: p.Current(), name: name}
		if args.End() {
			return nil, syntaxErrorf("Expected an expression, got 'end of statement block'")
		}
		for !args.End() {
			args.Consume()
		}
		return s, nil
	}
}

// controlStructures is jinja2's default set of tags.
func controlStructures() *exec.ControlStructureSet {
	return exec.NewControlStructureSet(map[string]parser.ControlStructureParser{
		"if":         ifParser,
		"for":        forParser,
		"set":        setParser,
		"macro":      macroParser,
		"call":       callParser,
		"filter":     filterParser,
		"with":       withParser,
		"block":      blockParser,
		"autoescape": autoescapeParser,
		"raw":        rawParser,
		"include":    noLoaderParser("include"),
		"import":     noLoaderParser("import"),
		"from":       noLoaderParser("from"),
		"extends":    noLoaderParser("extends"),
	})
}
