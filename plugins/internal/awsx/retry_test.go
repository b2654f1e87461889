package awsx

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/lava-actions/lava-actions/sdk"
	"github.com/lava-actions/lava-actions/tests/faultproxy"
)

// sqsEndpoint answers ListQueues; the first failFirst requests get an
// SQS throttling error.
func sqsEndpoint(t *testing.T, failFirst int64) (*httptest.Server, *atomic.Int64) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		if n.Add(1) <= failFirst {
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"__type":"ThrottlingException","message":"Rate exceeded"}`)
			return
		}
		io.WriteString(w, `{"QueueUrls":[]}`)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

// client loads a fresh configuration (not the process's) for endpoint.
func client(t *testing.T, endpoint, attempts string) *sqs.Client {
	t.Helper()
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL": endpoint, "AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b",
		"AWS_EC2_METADATA_DISABLED": "true", "LAVA_AWS_MAX_ATTEMPTS": attempts, "LAVA_AWS_MAX_BACKOFF": "2ms",
	} {
		t.Setenv(k, v)
	}
	cfg, err := load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return sqs.NewFromConfig(cfg)
}

// TestCountRetries checks that retried attempts are counted from the SDK's
// retry metadata, for successful and failed calls, per context.
func TestCountRetries(t *testing.T) {
	cases := []struct {
		name        string
		failFirst   int64
		attempts    string
		calls       int
		wantRetries int
		wantErr     string
	}{
		{"no faults", 0, "3", 2, 0, ""},
		{"two throttles then success", 2, "3", 1, 2, ""},
		{"throttles then a clean call", 3, "4", 2, 3, ""},
		{"bound reached", 10, "3", 1, 2,
			"An error occurred (ThrottlingException) when calling the ListQueues operation (reached max retries: 2): Rate exceeded"},
		{"bound of one attempt", 10, "1", 1, 0,
			"An error occurred (ThrottlingException) when calling the ListQueues operation (reached max retries: 0): Rate exceeded"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv, n := sqsEndpoint(t, tc.failFirst)
			c := client(t, srv.URL, tc.attempts)
			ctx, counter := CountRetries(context.Background())
			var lastErr error
			for range tc.calls {
				if _, err := c.ListQueues(ctx, &sqs.ListQueuesInput{}); err != nil {
					lastErr = err
				}
			}
			if got := counter.Retries(); got != tc.wantRetries {
				t.Errorf("retries = %d, want %d (requests %d)", got, tc.wantRetries, n.Load())
			}
			if got := int(n.Load()); got != tc.calls+tc.wantRetries {
				t.Errorf("requests = %d, want %d", got, tc.calls+tc.wantRetries)
			}
			got := ""
			if lastErr != nil {
				got = ErrorText(lastErr)
			}
			if got != tc.wantErr {
				t.Errorf("error = %q, want %q", got, tc.wantErr)
			}
			res := WithRetries(nil, counter)
			if tc.wantRetries == 0 && res != nil || tc.wantRetries > 0 && (res == nil || res.Retries != tc.wantRetries) {
				t.Errorf("WithRetries(nil) = %+v", res)
			}
		})
	}
}

// TestCountRetriesConcurrent checks that concurrent executions count apart
// and that a context without a counter is fine.
func TestCountRetriesConcurrent(t *testing.T) {
	srv, _ := sqsEndpoint(t, 4)
	c := client(t, srv.URL, "10")
	var wg sync.WaitGroup
	counters := make([]*RetryCounter, 4)
	for i := range counters {
		ctx, rc := CountRetries(context.Background())
		counters[i] = rc
		wg.Go(func() {
			if _, err := c.ListQueues(ctx, &sqs.ListQueuesInput{}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	total := 0
	for _, rc := range counters {
		total += rc.Retries()
	}
	if total != 4 {
		t.Errorf("retries over all counters = %d, want 4", total)
	}
	if _, err := c.ListQueues(context.Background(), &sqs.ListQueuesInput{}); err != nil {
		t.Error(err)
	}
	if r := WithRetries(&sdk.Result{Retries: 1}, counters[0]); r.Retries != 1+counters[0].Retries() {
		t.Errorf("WithRetries adds: %d", r.Retries)
	}
}

// TestErrorTextWithoutAnswer checks the wording of calls that got no AWS
// answer: no addresses, no Go error chains.
func TestErrorTextWithoutAnswer(t *testing.T) {
	srv, _ := sqsEndpoint(t, 0)
	cases := []struct {
		name string
		kind faultproxy.Kind
		want string
	}{
		{"reset", faultproxy.Reset, "Could not call the SQS ListQueues operation (reached max retries: 1): connection reset by the endpoint"},
		{"lost response", faultproxy.LostResponse, "Could not call the SQS ListQueues operation (reached max retries: 1): connection reset by the endpoint"},
		{"503", faultproxy.Unavailable, "An error occurred (ServiceUnavailable) when calling the ListQueues operation (reached max retries: 1): Service Unavailable"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := faultproxy.Start(faultproxy.Config{Target: srv.URL})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			p.SetOutage(true, tc.kind)
			c := client(t, p.URL, "2")
			ctx, rc := CountRetries(context.Background())
			_, err = c.ListQueues(ctx, &sqs.ListQueuesInput{})
			if got := ErrorText(err); got != tc.want {
				t.Errorf("ErrorText = %q, want %q\n(raw: %v)", got, tc.want, err)
			}
			if rc.Retries() != 1 || p.Stats().Requests != 2 {
				t.Errorf("retries = %d, requests = %d", rc.Retries(), p.Stats().Requests)
			}
		})
	}
	t.Run("refused", func(t *testing.T) {
		p, _ := faultproxy.Start(faultproxy.Config{Target: srv.URL})
		url := p.URL
		p.Close()
		c := client(t, url, "2")
		_, err := c.ListQueues(context.Background(), &sqs.ListQueuesInput{})
		want := "Could not call the SQS ListQueues operation (reached max retries: 1): connection refused by the endpoint"
		if got := ErrorText(err); got != want {
			t.Errorf("ErrorText = %q, want %q", got, want)
		}
	})
	t.Run("deadline", func(t *testing.T) {
		slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { time.Sleep(300 * time.Millisecond) }))
		defer slow.Close()
		c := client(t, slow.URL, "2")
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		_, err := c.ListQueues(ctx, &sqs.ListQueuesInput{})
		if got := ErrorText(err); !strings.HasPrefix(got, "Could not call the SQS ListQueues operation") || !strings.HasSuffix(got, ": the action's deadline passed") {
			t.Errorf("ErrorText = %q (raw: %v)", got, err)
		}
	})
}

// TestRetryOptions checks the environment settings.
func TestRetryOptions(t *testing.T) {
	cases := []struct {
		attempts, backoff string
		wantN             int
		wantB             time.Duration
	}{
		{"", "", DefaultMaxAttempts, DefaultMaxBackoff},
		{"3", "250ms", 3, 250 * time.Millisecond},
		{"0", "0.5", DefaultMaxAttempts, 500 * time.Millisecond},
		{"x", "-1s", DefaultMaxAttempts, DefaultMaxBackoff},
	}
	for _, tc := range cases {
		t.Setenv("LAVA_AWS_MAX_ATTEMPTS", tc.attempts)
		t.Setenv("LAVA_AWS_MAX_BACKOFF", tc.backoff)
		if n, b := RetryOptions(); n != tc.wantN || b != tc.wantB {
			t.Errorf("RetryOptions(%q, %q) = %d, %v; want %d, %v", tc.attempts, tc.backoff, n, b, tc.wantN, tc.wantB)
		}
	}
}
