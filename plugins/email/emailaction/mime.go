package emailaction

import (
	"bytes"
	"fmt"
	"mime"
	"net/mail"
	"path"
	"strings"

	gomail "github.com/wneessen/go-mail"
)

// Attachment is one file attached to a message.
type Attachment struct {
	// Name is the file name shown to the recipient (the base name).
	Name string
	// ContentType is the MIME type, see ContentType.
	ContentType string
	// Data is the file's content.
	Data []byte
}

// addressHeader formats a parsed address as lava writes it: the bare
// address when it has no display name, else RFC 5322 "Name <addr>" with
// the name encoded as needed.
func addressHeader(s string) (*mail.Address, string, error) {
	a, err := mail.ParseAddress(s)
	if err != nil {
		return nil, "", fmt.Errorf("Bad email address: %s", s)
	}
	if a.Name == "" {
		return a, a.Address, nil
	}
	return a, a.String(), nil
}

// BuildMessage builds the MIME message of the connector path (spec 4.2)
// with go-mail: headers From, Subject and To (addresses joined with ", "),
// a text/plain or text/html UTF-8 body (decision 0.13) and, with
// attachments, multipart/mixed with base64 parts. go-mail also writes Date,
// Message-ID and MIME-Version; it writes the generic headers in
// alphabetical order, so From, Subject and To keep lava's relative order.
func BuildMessage(sender string, to []string, subject, message string, files []Attachment) ([]byte, error) {
	m := gomail.NewMsg(gomail.WithNoDefaultUserAgent(), gomail.WithCharset(gomail.Charset("utf-8")))
	_, from, err := addressHeader(sender)
	if err != nil {
		return nil, err
	}
	toHeader := make([]string, 0, len(to))
	for _, r := range to {
		_, h, err := addressHeader(r)
		if err != nil {
			return nil, err
		}
		toHeader = append(toHeader, h)
	}
	// From and To go in as generic headers (not go-mail's address headers)
	// so that a bare address is written bare, as lava does, rather than as
	// "<a@example.com>".
	m.SetGenHeader(gomail.Header("From"), from)
	m.Subject(subject)
	m.SetGenHeader(gomail.Header("To"), strings.Join(toHeader, ", "))
	ctype := gomail.TypeTextPlain
	if IsHTML(message) {
		ctype = gomail.TypeTextHTML
	}
	m.SetBodyString(ctype, message, gomail.WithPartEncoding(bodyEncoding(message)))
	for _, f := range files {
		if err := m.AttachReader(f.Name, bytes.NewReader(f.Data), gomail.WithFileContentType(gomail.ContentType(f.ContentType))); err != nil {
			return nil, fmt.Errorf("Cannot attach %s: %v", f.Name, err)
		}
	}
	var buf bytes.Buffer
	if _, err := m.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("Cannot build email message: %v", err)
	}
	return buf.Bytes(), nil
}

// bodyEncoding picks 7bit, as lava's Python does for plain ASCII text,
// when quoted-printable would not change a byte (ASCII, no '=', no CR, no
// trailing blanks, lines of at most 76 characters); otherwise
// quoted-printable. (go-mail passes a "7bit" body through its
// quoted-printable writer, which is the identity for exactly such text.)
func bodyEncoding(s string) gomail.Encoding {
	for _, line := range strings.Split(s, "\n") {
		if len(line) > 76 || strings.HasSuffix(line, " ") || strings.HasSuffix(line, "\t") {
			return gomail.EncodingQP
		}
		for i := 0; i < len(line); i++ {
			c := line[i]
			if c >= 0x80 || c == '=' || c == '\r' || (c < 0x20 && c != '\t') {
				return gomail.EncodingQP
			}
		}
	}
	return gomail.EncodingUSASCII
}

// compressed are the suffixes Python's mimetypes treats as an encoding
// (compression); lava sends such files as application/octet-stream.
var compressed = map[string]bool{
	".gz": true, ".bz2": true, ".xz": true, ".br": true, ".z": true, ".zst": true,
	".tgz": true, ".taz": true, ".tz": true, ".tbz2": true, ".txz": true, ".svgz": true,
}

// knownTypes are the common entries of Python's mimetypes table, so that
// the result does not depend on the host's /etc/mime.types for them.
var knownTypes = map[string]string{
	".txt": "text/plain", ".text": "text/plain", ".log": "text/plain", ".csv": "text/csv", ".tsv": "text/tab-separated-values",
	".html": "text/html", ".htm": "text/html", ".xml": "text/xml", ".css": "text/css", ".js": "text/javascript",
	".md": "text/markdown", ".json": "application/json", ".pdf": "application/pdf", ".zip": "application/zip",
	".tar": "application/x-tar", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
	".svg": "image/svg+xml", ".webp": "image/webp", ".doc": "application/msword", ".xls": "application/vnd.ms-excel",
	".ppt": "application/vnd.ms-powerpoint", ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".yaml": "application/yaml",
	".yml": "application/yaml", ".sql": "application/sql", ".parquet": "application/vnd.apache.parquet",
	".ics": "text/calendar", ".eml": "message/rfc822",
}

// ContentType guesses a file's MIME type from its extension, as lava does
// with Python's mimetypes: application/octet-stream when unknown or
// compressed (.gz, .bz2, …).
func ContentType(name string) string {
	ext := strings.ToLower(path.Ext(name))
	if ext == "" {
		return "application/octet-stream"
	}
	if compressed[ext] {
		return "application/octet-stream"
	}
	if t, ok := knownTypes[ext]; ok {
		return t
	}
	if t := mime.TypeByExtension(ext); t != "" {
		if mt, _, err := mime.ParseMediaType(t); err == nil {
			return mt
		}
	}
	return "application/octet-stream"
}
