package emailaction

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/textproto"
	"os"
	"strings"
	"time"

	"github.com/lava-actions/lava-actions/plugins/internal/connections"
	"github.com/lava-actions/lava-actions/sdk"
	"github.com/lava-actions/lava-actions/sdk/value"
	"github.com/wneessen/go-mail/smtp"
)

// tlsSettings are the SMTP_* configuration values.
type tlsSettings struct {
	caFile   string
	insecure bool
}

func smtpTLSSettings(cfg sdk.Config) (tlsSettings, error) {
	s := tlsSettings{caFile: cfg.Get("SMTP_CA_FILE", "")}
	switch v := strings.ToLower(strings.TrimSpace(cfg.Get("SMTP_TLS_INSECURE", ""))); v {
	case "", "false", "no", "0", "off":
	case "true", "yes", "1", "on":
		s.insecure = true
	default:
		return s, fmt.Errorf("config SMTP_TLS_INSECURE: bad boolean %q", v)
	}
	return s, nil
}

func (s tlsSettings) config(host string) (*tls.Config, error) {
	c := &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12, InsecureSkipVerify: s.insecure}
	if s.caFile != "" {
		pem, err := os.ReadFile(s.caFile)
		if err != nil {
			return nil, fmt.Errorf("config SMTP_CA_FILE: %s", errText(err))
		}
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("config SMTP_CA_FILE: no PEM certificates in %s", s.caFile)
		}
		c.RootCAs = pool
	}
	return c, nil
}

// security names how the SMTP session is protected: decision 0.15.
func security(conn *connections.Email) string {
	switch {
	case conn.Port == 465:
		return "implicit-tls"
	case conn.TLS:
		return "starttls"
	}
	return "none"
}

// sendSMTP sends raw through the connection's SMTP server: implicit TLS on
// port 465, else a plain connection upgraded with STARTTLS (required) when
// tls is true; AUTH when user is set; each step bounded by the SMTP timeout
// and ctx; the session is always closed (QUIT, then the socket).
func (a *Action) sendSMTP(ctx context.Context, req *sdk.Request, conn *connections.Email, sender string, to []string, subject string, raw []byte) (*sdk.Result, error) {
	fromAddr, err := mail.ParseAddress(sender)
	if err != nil {
		return nil, fmt.Errorf("Bad email address: %s", sender)
	}
	var rcpts []string
	rcptList := []any{}
	for _, r := range to {
		ad, err := mail.ParseAddress(r)
		if err != nil {
			return nil, fmt.Errorf("Bad email address: %s", r)
		}
		rcpts = append(rcpts, ad.Address)
		rcptList = append(rcptList, ad.Address)
	}
	settings, err := smtpTLSSettings(req.Config)
	if err != nil {
		return nil, err
	}
	tlsConf, err := settings.config(conn.Host)
	if err != nil {
		return nil, err
	}
	addr := hostPort(conn)
	mode := security(conn)
	detail := value.NewMap("host", conn.Host, "port", int64(conn.Port), "security", mode)
	if conn.User != "" {
		detail.Set("user", conn.User)
	}
	detail.Set("mail_from", fromAddr.Address)
	detail.Set("rcpt_to", rcptList)
	detail.Set("message", string(raw))
	eff := sdk.Effect{Operation: "smtp:SendMail", Target: "smtp://" + addr, Detail: sdk.EncodeDetail(detail)}
	summary := fmt.Sprintf("email %q to %s through connection %s (SMTP %s)", subject, strings.Join(to, ", "), conn.ID, addr)
	if req.DryRun {
		return &sdk.Result{Summary: "would send " + summary, Effects: []sdk.Effect{eff}}, nil
	}
	password := ""
	if conn.User != "" {
		if password, err = a.store.SMTPPassword(ctx, conn); err != nil {
			return nil, err
		}
	}
	resp, err := a.smtpSession(ctx, conn, mode, tlsConf, password, fromAddr.Address, rcpts, raw)
	if err != nil {
		msg := err.Error()
		if password != "" {
			msg = strings.ReplaceAll(msg, password, "<redacted>")
		}
		return nil, fmt.Errorf("%s: %s", conn.ID, msg)
	}
	eff.Outcome = resp
	return &sdk.Result{Summary: "sent " + summary, Effects: []sdk.Effect{eff}}, nil
}

func (a *Action) smtpSession(ctx context.Context, conn *connections.Email, mode string, tlsConf *tls.Config, password, from string, rcpts []string, raw []byte) (string, error) {
	timeout := a.opts.SMTPTimeout
	addr := hostPort(conn)
	dctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	dial := a.opts.Dial
	if dial == nil {
		dial = (&net.Dialer{}).DialContext
	}
	nc, err := dial(dctx, "tcp", addr)
	if err != nil {
		return "", fmt.Errorf("Cannot connect to SMTP server %s: %s", addr, netErrText(err, timeout))
	}
	if mode == "implicit-tls" {
		tc := tls.Client(nc, tlsConf)
		if err := tc.HandshakeContext(dctx); err != nil {
			nc.Close()
			return "", fmt.Errorf("Cannot connect to SMTP server %s: TLS: %s", addr, netErrText(err, timeout))
		}
		nc = tc
	}
	defer nc.Close()
	stop := context.AfterFunc(ctx, func() { nc.Close() })
	defer stop()
	step := func() { _ = nc.SetDeadline(time.Now().Add(timeout)) }
	fail := func(what string, err error) (string, error) {
		if ctx.Err() != nil {
			return "", fmt.Errorf("SMTP %s: %v", what, ctx.Err())
		}
		var te *textproto.Error
		if errors.As(err, &te) {
			return "", fmt.Errorf("SMTP %s: %03d %s", what, te.Code, strings.Join(strings.Fields(te.Msg), " "))
		}
		return "", fmt.Errorf("SMTP %s: %s", what, netErrText(err, timeout))
	}
	step()
	c, err := smtp.NewClient(nc, conn.Host)
	if err != nil {
		return fail("greeting", err)
	}
	defer c.Close()
	quit := true
	defer func() {
		if quit {
			step()
			_ = c.Quit()
		}
	}()
	step()
	if err := c.Hello(heloName()); err != nil {
		return fail("EHLO", err)
	}
	if mode == "starttls" {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return "", fmt.Errorf("SMTP server %s does not offer STARTTLS (tls is true)", addr)
		}
		step()
		if err := c.StartTLS(tlsConf); err != nil {
			quit = false // the TLS state is unknown; just close the socket
			return fail("STARTTLS", err)
		}
	}
	if conn.User != "" {
		_, isTLS := c.TLSConnectionState()
		auth, err := chooseAuth(c, conn, password, isTLS)
		if err != nil {
			return "", err
		}
		step()
		if err := c.Auth(auth); err != nil {
			return fail("authentication failed", err)
		}
	}
	step()
	if err := c.Mail(from); err != nil {
		return fail("MAIL FROM", err)
	}
	for _, r := range rcpts {
		step()
		if err := c.Rcpt(r); err != nil {
			return fail("RCPT TO "+r, err)
		}
	}
	step()
	w, err := c.Data()
	if err != nil {
		return fail("DATA", err)
	}
	if _, err := w.Write(raw); err != nil {
		return fail("DATA", err)
	}
	step()
	if err := w.Close(); err != nil {
		return fail("DATA", err)
	}
	resp := ""
	if dc, ok := w.(*smtp.DataCloser); ok {
		resp = dc.ServerResponse()
	}
	return resp, nil
}

// chooseAuth picks an AUTH mechanism the server offers. The password is
// sent in clear (PLAIN, LOGIN) only inside TLS; without TLS only CRAM-MD5
// is used.
func chooseAuth(c *smtp.Client, conn *connections.Email, password string, isTLS bool) (smtp.Auth, error) {
	ok, mechs := c.Extension("AUTH")
	if !ok {
		return nil, errors.New("SMTP server does not offer AUTH (user is set)")
	}
	has := map[string]bool{}
	for _, m := range strings.Fields(strings.ToUpper(mechs)) {
		has[m] = true
	}
	switch {
	case isTLS && has["PLAIN"]:
		return smtp.PlainAuth("", conn.User, password, conn.Host, false), nil
	case isTLS && has["LOGIN"]:
		return smtp.LoginAuth(conn.User, password, conn.Host, false), nil
	case has["CRAM-MD5"]:
		return smtp.CRAMMD5Auth(conn.User, password), nil
	case !isTLS:
		return nil, fmt.Errorf("refusing to send the SMTP password without TLS (server offers %s; set tls: true or use port 465)", mechs)
	}
	return nil, fmt.Errorf("no supported SMTP AUTH mechanism (server offers %s)", mechs)
}

func heloName() string {
	h, err := os.Hostname()
	if err != nil || h == "" || strings.ContainsAny(h, " \r\n") {
		return "localhost"
	}
	return h
}

// netErrText words network errors briefly: timeouts as "timed out after
// <d>", others as their text.
func netErrText(err error, timeout time.Duration) string {
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return fmt.Sprintf("timed out after %s", timeout)
	}
	return err.Error()
}
