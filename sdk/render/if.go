package render

import (
	"github.com/nikolalohinski/gonja/v2/exec"
	"github.com/nikolalohinski/gonja/v2/nodes"
	"github.com/nikolalohinski/gonja/v2/tokens"
)

// if: if, elif and else.

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

func ifParser(p *tplParser, _ *tplParser) (stmt, error) {
	s := &ifStmt{loc: p.Current()}
	s.conds = append(s.conds, p.parseTuple(tupleOpts{}))
	names := []string{"elif", "else", "endif"}
	for {
		w, _, err := wrapUntil(p, "if", names...)
		if err != nil {
			return nil, err
		}
		s.wrappers = append(s.wrappers, w)
		switch w.EndTag {
		case "elif":
			s.conds = append(s.conds, p.parseTuple(tupleOpts{}))
		case "else":
			names = []string{"endif"}
		default:
			return s, nil
		}
	}
}
