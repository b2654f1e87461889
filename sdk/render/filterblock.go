package render

import (
	"io"

	"github.com/nikolalohinski/gonja/v2/exec"
	"github.com/nikolalohinski/gonja/v2/nodes"
	"github.com/nikolalohinski/gonja/v2/tokens"
)

// filter: {% filter f | g %} applies filters to the captured body.

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

func filterParser(p *tplParser, _ *tplParser) (stmt, error) {
	s := &filterStmt{loc: p.Current()}
	s.filters = p.parseFilterCalls(true)
	w, _, err := wrapUntil(p, "filter", "endfilter")
	if err != nil {
		return nil, err
	}
	s.body = w
	return s, nil
}
