package render

import (
	"io"

	"github.com/nikolalohinski/gonja/v2/exec"
	"github.com/nikolalohinski/gonja/v2/nodes"
	"github.com/nikolalohinski/gonja/v2/tokens"
)

// for: loops with else, a filter condition, recursion and jinja2's loop.

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

func forParser(p *tplParser, _ *tplParser) (stmt, error) {
	s := &forStmt{loc: p.Current()}
	ts, err := parseTargets(p, []string{"in"}, false)
	if err != nil {
		return nil, err
	}
	s.targets = ts
	if p.MatchName("in") == nil {
		return nil, p.expectedErr("in")
	}
	s.iter = p.parseTuple(tupleOpts{extraEnd: []string{"recursive"}})
	if p.MatchName("if") != nil {
		s.cond = p.parseExpression(true)
	}
	s.recursive = p.MatchName("recursive") != nil
	w, _, err := wrapUntil(p, "for", "endfor", "else")
	if err != nil {
		return nil, err
	}
	s.body = w
	if w.EndTag == "else" {
		if s.elseBody, _, err = wrapUntil(p, "for", "endfor"); err != nil {
			return nil, err
		}
	}
	return s, nil
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
