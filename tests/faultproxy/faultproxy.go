// Package faultproxy is a fault-injecting HTTP reverse proxy for tests: put
// it in front of an AWS endpoint (kumo) and point AWS_ENDPOINT_URL at it,
// and a chosen share of requests fails as AWS fails under stress.
//
// Fault kinds:
//
//   - Throttle: HTTP 400 with the throttling error of the request's
//     protocol: {"__type":"ThrottlingException","message":…} for the JSON
//     1.0/1.1 services (SQS, DynamoDB, KMS, EventBridge, SSM: requests with
//     X-Amz-Target), <ErrorResponse><Error><Code>Throttling</Code>… for the
//     query/XML services (SNS, SES: form-encoded requests), and a JSON body
//     with an X-Amzn-ErrorType header for REST services.
//   - InternalError (HTTP 500, InternalFailure) and Unavailable (HTTP 503,
//     ServiceUnavailable), in the same formats.
//   - Reset: the connection is reset (hijacked, closed with SO_LINGER 0)
//     after the request was read and before it is forwarded.
//   - LostResponse: the request is forwarded and answered by the target,
//     then the connection is reset instead of answering: the call took
//     effect but the client cannot know. This is what makes retried
//     non-idempotent writes (SQS SendMessage, SNS Publish, …) arrive twice.
//
// Only LostResponse forwards a faulted request; every other kind stops the
// request at the proxy, so the target never sees it.
//
// Which requests fail is drawn from a math/rand source seeded with
// Config.Seed, one draw per request in arrival order: the same sequence of
// requests gives the same faults. Outage mode (SetOutage) fails every
// request with one kind. Stats counts requests, forwarded requests and
// injected faults, in total and per operation ("sqs:SendMessage").
package faultproxy

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
)

// Kind is a kind of fault.
type Kind int

// The fault kinds; see the package documentation.
const (
	Throttle Kind = iota
	InternalError
	Unavailable
	Reset
	LostResponse
	numKinds
)

var kindNames = [...]string{"throttle", "500", "503", "reset", "lost-response"}

// String returns the kind's short name.
func (k Kind) String() string {
	if k >= 0 && k < numKinds {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Kinds returns every fault kind.
func Kinds() []Kind { return []Kind{Throttle, InternalError, Unavailable, Reset, LostResponse} }

// Config configures a Proxy.
type Config struct {
	// Target is the endpoint requests are forwarded to, e.g. kumo's URL.
	Target string
	// Seed seeds the fault draws.
	Seed uint64
	// Rates is the share (0–1) of requests failed with each kind; their sum
	// must not exceed 1.
	Rates map[Kind]float64
	// Only, when set, limits faults to the operations it accepts
	// ("sqs:SendMessage", see Operation); other requests are forwarded
	// without a draw. Outage mode ignores it.
	Only func(op string) bool
}

// OpStats counts one operation's requests.
type OpStats struct {
	Requests  int
	Forwarded int
	Injected  map[Kind]int
}

// Stats is a snapshot of a proxy's counters.
type Stats struct {
	// Requests counts every request received.
	Requests int
	// Forwarded counts requests sent on to the target (LostResponse
	// included).
	Forwarded int
	// Injected counts faults by kind.
	Injected map[Kind]int
	// ByOperation counts by "<service>:<Operation>" (service from the
	// SigV4 credential scope, operation from X-Amz-Target or the query
	// Action; "?" when unknown).
	ByOperation map[string]*OpStats
}

// Faults returns the total number of injected faults.
func (s Stats) Faults() int {
	n := 0
	for _, v := range s.Injected {
		n += v
	}
	return n
}

// String lists the counters in a stable order, for test logs.
func (s Stats) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "requests=%d forwarded=%d", s.Requests, s.Forwarded)
	for _, k := range Kinds() {
		if n := s.Injected[k]; n > 0 {
			fmt.Fprintf(&b, " %s=%d", k, n)
		}
	}
	return b.String()
}

// Proxy is the fault-injecting reverse proxy; it is an http.Handler and
// safe for concurrent use.
type Proxy struct {
	target *url.URL
	client *http.Client
	only   func(string) bool

	mu     sync.Mutex
	rng    *rand.Rand
	rates  map[Kind]float64
	outage bool
	okind  Kind
	stats  Stats
}

// New returns a proxy for cfg.
func New(cfg Config) (*Proxy, error) {
	u, err := url.Parse(cfg.Target)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("faultproxy: bad target URL %q", cfg.Target)
	}
	p := &Proxy{
		target: u,
		only:   cfg.Only,
		// No pooling across the proxy's own faults matters here; keep
		// connections to the target alive.
		client: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
		rng:    rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)),
	}
	if err := p.SetRates(cfg.Rates); err != nil {
		return nil, err
	}
	p.resetStats()
	return p, nil
}

// SetRates replaces the share of requests failed with each kind.
func (p *Proxy) SetRates(rates map[Kind]float64) error {
	sum := 0.0
	for k, r := range rates {
		if k < 0 || k >= numKinds || r < 0 {
			return fmt.Errorf("faultproxy: bad rate %v for %v", r, k)
		}
		sum += r
	}
	if sum > 1+1e-9 {
		return fmt.Errorf("faultproxy: rates add up to %.3f > 1", sum)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rates = maps.Clone(rates)
	return nil
}

// SetOutage switches total-outage mode: while on, every request fails with
// kind (no draw is made).
func (p *Proxy) SetOutage(on bool, kind Kind) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.outage, p.okind = on, kind
}

// Stats returns a copy of the counters.
func (p *Proxy) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := Stats{Requests: p.stats.Requests, Forwarded: p.stats.Forwarded, Injected: maps.Clone(p.stats.Injected),
		ByOperation: make(map[string]*OpStats, len(p.stats.ByOperation))}
	for op, o := range p.stats.ByOperation {
		s.ByOperation[op] = &OpStats{Requests: o.Requests, Forwarded: o.Forwarded, Injected: maps.Clone(o.Injected)}
	}
	return s
}

// Op returns the counters of one operation (zero when it was never seen).
func (s Stats) Op(op string) OpStats {
	if o := s.ByOperation[op]; o != nil {
		return *o
	}
	return OpStats{Injected: map[Kind]int{}}
}

// Operations returns the operations seen, sorted.
func (s Stats) Operations() []string {
	ops := make([]string, 0, len(s.ByOperation))
	for op := range s.ByOperation {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	return ops
}

// ResetStats zeroes the counters (the random sequence goes on).
func (p *Proxy) ResetStats() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.resetStats()
}

func (p *Proxy) resetStats() {
	p.stats = Stats{Injected: map[Kind]int{}, ByOperation: map[string]*OpStats{}}
}

// decide draws the fault for one request of op (-1 for none) and counts it.
func (p *Proxy) decide(op string) Kind {
	p.mu.Lock()
	defer p.mu.Unlock()
	o := p.stats.ByOperation[op]
	if o == nil {
		o = &OpStats{Injected: map[Kind]int{}}
		p.stats.ByOperation[op] = o
	}
	p.stats.Requests++
	o.Requests++
	kind := Kind(-1)
	if p.outage {
		kind = p.okind
	} else if p.only == nil || p.only(op) {
		x := p.rng.Float64()
		for _, k := range Kinds() {
			if r := p.rates[k]; x < r {
				kind = k
				break
			} else {
				x -= r
			}
		}
	}
	if kind >= 0 {
		p.stats.Injected[kind]++
		o.Injected[kind]++
	}
	if kind < 0 || kind == LostResponse {
		p.stats.Forwarded++
		o.Forwarded++
	}
	return kind
}

// ServeHTTP forwards r to the target or injects a fault.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "faultproxy: reading request: "+err.Error(), http.StatusBadRequest)
		return
	}
	op := Operation(r, body)
	switch kind := p.decide(op); kind {
	case Throttle:
		writeError(w, r, http.StatusBadRequest, "Throttling", "ThrottlingException", "Rate exceeded", "Sender")
	case InternalError:
		writeError(w, r, http.StatusInternalServerError, "InternalFailure", "InternalFailure",
			"The request processing has failed because of an unknown error, exception or failure.", "Receiver")
	case Unavailable:
		writeError(w, r, http.StatusServiceUnavailable, "ServiceUnavailable", "ServiceUnavailable", "Service Unavailable", "Receiver")
	case Reset:
		resetConn(w)
	case LostResponse:
		if resp, err := p.forward(r, body); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		resetConn(w)
	default:
		resp, err := p.forward(r, body)
		if err != nil {
			http.Error(w, "faultproxy: target unreachable", http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		for k, vs := range resp.Header {
			if !hopByHop[http.CanonicalHeaderKey(k)] {
				w.Header()[k] = vs
			}
		}
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, resp.Body)
	}
}

var hopByHop = map[string]bool{
	"Connection": true, "Keep-Alive": true, "Proxy-Authenticate": true, "Proxy-Authorization": true,
	"Te": true, "Trailer": true, "Transfer-Encoding": true, "Upgrade": true,
}

// forward sends the request on to the target, keeping the original Host
// header (so a SigV4 signature stays valid) and body.
func (p *Proxy) forward(r *http.Request, body []byte) (*http.Response, error) {
	u := *p.target
	u.Path = singleJoin(p.target.Path, r.URL.Path)
	u.RawQuery = r.URL.RawQuery
	out, err := http.NewRequestWithContext(r.Context(), r.Method, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	for k, vs := range r.Header {
		if !hopByHop[http.CanonicalHeaderKey(k)] {
			out.Header[k] = vs
		}
	}
	out.Host = r.Host
	out.ContentLength = int64(len(body))
	return p.client.Do(out)
}

func singleJoin(a, b string) string {
	switch {
	case a == "" || a == "/":
		return b
	case strings.HasSuffix(a, "/") && strings.HasPrefix(b, "/"):
		return a + b[1:]
	case !strings.HasSuffix(a, "/") && !strings.HasPrefix(b, "/"):
		return a + "/" + b
	}
	return a + b
}

// resetConn hijacks the connection and closes it with SO_LINGER 0, so the
// client reads a TCP reset.
func resetConn(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler) // HTTP/2 and recorders: abort the stream
	}
	c, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = c.Close()
}

// Protocol is an AWS wire protocol family, as far as errors go.
type Protocol int

// The protocols the proxy tells apart.
const (
	ProtocolJSON  Protocol = iota // awsJson1_0 / awsJson1_1 (X-Amz-Target)
	ProtocolQuery                 // awsQuery (form-encoded Action=…), XML errors
	ProtocolREST                  // restJson1 and others
)

// ProtocolOf returns r's protocol family.
func ProtocolOf(r *http.Request) Protocol {
	switch {
	case r.Header.Get("X-Amz-Target") != "":
		return ProtocolJSON
	case strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded"):
		return ProtocolQuery
	}
	return ProtocolREST
}

// Operation names the AWS operation of a request as "<service>:<Op>",
// e.g. "sqs:SendMessage" or "sns:Publish"; parts it cannot tell are "?".
func Operation(r *http.Request, body []byte) string {
	svc := "?"
	if auth := r.Header.Get("Authorization"); auth != "" {
		// Credential=<key id>/<date>/<region>/<service>/aws4_request
		if _, after, ok := strings.Cut(auth, "Credential="); ok {
			if parts := strings.Split(strings.SplitN(after, ",", 2)[0], "/"); len(parts) >= 5 {
				svc = parts[len(parts)-2]
			}
		}
	}
	op := "?"
	switch ProtocolOf(r) {
	case ProtocolJSON:
		t := r.Header.Get("X-Amz-Target")
		op = t[strings.LastIndex(t, ".")+1:]
	case ProtocolQuery:
		if v, err := url.ParseQuery(string(body)); err == nil && v.Get("Action") != "" {
			op = v.Get("Action")
		}
	}
	return svc + ":" + op
}

// writeError writes an AWS error in r's protocol: queryCode for the XML
// services (their throttling code is "Throttling"), jsonType for the others.
func writeError(w http.ResponseWriter, r *http.Request, status int, queryCode, jsonType, msg, fault string) {
	w.Header().Set("X-Amzn-RequestId", "faultproxy-00000000")
	switch ProtocolOf(r) {
	case ProtocolQuery:
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(status)
		var b bytes.Buffer
		b.WriteString("<ErrorResponse><Error><Type>" + fault + "</Type><Code>" + queryCode + "</Code><Message>")
		_ = xml.EscapeText(&b, []byte(msg))
		b.WriteString("</Message></Error><RequestId>faultproxy-00000000</RequestId></ErrorResponse>")
		_, _ = w.Write(b.Bytes())
	default:
		ct := r.Header.Get("Content-Type")
		if !strings.HasPrefix(ct, "application/x-amz-json") {
			ct = "application/json"
			w.Header().Set("X-Amzn-ErrorType", jsonType)
		}
		w.Header().Set("Content-Type", ct)
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"__type":%q,"message":%q}`, jsonType, msg)
	}
}

// Server is a Proxy listening on 127.0.0.1.
type Server struct {
	*Proxy
	// URL is the proxy's address, http://127.0.0.1:<port>.
	URL string
	srv *http.Server
	ln  net.Listener
}

// Start starts a proxy for cfg on a free 127.0.0.1 port.
func Start(cfg Config) (*Server, error) {
	p, err := New(cfg)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("faultproxy: listen: %w", err)
	}
	s := &Server{Proxy: p, URL: "http://" + ln.Addr().String(), ln: ln,
		srv: &http.Server{Handler: p, ErrorLog: nil}}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// Close stops the server and closes its connections.
func (s *Server) Close() error {
	err := s.srv.Close()
	s.client.CloseIdleConnections()
	return err
}
