package render

import (
	"fmt"
	"strings"

	"github.com/nikolalohinski/gonja/v2/exec"
	"github.com/nikolalohinski/gonja/v2/nodes"
	"github.com/nikolalohinski/gonja/v2/tokens"
)

// block: rendered in place; there is no inheritance without a loader.

type blockStmt struct {
	loc      *tokens.Token
	name     string
	required bool
	body     *nodes.Wrapper
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

// Execute renders the block in place; a required block must be
// overridden, which a template without a loader cannot do.
func (s *blockStmt) Execute(r *exec.Renderer, _ *nodes.ControlStructureBlock) error {
	if s.required {
		return newErr(classRuntime, fmt.Sprintf("Required block '%s' not found", s.name))
	}
	return r.ExecuteWrapper(s.body)
}

func blockParser(p *tplParser, _ *tplParser) (stmt, error) {
	s := &blockStmt{loc: p.Current()}
	name := p.expectName().Val
	s.name = name
	p.MatchName("scoped")
	required := p.MatchName("required") != nil
	s.required = required
	if p.cur().Type == tokens.Subtraction {
		p.fail("Block names in Jinja have to be valid Python identifiers and may not contain hyphens, use an underscore instead.")
	}
	w, _, err := wrapUntil(p, "block", "endblock")
	if err != nil {
		return nil, err
	}
	s.body = w
	if required {
		for _, n := range w.Nodes {
			d, ok := n.(*nodes.Data)
			if !ok || strings.TrimFunc(d.Data.Val, isPySpace) != "" {
				p.fail("Required blocks can only contain comments or whitespace")
			}
		}
	}
	p.MatchName(name)
	return s, nil
}
