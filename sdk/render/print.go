package render

import (
	"io"

	"github.com/nikolalohinski/gonja/v2/exec"
	"github.com/nikolalohinski/gonja/v2/nodes"
	"github.com/nikolalohinski/gonja/v2/tokens"
)

// print: {{ expr }} and {% print a, b %}.

type printStmt struct {
	loc  *tokens.Token
	expr nodes.Expression
}

func (s *printStmt) Position() *tokens.Token { return s.loc }
func (s *printStmt) String() string          { return "print" }
func (s *printStmt) walk(v *visitor, soft bool) error {
	return v.expr(s.expr, soft)
}

func (s *printStmt) Execute(r *exec.Renderer, _ *nodes.ControlStructureBlock) error {
	sc := scopeOf(r)
	val, err := sc.eval(s.expr)
	if err != nil {
		return err
	}
	var out string
	if sc.r.autoescape {
		out = string(escapeValue(val))
	} else {
		out = pyStr(val)
	}
	_, err = io.WriteString(r.Output, out)
	return err
}

// printTagParser is jinja2's parse_print: {% print a, b %} writes each
// expression.
func printTagParser(p *tplParser, _ *tplParser) (stmt, error) {
	s := &printStmt{loc: p.Current()}
	c := &concatExpr{loc: p.Current()}
	for p.cur().Type != tokens.BlockEnd {
		if len(c.args) > 0 {
			p.expect(tokens.Comma, ",")
		}
		c.args = append(c.args, p.parseExpression(true))
	}
	s.expr = c
	return s, nil
}
