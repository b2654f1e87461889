package render

import (
	"github.com/nikolalohinski/gonja/v2/exec"
	"github.com/nikolalohinski/gonja/v2/nodes"
	"github.com/nikolalohinski/gonja/v2/tokens"
)

// set: assignment and set blocks.

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

func setParser(p *tplParser, _ *tplParser) (stmt, error) {
	s := &setStmt{loc: p.Current()}
	ts, err := parseTargets(p, nil, true)
	if err != nil {
		return nil, err
	}
	s.targets = ts
	if p.Match(tokens.Assign) != nil {
		s.expr = p.parseTuple(tupleOpts{condexpr: true})
		return s, nil
	}
	s.filters = p.parseFilterCalls(false)
	if s.body, _, err = wrapUntil(p, "set", "endset"); err != nil {
		return nil, err
	}
	return s, nil
}
