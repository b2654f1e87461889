package trusttest

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/lava-actions/lava-actions/host"
	"github.com/lava-actions/lava-actions/tests/testkit"
)

// secrets are the distinctive secret strings of one test run.
type secrets struct {
	webhookToken, webhookPath, webhookURL, failWebhookURL string
	tokenEchoWebhookURL                                   string
	smtpPassword, wrongSMTPPassword                       string
	secureValue                                           string
	awsKeyID, awsSecret                                   string
}

// all returns every secret string with its name.
func (s secrets) all() map[string]string {
	return map[string]string{
		"slack webhook URL": s.webhookURL, "slack failing webhook URL": s.failWebhookURL,
		"slack token-echo webhook URL": s.tokenEchoWebhookURL,
		"slack webhook token":          s.webhookToken, "slack webhook path": s.webhookPath,
		"SMTP password": s.smtpPassword, "wrong SMTP password": s.wrongSMTPPassword,
		"secure state value": s.secureValue,
		"AWS access key id":  s.awsKeyID, "AWS secret access key": s.awsSecret,
	}
}

// slackReceiver answers webhooks: 200 "ok"; for a path holding /fail/ a
// 500 whose body echoes the whole webhook URL and its path (as a
// misbehaving proxy or gateway might); for /failtoken/ a 500 echoing only
// the token (the URL's last segment).
func slackReceiver(t *testing.T) (*httptest.Server, *int) {
	var mu sync.Mutex
	n := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		mu.Lock()
		n++
		mu.Unlock()
		switch {
		case strings.Contains(r.URL.Path, "/fail/"):
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprintf(w, "internal error posting to http://%s%s (path %s)", r.Host, r.URL.Path, r.URL.Path)
			return
		case strings.Contains(r.URL.Path, "/failtoken/"):
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprintf(w, "invalid token %s", r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:])
			return
		}
		io.WriteString(w, "ok")
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

// smtpCapture is a go-smtp server offering STARTTLS and, inside TLS, AUTH
// PLAIN for one user; it counts accepted messages.
type smtpCapture struct {
	addr, user, password string
	mu                   sync.Mutex
	msgs                 int
}

type smtpSession struct{ s *smtpCapture }

func (ss *smtpSession) AuthMechanisms() []string { return []string{sasl.Plain} }
func (ss *smtpSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != ss.s.user || pass != ss.s.password {
			return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "Authentication credentials invalid"}
		}
		return nil
	}), nil
}
func (ss *smtpSession) Mail(string, *smtp.MailOptions) error { return nil }
func (ss *smtpSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (ss *smtpSession) Data(r io.Reader) error {
	_, _ = io.Copy(io.Discard, r)
	ss.s.mu.Lock()
	ss.s.msgs++
	ss.s.mu.Unlock()
	return nil
}
func (ss *smtpSession) Reset()        {}
func (ss *smtpSession) Logout() error { return nil }

func startSMTP(t *testing.T, password string) *smtpCapture {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c := &smtpCapture{user: "lava", password: password}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &smtpSession{c}, nil }))
	srv.Domain = "mail.example.com"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	c.addr = l.Addr().String()
	return c
}

// secretWorld is a world with a Slack receiver, an SMTP server, their
// connection records, and the SMTP passwords in SSM.
type secretWorld struct {
	*world
	sec   secrets
	smtp  *smtpCapture
	slack *int
}

func newSecretWorld(t *testing.T) *secretWorld {
	t.Helper()
	w := &secretWorld{world: newWorld(t)}
	tok := strings.ToUpper(unique("TOKSECRET"))
	slackSrv, n := slackReceiver(t)
	w.slack = n
	w.sec = secrets{
		webhookToken:      tok,
		webhookPath:       "/services/T0TRUST/B0TRUST/" + tok,
		smtpPassword:      unique("smtpPASS-"),
		wrongSMTPPassword: unique("smtpWRONG-"),
		secureValue:       unique("stateSECRET-"),
		awsKeyID:          strings.ToUpper(unique("AKIATRUST")),
		awsSecret:         unique("awsSECRET/Key+"),
	}
	w.sec.webhookURL = slackSrv.URL + w.sec.webhookPath
	w.sec.failWebhookURL = slackSrv.URL + "/services/T0TRUST/fail/" + tok
	w.sec.tokenEchoWebhookURL = slackSrv.URL + "/services/T0TRUST/failtoken/" + tok
	w.smtp = startSMTP(t, w.sec.smtpPassword)
	_, port, _ := net.SplitHostPort(w.smtp.addr)
	conns := "lava." + w.realm + ".connections"
	putItem(t, conns, map[string]string{"conn_id": "slack", "type": "slack", "enabled": "true", "webhook_url": w.sec.webhookURL})
	putItem(t, conns, map[string]string{"conn_id": "slack-fail", "type": "slack", "enabled": "true", "webhook_url": w.sec.failWebhookURL})
	putItem(t, conns, map[string]string{"conn_id": "slack-token-echo", "type": "slack", "enabled": "true", "webhook_url": w.sec.tokenEchoWebhookURL})
	for id, pw := range map[string]string{"smtp": w.sec.smtpPassword, "smtp-bad": w.sec.wrongSMTPPassword} {
		param := "/lava/" + w.realm + "/" + id
		putSecureParameter(t, param, pw)
		putItem(t, conns, map[string]string{"conn_id": id, "type": "email", "subtype": "smtp", "enabled": "true",
			"host": "127.0.0.1", "port": port, "tls": "true", "user": "lava", "password": param, "from": "lava@example.com"})
	}
	return w
}

// items returns the action items of a list, by name.
func (w *secretWorld) items() map[string]string {
	return map[string]string{
		"log":          `{"action": "log", "message": "job {{ job.job_id }} done"}`,
		"sqs":          fmt.Sprintf(`{"action": "sqs", "queue": "q-%s", "message": "hello"}`, w.realm),
		"sns":          fmt.Sprintf(`{"action": "sns", "topic": %q, "message": "hello", "subject": "s"}`, w.topicARN),
		"event":        fmt.Sprintf(`{"action": "event", "source": %q}`, w.source),
		"dispatch":     `{"action": "dispatch", "job_id": "child", "parameters": {"p": "{{ job.job_id }}"}}`,
		"state secure": fmt.Sprintf(`{"action": "state", "state_id": "sec", "type": "secure", "value": %q}`, w.sec.secureValue),
		"slack":        `{"action": "slack", "slack_conn": "slack", "message": "hello {{ job.job_id }}", "subject": "s"}`,
		"email smtp":   `{"action": "email", "email_conn": "smtp", "to": "to@example.com", "subject": "s", "message": "hello"}`,
		"email ses":    fmt.Sprintf(`{"action": "email", "to": "to@example.com", "from": %q, "subject": "s", "message": "hello"}`, w.sender),
	}
}

// failing returns items that fail, by name.
func (w *secretWorld) failing() map[string]string {
	return map[string]string{
		"slack 500 echoing the URL": `{"action": "slack", "slack_conn": "slack-fail", "message": "hello"}`,
		"smtp wrong password":       `{"action": "email", "email_conn": "smtp-bad", "to": "to@example.com", "subject": "s", "message": "hello"}`,
		"state KMS failure": fmt.Sprintf(`{"action": "state", "state_id": "sec2", "type": "secure", "kms_key": "alias/no-such-key", "value": %q}`,
			w.sec.secureValue),
	}
}

// env is the host environment: secret AWS keys and kumo, passed to the
// plugins through the host's allow-list.
func (w *secretWorld) env() []string {
	return []string{"AWS_ENDPOINT_URL=" + kumoURL, "AWS_REGION=us-east-1", "AWS_EC2_METADATA_DISABLED=true",
		"AWS_ACCESS_KEY_ID=" + w.sec.awsKeyID, "AWS_SECRET_ACCESS_KEY=" + w.sec.awsSecret,
		"LAVA_SMTP_TLS_INSECURE=true", "LAVA_AWS_MAX_ATTEMPTS=2", "LAVA_AWS_MAX_BACKOFF=10ms"}
}

func (w *secretWorld) jobJSON(items ...string) string {
	return fmt.Sprintf(`{"job_id": "trust/secrets", "realm": %q, "run_id": "run-1", "worker": "w0", "type": "cmd",
		"ts_start": "2026-01-01T10:00:00+00:00", "globals": {}, "on_success": [%s]}`, w.realm, strings.Join(items, ", "))
}

// output is everything one scenario printed or reported, by source.
type output map[string]string

// leaks returns "<secret> in <source>" for every secret found, skipping
// the sources allowed to hold a given secret.
func leaks(sec secrets, out output, allowed func(secret, source string) bool) []string {
	var found []string
	for name, s := range sec.all() {
		for src, text := range out {
			if strings.Contains(text, s) && !allowed(name, src) {
				found = append(found, fmt.Sprintf("%s in %s", name, src))
			}
		}
	}
	return found
}

// TestSecretsNeverPrinted runs every action type with secrets present,
// through Run, DryRun and failures, logging at debug level, and checks that
// no secret appears in the host log (which holds the plugins' stderr and
// log records), the JSON report, the error texts or the dead letters.
//
// Dead letters hold the failed item and its context by design. The secure
// state value is part of the state action's item, so it is in that action's
// dead letter (a design question, reported); every other secret lives in
// connection records, SSM or the environment and must not be there.
func TestSecretsNeverPrinted(t *testing.T) {
	w := newSecretWorld(t)
	dlDir := t.TempDir()
	h, logs := newHost(t, w.env(), 20*time.Second, dlDir)
	realm := mustMap(t, fmt.Sprintf(`{"realm": %q, "config": {}}`, w.realm))
	items := w.items()
	var all []string
	for _, it := range items {
		all = append(all, it)
	}
	type scenario struct {
		name     string
		items    []string
		dry      bool
		wantFail bool
	}
	scenarios := []scenario{{"run all types", all, false, false}, {"dry run all types", all, true, false}}
	for name, it := range w.failing() {
		scenarios = append(scenarios, scenario{name, []string{it}, false, true}, scenario{"dry run " + name, []string{it}, true, false})
	}
	out := output{}
	for _, sc := range scenarios {
		job := mustMap(t, w.jobJSON(sc.items...))
		run := h.Run
		if sc.dry {
			run = h.DryRun
		}
		rep, err := run(context.Background(), host.OnSuccess, job, realm, nil)
		if (err != nil) != sc.wantFail {
			t.Errorf("%s: err = %v", sc.name, err)
		}
		if err != nil {
			out["error of "+sc.name] = err.Error()
		}
		b, _ := json.Marshal(rep)
		out["report of "+sc.name] = string(b)
		t.Logf("%s: %s", sc.name, rep.Error)
	}
	if w.smtp.msgs != 1 || *w.slack != 2 {
		t.Errorf("SMTP messages %d (want 1), Slack posts %d (want 2)", w.smtp.msgs, *w.slack)
	}
	out["host log"] = logs.String()
	dls, _ := filepath.Glob(filepath.Join(dlDir, "*.json"))
	if len(dls) != 3 {
		t.Errorf("%d dead letters, want 3", len(dls))
	}
	for _, p := range dls {
		b, _ := os.ReadFile(p)
		out["dead letter "+filepath.Base(p)] = string(b)
	}
	for _, s := range []string{`"level":"DEBUG"`, "Dispatching child"} {
		if !strings.Contains(out["host log"], s) {
			t.Errorf("host log lacks %q: debug logging is not on", s)
		}
	}
	stateDL := func(secret, source string) bool {
		if secret == "secure state value" && strings.HasPrefix(source, "dead letter ") && strings.HasSuffix(source, "-state.json") {
			t.Logf("design question: the secure state value is in %s (it is the failed item's value)", source)
			return true
		}
		return false
	}
	for _, l := range leaks(w.sec, out, stateDL) {
		t.Errorf("secret leaked: %s", l)
	}
	if t.Failed() {
		for src, text := range out {
			t.Logf("--- %s:\n%s", src, text)
		}
	}
}

// TestSecretsCLI runs the CLI binary (run and render, a success and a
// failure) with --log-level debug and checks its stdout and stderr.
func TestSecretsCLI(t *testing.T) {
	w := newSecretWorld(t)
	dir := t.TempDir()
	realmFile := filepath.Join(dir, "realm.json")
	if err := os.WriteFile(realmFile, []byte(fmt.Sprintf(`{"realm": %q, "config": {}}`, w.realm)), 0o600); err != nil {
		t.Fatal(err)
	}
	items := w.items()
	var all []string
	for _, it := range items {
		all = append(all, it)
	}
	fail := w.failing()
	cases := []struct {
		name  string
		cmd   string
		items []string
		code  int
	}{
		{"run all", "run", all, 0},
		{"render all", "render", all, 0},
		{"run slack failure", "run", []string{fail["slack 500 echoing the URL"]}, 1},
		{"run smtp failure", "run", []string{fail["smtp wrong password"]}, 1},
		{"render state failure", "render", []string{fail["state KMS failure"]}, 0},
	}
	env := append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}, w.env()...)
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			jobFile := filepath.Join(dir, "job"+strconv.Itoa(i)+".json")
			if err := os.WriteFile(jobFile, []byte(w.jobJSON(tc.items...)), 0o600); err != nil {
				t.Fatal(err)
			}
			for _, format := range []string{"text", "json"} {
				ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
				cmd := exec.CommandContext(ctx, filepath.Join(binDir, "lava-actions"), "--plugin-dir", pluginDir,
					"--log-level", "debug", tc.cmd, "--on", "success", "--job", jobFile, "--realm", realmFile, "--output", format)
				cmd.Env = env
				var stdout, stderr bytes.Buffer
				cmd.Stdout, cmd.Stderr = &stdout, &stderr
				err := cmd.Run()
				cancel()
				code := 0
				if ee, ok := err.(*exec.ExitError); ok {
					code = ee.ExitCode()
				} else if err != nil {
					t.Fatal(err)
				}
				if code != tc.code {
					t.Errorf("%s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", format, code, tc.code, stdout.String(), stderr.String())
				}
				if !strings.Contains(stderr.String(), "level=DEBUG") && !strings.Contains(stderr.String(), `"level":"DEBUG"`) {
					t.Errorf("%s: no debug records on stderr:\n%s", format, stderr.String())
				}
				for _, l := range leaks(w.sec, output{"stdout": stdout.String(), "stderr": stderr.String()}, func(string, string) bool { return false }) {
					t.Errorf("%s: secret leaked: %s\nstdout:\n%s\nstderr:\n%s", format, l, stdout.String(), stderr.String())
				}
			}
		})
	}
}

// slackTokenEchoLeaks is true while the slack action redacts only the
// whole webhook URL and its path from a failed response's body, not the
// token segment alone: a body echoing just the token reaches the error,
// the report, the log and the dead letter. Set it to false once
// slackaction redacts the token (TestSecretsSlackTokenEcho then guards it).
const slackTokenEchoLeaks = false

// TestSecretsSlackTokenEcho fails a Slack post with a 500 whose body echoes
// only the webhook token.
func TestSecretsSlackTokenEcho(t *testing.T) {
	w := newSecretWorld(t)
	h, logs := newHost(t, w.env(), 20*time.Second, t.TempDir())
	realm := mustMap(t, fmt.Sprintf(`{"realm": %q}`, w.realm))
	job := mustMap(t, w.jobJSON(`{"action": "slack", "slack_conn": "slack-token-echo", "message": "hello"}`))
	rep, err := h.Run(context.Background(), host.OnSuccess, job, realm, nil)
	if err == nil {
		t.Fatal("no error")
	}
	b, _ := json.Marshal(rep)
	found := leaks(w.sec, output{"error": err.Error(), "report": string(b), "host log": logs.String()},
		func(string, string) bool { return false })
	if len(found) > 0 && slackTokenEchoLeaks {
		t.Skipf("KNOWN LEAK, reported: %v (error: %s)", found, err)
	}
	for _, l := range found {
		t.Errorf("secret leaked: %s", l)
	}
}

// TestSecretsThirdPartyPlugin runs a plugin that is not the project's
// (host/testdata/thirdparty: no SDK server, no checks, ignores dry run) and
// that tries to leak its AWS secret key, its declared-secret "token" field
// and a secret it reports, through its error, summary, effects, log
// records and stderr. The host's redactor must catch every one, in Run
// and in DryRun (where the plugin must not even be asked).
func TestSecretsThirdPartyPlugin(t *testing.T) {
	w := newSecretWorld(t)
	dir := t.TempDir()
	if b, err := exec.Command("go", "build", "-o", filepath.Join(dir, host.ExecutablePrefix+"thirdparty"),
		"../../host/testdata/thirdparty").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, b)
	}
	var posts atomic.Int32
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { posts.Add(1) }))
	t.Cleanup(recv.Close)
	logs := &testkit.SyncBuffer{}
	env := append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}, w.env()...)
	h, err := host.New(host.Config{
		PluginPath: []string{pluginDir, dir},
		Logger:     slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Environ:    func() []string { return env },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	token, reported := unique("declaredTOKEN-"), unique("reportedSECRET-")
	item := fmt.Sprintf(`{"action": "thirdparty", "url": %q, "token": %q, "leak": %q}`, recv.URL, token, reported)
	realm := mustMap(t, fmt.Sprintf(`{"realm": %q, "config": {}}`, w.realm))
	out := output{}
	for _, dry := range []bool{true, false} {
		run, name := h.Run, "run"
		if dry {
			run, name = h.DryRun, "dry run"
		}
		rep, err := run(context.Background(), host.OnSuccess, mustMap(t, w.jobJSON(item)), realm, nil)
		if err != nil {
			out["error of "+name] = err.Error()
		}
		b, _ := json.Marshal(rep)
		out["report of "+name] = string(b)
		if dry && posts.Load() != 0 {
			t.Errorf("the dry run sent %d requests", posts.Load())
		}
	}
	if posts.Load() != 1 || out["error of run"] == "" || !strings.Contains(out["report of dry run"], `"status":"skipped"`) {
		t.Fatalf("posts %d, outputs %v: the plugin did not run as the test expects", posts.Load(), out)
	}
	// The plugin's stderr reaches the host log asynchronously.
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if strings.Contains(logs.String(), "stderr line with key") {
			break
		}
	}
	out["host log"] = logs.String()
	sec := w.sec.all()
	sec["declared-secret field"], sec["reported secret"] = token, reported
	for name, s := range sec {
		for src, text := range out {
			if strings.Contains(text, s) {
				t.Errorf("%s leaked in %s", name, src)
			}
		}
	}
	if !strings.Contains(out["host log"], "stderr line with key [REDACTED]") {
		t.Errorf("the plugin's stderr line is not in the host log, redacted:\n%s", out["host log"])
	}
}
