package awsx

import (
	"context"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go/middleware"
	"github.com/lava-actions/lava-actions/sdk"
)

// RetryCounter counts the AWS call attempts that were retries (every
// attempt after the first of one call) made with a context from
// CountRetries. It is safe for concurrent use.
type RetryCounter struct{ n atomic.Int64 }

// Retries returns the number of retried attempts counted so far.
func (c *RetryCounter) Retries() int {
	if c == nil {
		return 0
	}
	return int(c.n.Load())
}

type counterKey struct{}

// CountRetries returns a context whose AWS calls (made with clients built
// from Config) add their retried attempts to the returned counter. Each
// action execution uses its own, so concurrent executions in one plugin
// process are counted apart.
func CountRetries(ctx context.Context) (context.Context, *RetryCounter) {
	c := &RetryCounter{}
	return context.WithValue(ctx, counterKey{}, c), c
}

// WithRetries adds c's count to res.Retries, creating a Result when res is
// nil and there is something to report. Plugins call it on the way out of
// Execute, so that failed actions report their retries too.
func WithRetries(res *sdk.Result, c *RetryCounter) *sdk.Result {
	n := c.Retries()
	if n == 0 {
		return res
	}
	if res == nil {
		res = &sdk.Result{}
	}
	res.Retries += n
	return res
}

// retryCountID is the ID of the middleware that reads the retry metadata.
const retryCountID = "lava.CountRetries"

// addRetryCounter puts, in front of the SDK's retry middleware (step
// Finalize, ID "Retry"), a middleware that reads the SDK's own record of
// the call's attempts (retry.GetAttemptResults) when the call returns,
// successful or not, and adds the retried ones to the context's counter.
func addRetryCounter(stack *middleware.Stack) error {
	m := middleware.FinalizeMiddlewareFunc(retryCountID, func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (
		middleware.FinalizeOutput, middleware.Metadata, error,
	) {
		out, md, err := next.HandleFinalize(ctx, in)
		if c, ok := ctx.Value(counterKey{}).(*RetryCounter); ok {
			c.n.Add(int64(retriedAttempts(md)))
		}
		return out, md, err
	})
	if _, ok := stack.Finalize.Get("Retry"); ok {
		return stack.Finalize.Insert(m, "Retry", middleware.Before)
	}
	return stack.Finalize.Add(m, middleware.Before)
}

// retriedAttempts is the number of attempts in md that were followed by
// another attempt.
func retriedAttempts(md middleware.Metadata) int {
	res, ok := retry.GetAttemptResults(md)
	if !ok {
		return 0
	}
	n := 0
	for _, r := range res.Results {
		if r.Retried {
			n++
		}
	}
	return n
}
