package awsx

import (
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// EndpointOverridden reports whether calls to service (its environment
// name: "SQS", "SNS", "EVENTBRIDGE", "DYNAMODB", "KMS", …) go to a custom
// endpoint rather than AWS's own: AWS_ENDPOINT_URL_<SERVICE> or
// AWS_ENDPOINT_URL is set, or cfg has a BaseEndpoint. Plugins use it to
// relax client-side checks that local emulators do not satisfy (DynamoDB
// CRC32 headers, the MD5 of de-duplicated SQS FIFO sends).
func EndpointOverridden(cfg aws.Config, service string) bool {
	if cfg.BaseEndpoint != nil && *cfg.BaseEndpoint != "" {
		return true
	}
	if os.Getenv("AWS_ENDPOINT_URL_"+strings.ToUpper(service)) != "" {
		return true
	}
	return os.Getenv("AWS_ENDPOINT_URL") != ""
}
