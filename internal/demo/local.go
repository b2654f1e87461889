package demo

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"

	"github.com/emersion/go-smtp"
)

// mailbox is a local SMTP server that keeps every message it receives.
type mailbox struct {
	srv  *smtp.Server
	addr *net.TCPAddr
	mu   sync.Mutex
	msgs []message
}

type message struct {
	from string
	to   []string
	raw  []byte
}

func startMailbox() (*mailbox, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	m := &mailbox{addr: l.Addr().(*net.TCPAddr)}
	m.srv = smtp.NewServer(backendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{box: m}, nil }))
	m.srv.Domain = "localhost"
	m.srv.AllowInsecureAuth = true
	go m.srv.Serve(l)
	return m, nil
}

func (m *mailbox) close() { m.srv.Close() }

func (m *mailbox) messages() []message {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]message(nil), m.msgs...)
}

type backendFunc func(*smtp.Conn) (smtp.Session, error)

func (f backendFunc) NewSession(c *smtp.Conn) (smtp.Session, error) { return f(c) }

type session struct {
	box *mailbox
	cur message
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error { s.cur.from = from; return nil }
func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.cur.to = append(s.cur.to, to)
	return nil
}
func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.raw = b
	s.box.mu.Lock()
	s.box.msgs = append(s.box.msgs, s.cur)
	s.box.mu.Unlock()
	s.cur = message{}
	return nil
}
func (s *session) Reset()        { s.cur = message{} }
func (s *session) Logout() error { return nil }

// webhook is a local Slack incoming-webhook receiver.
type webhook struct {
	srv    *http.Server
	url    string
	mu     sync.Mutex
	bodies [][]byte
}

func startWebhook(path string) (*webhook, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	w := &webhook{url: "http://" + l.Addr().String() + path}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+path, func(rw http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.mu.Lock()
		w.bodies = append(w.bodies, bytes.Clone(b))
		w.mu.Unlock()
		io.WriteString(rw, "ok")
	})
	w.srv = &http.Server{Handler: mux}
	go func() {
		if err := w.srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			panic(err)
		}
	}()
	return w, nil
}

func (w *webhook) close() { w.srv.Shutdown(context.Background()) }

func (w *webhook) received() [][]byte {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([][]byte(nil), w.bodies...)
}
