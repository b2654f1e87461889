package emailaction_test

import (
	"context"
	"encoding/base64"
	"github.com/lava-actions/lava-actions/sdk"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/lava-actions/lava-actions/plugins/internal/awstest"
	"github.com/lava-actions/lava-actions/sdk/plugintest"
	"github.com/lava-actions/lava-actions/sdk/value"
)

func run(t *testing.T, w *world, in plugintest.Input) *plugintest.Outcome {
	t.Helper()
	out, err := plugintest.InProcess(t, w.Action).Run(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// mailByID returns the kumo mailbox entry of source with message id id.
func mailByID(t *testing.T, env *awstest.Env, source, id string) awstest.SentEmail {
	t.Helper()
	for _, m := range env.SESMailbox(t, source) {
		if m.MessageID == id {
			return m
		}
	}
	t.Fatalf("no mail %s from %s in kumo", id, source)
	return awstest.SentEmail{}
}

func actions(calls []sesCall) []string {
	var out []string
	for _, c := range calls {
		out = append(out, c.Action+"@"+c.Region)
	}
	return out
}

// TestBareSES covers spec 9.8 as amended by decisions 0.13 and 0.14.
func TestBareSES(t *testing.T) {
	t.Parallel()
	type want struct {
		err     string
		source  string
		to      []string
		subject string
		text    string
		html    string
		calls   []string // SES calls seen, Action@region
	}
	u := awstest.Unique("m")
	cases := []struct {
		name    string
		domains []string
		item    *value.Map
		cfg     map[string]string
		want    want
	}{
		{"M01 no verified domains", nil,
			value.NewMap("action", "email", "to", "a@b.com", "subject", "S {{ job.job_id }}", "message", "M"), nil,
			want{err: "No verified SES domains", calls: []string{"ListIdentities@us-east-1"}}},
		{"M03 html, list, from", []string{"example.com"},
			value.NewMap("action", "email", "to", []any{"a@example.com", "b@example.com"}, "from", u+"-m03@example.com",
				"subject", "S", "message", "<html><body>hi</body></html>"), nil,
			want{source: u + "-m03@example.com", to: []string{"a@example.com", "b@example.com"}, subject: "S",
				html: "<html><body>hi</body></html>", calls: []string{"SendEmail@us-east-1"}}},
		{"M05 leading space is HTML (decision 0.13)", nil,
			value.NewMap("action", "email", "to", "a@example.com", "from", u+"-m05@example.com", "subject", "S", "message", " <HTML>hi</HTML>"), nil,
			want{source: u + "-m05@example.com", to: []string{"a@example.com"}, subject: "S", html: " <HTML>hi</HTML>", calls: []string{"SendEmail@us-east-1"}}},
		{"html lang attribute is HTML", nil,
			value.NewMap("action", "email", "to", "a@example.com", "from", u+"-lang@example.com", "subject", "S", "message", "<html lang=\"en\">x</html>"), nil,
			want{source: u + "-lang@example.com", to: []string{"a@example.com"}, subject: "S", html: "<html lang=\"en\">x</html>", calls: []string{"SendEmail@us-east-1"}}},
		{"text", nil,
			value.NewMap("action", "email", "to", "a@example.com", "from", u+"-txt@example.com", "subject", "Fail {{ job.job_id }}", "message", "see <html> {{ globals.g1 }}"), nil,
			want{source: u + "-txt@example.com", to: []string{"a@example.com"}, subject: "Fail demo/job1", text: "see <html> G1", calls: []string{"SendEmail@us-east-1"}}},
		{"M07 from is not rendered", nil,
			value.NewMap("action", "email", "to", "a@example.com", "from", `{{ "me" }}@`+u+".example.com", "subject", "S", "message", "M"), nil,
			want{source: `{{ "me" }}@` + u + ".example.com", to: []string{"a@example.com"}, subject: "S", text: "M", calls: []string{"SendEmail@us-east-1"}}},
		{"M09 empty attachments without email_conn", nil,
			value.NewMap("action", "email", "to", "a@example.com", "from", u+"-m09@example.com", "subject", "S", "message", "M", "attachments", []any{}), nil,
			want{source: u + "-m09@example.com", to: []string{"a@example.com"}, subject: "S", text: "M", calls: []string{"SendEmail@us-east-1"}}},
		{"M11 missing keys", nil, value.NewMap("action", "email", "to", "a@example.com"), nil,
			want{err: "Missing keys: message, subject"}},
		{"M13 empty subject (decision 0.14)", nil,
			value.NewMap("action", "email", "to", "a@example.com", "from", "me@example.com", "subject", "", "message", "M"), nil,
			want{err: "Cannot send email: subject and message must be specified"}},
		{"empty rendered message (decision 0.14)", nil,
			value.NewMap("action", "email", "to", "a@example.com", "from", "me@example.com", "subject", "S", "message", "{{ job.nope }}"), nil,
			want{err: "Cannot send email: subject and message must be specified"}},
		{"M15 realm config sender and region", []string{"example.com"},
			value.NewMap("action", "email", "to", "a@example.com", "subject", "S", "message", "M"),
			map[string]string{"SES_FROM": u + "-realm@example.com", "SES_REGION": "us-west-2"},
			want{source: u + "-realm@example.com", to: []string{"a@example.com"}, subject: "S", text: "M", calls: []string{"SendEmail@us-west-2"}}},
		{"action region wins", nil,
			value.NewMap("action", "email", "to", "a@example.com", "from", u+"-reg@example.com", "region", "eu-west-1", "subject", "S", "message", "M"),
			map[string]string{"SES_REGION": "us-west-2"},
			want{source: u + "-reg@example.com", to: []string{"a@example.com"}, subject: "S", text: "M", calls: []string{"SendEmail@eu-west-1"}}},
		{"sender guessed from first verified domain", []string{"example.com", "zzz.com"},
			value.NewMap("action", "email", "to", "a@example.com", "subject", "S", "message", "M"), nil,
			want{source: "lava.REALM@example.com", to: []string{"a@example.com"}, subject: "S", text: "M",
				calls: []string{"ListIdentities@us-east-1", "SendEmail@us-east-1"}}},
		{"empty from falls back to a domain", []string{"example.com"},
			value.NewMap("action", "email", "to", "a@example.com", "from", "", "subject", "S", "message", "M"),
			map[string]string{"SES_FROM": "ignored@example.com"},
			want{source: "lava.REALM@example.com", to: []string{"a@example.com"}, subject: "S", text: "M",
				calls: []string{"ListIdentities@us-east-1", "SendEmail@us-east-1"}}},
		{"attachments need email_conn", nil,
			value.NewMap("action", "email", "to", "a@example.com", "subject", "S", "message", "M", "attachments", []any{"/etc/hostname"}), nil,
			want{err: "email_conn must be specified to enable attachments"}},
		{"unexpected key", nil,
			value.NewMap("action", "email", "to", "a@example.com", "subject", "S", "message", "M", "cc", "x"), nil,
			want{err: "Unexpected keys: cc"}},
		{"template error is jinja's text", nil,
			value.NewMap("action", "email", "to", "a@example.com", "subject", "{{ x.y }}", "message", "M"), nil,
			want{err: "'x' is undefined"}},
		{"no recipients", nil,
			value.NewMap("action", "email", "to", []any{}, "subject", "S", "message", "M"), nil,
			want{err: "No recipients specified for email"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, env, tc.domains...)
			out := run(t, w, w.input(tc.item, tc.cfg))
			if diff := cmp.Diff(tc.want.calls, actions(w.Calls())); diff != "" {
				t.Errorf("SES calls (-want +got):\n%s", diff)
			}
			if out.Error != tc.want.err {
				t.Fatalf("error = %q, want %q", out.Error, tc.want.err)
			}
			if tc.want.err != "" {
				return
			}
			if len(tc.want.calls) > 1 {
				if got := w.Calls()[0].Form.Get("IdentityType"); got != "Domain" {
					t.Errorf("ListIdentities IdentityType = %q", got)
				}
			}
			source := strings.ReplaceAll(tc.want.source, "REALM", w.Realm)
			sent := mailByID(t, env, source, out.Effects[len(out.Effects)-1].Outcome)
			got := awstest.SentEmail{Source: sent.Source, Subject: sent.Subject, Body: sent.Body, HTMLBody: sent.HTMLBody, Destination: sent.Destination}
			wantMail := awstest.SentEmail{Source: source, Subject: tc.want.subject, Body: tc.want.text, HTMLBody: tc.want.html, Destination: tc.want.to}
			if diff := cmp.Diff(wantMail, got); diff != "" {
				t.Errorf("sent mail (-want +got):\n%s", diff)
			}
			// Exactly one body part and UTF-8 charsets went over the wire.
			form := w.Calls()[len(w.Calls())-1].Form
			if form.Get("Message.Subject.Charset") != "UTF-8" || (form.Get("Message.Body.Text.Data") != "") == (form.Get("Message.Body.Html.Data") != "") {
				t.Errorf("SendEmail form = %v", form)
			}
		})
	}
}

func TestBareSESDryRunSendsNothing(t *testing.T) {
	t.Parallel()
	w := newWorld(t, env, "example.com")
	in := w.input(value.NewMap("action", "email", "to", "a@example.com", "subject", "S {{ job.run_id }}", "message", "M"), nil)
	in.DryRun = true
	out := run(t, w, in)
	if out.Error != "" {
		t.Fatal(out.Error)
	}
	if diff := cmp.Diff([]string{"ListIdentities@us-east-1"}, actions(w.Calls())); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	want := []sdk.Effect{
		{Operation: "ses:ListIdentities", Target: "us-east-1", Detail: `{"IdentityType": "Domain"}`, Outcome: "example.com"},
		{Operation: "ses:SendEmail", Target: "us-east-1", Detail: `{"Source": "lava.` + w.Realm + `@example.com", "Destination": {"ToAddresses": ["a@example.com"]}, "Message": {"Body": {"Text": {"Data": "M", "Charset": "UTF-8"}}, "Subject": {"Data": "S run-0001", "Charset": "UTF-8"}}}`},
	}
	if diff := cmp.Diff(want, out.Effects); diff != "" {
		t.Errorf("effects (-want +got):\n%s", diff)
	}
	if got := env.SESMailbox(t, "lava."+w.Realm+"@example.com"); len(got) != 0 {
		t.Errorf("dry run sent %v", got)
	}
}

// TestConnectorSES covers spec 9.9's SES cases.
func TestConnectorSES(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "att.txt"), []byte("hello attachment"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "big.bin"), make([]byte, 2_000_001), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "r.csv.gz"), []byte{0x1f, 0x8b, 0}, 0o600); err != nil {
		t.Fatal(err)
	}
	bucket := strings.ToLower(awstest.Unique("bkt"))
	env.PutObject(t, bucket, "dir/report.csv", []byte("a,b\n1,2\n"))
	type mailWant struct {
		headers map[string]string
		typ     string
		parts   []part
		form    map[string]string // SendRawEmail parameters (absent: "")
	}
	base := func(conn string, kv ...any) *value.Map {
		m := value.NewMap("action", "email", "email_conn", conn, "to", []any{"a@example.com", "b@example.com"},
			"subject", "Subj {{ job.job_id }}", "message", "Body {{ globals.g1 }}")
		for i := 0; i < len(kv); i += 2 {
			m.Set(kv[i].(string), kv[i+1])
		}
		return m
	}
	stdHeaders := map[string]string{"From": "conn@example.com", "Subject": "Subj demo/job1", "To": "a@example.com, b@example.com", "Mime-Version": "1.0"}
	textPart := part{ContentType: "text/plain", Charset: "utf-8", CTE: "7bit", Raw: "Body G1", Body: "Body G1"}
	noSourceNoCS := map[string]string{"Source": "", "ConfigurationSetName": "", "Destinations.member.1": "a@example.com", "Destinations.member.2": "b@example.com"}
	cases := []struct {
		name   string
		item   *value.Map
		cfg    map[string]string
		source string
		want   mailWant
		err    string
	}{
		{"C01 plain", base("em1"), nil, "conn@example.com",
			mailWant{headers: stdHeaders, typ: "text/plain", parts: []part{textPart}, form: noSourceNoCS}, ""},
		{"em2 configuration set", base("em2", "from", "x@example.com"), nil, "x@example.com",
			mailWant{headers: map[string]string{"From": "x@example.com"}, typ: "text/plain", parts: []part{textPart},
				form: map[string]string{"ConfigurationSetName": "cs1", "Source": ""}}, ""},
		{"SES_CONFIGURATION_SET applies to connections", base("em1"), map[string]string{"SES_CONFIGURATION_SET": "cfgset"}, "conn@example.com",
			mailWant{headers: stdHeaders, typ: "text/plain", parts: []part{textPart}, form: map[string]string{"ConfigurationSetName": "cfgset"}}, ""},
		{"C03 no sender", base("em3"), nil, "", mailWant{}, "Email sender must be specified"},
		{"em3 with SES_FROM", base("em3"), map[string]string{"SES_FROM": "ses-from@example.com"}, "ses-from@example.com",
			mailWant{headers: map[string]string{"From": "ses-from@example.com"}, typ: "text/plain", parts: []part{textPart}}, ""},
		{"em4 disabled", base("em4"), nil, "", mailWant{}, "Connection em4: Not enabled"},
		{"C05 slack record", base("em5"), nil, "", mailWant{}, "Connection em5: Unexpected keys: webhook_url"},
		{"em6 unknown subtype", base("em6"), nil, "", mailWant{}, "No email handler for type/subtype email/pigeon"},
		{"C07 bogus key", base("em7"), nil, "", mailWant{}, "Connection em7: Unexpected keys: bogus"},
		{"em8 type Email", base("em8"), nil, "", mailWant{}, "No email handler for type Email"},
		{"C09 no such connection", base("nope"), nil, "", mailWant{}, "nope: No such connection"},
		{"S03 smtp without host", base("smtp3"), nil, "", mailWant{}, "smtp3: Bad connection record: Missing keys: host"},
		{"smtp2 user without password", base("smtp2"), nil, "", mailWant{}, "smtp2: password is required if user is specified"},
		{"empty subject", base("em1", "subject", ""), nil, "", mailWant{}, "Cannot send email: subject and message must be specified"},
		{"C11 attachments", base("em1", "message", "m", "attachments", []any{filepath.Join(dir, "att.txt"), "s3://" + bucket + `/{{ "dir" }}/report.csv`}), nil, "conn@example.com",
			mailWant{headers: stdHeaders, typ: "multipart/mixed", parts: []part{
				{ContentType: "text/plain", Charset: "utf-8", CTE: "7bit", Raw: "m", Body: "m"},
				{ContentType: "text/plain", CTE: "base64", Disposition: "attachment", Filename: "att.txt", Raw: "aGVsbG8gYXR0YWNobWVudA==\r\n", Body: "hello attachment"},
				{ContentType: "text/csv", CTE: "base64", Disposition: "attachment", Filename: "report.csv", Raw: "YSxiCjEsMgo=\r\n", Body: "a,b\n1,2\n"},
			}}, ""},
		{"compressed attachment is octet-stream", base("em1", "message", "m", "attachments", []any{filepath.Join(dir, "r.csv.gz")}), nil, "conn@example.com",
			mailWant{typ: "multipart/mixed", parts: []part{
				{ContentType: "text/plain", Charset: "utf-8", CTE: "7bit", Raw: "m", Body: "m"},
				{ContentType: "application/octet-stream", CTE: "base64", Disposition: "attachment", Filename: "r.csv.gz", Raw: "H4sA\r\n", Body: "\x1f\x8b\x00"},
			}}, ""},
		{"C13 attachment too big", base("em1", "attachments", []any{filepath.Join(dir, "big.bin")}), nil, "", mailWant{},
			"Attachment " + filepath.Join(dir, "big.bin") + " exceeds 2000000 bytes"},
		{"attachment size from config", base("em1", "attachments", []any{filepath.Join(dir, "att.txt")}), map[string]string{"EMAIL_MAX_ATTACHMENT_SIZE": "10B"}, "", mailWant{},
			"Attachment " + filepath.Join(dir, "att.txt") + " exceeds 10 bytes"},
		{"missing local attachment", base("em1", "attachments", []any{filepath.Join(dir, "nope.txt")}), nil, "", mailWant{},
			"Cannot read attachment " + filepath.Join(dir, "nope.txt") + ": no such file or directory"},
		{"missing S3 attachment", base("em1", "attachments", []any{"s3://" + bucket + "/nope.csv"}), nil, "", mailWant{},
			"Cannot read attachment s3://" + bucket + "/nope.csv: "},
		{"too many attachments", base("em1", "attachments", []any{"a", "b", "c", "d", "e", "f"}), nil, "", mailWant{}, "Too many email attachments (max 5)"},
		{"EMAIL_MAX_ATTACHMENTS", base("em1", "attachments", []any{"a", "b"}), map[string]string{"EMAIL_MAX_ATTACHMENTS": "1"}, "", mailWant{}, "Too many email attachments (max 1)"},
		{"EMAIL_MAX_SIZE", base("em1"), map[string]string{"EMAIL_MAX_SIZE": "100B"}, "", mailWant{}, "Email size "},
		{"bad recipient", base("em1", "to", "not an address"), nil, "", mailWant{}, "Bad email address: not an address"},
		{"html via connector", base("em1", "message", "\n<!DOCTYPE html><p>{{ globals.g1 }}</p>"), nil, "conn@example.com",
			mailWant{typ: "text/html", parts: []part{{ContentType: "text/html", Charset: "utf-8", CTE: "7bit", Raw: "\r\n<!DOCTYPE html><p>G1</p>", Body: "\r\n<!DOCTYPE html><p>G1</p>"}}}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, env)
			out := run(t, w, w.input(tc.item, tc.cfg))
			if tc.err != "" {
				t.Logf("error: %s", out.Error)
				if !strings.HasPrefix(out.Error, tc.err) || (out.Error != tc.err && !strings.HasSuffix(tc.err, " ")) {
					t.Fatalf("error = %q, want %q", out.Error, tc.err)
				}
				if len(w.Calls()) != 0 {
					t.Errorf("SES calls after an error: %v", actions(w.Calls()))
				}
				return
			}
			if out.Error != "" {
				t.Fatalf("error: %s", out.Error)
			}
			if diff := cmp.Diff([]string{"SendRawEmail@us-east-1"}, actions(w.Calls())); diff != "" {
				t.Errorf("SES calls (-want +got):\n%s", diff)
			}
			form := w.Calls()[0].Form
			for k, v := range tc.want.form {
				if got := form.Get(k); got != v {
					t.Errorf("SendRawEmail %s = %q, want %q", k, got, v)
				}
			}
			sent := mailByID(t, env, tc.source, out.Effects[0].Outcome)
			if diff := cmp.Diff([]string{"a@example.com", "b@example.com"}, sent.Destination); diff != "" {
				t.Errorf("destinations (-want +got):\n%s", diff)
			}
			raw := sent.RawData
			if b, err := base64.StdEncoding.DecodeString(raw); err == nil {
				raw = string(b)
			}
			m := parseMail(t, []byte(raw))
			for k, v := range tc.want.headers {
				if got := m.Header.Get(k); got != v {
					t.Errorf("header %s = %q, want %q", k, got, v)
				}
			}
			if m.Type != tc.want.typ {
				t.Errorf("type = %q, want %q", m.Type, tc.want.typ)
			}
			if diff := cmp.Diff(tc.want.parts, m.Parts); diff != "" {
				t.Errorf("parts (-want +got):\n%s", diff)
			}
		})
	}
}

func TestConnectorDryRun(t *testing.T) {
	t.Parallel()
	w := newWorld(t, env)
	in := w.input(value.NewMap("action", "email", "email_conn", "em2", "to", "a@example.com", "from", "f@example.com", "subject", "S", "message", "M"), nil)
	in.DryRun = true
	out := run(t, w, in)
	if out.Error != "" {
		t.Fatal(out.Error)
	}
	if len(w.Calls()) != 0 {
		t.Errorf("dry run called SES: %v", actions(w.Calls()))
	}
	if len(out.Effects) != 1 || out.Effects[0].Operation != "ses:SendRawEmail" || out.Effects[0].Outcome != "" {
		t.Fatalf("effects = %+v", out.Effects)
	}
	d := out.Effects[0].Decode()
	if d["ConfigurationSetName"] != "cs1" {
		t.Errorf("detail = %v", d)
	}
	m := parseMail(t, []byte(d["RawMessage"].(map[string]any)["Data"].(string)))
	if m.Header.Get("From") != "f@example.com" || m.Parts[0].Body != "M" {
		t.Errorf("dry-run message = %+v", m)
	}
}

func TestAttachmentDir(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	allowed := filepath.Join(root, "allowed")
	outside := filepath.Join(root, "outside")
	for _, d := range []string{allowed, outside} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(allowed, "in.txt"), []byte("in"), 0o600)
	os.WriteFile(filepath.Join(outside, "secret.txt"), []byte("secret"), 0o600)
	if err := os.Symlink(filepath.Join(outside, "secret.txt"), filepath.Join(allowed, "link.txt")); err != nil {
		t.Fatal(err)
	}
	os.Symlink(filepath.Join(allowed, "in.txt"), filepath.Join(allowed, "inner-link.txt"))
	cfg := map[string]string{"EMAIL_ATTACHMENT_DIR": allowed}
	cases := []struct {
		name, att, err, body string
	}{
		{"absolute inside", filepath.Join(allowed, "in.txt"), "", "in"},
		{"relative inside", "in.txt", "", "in"},
		{"symlink inside to inside", "inner-link.txt", "", "in"},
		{"absolute outside", filepath.Join(outside, "secret.txt"), "Attachment " + filepath.Join(outside, "secret.txt") + " is outside EMAIL_ATTACHMENT_DIR", ""},
		{"dot-dot", "../outside/secret.txt", "Attachment ../outside/secret.txt is outside EMAIL_ATTACHMENT_DIR", ""},
		{"symlink escaping", "link.txt", "Attachment link.txt is outside EMAIL_ATTACHMENT_DIR", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, env)
			from := awstest.Unique("att") + "@example.com"
			out := run(t, w, w.input(value.NewMap("action", "email", "email_conn", "em1", "from", from, "to", "a@example.com",
				"subject", "S", "message", "M", "attachments", []any{tc.att}), cfg))
			if out.Error != tc.err {
				t.Fatalf("error = %q, want %q", out.Error, tc.err)
			}
			if tc.err != "" {
				return
			}
			sent := mailByID(t, env, from, out.Effects[0].Outcome)
			raw := sent.RawData
			if b, err := base64.StdEncoding.DecodeString(raw); err == nil {
				raw = string(b)
			}
			if got := parseMail(t, []byte(raw)).Parts[1].Body; got != tc.body {
				t.Errorf("attachment = %q, want %q", got, tc.body)
			}
		})
	}
}
