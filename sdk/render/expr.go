package render

import (
	"math/big"
	"strconv"
	"strings"

	"github.com/nikolalohinski/gonja/v2/nodes"
	"github.com/nikolalohinski/gonja/v2/tokens"
)

// The expression grammar is jinja2 3.1's (parser.py), rule for rule:
//
//	expression = condexpr | or
//	condexpr   = or ("if" or ("else" condexpr)?)*
//	or         = and ("or" and)*
//	and        = not ("and" not)*
//	not        = "not" not | compare
//	compare    = math1 (("=="|"!="|"<"|"<="|">"|">="|"in"|"not" "in") math1)*
//	math1      = concat (("+"|"-") concat)*
//	concat     = math2 ("~" math2)*
//	math2      = pow (("*"|"/"|"//"|"%") pow)*
//	pow        = unary ("**" unary)*
//	unary      = ("-"|"+") unary-without-filters postfix filters | primary postfix filters
//	postfix    = ("." name | "." integer | "[" subscripts "]" | call)*
//	filters    = ("|" filter | "is" test | call)*
//
// so unary minus binds tighter than "**" (-2 ** 2 is 4), "**" is left
// associative, and a filter applies to the whole unary operand (-x|abs is
// abs(-x)). Nodes are gonja's where gonja has the right one, and ours
// (condExpr, compareExpr, concatExpr, sliceExpr) where it has not. Call
// arguments *args and **kwargs are kept in the keyword map under the keys
// "*" and "**", which no identifier can spell.

// Keys of the keyword-argument map holding *args and **kwargs.
const (
	dynArgsKey   = "*"
	dynKwargsKey = "**"
)

// compareExpr is a (possibly chained) comparison: a < b <= c, x in y.
type compareExpr struct {
	first    nodes.Expression
	ops      []string // ==, !=, <, <=, >, >=, in, notin
	operands []nodes.Expression
}

// Position returns the first operand's token.
func (c *compareExpr) Position() *tokens.Token { return c.first.Position() }
func (c *compareExpr) String() string          { return "compare" }

// concatExpr is the ~ operator applied to two or more operands.
type concatExpr struct {
	loc  *tokens.Token
	args []nodes.Expression
}

// Position returns the expression's first token.
func (c *concatExpr) Position() *tokens.Token { return c.loc }
func (c *concatExpr) String() string          { return "concat" }

// sliceExpr is a slice inside a multi-part subscript (x[1:2, 3]).
type sliceExpr struct {
	loc               *tokens.Token
	start, stop, step nodes.Expression
}

// Position returns the slice's first token.
func (s *sliceExpr) Position() *tokens.Token { return s.loc }
func (s *sliceExpr) String() string          { return "slice" }

// tupleOpts are parse_tuple's options.
type tupleOpts struct {
	simplified     bool
	condexpr       bool
	explicitParens bool
	extraEnd       []string
}

func (p *tplParser) isTupleEnd(extra []string) bool {
	switch p.cur().Type {
	case tokens.VariableEnd, tokens.BlockEnd, tokens.RightParenthesis:
		return true
	}
	// jinja2 3.1 passes extra_end_rules to test_any as one tuple, so the
	// extra end rules never match; follow it (`for x, in y` is an error).
	_ = extra
	return false
}

// parseTuple is jinja2's parse_tuple: one expression, or a tuple when
// commas separate several.
func (p *tplParser) parseTuple(o tupleOpts) nodes.Expression {
	loc := p.cur()
	var args []nodes.Expression
	isTuple := false
	for {
		if len(args) > 0 {
			p.expect(tokens.Comma, ",")
		}
		if p.isTupleEnd(o.extraEnd) {
			break
		}
		if o.simplified {
			args = append(args, p.parsePrimary())
		} else {
			args = append(args, p.parseExpression(o.condexpr))
		}
		if p.cur().Type != tokens.Comma {
			break
		}
		isTuple = true
	}
	if !isTuple {
		if len(args) > 0 {
			return args[0]
		}
		if !o.explicitParens {
			p.fail("Expected an expression, got '%s'", describeTok(p.cur()))
		}
	}
	return &nodes.Tuple{Location: loc, Val: args}
}

// parseExpression parses one expression, with conditional expressions
// unless condexpr is false.
func (p *tplParser) parseExpression(condexpr bool) nodes.Expression {
	if condexpr {
		return p.parseCondexpr()
	}
	return p.parseOr()
}

func (p *tplParser) parseCondexpr() nodes.Expression {
	line := p.cur().Line
	expr := p.parseOr()
	for p.MatchName("if") != nil {
		c := &condExpr{expr: expr, cond: p.parseOr(), line: line}
		if p.MatchName("else") != nil {
			c.alt = p.parseCondexpr()
		}
		expr = c
		line = p.cur().Line
	}
	return expr
}

// binary builds a binary node whose operator token has type typ.
func binary(left, right nodes.Expression, op *tokens.Token, typ tokens.Type) nodes.Expression {
	t := *op
	t.Type = typ
	return &nodes.BinaryExpression{Left: left, Right: right, Operator: &nodes.BinOperator{Token: &t}}
}

func (p *tplParser) parseOr() nodes.Expression {
	left := p.parseAnd()
	for {
		op := p.MatchName("or")
		if op == nil {
			return left
		}
		left = binary(left, p.parseAnd(), op, tokens.Or)
	}
}

func (p *tplParser) parseAnd() nodes.Expression {
	left := p.parseNot()
	for {
		op := p.MatchName("and")
		if op == nil {
			return left
		}
		left = binary(left, p.parseNot(), op, tokens.And)
	}
}

func (p *tplParser) parseNot() nodes.Expression {
	if op := p.MatchName("not"); op != nil {
		return &nodes.Negation{Operator: op, Term: p.parseNot()}
	}
	return p.parseCompare()
}

func (p *tplParser) parseCompare() nodes.Expression {
	expr := p.parseMath1()
	c := &compareExpr{first: expr}
	for {
		t := p.cur()
		switch {
		case compareOpName(t.Type) != "":
			p.next()
			c.ops = append(c.ops, t.Val)
		case isName(t, "in"):
			p.next()
			c.ops = append(c.ops, "in")
		case isName(t, "not") && isName(p.look(), "in"):
			p.next()
			p.next()
			c.ops = append(c.ops, "notin")
		default:
			if len(c.ops) == 0 {
				return expr
			}
			return c
		}
		c.operands = append(c.operands, p.parseMath1())
	}
}

func (p *tplParser) parseMath1() nodes.Expression {
	left := p.parseConcat()
	for {
		op := p.Match(tokens.Addition, tokens.Subtraction)
		if op == nil {
			return left
		}
		left = binary(left, p.parseConcat(), op, op.Type)
	}
}

func (p *tplParser) parseConcat() nodes.Expression {
	loc := p.cur()
	first := p.parseMath2()
	if p.cur().Type != tokens.Tilde {
		return first
	}
	c := &concatExpr{loc: loc, args: []nodes.Expression{first}}
	for p.Match(tokens.Tilde) != nil {
		c.args = append(c.args, p.parseMath2())
	}
	return c
}

func (p *tplParser) parseMath2() nodes.Expression {
	left := p.parsePow()
	for {
		op := p.Match(tokens.Multiply, tokens.Division, tokens.FloorDivision, tokens.Modulo)
		if op == nil {
			return left
		}
		left = binary(left, p.parsePow(), op, op.Type)
	}
}

func (p *tplParser) parsePow() nodes.Expression {
	left := p.parseUnary(true)
	for {
		op := p.Match(tokens.Power)
		if op == nil {
			return left
		}
		left = binary(left, p.parseUnary(true), op, tokens.Power)
	}
}

func (p *tplParser) parseUnary(withFilter bool) nodes.Expression {
	var node nodes.Expression
	switch t := p.cur(); t.Type {
	case tokens.Subtraction, tokens.Addition:
		p.next()
		node = &nodes.UnaryExpression{Operator: t, Negative: t.Type == tokens.Subtraction, Term: p.parseUnary(false)}
	default:
		node = p.parsePrimary()
	}
	node = p.parsePostfix(node)
	if withFilter {
		node = p.parseFilterExpr(node)
	}
	return node
}

func (p *tplParser) parsePrimary() nodes.Expression {
	t := p.cur()
	switch t.Type {
	case tokens.Name:
		p.next()
		switch t.Val {
		case "true", "True":
			return &nodes.Bool{Location: t, Val: true}
		case "false", "False":
			return &nodes.Bool{Location: t, Val: false}
		case "none", "None":
			return &nodes.None{Location: t}
		}
		return &nodes.Name{Name: t}
	case tokens.String:
		p.next()
		if p.cur().Type != tokens.String {
			return &nodes.String{Location: t, Val: t.Val}
		}
		var b strings.Builder
		b.WriteString(t.Val)
		for p.cur().Type == tokens.String {
			b.WriteString(p.next().Val)
		}
		return &nodes.String{Location: t, Val: b.String()}
	case tokens.Integer:
		p.next()
		return intNode(t)
	case tokens.Float:
		p.next()
		f, _ := strconv.ParseFloat(strings.ReplaceAll(t.Val, "_", ""), 64)
		return &nodes.Float{Location: t, Val: f}
	case tokens.LeftParenthesis:
		p.next()
		node := p.parseTuple(tupleOpts{condexpr: true, explicitParens: true})
		p.expect(tokens.RightParenthesis, ")")
		return node
	case tokens.LeftBracket:
		return p.parseList()
	case tokens.LeftBrace:
		return p.parseDict()
	}
	p.fail("unexpected '%s'", describeTok(t))
	return nil
}

// intLit is an integer literal, its value (int64 or *big.Int) computed
// once when parsing.
type intLit struct {
	loc *tokens.Token
	v   any
}

// Position returns the literal's token.
func (l *intLit) Position() *tokens.Token { return l.loc }
func (l *intLit) String() string          { return l.loc.Val }

func intNode(t *tokens.Token) nodes.Expression {
	b, ok := parseBigLiteral(t.Val)
	if !ok {
		b = new(big.Int)
	}
	return &intLit{loc: t, v: normInt(b)}
}

func (p *tplParser) parseList() nodes.Expression {
	tok := p.expect(tokens.LeftBracket, "[")
	l := &nodes.List{Location: tok, Val: []nodes.Expression{}}
	for p.cur().Type != tokens.RightBracket {
		if len(l.Val) > 0 {
			p.expect(tokens.Comma, ",")
		}
		if p.cur().Type == tokens.RightBracket {
			break
		}
		l.Val = append(l.Val, p.parseExpression(true))
	}
	p.expect(tokens.RightBracket, "]")
	return l
}

func (p *tplParser) parseDict() nodes.Expression {
	tok := p.expect(tokens.LeftBrace, "{")
	d := &nodes.Dict{Token: tok}
	for p.cur().Type != tokens.RightBrace {
		if len(d.Pairs) > 0 {
			p.expect(tokens.Comma, ",")
		}
		if p.cur().Type == tokens.RightBrace {
			break
		}
		key := p.parseExpression(true)
		p.expect(tokens.Colon, ":")
		d.Pairs = append(d.Pairs, &nodes.Pair{Key: key, Value: p.parseExpression(true)})
	}
	p.expect(tokens.RightBrace, "}")
	return d
}

func (p *tplParser) parsePostfix(node nodes.Expression) nodes.Expression {
	for {
		switch p.cur().Type {
		case tokens.Dot, tokens.LeftBracket:
			node = p.parseSubscript(node)
		case tokens.LeftParenthesis:
			node = p.parseCall(node)
		default:
			return node
		}
	}
}

func (p *tplParser) parseFilterExpr(node nodes.Expression) nodes.Expression {
	for {
		switch t := p.cur(); {
		case t.Type == tokens.Pipe:
			for _, f := range p.parseFilterCalls(false) {
				node = &nodes.FilteredExpression{Expression: node, Filters: []*nodes.FilterCall{f}}
			}
		case isName(t, "is"):
			node = p.parseTest(node)
		case t.Type == tokens.LeftParenthesis:
			node = p.parseCall(node)
		default:
			return node
		}
	}
}

func (p *tplParser) parseSubscript(node nodes.Expression) nodes.Expression {
	tok := p.next()
	if tok.Type == tokens.Dot {
		at := p.next()
		switch at.Type {
		case tokens.Name:
			return &nodes.GetAttribute{Location: tok, Node: node, Attribute: at.Val}
		case tokens.Integer:
			return &nodes.GetItem{Location: tok, Node: node, Arg: intNode(at)}
		}
		panic(&Error{Class: classSyntax, Msg: "expected name or number", Line: at.Line})
	}
	var args []nodes.Expression
	for p.cur().Type != tokens.RightBracket {
		if len(args) > 0 {
			p.expect(tokens.Comma, ",")
		}
		args = append(args, p.parseSubscribed())
	}
	p.expect(tokens.RightBracket, "]")
	if len(args) == 1 {
		if s, ok := args[0].(*sliceExpr); ok {
			g := &nodes.GetSlice{Location: tok, Node: node}
			if s.start != nil {
				g.Start = s.start
			}
			if s.stop != nil {
				g.End = s.stop
			}
			if s.step != nil {
				g.Step = s.step
			}
			return g
		}
		return &nodes.GetItem{Location: tok, Node: node, Arg: args[0]}
	}
	return &nodes.GetItem{Location: tok, Node: node, Arg: &nodes.Tuple{Location: tok, Val: args}}
}

func (p *tplParser) parseSubscribed() nodes.Expression {
	s := &sliceExpr{loc: p.cur()}
	if p.Match(tokens.Colon) == nil {
		node := p.parseExpression(true)
		if p.Match(tokens.Colon) == nil {
			return node
		}
		s.start = node
	}
	switch p.cur().Type {
	case tokens.Colon, tokens.RightBracket, tokens.Comma:
	default:
		s.stop = p.parseExpression(true)
	}
	if p.Match(tokens.Colon) != nil {
		switch p.cur().Type {
		case tokens.RightBracket, tokens.Comma:
		default:
			s.step = p.parseExpression(true)
		}
	}
	return s
}

// parseCallArgs is jinja2's parse_call_args.
func (p *tplParser) parseCallArgs() ([]nodes.Expression, map[string]nodes.Expression) {
	tok := p.expect(tokens.LeftParenthesis, "(")
	var args []nodes.Expression
	kw := map[string]nodes.Expression{}
	named := 0
	ensure := func(ok bool) {
		if !ok {
			panic(&Error{Class: classSyntax, Msg: "invalid syntax for function call expression", Line: tok.Line})
		}
	}
	requireComma := false
	for p.cur().Type != tokens.RightParenthesis {
		if requireComma {
			p.expect(tokens.Comma, ",")
			if p.cur().Type == tokens.RightParenthesis {
				break
			}
		}
		_, hasDyn := kw[dynArgsKey]
		_, hasDynKw := kw[dynKwargsKey]
		switch t := p.cur(); {
		case t.Type == tokens.Multiply:
			ensure(!hasDyn && !hasDynKw)
			p.next()
			kw[dynArgsKey] = p.parseExpression(true)
		case t.Type == tokens.Power:
			ensure(!hasDynKw)
			p.next()
			kw[dynKwargsKey] = p.parseExpression(true)
		case t.Type == tokens.Name && p.look().Type == tokens.Assign:
			ensure(!hasDynKw)
			p.next()
			p.next()
			kw[t.Val] = p.parseExpression(true)
			named++
		default:
			ensure(!hasDyn && !hasDynKw && named == 0)
			args = append(args, p.parseExpression(true))
		}
		requireComma = true
	}
	p.expect(tokens.RightParenthesis, ")")
	return args, kw
}

func (p *tplParser) parseCall(node nodes.Expression) nodes.Expression {
	tok := p.cur()
	args, kw := p.parseCallArgs()
	return &nodes.Call{Location: tok, Func: node, Args: args, Kwargs: kw}
}

// parseFilterCalls is jinja2's parse_filter: a chain of |name(args)
// (the first without its pipe when startInline).
func (p *tplParser) parseFilterCalls(startInline bool) []*nodes.FilterCall {
	var out []*nodes.FilterCall
	for p.cur().Type == tokens.Pipe || startInline {
		if !startInline {
			p.next()
		}
		tok := p.expectName()
		name := tok.Val
		for p.Match(tokens.Dot) != nil {
			name += "." + p.expectName().Val
		}
		f := &nodes.FilterCall{Token: tok, Name: name}
		if p.cur().Type == tokens.LeftParenthesis {
			f.Args, f.Kwargs = p.parseCallArgs()
		}
		out = append(out, f)
		startInline = false
	}
	return out
}

// testArgStart are the tokens that may start a test's single argument
// given without parentheses.
func testArgStart(t *tokens.Token) bool {
	switch t.Type {
	case tokens.Name:
		return !isName(t, "else", "or", "and")
	case tokens.String, tokens.Integer, tokens.Float, tokens.LeftParenthesis, tokens.LeftBracket, tokens.LeftBrace:
		return true
	}
	return false
}

func (p *tplParser) parseTest(node nodes.Expression) nodes.Expression {
	is := p.next()
	negated := p.MatchName("not") != nil
	tok := p.expectName()
	name := tok.Val
	for p.Match(tokens.Dot) != nil {
		name += "." + p.expectName().Val
	}
	tc := &nodes.TestCall{Token: tok, Name: name}
	if p.cur().Type == tokens.LeftParenthesis {
		tc.Args, tc.Kwargs = p.parseCallArgs()
	} else if testArgStart(p.cur()) {
		if isName(p.cur(), "is") {
			p.fail("You cannot chain multiple tests with is")
		}
		tc.Args = []nodes.Expression{p.parsePostfix(p.parsePrimary())}
	}
	var out nodes.Expression = &nodes.TestExpression{Expression: node, Test: tc}
	if negated {
		out = &nodes.Negation{Operator: is, Term: out}
	}
	return out
}
