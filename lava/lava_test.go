package lava_test

import (
	"testing"
	"time"

	"github.com/lava-actions/lava-actions/lava"
	"github.com/lava-actions/lava-actions/sdk/value"
)

func TestSelect(t *testing.T) {
	t.Parallel()
	list := []any{value.NewMap("action", "log")}
	cases := []struct {
		name       string
		job, realm *value.Map
		want       any
		source     string
		ok         bool
	}{
		{"job wins", value.NewMap("on_fail", list), value.NewMap("on_fail", []any{}), list, "job", true},
		{"job null still wins", value.NewMap("on_fail", nil), value.NewMap("on_fail", list), nil, "job", true},
		{"realm", value.NewMap(), value.NewMap("on_fail", list), list, "realm", true},
		{"none", value.NewMap(), value.NewMap(), nil, "", false},
	}
	for _, tc := range cases {
		got, source, ok := lava.Select(lava.OnFail, tc.job, tc.realm)
		if value.Repr(got) != value.Repr(tc.want) || source != tc.source || ok != tc.ok {
			t.Errorf("%s: got %v %q %v", tc.name, got, source, ok)
		}
	}
}

func TestResolveConfig(t *testing.T) {
	t.Parallel()
	realm := value.NewMap("config", value.NewMap("sqs_max_delay_mins", int64(5), "Other", "x"))
	got := lava.ResolveConfig(realm, []string{"LAVA_SQS_MAX_DELAY_MINS=7", "LAVA_=skip", "HOME=/h"})
	if len(got) != 2 || got["SQS_MAX_DELAY_MINS"] != "7" || got["OTHER"] != "x" {
		t.Errorf("config = %v", got)
	}
}

func TestParseTriggerAndPrepareJob(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]lava.Trigger{"success": lava.OnSuccess, "on_retry": lava.OnRetry, "FAIL": lava.OnFail} {
		if got, err := lava.ParseTrigger(in); err != nil || got != want {
			t.Errorf("ParseTrigger(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := lava.ParseTrigger("done"); err == nil {
		t.Error("ParseTrigger(done) succeeded")
	}
	now := time.Date(2026, 1, 2, 3, 4, 5, 600, time.UTC)
	job, err := lava.PrepareJob(value.NewMap("ts_dispatch", "2026-01-01T00:00:00+00:00"), now)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := job.Get("ts_dispatch"); !ok || value.Repr(job.Map("globals")) != "{}" {
		t.Errorf("job = %s", value.Repr(job))
	}
	if st, ok := mustGet(job, "ts_start").(value.DateTime); !ok || !st.Equal(now.Truncate(time.Second)) {
		t.Errorf("ts_start = %v", st)
	}
	if _, err := lava.PrepareJob(value.NewMap("globals", "x"), now); err == nil || err.Error() != "job globals must be an object, not str" {
		t.Errorf("err = %v", err)
	}
}

func mustGet(m *value.Map, k string) any {
	v, _ := m.Get(k)
	return v
}
