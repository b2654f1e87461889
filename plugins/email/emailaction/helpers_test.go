package emailaction_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/lava-actions/lava-actions/plugins/email/emailaction"
	"github.com/lava-actions/lava-actions/plugins/internal/awstest"
	"github.com/lava-actions/lava-actions/plugins/internal/connections"
	"github.com/lava-actions/lava-actions/sdk/plugintest"
	"github.com/lava-actions/lava-actions/sdk/value"
)

// env is the one kumo of this test binary: kumo.NewServer is not safe to
// call concurrently, and all kumo servers of a process share state anyway.
var env *awstest.Env

func TestMain(m *testing.M) {
	var stop func()
	env, stop = awstest.StartMain()
	// go-plugin puts the parent's environment after the one plugintest.Exec
	// is given, so a plugin subprocess would see kumo's AWS_ENDPOINT_URL
	// rather than the shim's. The in-process tests pass their own
	// aws.Config, so the process does not need it.
	os.Unsetenv("AWS_ENDPOINT_URL")
	code := m.Run()
	stop()
	os.Exit(code)
}

// sesCall is one SES query-protocol request seen by the shim.
type sesCall struct {
	Action string
	Region string
	Form   url.Values
}

// sesShim sits in front of kumo. kumo's SES v1 lists only addresses
// verified with VerifyEmailIdentity and has no VerifyDomainIdentity, so the
// shim answers ListIdentities(IdentityType=Domain) from its own list of
// "verified domains" and records every SES call (action, region from the
// signature scope, parameters); everything else goes to kumo unchanged.
type sesShim struct {
	URL     string
	Env     *awstest.Env
	domains []string

	mu    sync.Mutex
	calls []sesCall
}

var credScope = regexp.MustCompile(`Credential=[^/]+/[0-9]+/([a-z0-9-]+)/`)

func newShim(t *testing.T, env *awstest.Env, domains ...string) *sesShim {
	t.Helper()
	target, _ := url.Parse(env.URL)
	proxy := httputil.NewSingleHostReverseProxy(target)
	s := &sesShim{Env: env, domains: domains}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") && r.Method == http.MethodPost {
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			form, _ := url.ParseQuery(string(body))
			region := ""
			if m := credScope.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
				region = m[1]
			}
			s.mu.Lock()
			s.calls = append(s.calls, sesCall{Action: form.Get("Action"), Region: region, Form: form})
			s.mu.Unlock()
			if form.Get("Action") == "ListIdentities" && form.Get("IdentityType") == "Domain" {
				var members strings.Builder
				for _, d := range s.domains {
					fmt.Fprintf(&members, "<member>%s</member>", d)
				}
				w.Header().Set("Content-Type", "text/xml")
				fmt.Fprintf(w, `<ListIdentitiesResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/"><ListIdentitiesResult><Identities>%s</Identities></ListIdentitiesResult><ResponseMetadata><RequestId>shim</RequestId></ResponseMetadata></ListIdentitiesResponse>`, members.String())
				return
			}
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

func (s *sesShim) Calls() []sesCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]sesCall(nil), s.calls...)
}

// config is an aws.Config for the action, pointing at the shim.
func (s *sesShim) config() aws.Config {
	c := s.Env.Config.Copy()
	c.BaseEndpoint = aws.String(s.URL)
	return c
}

// pluginEnv is the subprocess environment pointing at the shim.
func (s *sesShim) pluginEnv() []string {
	var out []string
	for _, kv := range s.Env.PluginEnv() {
		if strings.HasPrefix(kv, "AWS_ENDPOINT_URL=") {
			kv = "AWS_ENDPOINT_URL=" + s.URL
		}
		out = append(out, kv)
	}
	return out
}

// world is one test's AWS side: kumo, the shim, a fresh realm whose
// connections table holds the spec 9.9 records, and an action using them.
type world struct {
	*sesShim
	Realm string
	// Dialed records the SMTP addresses the action dialed.
	mu     sync.Mutex
	Dialed []string
	// Routes maps an SMTP host:port to the local listener address.
	Routes map[string]string
	Action *emailaction.Action
}

// specConnections are the connection records of spec 9.9 (smtp1's
// password parameter is per realm; see newWorld).
var specConnections = []string{
	`{"conn_id": "em1", "type": "email", "enabled": true, "from": "conn@example.com"}`,
	`{"conn_id": "em2", "type": "email", "subtype": "ses", "enabled": true, "region": "us-east-1", "configuration_set": "cs1", "reply_to": "rt@example.com"}`,
	`{"conn_id": "em3", "type": "ses", "enabled": true}`,
	`{"conn_id": "em4", "type": "email", "enabled": false}`,
	`{"conn_id": "em5", "type": "slack", "enabled": true, "webhook_url": "x"}`,
	`{"conn_id": "em6", "type": "email", "subtype": "pigeon", "enabled": true}`,
	`{"conn_id": "em7", "type": "email", "enabled": true, "bogus": 1}`,
	`{"conn_id": "em8", "type": "Email", "enabled": true}`,
	`{"conn_id": "smtp2", "type": "email", "subtype": "smtp", "enabled": true, "host": "mail.example.com", "user": "u"}`,
	`{"conn_id": "smtp3", "type": "email", "subtype": "smtp", "enabled": true}`,
}

func newWorld(t *testing.T, env *awstest.Env, domains ...string) *world {
	t.Helper()
	w := &world{sesShim: newShim(t, env, domains...), Realm: awstest.Unique("dev"), Routes: map[string]string{}}
	table := connections.TableName(w.Realm)
	env.CreateTable(t, table, "conn_id")
	for _, item := range specConnections {
		env.PutItemJSON(t, table, item)
	}
	env.PutItemJSON(t, table, fmt.Sprintf(`{"conn_id": "smtp1", "type": "email", "subtype": "smtp", "enabled": true, "host": "mail.example.com", "user": "u", "password": "/lava/%s/smtp-pw", "tls": true, "from": "smtp@example.com"}`, w.Realm))
	env.PutSecureParameter(t, "/lava/"+w.Realm+"/smtp-pw", "s3cret")
	cfg := w.config()
	w.Action = emailaction.New(emailaction.Options{
		AWSConfig: func(context.Context) (aws.Config, error) { return cfg, nil },
		Dial: func(ctx context.Context, network, addr string) (net.Conn, error) {
			w.mu.Lock()
			w.Dialed = append(w.Dialed, addr)
			if to, ok := w.Routes[addr]; ok {
				addr = to
			}
			w.mu.Unlock()
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		},
	})
	return w
}

// put adds a connection record to the world's realm.
func (w *world) put(t *testing.T, item string) {
	t.Helper()
	w.Env.PutItemJSON(t, connections.TableName(w.Realm), item)
}

// route sends SMTP connections for addr to the local listener at to.
func (w *world) route(addr, to string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.Routes[addr] = to
}

// input is a plugintest input in the world's realm.
func (w *world) input(item *value.Map, cfg map[string]string) plugintest.Input {
	job, realm, _ := plugintest.Fixture()
	job.Set("realm", w.Realm)
	realm.Set("realm", w.Realm)
	return plugintest.Input{Item: item, Job: job, Realm: realm, Config: cfg}
}

// certs is a self-signed CA and a server certificate it signed.
type certs struct {
	CAFile string
	Server tls.Certificate
}

func makeCerts(t *testing.T, hosts ...string) certs {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "lava test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTpl, caTpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: hosts[0]},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tpl.IPAddresses = append(tpl.IPAddresses, ip)
		} else {
			tpl.DNSNames = append(tpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certs{CAFile: caFile, Server: tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}}
}

// smtpMsg is one message the capture server accepted.
type smtpMsg struct {
	From string
	To   []string
	Data []byte
	// User and Password are the AUTH PLAIN credentials ("" without AUTH).
	User, Password string
	// TLS reports whether the session was encrypted.
	TLS bool
}

// smtpServer is a real go-smtp server capturing messages. It offers
// STARTTLS (when tlsOn) and AUTH PLAIN (only inside TLS) with one user.
type smtpServer struct {
	Addr     string // plain listener (STARTTLS when offered)
	TLSAddr  string // implicit-TLS listener
	user     string
	password string

	mu        sync.Mutex
	msgs      []smtpMsg
	logouts   int
	sessions  int
	authFails int
}

func (s *smtpServer) Messages() []smtpMsg {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]smtpMsg(nil), s.msgs...)
}

// Open returns how many sessions were started and not logged out.
func (s *smtpServer) Open() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions - s.logouts
}

type smtpSession struct {
	srv  *smtpServer
	conn *smtp.Conn
	msg  smtpMsg
}

func (s *smtpSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *smtpSession) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != s.srv.user || password != s.srv.password {
			s.srv.mu.Lock()
			s.srv.authFails++
			s.srv.mu.Unlock()
			return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "Authentication credentials invalid"}
		}
		s.msg.User, s.msg.Password = username, password
		return nil
	}), nil
}

func (s *smtpSession) Mail(from string, _ *smtp.MailOptions) error { s.msg.From = from; return nil }
func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.msg.To = append(s.msg.To, to)
	return nil
}

func (s *smtpSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m := s.msg
	m.Data = b
	_, m.TLS = s.conn.TLSConnectionState()
	s.srv.mu.Lock()
	s.srv.msgs = append(s.srv.msgs, m)
	s.srv.mu.Unlock()
	return nil
}

func (s *smtpSession) Reset() { s.msg = smtpMsg{User: s.msg.User, Password: s.msg.Password} }

func (s *smtpSession) Logout() error {
	s.srv.mu.Lock()
	s.srv.logouts++
	s.srv.mu.Unlock()
	return nil
}

// startSMTP starts the capture server: a plain listener (offering STARTTLS
// when starttls) and an implicit-TLS listener, both with cert.
func startSMTP(t *testing.T, cert tls.Certificate, starttls bool) *smtpServer {
	t.Helper()
	s := &smtpServer{user: "u", password: "s3cret"}
	tlsConf := &tls.Config{Certificates: []tls.Certificate{cert}}
	be := smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		s.mu.Lock()
		s.sessions++
		s.mu.Unlock()
		return &smtpSession{srv: s, conn: c}, nil
	})
	newServer := func(withTLS bool) *smtp.Server {
		srv := smtp.NewServer(be)
		srv.Domain = "mail.example.com"
		srv.ReadTimeout = 10 * time.Second
		srv.WriteTimeout = 10 * time.Second
		if withTLS {
			srv.TLSConfig = tlsConf
		}
		return srv
	}
	plain := newServer(starttls)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go plain.Serve(l)
	s.Addr = l.Addr().String()
	implicit := newServer(true)
	tl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go implicit.Serve(tls.NewListener(tl, tlsConf))
	s.TLSAddr = tl.Addr().String()
	t.Cleanup(func() { plain.Close(); implicit.Close() })
	return s
}
