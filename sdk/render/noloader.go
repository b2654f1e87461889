package render

import (
	"github.com/nikolalohinski/gonja/v2/exec"
	"github.com/nikolalohinski/gonja/v2/nodes"
	"github.com/nikolalohinski/gonja/v2/tokens"
)

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

func noLoaderParser(name string) stmtParser {
	return func(p *tplParser, _ *tplParser) (stmt, error) {
		s := &noLoaderStmt{loc: p.Current(), name: name}
		p.parseExpression(true)
		for !p.End() {
			p.next()
		}
		return s, nil
	}
}
