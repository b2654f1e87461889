package render

import (
	"strings"

	"github.com/nikolalohinski/gonja/v2/exec"
	"github.com/nikolalohinski/gonja/v2/nodes"
	"github.com/nikolalohinski/gonja/v2/tokens"
)

// include, import, from and extends are parsed as jinja2 parses them and
// refused at render time: a template has no loader.

type noLoaderStmt struct {
	loc      *tokens.Token
	name     string
	template nodes.Expression
}

func (s *noLoaderStmt) Position() *tokens.Token          { return s.loc }
func (s *noLoaderStmt) String() string                   { return s.name }
func (s *noLoaderStmt) walk(v *visitor, soft bool) error { return v.expr(s.template, soft) }

// ErrNoLoader is the error of include, import, from and extends: templates
// cannot load other templates, as with jinja2.Template, which has no loader.
var ErrNoLoader = newErr(classType, "no loader for this environment specified")

// Execute evaluates the template name and refuses: there is no loader.
// An include of something that is neither a name nor undefined is taken,
// as jinja2 takes it, as a list of names to select from.
func (s *noLoaderStmt) Execute(r *exec.Renderer, _ *nodes.ControlStructureBlock) error {
	sc := scopeOf(r)
	v, err := sc.eval(s.template)
	if err != nil {
		return err
	}
	if s.name != "include" {
		return ErrNoLoader
	}
	switch v.(type) {
	case string, markup, *undefinedValue:
		return ErrNoLoader
	}
	if !truthy(v) {
		return newErr("TemplatesNotFound", "Tried to select from an empty list of templates.")
	}
	if _, err := iterate(sc.r, v); err != nil {
		return err
	}
	return ErrNoLoader
}

func noLoaderParser(name string) stmtParser {
	return func(p *tplParser, _ *tplParser) (stmt, error) {
		s := &noLoaderStmt{loc: p.Current(), name: name, template: p.parseExpression(true)}
		switch name {
		case "include":
			if isName(p.cur(), "ignore") && isName(p.look(), "missing") {
				p.next()
				p.next()
			}
			p.parseImportContext()
		case "import":
			if p.MatchName("as") == nil {
				return nil, p.expectedErr("as")
			}
			p.parseNameTarget()
			p.parseImportContext()
		case "from":
			p.parseFromNames()
		}
		return s, nil
	}
}

// parseImportContext is jinja2's optional "with context" or "without
// context".
func (p *tplParser) parseImportContext() bool {
	if isName(p.cur(), "with", "without") && isName(p.look(), "context") {
		p.next()
		p.next()
		return true
	}
	return false
}

// parseFromNames parses "import a, b as c" of a from tag.
func (p *tplParser) parseFromNames() {
	if p.MatchName("import") == nil {
		panic(p.expectedErr("import"))
	}
	n := 0
	for {
		if n > 0 {
			p.expect(tokens.Comma, ",")
		}
		if p.cur().Type != tokens.Name {
			p.expectName()
		}
		if p.parseImportContext() {
			return
		}
		line := p.cur().Line
		name := p.parseNameTarget()
		if strings.HasPrefix(name, "_") {
			panic(&Error{Class: classAssertion, Msg: "names starting with an underline can not be imported", Line: line})
		}
		if p.MatchName("as") != nil {
			p.parseNameTarget()
		}
		n++
		if p.parseImportContext() || p.cur().Type != tokens.Comma {
			return
		}
	}
}
