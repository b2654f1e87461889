package resilience

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/lava-actions/lava-actions/host"
	"github.com/sivchari/kumo"
	"go.uber.org/goleak"
	"golang.org/x/sync/errgroup"
)

// Shared by every test; set up once in TestMain.
var (
	binDir  string     // lava-action-* executables
	awsURL  string     // the kumo endpoint
	awsCfg  aws.Config // clients in this process
	awsHTTP = &http.Client{Transport: &http.Transport{}}
)

// bundled are the plugins of this repository the tests run.
var bundled = map[string]string{
	"log":       "github.com/lava-actions/lava-actions/plugins/log",
	"slack":     "github.com/lava-actions/lava-actions/plugins/slack",
	"email":     "github.com/lava-actions/lava-actions/plugins/email",
	"sqs":       "github.com/lava-actions/lava-actions/plugins/sqs",
	"sns":       "github.com/lava-actions/lava-actions/plugins/sns",
	"event":     "github.com/lava-actions/lava-actions/plugins/event",
	"dispatch":  "github.com/lava-actions/lava-actions/plugins/dispatch",
	"state":     "github.com/lava-actions/lava-actions/plugins/state",
	"misbehave": "github.com/lava-actions/lava-actions/host/testdata/misbehave",
	"rogue":     "github.com/lava-actions/lava-actions/tests/resilience/testdata/rogue",
}

// rogueNames are the names the rogue plugin is installed under.
var rogueNames = []string{"garbagepre", "garbagepost", "nodescribe", "exitnow"}

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "resilience-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	binDir = dir
	if err := buildPlugins(dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	srv := kumo.NewServer()
	defer srv.Close()
	awsURL = srv.URL
	awsCfg = aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(srv.URL),
		HTTPClient:   awsHTTP,
	}
	if err := setupAWS(); err != nil {
		fmt.Fprintln(os.Stderr, "aws setup:", err)
		return 1
	}
	awsHTTP.CloseIdleConnections()
	return m.Run()
}

// buildPlugins builds every plugin into dir, in parallel, and installs the
// rogue plugin under each of its names.
func buildPlugins(dir string) error {
	var g errgroup.Group
	g.SetLimit(4)
	for name, pkg := range bundled {
		g.Go(func() error {
			out, err := exec.Command("go", "build", "-o", filepath.Join(dir, "lava-action-"+name), pkg).CombinedOutput()
			if err != nil {
				return fmt.Errorf("build %s: %v\n%s", pkg, err, out)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	rogue := filepath.Join(dir, "lava-action-rogue")
	for _, n := range rogueNames {
		if err := os.Link(rogue, filepath.Join(dir, "lava-action-"+n)); err != nil {
			return err
		}
	}
	return os.Remove(rogue)
}

// Realms and their Slack connections. Each test that posts has its own
// realm and receiver.
const (
	loadRealm   = "load"
	corpusRealm = "corpus"
)

// hooks maps a realm to its Slack receiver; created in setupAWS, which
// stores the receiver URL in the connection record.
var hooks = map[string]*receiver{}

func setupAWS() error {
	ctx := context.Background()
	ddb := dynamoClient()
	for _, realm := range []string{loadRealm, corpusRealm} {
		r := newReceiver()
		hooks[realm] = r
		table := "lava." + realm + ".connections"
		for name, key := range map[string]string{table: "conn_id", "lava." + realm + ".jobs": "job_id", "lava." + realm + ".state": "state_id"} {
			if _, err := ddb.CreateTable(ctx, &dynamodb.CreateTableInput{
				TableName:            aws.String(name),
				BillingMode:          ddbtypes.BillingModePayPerRequest,
				AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String(key), AttributeType: ddbtypes.ScalarAttributeTypeS}},
				KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String(key), KeyType: ddbtypes.KeyTypeHash}},
			}); err != nil {
				return err
			}
		}
		for id, fields := range map[string]map[string]ddbtypes.AttributeValue{
			"sl":          {"webhook_url": str(r.URL + "/services/T/B/" + realm)},
			"sl-disabled": {"webhook_url": str(r.URL + "/services/T/B/off"), "enabled": &ddbtypes.AttributeValueMemberBOOL{Value: false}},
			"sl-nohook":   {},
			"sl-badstyle": {"webhook_url": str(r.URL + "/services/T/B/style"), "style": str("fancy")},
			"sl-email":    {"webhook_url": str(r.URL + "/services/T/B/email"), "type": str("email")},
		} {
			item := map[string]ddbtypes.AttributeValue{
				"conn_id": str(id), "type": str("slack"), "enabled": &ddbtypes.AttributeValueMemberBOOL{Value: true},
			}
			for k, v := range fields {
				item[k] = v
			}
			if _, err := ddb.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: item}); err != nil {
				return err
			}
		}
	}
	// The corpus realm's queues: an sqs target and dispatch's
	// lava-<realm>-<worker> queue for the fixture job's worker "core".
	q := sqsClient()
	for _, name := range []string{corpusQueue, "lava-" + corpusRealm + "-core"} {
		if _, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name)}); err != nil {
			return err
		}
	}
	return nil
}

const corpusQueue = "corpus-target"

func str(s string) ddbtypes.AttributeValue { return &ddbtypes.AttributeValueMemberS{Value: s} }

func dynamoClient() *dynamodb.Client {
	return dynamodb.NewFromConfig(awsCfg, func(o *dynamodb.Options) { o.DisableValidateResponseChecksum = true })
}

func sqsClient() *sqs.Client {
	return sqs.NewFromConfig(awsCfg, func(o *sqs.Options) { o.DisableMessageChecksumValidation = true })
}

// pluginEnv points the plugins at kumo.
func pluginEnv() []string {
	return []string{
		"AWS_ENDPOINT_URL=" + awsURL, "AWS_REGION=us-east-1",
		"AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_EC2_METADATA_DISABLED=true",
	}
}

// newHost returns a host over binDir whose plugins see only PATH, HOME,
// TMPDIR and the kumo variables, logging to a new sink.
func newHost(t testing.TB, cfg host.Config) (*host.Host, *logSink) {
	t.Helper()
	sink := &logSink{}
	cfg.PluginPath = []string{binDir}
	cfg.Environ = func() []string {
		return []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "TMPDIR=" + os.TempDir()}
	}
	cfg.Env = pluginEnv()
	cfg.Logger = slog.New(slog.NewJSONHandler(sink, &slog.HandlerOptions{Level: slog.LevelInfo}))
	h, err := host.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return h, sink
}

// logRecord is one record the log action emitted through the host.
type logRecord struct {
	Msg   string `json:"msg"`
	RunID string `json:"run_id"`
}

// logSink keeps the log action's records and counts everything else, so
// that a flood of plugin output costs no memory.
type logSink struct {
	mu      sync.Mutex
	partial []byte
	records []logRecord
	other   int
	stdout  int // "plugin wrote to stdout" records
}

func (s *logSink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.partial = append(s.partial, p...)
	for {
		i := bytes.IndexByte(s.partial, '\n')
		if i < 0 {
			break
		}
		line := s.partial[:i]
		switch {
		case bytes.Contains(line, []byte(`"action":"log"`)) && bytes.Contains(line, []byte(`"level":"INFO"`)):
			var r logRecord
			if err := json.Unmarshal(line, &r); err == nil {
				s.records = append(s.records, r)
			}
		case bytes.Contains(line, []byte(`"msg":"plugin wrote to stdout"`)):
			s.stdout++
		default:
			s.other++
		}
		s.partial = s.partial[i+1:]
	}
	if len(s.partial) == 0 {
		s.partial = nil
	}
	return len(p), nil
}

func (s *logSink) logRecords() []logRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]logRecord(nil), s.records...)
}

func (s *logSink) stdoutRecords() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stdout
}

// post is one request a receiver got.
type post struct{ Path, ContentType, Body string }

// receiver is a Slack incoming-webhook stand-in: it records every POST and
// answers 200 "ok".
type receiver struct {
	*httptest.Server
	mu    sync.Mutex
	posts []post
}

func newReceiver() *receiver {
	r := &receiver{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.posts = append(r.posts, post{Path: req.URL.Path, ContentType: req.Header.Get("Content-Type"), Body: string(b)})
		r.mu.Unlock()
		io.WriteString(w, "ok")
	}))
	return r
}

func (r *receiver) Posts() []post {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]post(nil), r.posts...)
}

// ---- process accounting ----

// baseline is the state of the test process before a host exists.
type baseline struct {
	fds    int
	leak   goleak.Option
	childs []int
}

func takeBaseline(t *testing.T) baseline {
	t.Helper()
	awsHTTP.CloseIdleConnections()
	return baseline{fds: fdCount(t), leak: goleak.IgnoreCurrent(), childs: children()}
}

// goleakOptions are the host tests' ignores: grpc-go's process-wide
// resolver and balancer goroutines.
var goleakOptions = []goleak.Option{
	goleak.IgnoreAnyFunction("google.golang.org/grpc/internal/grpcsync.(*CallbackSerializer).run"),
	goleak.IgnoreAnyFunction("google.golang.org/grpc.(*addrConn).resetTransportAndUnlock"),
}

// checkBack asserts that goroutines, open descriptors and child processes
// are back to b (descriptors within slack).
func checkBack(t *testing.T, b baseline, slack int) {
	t.Helper()
	awsHTTP.CloseIdleConnections()
	// goleak.Find retries for about a second; connections of dead plugins
	// may take a little longer to be noticed, so give it a few rounds.
	var err error
	for range 8 {
		if err = goleak.Find(append([]goleak.Option{b.leak}, goleakOptions...)...); err == nil {
			break
		}
	}
	if err != nil {
		t.Errorf("goroutines leaked: %v", err)
	}
	var fds int
	for end := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if fds = fdCount(t); fds <= b.fds+slack || time.Now().After(end) {
			break
		}
	}
	if fds > b.fds+slack {
		t.Errorf("open descriptors: %d after, %d before (slack %d):\n%s", fds, b.fds, slack, fdList())
	}
	var left []int
	for end := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if left = newChildren(b.childs); len(left) == 0 || time.Now().After(end) {
			break
		}
	}
	if len(left) > 0 {
		t.Errorf("child processes left: %v", describePIDs(left))
	}
	t.Logf("after shutdown: %d descriptors (baseline %d), %d new children", fds, b.fds, len(left))
}

func fdCount(t testing.TB) int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

func fdList() string {
	ents, _ := os.ReadDir("/proc/self/fd")
	var b strings.Builder
	for _, e := range ents {
		l, _ := os.Readlink("/proc/self/fd/" + e.Name())
		fmt.Fprintf(&b, "  %s -> %s\n", e.Name(), l)
	}
	return b.String()
}

// children returns the live (non-zombie) processes whose parent is this
// process. A zombie child counts too: nobody reaped it.
func children() []int {
	me := os.Getpid()
	ents, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...; comm may hold spaces and parens.
		s := string(b)
		rest := s[strings.LastIndexByte(s, ')')+1:]
		f := strings.Fields(rest)
		if len(f) >= 2 {
			if ppid, _ := strconv.Atoi(f[1]); ppid == me {
				out = append(out, pid)
			}
		}
	}
	return out
}

func newChildren(before []int) []int {
	var out []int
	for _, p := range children() {
		known := false
		for _, q := range before {
			known = known || p == q
		}
		if !known {
			out = append(out, p)
		}
	}
	return out
}

func describePIDs(pids []int) []string {
	var out []string
	for _, p := range pids {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p))
		out = append(out, strings.TrimSpace(string(b)))
	}
	return out
}

// procStatusKB reads a "VmRSS"/"VmHWM" line of /proc/<pid>/status, in KiB.
func procStatusKB(pid int, key string) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return -1
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, key+":"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return n
		}
	}
	return -1
}
