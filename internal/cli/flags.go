package cli

import (
	"fmt"
	"time"
)

// Bounds of the numeric flags. Anything a client or an operator can set is
// bounded: a typo must not start a server that accepts 8 EiB bodies.
const (
	maxBodyLimit       = 1 << 30 // serve --max-body
	maxConcurrentLimit = 10000   // serve --max-concurrent
	maxDrain           = time.Hour
	maxTimeout         = 24 * time.Hour // run --timeout, --action-timeout
)

// intInRange checks an integer flag value: lo <= v <= hi.
func intInRange(flag string, v, lo, hi int64) error {
	if v < lo || v > hi {
		return badInput(fmt.Errorf("--%s %d: want a whole number from %d to %d", flag, v, lo, hi))
	}
	return nil
}

// durationInRange checks a duration flag value: lo <= v <= hi (lo 0 means
// 0 is allowed and means "none").
func durationInRange(flag string, v, lo, hi time.Duration) error {
	if v < lo || v > hi {
		if lo == 0 {
			return badInput(fmt.Errorf("--%s %s: want 0 (none) or a positive duration up to %s", flag, v, hi))
		}
		return badInput(fmt.Errorf("--%s %s: want a duration from %s to %s", flag, v, lo, hi))
	}
	return nil
}
