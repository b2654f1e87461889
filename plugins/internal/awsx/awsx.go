// Package awsx gives the bundled plugins one AWS configuration per process:
// aws-sdk-go-v2's default credential and region chain (AWS_ENDPOINT_URL and
// the per-service AWS_ENDPOINT_URL_<SERVICE> variables included), and the
// SDK's standard retryer with a bounded number of attempts.
package awsx

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/smithy-go"
)

// DefaultMaxAttempts bounds the attempts of one AWS call (first try
// included). LAVA_AWS_MAX_ATTEMPTS overrides it.
const DefaultMaxAttempts = 5

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

func load(ctx context.Context) (aws.Config, error) {
	attempts := DefaultMaxAttempts
	if s := os.Getenv("LAVA_AWS_MAX_ATTEMPTS"); s != "" {
		if n, err := strconv.Atoi(s); err == nil && n > 0 {
			attempts = n
		}
	}
	c, err := config.LoadDefaultConfig(context.WithoutCancel(ctx),
		config.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) { o.MaxAttempts = attempts })
		}),
	)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS configuration: %w", err)
	}
	if c.Region == "" {
		c.Region = DefaultRegion
	}
	return c, nil
}

// ErrorText words an AWS error as botocore does:
// "An error occurred (<Code>) when calling the <Op> operation: <message>".
// Other errors are returned as their text.
func ErrorText(err error) string {
	var oe *smithy.OperationError
	var ae smithy.APIError
	if errors.As(err, &ae) {
		op := ""
		if errors.As(err, &oe) {
			op = oe.Operation()
		}
		return fmt.Sprintf("An error occurred (%s) when calling the %s operation: %s", ae.ErrorCode(), op, ae.ErrorMessage())
	}
	return err.Error()
}
