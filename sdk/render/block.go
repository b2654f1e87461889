package render

import (
	"github.com/nikolalohinski/gonja/v2/exec"
	"github.com/nikolalohinski/gonja/v2/nodes"
	"github.com/nikolalohinski/gonja/v2/tokens"
)

// ---- block (rendered in place: there is no inheritance without a loader) ----

type blockStmt struct {
	loc  *tokens.Token
	name string
	body *nodes.Wrapper
}

func (s *blockStmt) Position() *tokens.Token { return s.loc }
func (s *blockStmt) String() string          { return "block" }
func (s *blockStmt) walk(v *visitor, soft bool) error {
	if v.onBlock != nil {
		if err := v.onBlock(s.name); err != nil {
			return err
		}
	}
	return v.wrapper(s.body, false)
}

func (s *blockStmt) Execute(r *exec.Renderer, _ *nodes.ControlStructureBlock) error {
	return r.ExecuteWrapper(s.body)
}

func blockParser(p *tplParser, _ *tplParser) (stmt, error) {
	s := &blockStmt{loc: p.Current()}
	name := p.expectName().Val
	s.name = name
	p.MatchName("scoped")
	p.MatchName("required")
	if p.cur().Type == tokens.Subtraction {
		p.fail("Block names in Jinja have to be valid Python identifiers and may not contain hyphens, use an underscore instead.")
	}
	w, _, err := wrapUntil(p, "block", "endblock")
	if err != nil {
		return nil, err
	}
	s.body = w
	p.MatchName(name)
	return s, nil
}
