package render

import (
	"github.com/nikolalohinski/gonja/v2/exec"
	"github.com/nikolalohinski/gonja/v2/nodes"
	"github.com/nikolalohinski/gonja/v2/tokens"
)

// autoescape: {% autoescape expr %} switches HTML escaping of output.

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

func autoescapeParser(p *tplParser, _ *tplParser) (stmt, error) {
	s := &autoescapeStmt{loc: p.Current()}
	s.expr = p.parseExpression(true)
	w, _, err := wrapUntil(p, "autoescape", "endautoescape")
	if err != nil {
		return nil, err
	}
	s.body = w
	return s, nil
}
