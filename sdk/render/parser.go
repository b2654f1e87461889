package render

import (
	"fmt"
	"strings"

	"github.com/nikolalohinski/gonja/v2/nodes"
	"github.com/nikolalohinski/gonja/v2/tokens"
)

// The template parser is jinja2's (parser.py): subparse walks data, print
// tags and statements; parse_statement dispatches on the tag name; the
// statements live in one file each (if.go, for.go, ...) and the
// expression grammar in expr.go. It builds gonja node values (Data,
// ControlStructureBlock, Wrapper) so gonja's renderer walks the document,
// and our statement and expression nodes evaluate it.
//
// Syntax errors are raised as panics of *Error (jinja2 raises
// TemplateSyntaxError from anywhere in the parser) and recovered by
// parseTemplate.

// tplParser is the token cursor and the parse state of one template.
type tplParser struct {
	toks []*tokens.Token
	i    int
	// tagStack holds the names of the statements being parsed and
	// endStack the end tags each open block waits for (jinja2's
	// _tag_stack and _end_token_stack).
	tagStack []string
	endStack [][]string
	lexErr   *Error
}

// stmtParser parses one statement; p's current token is the first after
// the tag name. p is passed twice so the statement parsers read as gonja's
// (parser, args) pair.
type stmtParser func(p *tplParser, args *tplParser) (stmt, error)

var statementParsers map[string]stmtParser

func init() {
	statementParsers = map[string]stmtParser{
		"if":         ifParser,
		"for":        forParser,
		"set":        setParser,
		"macro":      macroParser,
		"call":       callParser,
		"filter":     filterParser,
		"with":       withParser,
		"block":      blockParser,
		"autoescape": autoescapeParser,
		"print":      printTagParser,
		"include":    noLoaderParser("include"),
		"import":     noLoaderParser("import"),
		"from":       noLoaderParser("from"),
		"extends":    noLoaderParser("extends"),
	}
}

// parseTemplate parses normalized template source into gonja's document
// node.
func parseTemplate(src string) (root *nodes.Template, err error) {
	toks, lexErr := lexTemplate(src)
	if err := checkNesting(toks); err != nil {
		return nil, err
	}
	p := &tplParser{toks: toks, lexErr: lexErr}
	defer func() {
		if r := recover(); r != nil {
			e, ok := r.(*Error)
			if !ok {
				panic(r)
			}
			root, err = nil, e
		}
	}()
	p.check()
	ns, err := p.subparse(nil)
	if err != nil {
		return nil, err
	}
	return &nodes.Template{Identifier: rootName, Nodes: ns, Blocks: nodes.BlockSet{}, Macros: map[string]*nodes.Macro{}}, nil
}

// check raises the lexer's error when the cursor reaches it.
func (p *tplParser) check() {
	if p.toks[p.i].Type == tokens.Error {
		panic(p.lexErr)
	}
}

// cur returns the current token.
func (p *tplParser) cur() *tokens.Token { return p.toks[p.i] }

// next consumes and returns the current token.
func (p *tplParser) next() *tokens.Token {
	t := p.toks[p.i]
	if t.Type != tokens.EOF {
		p.i++
		p.check()
	}
	return t
}

// look returns the token after the current one.
func (p *tplParser) look() *tokens.Token {
	if p.toks[p.i].Type == tokens.EOF {
		return p.toks[p.i]
	}
	t := p.toks[p.i+1]
	if t.Type == tokens.Error {
		panic(p.lexErr)
	}
	return t
}

// Current returns the current token if it has one of types (any token
// when none is given), else nil.
func (p *tplParser) Current(types ...tokens.Type) *tokens.Token {
	t := p.cur()
	if len(types) == 0 {
		return t
	}
	for _, x := range types {
		if t.Type == x {
			return t
		}
	}
	return nil
}

// Match consumes and returns the current token if it has one of types.
func (p *tplParser) Match(types ...tokens.Type) *tokens.Token {
	if t := p.Current(types...); t != nil && len(types) > 0 {
		return p.next()
	}
	return nil
}

// isName reports whether t is the name tok.
func isName(t *tokens.Token, names ...string) bool {
	if t.Type != tokens.Name {
		return false
	}
	for _, n := range names {
		if t.Val == n {
			return true
		}
	}
	return false
}

// MatchName consumes and returns the current token if it is one of names.
func (p *tplParser) MatchName(names ...string) *tokens.Token {
	if isName(p.cur(), names...) {
		return p.next()
	}
	return nil
}

// End reports whether the current tag has no more tokens.
func (p *tplParser) End() bool {
	switch p.cur().Type {
	case tokens.BlockEnd, tokens.VariableEnd, tokens.EOF:
		return true
	}
	return false
}

// describeTok is jinja2's describe_token.
func describeTok(t *tokens.Token) string {
	switch t.Type {
	case tokens.Name:
		return t.Val
	case tokens.String:
		return "string"
	case tokens.Integer:
		return "integer"
	case tokens.Float:
		return "float"
	case tokens.BlockBegin:
		return "begin of statement block"
	case tokens.BlockEnd:
		return "end of statement block"
	case tokens.VariableBegin:
		return "begin of print statement"
	case tokens.VariableEnd:
		return "end of print statement"
	case tokens.Data:
		return "template data / text"
	case tokens.EOF:
		return "end of template"
	}
	return t.Val
}

// fail raises a syntax error at the current token's line.
func (p *tplParser) fail(format string, a ...any) {
	panic(&Error{Class: classSyntax, Msg: fmt.Sprintf(format, a...), Line: p.cur().Line})
}

// expectedErr is jinja2's TokenStream.expect failure for what (a token
// description such as 'end of statement block' or 'name').
func (p *tplParser) expectedErr(what string) *Error {
	t := p.cur()
	if t.Type == tokens.EOF {
		return &Error{Class: classSyntax, Msg: fmt.Sprintf("unexpected end of template, expected '%s'.", what), Line: t.Line}
	}
	return &Error{Class: classSyntax, Msg: fmt.Sprintf("expected token '%s', got '%s'", what, describeTok(t)), Line: t.Line}
}

// expect consumes a token of type typ (described as what) or fails.
func (p *tplParser) expect(typ tokens.Type, what string) *tokens.Token {
	if p.cur().Type != typ {
		panic(p.expectedErr(what))
	}
	return p.next()
}

// expectName consumes a name token or fails.
func (p *tplParser) expectName() *tokens.Token { return p.expect(tokens.Name, "name") }

// subparse is jinja2's Parser.subparse: it parses data, print tags and
// statements until a block tag whose name is one of end (the tag name is
// then the current token) or the end of the template.
func (p *tplParser) subparse(end []string) ([]nodes.Node, error) {
	if end != nil {
		p.endStack = append(p.endStack, end)
		defer func() { p.endStack = p.endStack[:len(p.endStack)-1] }()
	}
	var body []nodes.Node
	for {
		t := p.cur()
		switch t.Type {
		case tokens.EOF:
			return body, nil
		case tokens.Data:
			p.next()
			body = append(body, &nodes.Data{Data: t})
		case tokens.VariableBegin:
			p.next()
			e := p.parseTuple(tupleOpts{condexpr: true})
			p.expect(tokens.VariableEnd, "end of print statement")
			body = append(body, &nodes.ControlStructureBlock{Location: t, Name: "print", ControlStructure: &printStmt{loc: t, expr: e}})
		case tokens.BlockBegin:
			p.next()
			if end != nil && isName(p.cur(), end...) {
				return body, nil
			}
			n, err := p.parseStatement()
			if err != nil {
				return nil, err
			}
			body = append(body, n)
			p.expect(tokens.BlockEnd, "end of statement block")
		default:
			p.fail("unexpected %s", describeTok(t))
		}
	}
}

// parseStatement is jinja2's parse_statement.
func (p *tplParser) parseStatement() (nodes.Node, error) {
	t := p.cur()
	if t.Type != tokens.Name {
		p.fail("tag name expected")
	}
	parse, ok := statementParsers[t.Val]
	if !ok {
		p.failUnknownTag(t.Val)
	}
	p.tagStack = append(p.tagStack, t.Val)
	defer func() { p.tagStack = p.tagStack[:len(p.tagStack)-1] }()
	p.next()
	s, err := parse(p, p)
	if err != nil {
		if e, ok := err.(*Error); ok && e.Line == 0 {
			e.Line = p.cur().Line
		}
		return nil, err
	}
	return &nodes.ControlStructureBlock{Location: t, Name: t.Val, ControlStructure: s}, nil
}

// failUnknownTag and failEOF are jinja2's _fail_ut_eof.
func (p *tplParser) failUnknownTag(name string) { p.failUTEOF(name, p.endStack) }

func (p *tplParser) failEOF(end []string) {
	stack := append(append([][]string{}, p.endStack...), end)
	p.failUTEOF("", stack)
}

func (p *tplParser) failUTEOF(name string, stack [][]string) {
	expected := map[string]bool{}
	for _, e := range stack {
		for _, n := range e {
			expected[n] = true
		}
	}
	var msg []string
	if name == "" {
		msg = append(msg, "Unexpected end of template.")
	} else {
		msg = append(msg, fmt.Sprintf("Encountered unknown tag '%s'.", name))
	}
	if len(stack) > 0 {
		looking := quoteList(stack[len(stack)-1])
		if name != "" && expected[name] {
			msg = append(msg, "You probably made a nesting mistake. Jinja is expecting this tag, but currently looking for "+looking+".")
		} else {
			msg = append(msg, "Jinja was looking for the following tags: "+looking+".")
		}
	}
	if len(p.tagStack) > 0 {
		msg = append(msg, fmt.Sprintf("The innermost block that needs to be closed is '%s'.", p.tagStack[len(p.tagStack)-1]))
	}
	p.fail("%s", strings.Join(msg, " "))
}

// wrapUntil is jinja2's parse_statements: it ends the current tag and
// parses the body up to one of the end tags, whose name it consumes and
// records as the wrapper's EndTag. The block argument is unused (the tag
// stack knows the innermost block); it documents the caller.
func wrapUntil(p *tplParser, _ string, names ...string) (*nodes.Wrapper, *tplParser, error) {
	p.Match(tokens.Colon)
	p.expect(tokens.BlockEnd, "end of statement block")
	loc := p.cur()
	body, err := p.subparse(names)
	if err != nil {
		return nil, nil, err
	}
	if p.cur().Type == tokens.EOF {
		p.failEOF(names)
	}
	end := p.next()
	return &nodes.Wrapper{Location: loc, Nodes: body, EndTag: end.Val, Trim: &nodes.Trim{}}, p, nil
}

// Nesting limits checked before parsing: the parser and our statements
// recurse, and a Go stack overflow cannot be recovered. Python's jinja2
// fails earlier (RecursionError near 70 nested brackets).
const (
	maxBracketDepth = 100
	maxBlockDepth   = 100
	maxTagTokens    = 20000
	maxUnaryDepth   = 200
)

var blockTags = map[string]bool{"if": true, "for": true, "macro": true, "call": true, "filter": true, "with": true, "block": true, "autoescape": true}

// checkNesting refuses templates nested deeper than the limits.
func checkNesting(toks []*tokens.Token) error {
	deep := newErr(classRecursion, "maximum recursion depth exceeded")
	brackets, blocks, inTag, unary := 0, 0, 0, 0
	afterBlockBegin, setTag, setAssign := false, false, false
	var prev tokens.Type
	for _, t := range toks {
		unaryPos := !operandEnd(prev)
		prev = t.Type
		switch t.Type {
		case tokens.VariableBegin, tokens.BlockBegin:
			brackets, inTag, unary = 0, 1, 0
			afterBlockBegin = t.Type == tokens.BlockBegin
			continue
		case tokens.VariableEnd, tokens.BlockEnd:
			inTag = 0
			if setTag && !setAssign {
				// {% set x %} without "=" opens a block up to endset.
				blocks++
				if blocks > maxBlockDepth {
					return deep
				}
			}
			setTag, setAssign = false, false
		case tokens.Assign:
			setAssign = true
		case tokens.LeftParenthesis, tokens.LeftBracket, tokens.LeftBrace:
			brackets++
			if brackets > maxBracketDepth {
				return deep
			}
		case tokens.RightParenthesis, tokens.RightBracket, tokens.RightBrace:
			brackets--
		case tokens.Addition, tokens.Subtraction:
			if !unaryPos {
				break
			}
			unary++
			if unary > maxUnaryDepth {
				return deep
			}
		case tokens.Name:
			if t.Val == "not" || t.Val == "if" || t.Val == "else" {
				unary++
				if unary > maxUnaryDepth {
					return deep
				}
			}
			if afterBlockBegin {
				setTag = t.Val == "set"
				if t.Val == "endset" {
					blocks--
				}
				if blockTags[t.Val] {
					blocks++
					if blocks > maxBlockDepth {
						return deep
					}
				} else if strings.HasPrefix(t.Val, "end") && blockTags[t.Val[3:]] {
					blocks--
				}
			}
		}
		afterBlockBegin = false
		if inTag > 0 {
			inTag++
			if inTag > maxTagTokens {
				return deep
			}
		}
	}
	return nil
}

// operandEnd reports whether a token of type t can end an operand, so a
// following + or - is binary.
func operandEnd(t tokens.Type) bool {
	switch t {
	case tokens.Name, tokens.String, tokens.Integer, tokens.Float, tokens.RightParenthesis, tokens.RightBracket, tokens.RightBrace:
		return true
	}
	return false
}
