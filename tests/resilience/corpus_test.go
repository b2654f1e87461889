package resilience

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/lava-actions/lava-actions/host"
	"github.com/lava-actions/lava-actions/sdk/plugintest"
	"github.com/lava-actions/lava-actions/sdk/value"
)

// corpusCase is one file of testdata/malformed (see gen_malformed.py).
type corpusCase struct {
	ID, What string
	Trigger  string
	// Run cases: overrides merged over the spec 9.0 fixture.
	Job, Realm, Result *value.Map `json:"-"`
	JobFile            string     `json:"job_file"`
	PadJobBytes        int        `json:"pad_job_bytes"`
	WantError          string     `json:"want_error"`
	WantPrefix         string     `json:"want_prefix"`
	WantType           string     `json:"want_type"` // "action" (default) or "plain"
	// WantNoError marks a known divergence where this project renders
	// what the original refuses (see known_divergences.json).
	WantNoError bool `json:"want_no_error"`
	// Bug names a bug in another package that makes the case fail today.
	Bug         string
	PythonError string `json:"python_error"`
	Safeguard   bool
	// JSON-level cases: a raw file and the syntax error it must give.
	Input, Role       string
	WantLine, WantCol int
	WantMsg           string
}

const corpusDir = "testdata/malformed"

// corpusTimeout is the corpus host's action deadline; no case may take
// longer.
const corpusTimeout = 5 * time.Second

func loadCorpus(t *testing.T) ([]corpusCase, map[string]string) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(corpusDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []corpusCase
	var div map[string]string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if filepath.Base(f) == "known_divergences.json" {
			if err := json.Unmarshal(b, &div); err != nil {
				t.Fatal(err)
			}
			continue
		}
		// Job and realm numbers are Decimals (DynamoDB); result numbers are
		// Python's (json.loads), so decode twice.
		dec, err := value.DecodeJSON(b, value.DecimalNumbers)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		py, err := value.DecodeJSON(b, value.PythonNumbers)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		m, pm := dec.(*value.Map), py.(*value.Map)
		var c corpusCase
		if err := json.Unmarshal(b, &c); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		c.ID, c.What, c.Trigger = m.String("id"), m.String("what"), m.String("trigger")
		c.Job, c.Realm, c.Result = m.Map("job"), m.Map("realm"), pm.Map("result")
		c.Input, c.Role, c.WantMsg = m.String("input"), m.String("role"), m.String("want_msg")
		if n, ok := m.Get("want_line"); ok {
			c.WantLine = atoi(n)
			c.WantCol = atoi(mustGet(m, "want_column"))
		}
		if c.ID+".json" != filepath.Base(f) {
			t.Fatalf("%s: id %q does not match the file name", f, c.ID)
		}
		cases = append(cases, c)
	}
	if len(cases) < 200 {
		t.Fatalf("corpus has %d cases, want at least 200", len(cases))
	}
	return cases, div
}

func mustGet(m *value.Map, k string) any { v, _ := m.Get(k); return v }

func atoi(v any) int {
	d, _ := v.(value.Decimal)
	n, _ := d.Int64()
	return int(n)
}

// corpusOutcome is what a case produced, for review (LAVA_CORPUS_ACTUAL).
type corpusOutcome struct {
	Error string  `json:"error"`
	Type  string  `json:"type"`
	Secs  float64 `json:"seconds"`
}

// TestCorpus runs every malformed case: JSON-level cases through
// value.DecodeJSON, the others through the real host and plugins. Each
// must fail with the exact text, in bounded time, and send nothing.
func TestCorpus(t *testing.T) {
	t.Parallel()
	cases, div := loadCorpus(t)
	h, sink := newHost(t, host.Config{ActionTimeout: corpusTimeout, StartTimeout: 30 * time.Second})
	t.Cleanup(func() { h.Close() })
	hook := hooks[corpusRealm]

	var mu sync.Mutex
	actual := map[string]corpusOutcome{}
	record := func(id string, o corpusOutcome) {
		mu.Lock()
		actual[id] = o
		mu.Unlock()
	}
	counts := map[string]int{}
	for _, c := range cases {
		switch {
		case c.Input != "":
			counts["json"]++
		case c.Safeguard:
			counts["safeguard"]++
		default:
			counts["run"]++
		}
		if c.PythonError != "" && c.PythonError != c.WantError && div[c.ID] == "" {
			t.Errorf("%s: want_error differs from Python's text but the case is not in known_divergences.json:\n want   %q\n python %q", c.ID, c.WantError, c.PythonError)
		}
	}
	t.Logf("%d cases: %v; %d known divergences", len(cases), counts, len(div))

	t.Run("cases", func(t *testing.T) {
		for _, c := range cases {
			if c.Safeguard {
				continue
			}
			t.Run(c.ID, func(t *testing.T) {
				t.Parallel()
				if c.Input != "" {
					record(c.ID, runJSONCase(t, c))
					return
				}
				record(c.ID, runHostCase(t, h, sink, c))
			})
		}
	})

	// Template bombs run one at a time, each on a host of its own: a bomb
	// that is not stopped fast can take its plugin process down, and with
	// it any action in flight beside it; and a fresh process makes its
	// peak RSS (VmHWM) the bomb's own.
	var rss []string
	bsink := &logSink{}
	t.Run("bombs", func(t *testing.T) {
		for _, c := range cases {
			if !c.Safeguard {
				continue
			}
			t.Run(c.ID, func(t *testing.T) {
				hb, sink := newHost(t, host.Config{ActionTimeout: corpusTimeout, StartTimeout: 30 * time.Second})
				defer hb.Close()
				record(c.ID, runHostCase(t, hb, sink, c))
				for typ, pid := range hb.PIDs() {
					hwm := procStatusKB(pid, "VmHWM")
					rss = append(rss, fmt.Sprintf("%s:%s=%d MiB", c.ID, typ, hwm>>10))
					if hwm > 512<<10 {
						t.Errorf("%splugin %s peak RSS %d MiB, want below 512 MiB", bugOf(c), typ, hwm>>10)
					}
				}
				for _, r := range sink.logRecords() {
					bsink.Write([]byte(fmt.Sprintf(`{"level":"INFO","action":"log","msg":%q,"run_id":%q}`+"\n", r.Msg, r.RunID)))
				}
			})
		}
	})
	t.Logf("plugin peak RSS after each bomb: %s", strings.Join(rss, ", "))

	if out := os.Getenv("LAVA_CORPUS_ACTUAL"); out != "" {
		b, _ := json.MarshalIndent(actual, "", " ")
		if err := os.WriteFile(out, b, 0o644); err != nil {
			t.Error(err)
		}
	}

	// Nothing was sent, by any case.
	if n := len(hook.Posts()); n != 0 {
		t.Errorf("the corpus Slack receiver got %d POSTs: %v", n, hook.Posts())
	}
	noError := map[string]bool{}
	for _, c := range cases {
		if c.WantNoError {
			noError["corpus-"+c.ID] = true
		}
	}
	for _, r := range append(sink.logRecords(), bsink.logRecords()...) {
		if !noError[r.RunID] {
			t.Errorf("the log action wrote %q for %s", shorten(r.Msg), r.RunID)
		}
	}
	ctx := context.Background()
	q := sqsClient()
	for _, name := range []string{corpusQueue, "lava-" + corpusRealm + "-core"} {
		u, err := q.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		a, err := q.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: u.QueueUrl,
			AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameAll}})
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesDelayed", "ApproximateNumberOfMessagesNotVisible"} {
			if v := a.Attributes[k]; v != "0" {
				t.Errorf("queue %s: %s = %s", name, k, v)
			}
		}
	}
	scan, err := dynamoClient().Scan(ctx, &dynamodb.ScanInput{TableName: aws.String("lava." + corpusRealm + ".state")})
	if err != nil {
		t.Fatal(err)
	} else if scan.Count != 0 {
		t.Errorf("the state table holds %d items", scan.Count)
	}
	if n := sesMails(t, "corpus@example.com"); n != 0 {
		t.Errorf("SES accepted %d mails from corpus@example.com", n)
	}

	// Memory: the plugins' peak RSS after every other case.
	rss = nil
	for typ, pid := range h.PIDs() {
		hwm := procStatusKB(pid, "VmHWM")
		rss = append(rss, fmt.Sprintf("%s=%d MiB", typ, hwm>>10))
		if hwm > 512<<10 {
			t.Errorf("plugin %s peak RSS %d MiB, want below 512 MiB", typ, hwm>>10)
		}
	}
	slices.Sort(rss)
	t.Logf("plugin peak RSS after the corpus: %s", strings.Join(rss, ", "))
}

// runJSONCase decodes a raw file and checks the syntax error's position
// and text.
func runJSONCase(t *testing.T, c corpusCase) corpusOutcome {
	data, err := os.ReadFile(filepath.Join(corpusDir, c.Input))
	if err != nil {
		t.Fatal(err)
	}
	mode := value.DecimalNumbers
	if c.Role == "result" {
		mode = value.PythonNumbers
	}
	start := time.Now()
	_, err = value.DecodeJSON(data, mode)
	took := time.Since(start)
	var se *value.SyntaxError
	if !errors.As(err, &se) {
		t.Fatalf("DecodeJSON: %v (%T), want a *value.SyntaxError", err, err)
	}
	if se.Line != c.WantLine || se.Column != c.WantCol || se.Msg != c.WantMsg {
		t.Errorf("syntax error line %d, column %d: %q\nwant       line %d, column %d: %q", se.Line, se.Column, se.Msg, c.WantLine, c.WantCol, c.WantMsg)
	}
	if took > time.Second {
		t.Errorf("DecodeJSON took %v", took)
	}
	return corpusOutcome{Error: err.Error(), Type: "syntax", Secs: took.Seconds()}
}

// runHostCase runs a case through the host and checks its error, its
// duration and that the log action wrote nothing for it.
func runHostCase(t *testing.T, h *host.Host, sink *logSink, c corpusCase) corpusOutcome {
	job, realm, result := plugintest.Fixture()
	rid := "corpus-" + c.ID
	job.Set("run_id", rid)
	realm.Set("realm", corpusRealm)
	if c.JobFile != "" {
		b, err := os.ReadFile(filepath.Join(corpusDir, c.JobFile))
		if err != nil {
			t.Fatal(err)
		}
		v, err := value.DecodeJSON(b, value.DecimalNumbers)
		if err != nil {
			t.Fatalf("%s: %v", c.JobFile, err)
		}
		merge(job, v.(*value.Map))
	}
	merge(job, c.Job)
	merge(realm, c.Realm)
	if c.Result != nil {
		result = c.Result
	}
	if c.PadJobBytes > 0 {
		job.Map("parameters").Set("pad", strings.Repeat("p", c.PadJobBytes))
	}
	trigger := host.Trigger(c.Trigger)
	start := time.Now()
	rep, err := h.Run(context.Background(), trigger, job, realm, result)
	took := time.Since(start)
	out := corpusOutcome{Type: kindOf(err), Secs: took.Seconds()}
	bug := bugOf(c)
	if c.WantNoError {
		// A known divergence: this project renders what the original
		// refuses. Asserted so that a fix shows up here.
		if err != nil {
			t.Errorf("known divergence fixed? now fails with %q: update the corpus", shorten(err.Error()))
		}
		return out
	}
	if err == nil {
		t.Fatalf("%sno error; report %+v", bug, rep)
	}
	out.Error = err.Error()
	if c.WantType == "plain" {
		out.Type = "plain"
		var ae *host.ActionError
		if errors.As(err, &ae) {
			t.Errorf("error is an *ActionError, want a plain error")
		}
	} else if out.Type != "action" && !strings.HasPrefix(out.Type, "plugin:") {
		t.Errorf("error %T is not an *ActionError", err)
	}
	switch {
	case c.WantError != "" && out.Error != c.WantError:
		t.Errorf("%serror\n got  %q\n want %q", bug, shorten(out.Error), shorten(c.WantError))
	case c.WantPrefix != "" && !strings.HasPrefix(out.Error, c.WantPrefix):
		t.Errorf("%serror\n got         %q\n want prefix %q", bug, shorten(out.Error), shorten(c.WantPrefix))
	}
	if took > corpusTimeout {
		t.Errorf("%stook %v, more than the action deadline %v", bug, took, corpusTimeout)
	}
	for _, r := range sink.logRecords() {
		if r.RunID == rid {
			t.Errorf("%sthe log action wrote %q", bug, shorten(r.Msg))
		}
	}
	return out
}

func merge(dst, src *value.Map) {
	src.Range(func(k string, v any) bool {
		if old, ok := mustGet(dst, k).(*value.Map); ok && k == "globals" {
			if nv, ok := v.(*value.Map); ok {
				// globals merge one level deep, so that a case can break
				// globals.lava.* without dropping the rest.
				nv.Range(func(k2 string, v2 any) bool {
					if o2, ok := old.Get(k2); ok {
						if om, ok := o2.(*value.Map); ok {
							if nm, ok := v2.(*value.Map); ok {
								merge(om, nm)
								return true
							}
						}
					}
					old.Set(k2, v2)
					return true
				})
				return true
			}
		}
		dst.Set(k, v)
		return true
	})
}

func shorten(s string) string {
	if len(s) > 400 {
		return s[:200] + fmt.Sprintf("…(%d bytes)…", len(s)-400) + s[len(s)-200:]
	}
	return s
}

// sesMails counts the mails kumo's SES accepted from source.
func sesMails(t *testing.T, source string) int {
	resp, err := awsHTTP.Get(awsURL + "/_aws/ses?email=" + url.QueryEscape(source))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("SES mailbox: %s", resp.Status)
	}
	var mails []json.RawMessage
	if err := json.NewDecoder(resp.Body).Decode(&mails); err != nil {
		t.Fatalf("SES mailbox: %v", err)
	}
	return len(mails)
}

func bugOf(c corpusCase) string {
	if c.Bug == "" {
		return ""
	}
	return "BUG (" + c.Bug + "): "
}
