// Package awsx gives the bundled plugins one AWS configuration per process:
// aws-sdk-go-v2's default credential and region chain (AWS_ENDPOINT_URL and
// the per-service AWS_ENDPOINT_URL_<SERVICE> variables included), and the
// SDK's standard retryer with a bounded number of attempts and a bounded
// backoff.
//
// Environment:
//
//	LAVA_AWS_MAX_ATTEMPTS  attempts of one AWS call, first included (default 5)
//	LAVA_AWS_MAX_BACKOFF   longest wait between two attempts, a Go duration
//	                       ("200ms", "2s") or seconds ("0.5"); default 20s,
//	                       the SDK's own. The SDK waits a random share of
//	                       min(base × 2^retry, this), base 1 s for throttling
//	                       errors and 50 ms for others.
//
// Every call made with a context from CountRetries adds its retried
// attempts to that context's counter (see WithRetries), and ErrorText words
// a failed call as botocore does, without Go internals.
package awsx

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/smithy-go"
)

// DefaultMaxAttempts bounds the attempts of one AWS call (first try
// included). LAVA_AWS_MAX_ATTEMPTS overrides it.
const DefaultMaxAttempts = 5

// DefaultMaxBackoff is the longest wait between two attempts of one call.
// LAVA_AWS_MAX_BACKOFF overrides it.
const DefaultMaxBackoff = retry.DefaultMaxBackoff

// DefaultRegion is used when the chain gives no region.
const DefaultRegion = "us-east-1"

var (
	once sync.Once
	cfg  aws.Config
	err  error
)

// Config returns the process's AWS configuration, loading it on first use.
// Clients built from it should be built once and reused.
func Config(ctx context.Context) (aws.Config, error) {
	once.Do(func() { cfg, err = load(ctx) })
	return cfg, err
}

// RetryOptions returns the retryer settings from the environment:
// LAVA_AWS_MAX_ATTEMPTS and LAVA_AWS_MAX_BACKOFF, else the defaults. Unset,
// malformed or non-positive values give the default.
func RetryOptions() (maxAttempts int, maxBackoff time.Duration) {
	maxAttempts, maxBackoff = DefaultMaxAttempts, DefaultMaxBackoff
	if s := os.Getenv("LAVA_AWS_MAX_ATTEMPTS"); s != "" {
		if n, err := strconv.Atoi(s); err == nil && n > 0 {
			maxAttempts = n
		}
	}
	if d, ok := parseDuration(os.Getenv("LAVA_AWS_MAX_BACKOFF")); ok {
		maxBackoff = d
	}
	return maxAttempts, maxBackoff
}

func parseDuration(s string) (time.Duration, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, false
	}
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return d, true
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f > 0 && f < 1e6 {
		return time.Duration(f * float64(time.Second)), true
	}
	return 0, false
}

func load(ctx context.Context) (aws.Config, error) {
	attempts, backoff := RetryOptions()
	c, err := config.LoadDefaultConfig(context.WithoutCancel(ctx),
		config.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = attempts
				o.MaxBackoff = backoff
			})
		}),
	)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS configuration: %w", err)
	}
	if c.Region == "" {
		c.Region = DefaultRegion
	}
	c.APIOptions = append(c.APIOptions, addRetryCounter)
	return c, nil
}

// ErrorText words a failed AWS call for an action's error, without Go
// internals (addresses, wrapped error chains):
//
//   - an AWS error as botocore does: "An error occurred (<Code>) when
//     calling the <Op> operation: <message>", with " (reached max retries:
//     N)" after the operation name when the retry bound was reached, as
//     botocore adds it;
//   - a call that got no AWS answer (connection refused or reset, closed
//     connection, timeout, the action's deadline) as "Could not call the
//     <Service> <Op> operation[ (reached max retries: N)]: <reason>".
//
// Other errors are returned as their text.
func ErrorText(err error) string {
	if err == nil {
		return ""
	}
	var oe *smithy.OperationError
	if !errors.As(err, &oe) {
		return err.Error()
	}
	retries := ""
	var me *retry.MaxAttemptsError
	var qe ratelimit.QuotaExceededError
	switch {
	case errors.As(err, &me):
		retries = fmt.Sprintf(" (reached max retries: %d)", me.Attempt-1)
	case errors.As(err, &qe):
		retries = " (retry quota exceeded)"
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return fmt.Sprintf("An error occurred (%s) when calling the %s operation%s: %s", ae.ErrorCode(), oe.Operation(), retries, ae.ErrorMessage())
	}
	return fmt.Sprintf("Could not call the %s %s operation%s: %s", oe.Service(), oe.Operation(), retries, reason(oe.Err))
}

// reason is a short, address-free cause of a call that got no AWS answer.
func reason(err error) string {
	var ne net.Error
	var dns *net.DNSError
	var de *smithy.DeserializationError
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "the action's deadline passed"
	case errors.Is(err, context.Canceled):
		return "cancelled"
	case errors.As(err, &dns):
		return "the endpoint's host name could not be resolved"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused by the endpoint"
	case errors.Is(err, syscall.ECONNRESET), strings.Contains(err.Error(), "connection reset"):
		return "connection reset by the endpoint"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), strings.Contains(err.Error(), "server closed"):
		return "connection closed before a response was received"
	case errors.As(err, &ne) && ne.Timeout():
		return "timed out waiting for the endpoint"
	case errors.As(err, &de):
		return "the response could not be read"
	}
	// Not a known transport failure: keep the innermost cause.
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err.Error()
		}
		err = next
	}
}

// wordedError is an error whose text is ErrorText's; see Worded.
type wordedError struct{ text string }

func (e *wordedError) Error() string { return e.text }

// Worded returns err (nil for nil) as an error whose text is ErrorText(err).
// It is for code outside awsx that only prints AWS errors with its own,
// older wording (the state manager): given a Worded error, such code prints
// the text as it is. The result deliberately does not unwrap, so that the
// AWS error inside is not worded a second time.
func Worded(err error) error {
	if err == nil {
		return nil
	}
	return &wordedError{text: ErrorText(err)}
}

// Lazy returns a function that builds a value (a client, a set of clients)
// from the process's AWS configuration on its first call and returns the
// same value, or the same error, on every call after: clients are built once
// per plugin process and reused.
func Lazy[T any](build func(cfg aws.Config) (T, error)) func(ctx context.Context) (T, error) {
	var (
		once sync.Once
		v    T
		err  error
	)
	return func(ctx context.Context) (T, error) {
		once.Do(func() {
			var cfg aws.Config
			if cfg, err = Config(ctx); err == nil {
				v, err = build(cfg)
			}
		})
		return v, err
	}
}
