package faultproxy_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go"
	"github.com/lava-actions/lava-actions/tests/faultproxy"
	"github.com/sivchari/kumo"
)

// target counts the requests that reach it and answers 200 "ok".
func target(t *testing.T) (*httptest.Server, *atomic.Int64) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.Header().Set("X-Target", "yes")
		io.WriteString(w, "ok "+r.URL.Path)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func start(t *testing.T, cfg faultproxy.Config) *faultproxy.Server {
	t.Helper()
	p, err := faultproxy.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func post(t *testing.T, url string, hdr map[string]string, body string) (*http.Response, string, error) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := c.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b), nil
}

var (
	jsonHdr = map[string]string{"X-Amz-Target": "AmazonSQS.SendMessage", "Content-Type": "application/x-amz-json-1.0",
		"Authorization": "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=x"}
	queryHdr = map[string]string{"Content-Type": "application/x-www-form-urlencoded",
		"Authorization": "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/sns/aws4_request, SignedHeaders=host, Signature=x"}
)

// TestFaultKinds checks each kind's wire form in outage mode, and that only
// LostResponse (and no fault) reach the target.
func TestFaultKinds(t *testing.T) {
	cases := []struct {
		name       string
		kind       faultproxy.Kind
		hdr        map[string]string
		body       string
		wantStatus int
		wantBody   []string
		wantErr    string
		reached    int64
	}{
		{"json throttle", faultproxy.Throttle, jsonHdr, `{}`, 400, []string{`{"__type":"ThrottlingException","message":"Rate exceeded"}`}, "", 0},
		{"query throttle", faultproxy.Throttle, queryHdr, "Action=Publish&Version=2010-03-31", 400,
			[]string{"<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error>"}, "", 0},
		{"json 500", faultproxy.InternalError, jsonHdr, `{}`, 500, []string{`"__type":"InternalFailure"`}, "", 0},
		{"query 503", faultproxy.Unavailable, queryHdr, "Action=Publish", 503, []string{"<Code>ServiceUnavailable</Code>"}, "", 0},
		{"rest 503", faultproxy.Unavailable, nil, `{}`, 503, []string{`"__type":"ServiceUnavailable"`}, "", 0},
		{"reset", faultproxy.Reset, jsonHdr, `{}`, 0, nil, "connection reset", 0},
		{"lost response", faultproxy.LostResponse, jsonHdr, `{}`, 0, nil, "connection reset", 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tgt, n := target(t)
			p := start(t, faultproxy.Config{Target: tgt.URL})
			p.SetOutage(true, tc.kind)
			resp, body, err := post(t, p.URL+"/x", tc.hdr, tc.body)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				if resp.StatusCode != tc.wantStatus {
					t.Errorf("status = %d, want %d", resp.StatusCode, tc.wantStatus)
				}
				for _, w := range tc.wantBody {
					if !strings.Contains(body, w) {
						t.Errorf("body %q lacks %q", body, w)
					}
				}
			}
			if got := n.Load(); got != tc.reached {
				t.Errorf("target saw %d requests, want %d", got, tc.reached)
			}
			st := p.Stats()
			if st.Requests != 1 || st.Injected[tc.kind] != 1 || st.Forwarded != int(tc.reached) {
				t.Errorf("stats = %s", st)
			}
		})
	}
}

// TestForward checks that unfaulted requests pass through unchanged.
func TestForward(t *testing.T) {
	tgt, n := target(t)
	p := start(t, faultproxy.Config{Target: tgt.URL})
	resp, body, err := post(t, p.URL+"/000000000000/q", jsonHdr, `{}`)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || body != "ok /000000000000/q" || resp.Header.Get("X-Target") != "yes" || n.Load() != 1 {
		t.Errorf("got %d %q %v, target saw %d", resp.StatusCode, body, resp.Header, n.Load())
	}
	if op := p.Stats().Op("sqs:SendMessage"); op.Requests != 1 || op.Forwarded != 1 {
		t.Errorf("op stats = %+v (all: %v)", op, p.Stats().Operations())
	}
}

// TestRatesSeeded checks the shares and that a seed gives the same faults.
func TestRatesSeeded(t *testing.T) {
	rates := map[faultproxy.Kind]float64{faultproxy.Throttle: 0.2, faultproxy.InternalError: 0.1, faultproxy.Unavailable: 0.1}
	run := func(seed uint64) (faultproxy.Stats, string) {
		tgt, _ := target(t)
		p := start(t, faultproxy.Config{Target: tgt.URL, Seed: seed, Rates: rates})
		var seq strings.Builder
		for range 1000 {
			resp, _, err := post(t, p.URL, jsonHdr, `{}`)
			if err != nil {
				t.Fatal(err)
			}
			seq.WriteString(resp.Status[:3])
		}
		return p.Stats(), seq.String()
	}
	s1, seq1 := run(7)
	_, seq2 := run(7)
	_, seq3 := run(8)
	if seq1 != seq2 {
		t.Error("same seed gave different faults")
	}
	if seq1 == seq3 {
		t.Error("different seeds gave the same faults")
	}
	for k, r := range rates {
		if got := float64(s1.Injected[k]) / 1000; got < r-0.05 || got > r+0.05 {
			t.Errorf("%v share = %.3f, want about %.2f", k, got, r)
		}
	}
	if s1.Forwarded+s1.Faults() != 1000 {
		t.Errorf("stats = %s", s1)
	}
	if _, err := faultproxy.New(faultproxy.Config{Target: "http://x", Rates: map[faultproxy.Kind]float64{faultproxy.Reset: 0.7, faultproxy.Throttle: 0.7}}); err == nil {
		t.Error("rates over 1 accepted")
	}
}

// TestSDKReadsFaults checks, with real SDK clients in front of kumo, that
// the SDK parses each injected error as the AWS error it imitates (and so
// classes it as a throttle or a retryable server error).
func TestSDKReadsFaults(t *testing.T) {
	k := kumo.NewServer()
	t.Cleanup(k.Close)
	p := start(t, faultproxy.Config{Target: k.URL})
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("a", "b", ""),
		BaseEndpoint: aws.String(p.URL), RetryMaxAttempts: 1}
	ctx := context.Background()
	calls := map[string]func() error{
		"sqs": func() error {
			_, err := sqs.NewFromConfig(cfg).ListQueues(ctx, &sqs.ListQueuesInput{})
			return err
		},
		"sns": func() error {
			_, err := sns.NewFromConfig(cfg).ListTopics(ctx, &sns.ListTopicsInput{})
			return err
		},
		"dynamodb": func() error {
			_, err := dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) { o.DisableValidateResponseChecksum = true }).ListTables(ctx, &dynamodb.ListTablesInput{})
			return err
		},
	}
	cases := []struct {
		kind faultproxy.Kind
		want map[string]string // service → error code
	}{
		{faultproxy.Throttle, map[string]string{"sqs": "ThrottlingException", "sns": "Throttling", "dynamodb": "ThrottlingException"}},
		{faultproxy.InternalError, map[string]string{"sqs": "InternalFailure", "sns": "InternalFailure", "dynamodb": "InternalFailure"}},
		{faultproxy.Unavailable, map[string]string{"sqs": "ServiceUnavailable", "sns": "ServiceUnavailable", "dynamodb": "ServiceUnavailable"}},
	}
	for _, tc := range cases {
		p.SetOutage(true, tc.kind)
		for svc, call := range calls {
			err := call()
			var ae smithy.APIError
			if !errors.As(err, &ae) || ae.ErrorCode() != tc.want[svc] {
				t.Errorf("%v %s: err = %v, want code %s", tc.kind, svc, err, tc.want[svc])
			}
		}
	}
	p.SetOutage(false, 0)
	for svc, call := range calls {
		if err := call(); err != nil {
			t.Errorf("%s without faults: %v", svc, err)
		}
	}
	if ops := p.Stats().Operations(); strings.Join(ops, ",") != "dynamodb:ListTables,sns:ListTopics,sqs:ListQueues" {
		t.Errorf("operations = %v", ops)
	}
}

// TestOnly checks that faults are limited to the accepted operations.
func TestOnly(t *testing.T) {
	tgt, n := target(t)
	p := start(t, faultproxy.Config{Target: tgt.URL, Rates: map[faultproxy.Kind]float64{faultproxy.Throttle: 1},
		Only: func(op string) bool { return op == "sns:Publish" }})
	r1, _, err := post(t, p.URL, jsonHdr, `{}`)
	if err != nil || r1.StatusCode != 200 {
		t.Fatalf("sqs:SendMessage: %v %v", r1, err)
	}
	r2, _, err := post(t, p.URL, queryHdr, "Action=Publish")
	if err != nil || r2.StatusCode != 400 {
		t.Fatalf("sns:Publish: %v %v", r2, err)
	}
	if st := p.Stats(); n.Load() != 1 || st.Op("sns:Publish").Injected[faultproxy.Throttle] != 1 || st.Faults() != 1 {
		t.Errorf("stats = %s, target saw %d", st, n.Load())
	}
}
