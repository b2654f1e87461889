// Package resilience holds the trust-and-resilience tests of lava-actions:
// injected plugin faults (crashes, protocol garbage, stderr floods, hangs,
// plugins that never answer or exit at once), a load test of concurrent
// runs through one host, and a corpus of malformed jobs, realms and action
// lists run through the real host and the bundled plugins.
//
// The package has no code of its own; everything is in its tests, which
// build the plugins they need in TestMain and use real parts only: plugin
// processes, an in-process AWS endpoint (kumo), and local HTTP receivers.
package resilience
