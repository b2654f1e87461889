package resilience

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/lava-actions/lava-actions/host"
	"github.com/lava-actions/lava-actions/sdk/plugintest"
	"github.com/lava-actions/lava-actions/sdk/value"
)

// loadCase is one shape of action list the load test runs, with what
// must come of it.
type loadCase struct {
	name    string
	trigger host.Trigger
	items   func(rid string) []*value.Map
	wantErr string                    // "" for success
	invalid bool                      // nothing runs
	status  []host.Status             // per item
	logs    func(rid string) []string // log action records
	post    func(rid string) string   // Slack body, "" for none
}

var loadCases = []loadCase{
	{
		name: "log", trigger: host.OnSuccess,
		items:  func(string) []*value.Map { return []*value.Map{logItem("load {{ job.run_id }} a")} },
		status: []host.Status{host.StatusOK},
		logs:   func(rid string) []string { return []string{"load " + rid + " a"} },
	},
	{
		name: "misbehave ok + log", trigger: host.OnSuccess,
		items:  func(string) []*value.Map { return []*value.Map{mis("ok"), logItem("load {{ job.run_id }} b")} },
		status: []host.Status{host.StatusOK, host.StatusOK},
		logs:   func(rid string) []string { return []string{"load " + rid + " b"} },
	},
	{
		name: "fail stops the list", trigger: host.OnFail,
		items: func(string) []*value.Map {
			return []*value.Map{logItem("load {{ job.run_id }} c"), mis("fail"), logItem("never {{ job.run_id }}")}
		},
		wantErr: "on_fail action: misbehave: failed on purpose",
		status:  []host.Status{host.StatusOK, host.StatusFailed, host.StatusNotRun},
		logs:    func(rid string) []string { return []string{"load " + rid + " c"} },
	},
	{
		name: "sleep + slack", trigger: host.OnSuccess,
		items: func(string) []*value.Map {
			return []*value.Map{mis("sleep", "ms", int64(20)),
				value.NewMap("action", "slack", "slack_conn", "sl", "style", "plain", "message", "load {{ job.run_id }}")}
		},
		status: []host.Status{host.StatusOK, host.StatusOK},
		post:   func(rid string) string { return `{"text": "*lava@load*: load ` + rid + `"}` },
	},
	{
		name: "slack with subject and sender", trigger: host.OnRetry,
		items: func(string) []*value.Map {
			return []*value.Map{value.NewMap("action", "slack", "slack_conn", "sl", "style", "plain",
				"from", "bot-{{ globals.g1 }}", "subject", "S {{ job.run_id }}", "message", "é {{ job.run_id }}")}
		},
		status: []host.Status{host.StatusOK},
		post: func(rid string) string {
			return `{"text": "*bot-G1*: *S ` + rid + `*: \u00e9 ` + rid + `"}`
		},
	},
	{
		name: "invalid list", trigger: host.OnSuccess,
		items: func(string) []*value.Map {
			return []*value.Map{logItem("not sent {{ job.run_id }}"), value.NewMap("action", "log")}
		},
		wantErr: "on_success action: log: Missing keys: message", invalid: true,
		status: []host.Status{host.StatusNotRun, host.StatusNotRun},
	},
}

// TestLoad runs 1,000 concurrent mixed action lists through one host and
// checks every outcome, every record and POST, memory, and that nothing
// leaks. It is not parallel: it measures the process.
func TestLoad(t *testing.T) {
	n := 1000
	if testing.Short() {
		n = 200
	}
	hook := hooks[loadRealm]
	postsBefore := len(hook.Posts())
	base := takeBaseline(t)
	h, sink := newHost(t, host.Config{})
	ctx := context.Background()

	type outcome struct {
		rep *host.Report
		err error
	}
	out := make([]outcome, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			c := loadCases[i%len(loadCases)]
			rid := fmt.Sprintf("L%04d", i)
			job, realm, result := plugintest.Fixture()
			job.Set("run_id", rid)
			realm.Set("realm", loadRealm)
			items := c.items(rid)
			l := make([]any, len(items))
			for j, it := range items {
				l[j] = it
			}
			job.Set(string(c.trigger), l)
			<-start
			rep, err := h.Run(ctx, c.trigger, job, realm, result)
			out[i] = outcome{rep, err}
		})
	}
	began := time.Now()
	close(start)
	wg.Wait()
	took := time.Since(began)

	// Outcomes, per case.
	perCase := map[string]int{}
	var wantLogs []string
	var wantPosts []string
	for i, o := range out {
		c := loadCases[i%len(loadCases)]
		rid := fmt.Sprintf("L%04d", i)
		gotErr := ""
		if o.err != nil {
			gotErr = o.err.Error()
			var ae *host.ActionError
			if !errors.As(o.err, &ae) || ae.Invalid != c.invalid {
				t.Errorf("run %d (%s): error %T %v, want an ActionError with Invalid=%v", i, c.name, o.err, o.err, c.invalid)
			}
		}
		if gotErr != c.wantErr {
			t.Errorf("run %d (%s): error %q, want %q", i, c.name, gotErr, c.wantErr)
			continue
		}
		var st []host.Status
		for _, a := range o.rep.Actions {
			st = append(st, a.Status)
		}
		if !slices.Equal(st, c.status) {
			t.Errorf("run %d (%s): statuses %v, want %v", i, c.name, st, c.status)
			continue
		}
		perCase[c.name]++
		if c.logs != nil {
			wantLogs = append(wantLogs, c.logs(rid)...)
		}
		if c.post != nil {
			wantPosts = append(wantPosts, c.post(rid))
		}
	}
	t.Logf("%d concurrent runs in %v; correct outcomes per case: %v", n, took.Round(time.Millisecond), perCase)

	var gotLogs []string
	for _, r := range sink.logRecords() {
		gotLogs = append(gotLogs, r.Msg)
	}
	slices.Sort(wantLogs)
	slices.Sort(gotLogs)
	if diff := cmp.Diff(wantLogs, gotLogs); diff != "" {
		t.Errorf("log records (-want +got):\n%s", diff)
	}
	var gotPosts []string
	for _, p := range hook.Posts()[postsBefore:] {
		if p.Path != "/services/T/B/"+loadRealm || p.ContentType != "application/json" {
			t.Errorf("POST to %s (%s)", p.Path, p.ContentType)
		}
		gotPosts = append(gotPosts, p.Body)
	}
	slices.Sort(wantPosts)
	slices.Sort(gotPosts)
	if diff := cmp.Diff(wantPosts, gotPosts); diff != "" {
		t.Errorf("Slack POSTs (-want +got):\n%s", diff)
	}
	t.Logf("%d log records, %d Slack POSTs", len(gotLogs), len(gotPosts))

	// Memory: the host's heap after GC, and each plugin's peak RSS.
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	const maxHeap = 256 << 20
	if ms.HeapInuse > maxHeap {
		t.Errorf("HeapInuse after GC = %d MiB, want below %d MiB", ms.HeapInuse>>20, maxHeap>>20)
	}
	const maxRSSKB = 256 << 10
	var rss []string
	for typ, pid := range h.PIDs() {
		hwm := procStatusKB(pid, "VmHWM")
		rss = append(rss, fmt.Sprintf("%s=%d MiB", typ, hwm>>10))
		if hwm > maxRSSKB {
			t.Errorf("plugin %s (pid %d) peak RSS %d MiB, want below %d MiB", typ, pid, hwm>>10, maxRSSKB>>10)
		}
	}
	slices.Sort(rss)
	t.Logf("host HeapInuse after GC %d MiB; plugin peak RSS %s", ms.HeapInuse>>20, strings.Join(rss, ", "))
	if len(h.PIDs()) != 3 {
		t.Errorf("plugin processes %v, want one each of log, misbehave and slack", h.PIDs())
	}

	if err := h.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	checkBack(t, base, 2)
}
