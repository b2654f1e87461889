package sdk

import "context"

// Parser is an action that parses each item into a typed value T once, then
// executes with it: Parse is its validation (run with the whole list before
// anything runs, and again before Execute), and ExecuteParsed gets the
// parsed value of the same item. Wrap one with Typed to serve it.
type Parser[T any] interface {
	// Describe returns the static description of the action type.
	Describe() Description
	// Parse checks and converts req.Item after the declared field checks.
	// Like Validator.Validate it must have no side effects and depend only
	// on req.Item and req.Config.
	Parse(ctx context.Context, req *Request) (T, error)
	// ExecuteParsed runs the item parse gave p for.
	ExecuteParsed(ctx context.Context, req *Request, p T) (*Result, error)
}

// Typed adapts a Parser to an Action (and Validator): the item is parsed
// once per Execute, by the SDK's validation pass.
//
//	func main() { sdk.Serve(sdk.Typed[sqsItem](Action{})) }
func Typed[T any](p Parser[T]) Action { return typed[T]{p: p} }

type typed[T any] struct{ p Parser[T] }

func (t typed[T]) Describe() Description { return t.p.Describe() }

func (t typed[T]) Validate(ctx context.Context, req *Request) error {
	v, err := t.p.Parse(ctx, req)
	if err == nil {
		req.parsed = v
	}
	return err
}

func (t typed[T]) Execute(ctx context.Context, req *Request) (*Result, error) {
	v, ok := req.parsed.(T)
	if !ok {
		var err error
		if v, err = t.p.Parse(ctx, req); err != nil {
			return nil, err
		}
	}
	return t.p.ExecuteParsed(ctx, req, v)
}
