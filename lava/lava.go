// Package lava holds the rules of the original lava that decide what a job's
// actions see and which list runs, apart from the host's process
// supervision: the triggers, list selection (spec 1.2), the worker's job
// preparation (spec 2.2) and configuration resolution (spec 6). Package
// host applies them; a worker or tool may use them on their own.
package lava

import (
	"fmt"
	"strings"
	"time"

	"github.com/lava-actions/lava-actions/sdk/value"
)

// Trigger names the action list to run.
type Trigger string

// The three action lists of a lava job.
const (
	OnSuccess Trigger = "on_success"
	OnRetry   Trigger = "on_retry"
	OnFail    Trigger = "on_fail"
)

// ParseTrigger accepts success, retry, fail or their on_ forms.
func ParseTrigger(s string) (Trigger, error) {
	switch t := Trigger("on_" + strings.TrimPrefix(strings.ToLower(s), "on_")); t {
	case OnSuccess, OnRetry, OnFail:
		return t, nil
	}
	return "", fmt.Errorf("unknown trigger %q: want success, retry or fail", s)
}

// Triggers lists the three triggers in lava's order.
var Triggers = []Trigger{OnSuccess, OnRetry, OnFail}

// datetime fields of the augmented job and of globals.lava (spec 2.2, 2.3).
var (
	jobTimes    = []string{"ts_start", "ts_ustart", "ts_dispatch"}
	globalTimes = []string{"master_start", "master_ustart", "parent_start", "parent_ustart"}
)

// PrepareJob returns a copy of job as lava's worker augments it before
// actions run (spec 2.2): ISO text in ts_start, ts_ustart, ts_dispatch and
// globals.lava.{master,parent}_{start,ustart} becomes datetimes; ts_start
// defaults to now (whole seconds, local time) and ts_ustart to it in UTC;
// globals, state and parameters default to empty maps. job itself is not
// changed.
func PrepareJob(job *value.Map, now time.Time) (*value.Map, error) {
	j := job.Clone()
	if j == nil {
		j = &value.Map{}
	}
	for _, k := range jobTimes {
		if err := toDateTime(j, k, "job "+k); err != nil {
			return nil, err
		}
	}
	if !j.Has("ts_start") {
		j.Set("ts_start", value.DateTime{Time: now.Truncate(time.Second)})
	}
	if !j.Has("ts_ustart") {
		if st, ok := mustGet(j, "ts_start").(value.DateTime); ok {
			j.Set("ts_ustart", value.DateTime{Time: st.UTC()})
		}
	}
	for _, k := range []string{"globals", "state", "parameters"} {
		v, ok := j.Get(k)
		if !ok || v == nil {
			j.Set(k, &value.Map{})
		} else if _, isMap := v.(*value.Map); !isMap {
			return nil, fmt.Errorf("job %s must be an object, not %s", k, value.PyType(v))
		}
	}
	if lava := j.Map("globals").Map("lava"); lava != nil {
		for _, k := range globalTimes {
			if err := toDateTime(lava, k, "job globals.lava."+k); err != nil {
				return nil, err
			}
		}
	}
	return j, nil
}

// Select returns the action list lava would use for trigger (spec 1.2): the
// job's value when the job has the key at all (even [] or null), else the
// realm's, else none. source is "job", "realm" or "".
func Select(trigger Trigger, job, realm *value.Map) (list any, source string, ok bool) {
	if v, has := job.Get(string(trigger)); has {
		return v, "job", true
	}
	if v, has := realm.Get(string(trigger)); has {
		return v, "realm", true
	}
	return nil, "", false
}

func mustGet(m *value.Map, k string) any {
	v, _ := m.Get(k)
	return v
}

func toDateTime(m *value.Map, key, what string) error {
	s, ok := mustGet(m, key).(string)
	if !ok {
		return nil
	}
	dt, err := value.ParseDateTime(s)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	m.Set(key, dt)
	return nil
}

// ResolveConfig merges configuration as lava does (spec 6): LAVA_<KEY>
// environment variables win over the realm's config map, whose keys are
// case-insensitive. Values are Python str() of the stored value.
func ResolveConfig(realm *value.Map, environ []string) map[string]string {
	out := map[string]string{}
	realm.Map("config").Range(func(k string, v any) bool {
		out[strings.ToUpper(k)] = value.Str(v)
		return true
	})
	for _, kv := range environ {
		k, v, ok := strings.Cut(kv, "=")
		if name, isLava := strings.CutPrefix(k, "LAVA_"); ok && isLava && name != "" {
			out[strings.ToUpper(name)] = v
		}
	}
	return out
}
