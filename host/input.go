package host

import (
	"time"

	"github.com/lava-actions/lava-actions/lava"
	"github.com/lava-actions/lava-actions/sdk/value"
)

// Trigger names the action list to run (lava.Trigger).
type Trigger = lava.Trigger

// The three action lists of a lava job.
const (
	OnSuccess = lava.OnSuccess
	OnRetry   = lava.OnRetry
	OnFail    = lava.OnFail
)

// Triggers lists the three triggers in lava's order.
var Triggers = lava.Triggers

// ParseTrigger accepts success, retry, fail or their on_ forms
// (lava.ParseTrigger).
func ParseTrigger(s string) (Trigger, error) { return lava.ParseTrigger(s) }

// Select returns the action list lava would use for trigger (lava.Select).
func Select(trigger Trigger, job, realm *value.Map) (list any, source string, ok bool) {
	return lava.Select(trigger, job, realm)
}

// PrepareJob returns a copy of job as lava's worker augments it before
// actions run (lava.PrepareJob).
func PrepareJob(job *value.Map, now time.Time) (*value.Map, error) { return lava.PrepareJob(job, now) }

// ResolveConfig merges configuration as lava does (lava.ResolveConfig).
func ResolveConfig(realm *value.Map, environ []string) map[string]string {
	return lava.ResolveConfig(realm, environ)
}

func mustGet(m *value.Map, k string) any {
	v, _ := m.Get(k)
	return v
}
