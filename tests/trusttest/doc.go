// Package trusttest holds end-to-end trust and resilience tests of the
// bundled plugins, run as real processes through the host (and the CLI)
// against a local AWS endpoint (kumo), a go-smtp server and an httptest
// Slack receiver. It has no non-test code.
//
//   - aws_faults_test.go: AWS actions behind tests/faultproxy, with a
//     share of throttling, 5xx, reset and lost-response faults (they recover
//     through bounded retries, report them, and deliver the right number of
//     copies) and with a total outage (they fail within their bound and
//     deadline, with a clear error).
//   - secrets_test.go: every action type run, dry-run, failed and logged at
//     debug level with secrets present; no secret may appear in any output.
package trusttest
