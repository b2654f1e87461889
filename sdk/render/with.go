package render

import (
	"github.com/nikolalohinski/gonja/v2/exec"
	"github.com/nikolalohinski/gonja/v2/nodes"
	"github.com/nikolalohinski/gonja/v2/tokens"
)

// with: a scope with its own variables.

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

func withParser(p *tplParser, _ *tplParser) (stmt, error) {
	s := &withStmt{loc: p.Current()}
	for p.cur().Type != tokens.BlockEnd {
		if len(s.targets) > 0 {
			p.expect(tokens.Comma, ",")
		}
		ts, err := parseTargets(p, nil, false)
		if err != nil {
			return nil, err
		}
		p.expect(tokens.Assign, "=")
		s.targets = append(s.targets, ts)
		s.values = append(s.values, p.parseExpression(true))
	}
	w, _, err := wrapUntil(p, "with", "endwith")
	if err != nil {
		return nil, err
	}
	s.body = w
	return s, nil
}
