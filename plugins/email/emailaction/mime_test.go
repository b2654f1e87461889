package emailaction_test

import (
	"bytes"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/lava-actions/lava-actions/plugins/email/emailaction"
)

// part is one decoded MIME leaf.
type part struct {
	ContentType string // media type, lower case
	Charset     string
	CTE         string
	Disposition string
	Filename    string
	Raw         string // body as transmitted
	Body        string // decoded body
}

// parsed is a message read with net/mail and mime/multipart.
type parsed struct {
	Header mail.Header
	// Type is the top-level media type.
	Type  string
	Parts []part
}

func decodeBody(t *testing.T, cte string, raw []byte) string {
	t.Helper()
	switch strings.ToLower(cte) {
	case "base64":
		b, err := base64.StdEncoding.DecodeString(strings.NewReplacer("\r", "", "\n", "").Replace(string(raw)))
		if err != nil {
			t.Fatalf("base64 body: %v", err)
		}
		return string(b)
	case "quoted-printable":
		b, err := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(raw)))
		if err != nil {
			t.Fatalf("qp body: %v", err)
		}
		return string(b)
	}
	return string(raw)
}

func leaf(t *testing.T, h map[string][]string, get func(string) string, raw []byte) part {
	t.Helper()
	mt, params, err := mime.ParseMediaType(get("Content-Type"))
	if err != nil {
		t.Fatalf("content type %q: %v", get("Content-Type"), err)
	}
	p := part{ContentType: mt, Charset: strings.ToLower(params["charset"]), CTE: get("Content-Transfer-Encoding"), Raw: string(raw)}
	if d := get("Content-Disposition"); d != "" {
		disp, dp, err := mime.ParseMediaType(d)
		if err != nil {
			t.Fatalf("disposition %q: %v", d, err)
		}
		p.Disposition, p.Filename = disp, dp["filename"]
	}
	p.Body = decodeBody(t, p.CTE, raw)
	return p
}

func parseMail(t *testing.T, raw []byte) parsed {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("read message: %v\n%s", err, raw)
	}
	body, _ := io.ReadAll(m.Body)
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil {
		t.Fatalf("content type: %v", err)
	}
	out := parsed{Header: m.Header, Type: mt}
	if !strings.HasPrefix(mt, "multipart/") {
		out.Parts = []part{leaf(t, m.Header, m.Header.Get, body)}
		return out
	}
	r := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	for {
		p, err := r.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("next part: %v", err)
		}
		b, _ := io.ReadAll(p)
		out.Parts = append(out.Parts, leaf(t, p.Header, p.Header.Get, b))
	}
	return out
}

func TestBuildMessagePlain(t *testing.T) {
	t.Parallel()
	raw, err := emailaction.BuildMessage("conn@example.com", []string{"a@example.com", "b@example.com"}, "Subj demo/job1", "Body G1", nil)
	if err != nil {
		t.Fatal(err)
	}
	m := parseMail(t, raw)
	got := map[string]string{}
	for _, k := range []string{"From", "Subject", "To", "Content-Type", "Content-Transfer-Encoding", "Mime-Version"} {
		got[k] = m.Header.Get(k)
	}
	want := map[string]string{
		"From": "conn@example.com", "Subject": "Subj demo/job1", "To": "a@example.com, b@example.com",
		"Content-Type": "text/plain; charset=utf-8", "Content-Transfer-Encoding": "7bit", "Mime-Version": "1.0",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("headers (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]part{{ContentType: "text/plain", Charset: "utf-8", CTE: "7bit", Raw: "Body G1", Body: "Body G1"}}, m.Parts); diff != "" {
		t.Errorf("parts (-want +got):\n%s", diff)
	}
	// Headers keep lava's relative order From, Subject, To.
	s := string(raw)
	if !(strings.Index(s, "\r\nFrom: ") < strings.Index(s, "\r\nSubject: ") && strings.Index(s, "\r\nSubject: ") < strings.Index(s, "\r\nTo: ")) {
		t.Errorf("header order:\n%s", s)
	}
	if strings.Contains(s, "User-Agent") || strings.Contains(s, "X-Mailer") {
		t.Errorf("library advertised itself:\n%s", s)
	}
}

func TestBuildMessageEncodings(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, subject, message string
		wantType, wantCTE      string
	}{
		{"non-ASCII is quoted-printable", "Résumé", "héllo", "text/plain", "quoted-printable"},
		{"= forces quoted-printable", "S", "a=b", "text/plain", "quoted-printable"},
		{"long line", "S", strings.Repeat("x", 200), "text/plain", "quoted-printable"},
		{"html with attributes", "S", "  <HTML lang=\"en\"><body>hi</body></HTML>", "text/html", "quoted-printable"},
		{"doctype", "S", "<!doctype  html><p>x</p>", "text/html", "7bit"},
		{"not html", "S", "see <html>", "text/plain", "7bit"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			raw, err := emailaction.BuildMessage("Jörg Bot <bot@example.com>", []string{"x@example.com"}, tc.subject, tc.message, nil)
			if err != nil {
				t.Fatal(err)
			}
			m := parseMail(t, raw)
			dec := new(mime.WordDecoder)
			subj, _ := dec.DecodeHeader(m.Header.Get("Subject"))
			from, _ := m.Header.AddressList("From")
			got := []string{subj, from[0].Name, from[0].Address, m.Parts[0].ContentType, m.Parts[0].CTE, m.Parts[0].Body}
			want := []string{tc.subject, "Jörg Bot", "bot@example.com", tc.wantType, tc.wantCTE, strings.ReplaceAll(tc.message, "\n", "\r\n")}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestContentType(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]string{
		"att.txt": "text/plain", "report.csv": "text/csv", "x.PDF": "application/pdf", "a.json": "application/json",
		"r.csv.gz": "application/octet-stream", "b.tgz": "application/octet-stream", "big.bin": "application/octet-stream",
		"noext": "application/octet-stream", "p.png": "image/png", "d.html": "text/html",
	} {
		if got := emailaction.ContentType(name); got != want {
			t.Errorf("ContentType(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestIsHTML(t *testing.T) {
	t.Parallel()
	for msg, want := range map[string]bool{
		"<html><body>hi</body></html>": true, " <HTML>hi</HTML>": true, "\n\t<html lang=en>": true,
		"<!DOCTYPE html><html>": true, "<!doctype HTML>": true, "hi <html>": false, "<htm>": false, "": false,
	} {
		if got := emailaction.IsHTML(msg); got != want {
			t.Errorf("IsHTML(%q) = %v", msg, got)
		}
	}
}
