// Package awstest starts a local AWS endpoint (kumo, in-process) for tests
// of the bundled plugins and hands out clients and plugin environment
// variables that point at it.
package awstest

import (
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/sivchari/kumo"
)

// Region is the region every test uses.
const Region = "us-east-1"

// Env is a running local AWS endpoint.
type Env struct {
	// URL is the endpoint, http://127.0.0.1:<port>.
	URL string
	// Config is an aws.Config for clients in the test process.
	Config aws.Config
}

// kumoMu serialises starting and stopping kumo servers: kumo wires its
// services through state shared by every server of the process, which two
// parallel tests starting servers at once would race on.
var kumoMu sync.Mutex

// newServer starts a kumo server; stop stops it.
func newServer() (srv *kumo.Server, stop func()) {
	kumoMu.Lock()
	defer kumoMu.Unlock()
	srv = kumo.NewServer()
	return srv, func() {
		kumoMu.Lock()
		defer kumoMu.Unlock()
		srv.Close()
	}
}

// Start starts kumo and stops it when the test ends. All kumo servers in one
// test binary share state, so tests must use unique resource names.
func Start(t testing.TB) *Env {
	t.Helper()
	srv, stop := newServer()
	t.Cleanup(stop)
	cfg := aws.Config{
		Region:       Region,
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(srv.URL),
	}
	return &Env{URL: srv.URL, Config: cfg}
}

// PluginEnv returns the environment a plugin process needs to use the
// endpoint: AWS_ENDPOINT_URL, region and dummy credentials.
func (e *Env) PluginEnv() []string {
	return []string{
		"AWS_ENDPOINT_URL=" + e.URL,
		"AWS_REGION=" + Region,
		"AWS_ACCESS_KEY_ID=test",
		"AWS_SECRET_ACCESS_KEY=test",
		"AWS_EC2_METADATA_DISABLED=true",
	}
}

// Setenv points this test process's own AWS configuration (awsx.Config) at
// the endpoint, for in-process plugin tests. It uses t.Setenv, so the test
// and its parents must not be parallel.
func (e *Env) Setenv(t *testing.T) {
	for _, kv := range e.PluginEnv() {
		for i := 0; i < len(kv); i++ {
			if kv[i] == '=' {
				t.Setenv(kv[:i], kv[i+1:])
				break
			}
		}
	}
}

// StartMain is Start for TestMain: it starts kumo, sets this process's AWS
// environment to point at it (so awsx.Config, loaded once per process, uses
// it) and returns a stop function.
func StartMain() (*Env, func()) {
	srv, stop := newServer()
	e := &Env{URL: srv.URL, Config: aws.Config{
		Region:       Region,
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(srv.URL),
	}}
	for _, kv := range e.PluginEnv() {
		k, v, _ := strings.Cut(kv, "=")
		os.Setenv(k, v)
	}
	return e, stop
}
