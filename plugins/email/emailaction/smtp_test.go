package emailaction_test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/google/go-cmp/cmp"
	"github.com/lava-actions/lava-actions/plugins/email/emailaction"
	"github.com/lava-actions/lava-actions/sdk/plugintest"
	"github.com/lava-actions/lava-actions/sdk/value"
)

// TestSMTP sends through a real go-smtp server: implicit TLS (port 465,
// S01), STARTTLS with AUTH PLAIN, plain, and the failure paths.
func TestSMTP(t *testing.T) {
	t.Parallel()
	crt := makeCerts(t, "mail.example.com", "127.0.0.1")
	withCA := map[string]string{"SMTP_CA_FILE": crt.CAFile}
	type want struct {
		err      string
		dialed   string
		from     string
		to       []string
		user     string
		password string
		tls      bool
		headers  map[string]string
	}
	cases := []struct {
		name string
		// conn is the connection record (conn_id "c"); "" uses smtp1.
		conn     string
		route    string // "plain", "tls" or "silent": where host:port goes
		starttls bool   // does the plain listener offer STARTTLS
		cfg      map[string]string
		item     *value.Map
		want     want
	}{
		{"S01 port 465 implicit TLS, AUTH, SSM password", "", "tls", true, withCA,
			value.NewMap("action", "email", "email_conn", "smtp1", "to", []any{"a@example.com", "c@example.com"}, "subject", "S", "message", "m"),
			want{dialed: "mail.example.com:465", from: "smtp@example.com", to: []string{"a@example.com", "c@example.com"}, user: "u", password: "s3cret", tls: true,
				headers: map[string]string{"From": "smtp@example.com", "To": "a@example.com, c@example.com", "Subject": "S", "Content-Type": "text/plain; charset=utf-8"}}},
		{"STARTTLS on 587 with AUTH", `"host": "mail.example.com", "port": 587, "tls": true, "user": "u", "password": "PW"`, "plain", true, withCA,
			value.NewMap("action", "email", "email_conn", "c", "from", "Lava <lava@example.com>", "to", "a@example.com", "subject", "S", "message", "<html>x</html>"),
			want{dialed: "mail.example.com:587", from: "lava@example.com", to: []string{"a@example.com"}, user: "u", password: "s3cret", tls: true,
				headers: map[string]string{"From": `"Lava" <lava@example.com>`, "Content-Type": "text/html; charset=utf-8"}}},
		{"plain port 25 without TLS or AUTH", `"host": "mail.example.com", "from": "p@example.com"`, "plain", true, nil,
			value.NewMap("action", "email", "email_conn", "c", "to", "a@example.com", "subject", "S", "message", "m"),
			want{dialed: "mail.example.com:25", from: "p@example.com", to: []string{"a@example.com"}, tls: false,
				headers: map[string]string{"From": "p@example.com"}}},
		{"STARTTLS required but not offered", `"host": "mail.example.com", "port": 587, "tls": true, "from": "p@example.com"`, "plain", false, withCA,
			value.NewMap("action", "email", "email_conn", "c", "to", "a@example.com", "subject", "S", "message", "m"),
			want{dialed: "mail.example.com:587", err: "c: SMTP server mail.example.com:587 does not offer STARTTLS (tls is true)"}},
		{"untrusted certificate", `"host": "mail.example.com", "port": 587, "tls": true, "from": "p@example.com"`, "plain", true, nil,
			value.NewMap("action", "email", "email_conn", "c", "to", "a@example.com", "subject", "S", "message", "m"),
			want{dialed: "mail.example.com:587", err: "c: SMTP STARTTLS: tls: failed to verify certificate: x509: certificate signed by unknown authority"}},
		{"SMTP_TLS_INSECURE skips verification", `"host": "mail.example.com", "port": 587, "tls": true, "from": "p@example.com"`, "plain", true, map[string]string{"SMTP_TLS_INSECURE": "true"},
			value.NewMap("action", "email", "email_conn", "c", "to", "a@example.com", "subject", "S", "message", "m"),
			want{dialed: "mail.example.com:587", from: "p@example.com", to: []string{"a@example.com"}, tls: true}},
		{"wrong password", `"host": "mail.example.com", "port": 465, "user": "u", "password": "PW", "from": "p@example.com"`, "tls", true, withCA,
			value.NewMap("action", "email", "email_conn", "c", "to", "a@example.com", "subject", "S", "message", "m"),
			want{dialed: "mail.example.com:465", err: "c: SMTP authentication failed: 535 5.7.8 Authentication credentials invalid"}},
		{"no password without TLS", `"host": "mail.example.com", "port": 2525, "user": "u", "password": "PW", "from": "p@example.com"`, "plain", true, withCA,
			value.NewMap("action", "email", "email_conn", "c", "to", "a@example.com", "subject", "S", "message", "m"),
			want{dialed: "mail.example.com:2525", err: "c: SMTP server does not offer AUTH (user is set)"}},
		{"timeout", `"host": "mail.example.com", "port": 25, "from": "p@example.com"`, "silent", true, nil,
			value.NewMap("action", "email", "email_conn", "c", "to", "a@example.com", "subject", "S", "message", "m"),
			want{dialed: "mail.example.com:25", err: "c: SMTP greeting: timed out after 300ms"}},
		{"connection refused", `"host": "mail.example.com", "port": 25, "from": "p@example.com"`, "closed", true, nil,
			value.NewMap("action", "email", "email_conn", "c", "to", "a@example.com", "subject", "S", "message", "m"),
			want{dialed: "mail.example.com:25", err: "c: Cannot connect to SMTP server mail.example.com:25: "}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, env)
			srv := startSMTP(t, crt.Server, tc.starttls)
			pw := "PW"
			if tc.name == "wrong password" {
				w.Env.PutSecureParameter(t, "/lava/"+w.Realm+"/wrong", "not-it")
				pw = "/lava/" + w.Realm + "/wrong"
			} else {
				pw = "/lava/" + w.Realm + "/smtp-pw"
			}
			if tc.conn != "" {
				w.put(t, fmt.Sprintf(`{"conn_id": "c", "type": "email", "subtype": "smtp", "enabled": true, %s}`, strings.ReplaceAll(tc.conn, `"PW"`, `"`+pw+`"`)))
			}
			addr := tc.want.dialed
			switch tc.route {
			case "plain":
				w.route(addr, srv.Addr)
			case "tls":
				w.route(addr, srv.TLSAddr)
			case "silent":
				l, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { l.Close() })
				go func() {
					for {
						c, err := l.Accept()
						if err != nil {
							return
						}
						t.Cleanup(func() { c.Close() })
					}
				}()
				w.route(addr, l.Addr().String())
			case "closed":
				l, _ := net.Listen("tcp", "127.0.0.1:0")
				w.route(addr, l.Addr().String())
				l.Close()
			}
			a := w.Action
			if tc.route == "silent" {
				cfg := w.config()
				a = emailaction.New(emailaction.Options{
					AWSConfig:   func(context.Context) (aws.Config, error) { return cfg, nil },
					SMTPTimeout: 300 * time.Millisecond,
					Dial: func(ctx context.Context, n, _ string) (net.Conn, error) {
						return (&net.Dialer{}).DialContext(ctx, n, w.Routes[addr])
					},
				})
			}
			start := time.Now()
			out, err := plugintest.InProcess(t, a).Run(context.Background(), w.input(tc.item, tc.cfg))
			if err != nil {
				t.Fatal(err)
			}
			if tc.route == "silent" && time.Since(start) > 5*time.Second {
				t.Errorf("timeout took %s", time.Since(start))
			}
			if tc.route != "silent" {
				if diff := cmp.Diff([]string{addr}, w.Dialed); diff != "" {
					t.Errorf("dialed (-want +got):\n%s", diff)
				}
			}
			if strings.Contains(out.Error, "s3cret") || strings.Contains(out.Error, "not-it") {
				t.Errorf("password in error: %q", out.Error)
			}
			if tc.want.err != "" {
				if out.Error != tc.want.err && !(strings.HasSuffix(tc.want.err, " ") && strings.HasPrefix(out.Error, tc.want.err)) {
					t.Fatalf("error = %q, want %q", out.Error, tc.want.err)
				}
				if len(srv.Messages()) != 0 {
					t.Errorf("message delivered despite the error")
				}
				waitClosed(t, srv)
				return
			}
			if out.Error != "" {
				t.Fatalf("error: %s", out.Error)
			}
			msgs := srv.Messages()
			if len(msgs) != 1 {
				t.Fatalf("server got %d messages", len(msgs))
			}
			got := msgs[0]
			wantMsg := smtpMsg{From: tc.want.from, To: tc.want.to, User: tc.want.user, Password: tc.want.password, TLS: tc.want.tls}
			got.Data = nil
			if diff := cmp.Diff(wantMsg, got); diff != "" {
				t.Errorf("SMTP envelope (-want +got):\n%s", diff)
			}
			m := parseMail(t, msgs[0].Data)
			for k, v := range tc.want.headers {
				if got := m.Header.Get(k); got != v {
					t.Errorf("header %s = %q, want %q", k, got, v)
				}
			}
			waitClosed(t, srv)
			if e := out.Effects[0]; e.Operation != "smtp:SendMail" || !strings.HasPrefix(e.Outcome, "2") || strings.Contains(e.Detail, "s3cret") {
				t.Errorf("effect = %+v", e)
			}
		})
	}
}

// TestSMTPDryRun reports the session without connecting or reading the
// password.
func TestSMTPDryRun(t *testing.T) {
	t.Parallel()
	w := newWorld(t, env)
	in := w.input(value.NewMap("action", "email", "email_conn", "smtp1", "to", "a@example.com", "subject", "S", "message", "m"), nil)
	in.DryRun = true
	out, err := plugintest.InProcess(t, w.Action).Run(context.Background(), in)
	if err != nil || out.Error != "" {
		t.Fatalf("%v %q", err, out.Error)
	}
	if len(w.Dialed) != 0 {
		t.Errorf("dry run dialed %v", w.Dialed)
	}
	d := out.Effects[0].Decode()
	got := fmt.Sprintf("%v %v %v %v %v %v", d["host"], d["port"], d["security"], d["user"], d["mail_from"], d["rcpt_to"])
	if want := "mail.example.com 465 implicit-tls u smtp@example.com [a@example.com]"; got != want {
		t.Errorf("detail = %q, want %q", got, want)
	}
	if strings.Contains(out.Effects[0].Detail, "s3cret") || out.Effects[0].Target != "smtp://mail.example.com:465" {
		t.Errorf("effect = %+v", out.Effects[0])
	}
}

// waitClosed checks decision 0.15: every SMTP session ends (QUIT or
// close), after success and after errors.
func waitClosed(t *testing.T, srv *smtpServer) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for srv.Open() != 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if srv.Open() != 0 {
		t.Errorf("%d SMTP sessions left open", srv.Open())
	}
}

// TestSubprocess runs the real plugin executable: bare SES and an SES
// connection through the shim and kumo, and SMTP with STARTTLS and AUTH.
func TestSubprocess(t *testing.T) {
	t.Parallel()
	w := newWorld(t, env, "example.com")
	conn := plugintest.Exec(t, plugintest.Build(t, "github.com/lava-actions/lava-actions/plugins/email", "email"), w.pluginEnv()...)
	ctx := context.Background()

	// Bare SES, sender guessed from the verified domain.
	out, err := conn.Run(ctx, w.input(value.NewMap("action", "email", "to", "a@example.com", "subject", "S {{ job.job_id }}", "message", "M"), nil))
	if err != nil || out.Error != "" {
		t.Fatalf("bare SES: %v %q", err, out.Error)
	}
	sent := mailByID(t, env, "lava."+w.Realm+"@example.com", out.Effects[len(out.Effects)-1].Outcome)
	if sent.Subject != "S demo/job1" || sent.Body != "M" {
		t.Errorf("bare SES mail = %+v", sent)
	}

	// SES connection em1 (C01).
	out, err = conn.Run(ctx, w.input(value.NewMap("action", "email", "email_conn", "em1", "to", []any{"a@example.com", "b@example.com"},
		"subject", "Subj {{ job.job_id }}", "message", "Body {{ globals.g1 }}"), nil))
	if err != nil || out.Error != "" {
		t.Fatalf("em1: %v %q", err, out.Error)
	}
	sent = mailByID(t, env, "conn@example.com", out.Effects[0].Outcome)
	if m := parseMail(t, []byte(sent.RawData)); m.Header.Get("To") != "a@example.com, b@example.com" || m.Parts[0].Body != "Body G1" {
		t.Errorf("em1 mail = %+v", m)
	}

	// SMTP with STARTTLS and AUTH PLAIN on a local port; the CA from SMTP_CA_FILE.
	crt := makeCerts(t, "127.0.0.1")
	srv := startSMTP(t, crt.Server, true)
	host, port, _ := net.SplitHostPort(srv.Addr)
	w.put(t, fmt.Sprintf(`{"conn_id": "local", "type": "email", "subtype": "smtp", "enabled": true, "host": %q, "port": %s, "tls": true, "user": "u", "password": "/lava/%s/smtp-pw", "from": "smtp@example.com"}`, host, port, w.Realm))
	out, err = conn.Run(ctx, w.input(value.NewMap("action", "email", "email_conn", "local", "to", "a@example.com", "subject", "S", "message", "m"),
		map[string]string{"SMTP_CA_FILE": crt.CAFile}))
	if err != nil || out.Error != "" {
		t.Fatalf("smtp: %v %q", err, out.Error)
	}
	msgs := srv.Messages()
	if len(msgs) != 1 || msgs[0].Password != "s3cret" || !msgs[0].TLS || msgs[0].From != "smtp@example.com" {
		t.Fatalf("smtp messages = %+v", msgs)
	}
	waitClosed(t, srv)
}
