package connections_test

import (
	"context"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/lava-actions/lava-actions/plugins/internal/awstest"
	"github.com/lava-actions/lava-actions/plugins/internal/connections"
)

var env *awstest.Env

func TestMain(m *testing.M) {
	var stop func()
	env, stop = awstest.StartMain()
	code := m.Run()
	stop()
	os.Exit(code)
}

// setup uses kumo, creates a fresh realm's connections table with the
// spec 9.9/9.10 records and returns a Store on it.
func setup(t *testing.T) (*awstest.Env, *connections.Store, string) {
	t.Helper()
	realm := awstest.Unique("r")
	table := connections.TableName(realm)
	env.CreateTable(t, table, "conn_id")
	for _, item := range []string{
		`{"conn_id": "em1", "type": "email", "enabled": true, "from": "conn@example.com"}`,
		`{"conn_id": "em2", "type": "email", "subtype": "ses", "enabled": true, "region": "us-east-1", "configuration_set": "cs1", "reply_to": "rt@example.com"}`,
		`{"conn_id": "em3", "type": "ses", "enabled": true}`,
		`{"conn_id": "em4", "type": "email", "enabled": false}`,
		`{"conn_id": "em5", "type": "slack", "enabled": true, "webhook_url": "x"}`,
		`{"conn_id": "em6", "type": "email", "subtype": "pigeon", "enabled": true}`,
		`{"conn_id": "em7", "type": "email", "enabled": true, "bogus": 1}`,
		`{"conn_id": "em8", "type": "Email", "enabled": true}`,
		`{"conn_id": "em9", "type": "email", "enabled": true, "X-note": "ignored", "x-other": 1, "description": "d", "owner": "o", "secret_id": "s"}`,
		`{"conn_id": "em10", "enabled": true}`,
		`{"conn_id": "em11", "type": "sqs", "enabled": true}`,
		`{"conn_id": "em12", "type": "email", "enabled": "yes"}`,
		`{"conn_id": "smtp1", "type": "email", "subtype": "smtp", "enabled": true, "host": "mail.example.com", "user": "u", "password": "/lava/dev/smtp-pw", "tls": true, "from": "smtp@example.com"}`,
		`{"conn_id": "smtp2", "type": "email", "subtype": "smtp", "enabled": true, "host": "mail.example.com", "user": "u"}`,
		`{"conn_id": "smtp3", "type": "email", "subtype": "smtp", "enabled": true}`,
		`{"conn_id": "smtp4", "type": "email", "subtype": "smtp", "enabled": true, "host": "h", "port": 2525, "tls": "true"}`,
		`{"conn_id": "smtp5", "type": "email", "subtype": "smtp", "enabled": true, "host": "h", "port": "x"}`,
		`{"conn_id": "sl1", "type": "slack", "enabled": true, "webhook_url": "https://hooks.slack.com/services/T/B/X"}`,
		`{"conn_id": "sl2", "type": "slack", "enabled": true, "webhook_url": "https://hooks.slack.com/services/T/B/Y", "from": "Lava Bot", "style": "attachment", "colour": "ff0000", "preamble": "<!here>"}`,
		`{"conn_id": "sl3", "type": "slack", "enabled": true, "webhook_url": "https://hooks.slack.com/services/T/B/Z", "style": "fancy"}`,
		`{"conn_id": "sl4", "type": "slack", "enabled": true}`,
		`{"conn_id": "sl5", "type": "Slack", "enabled": true, "webhook_url": "https://hooks.slack.com/services/T/B/X"}`,
		`{"conn_id": "sl6", "type": "slack", "enabled": false, "webhook_url": "https://hooks.slack.com/services/T/B/X"}`,
		`{"conn_id": "sl7", "type": "slack", "enabled": true, "webhook_url": "https://hooks.slack.com/services/T/B/X", "channel": "c"}`,
	} {
		env.PutItemJSON(t, table, item)
	}
	return env, connections.NewStore(env.Config), realm
}

func TestEmail(t *testing.T) {
	t.Parallel()
	_, store, realm := setup(t)
	cases := []struct {
		id      string
		want    *connections.Email
		wantErr string
	}{
		{"em1", &connections.Email{ID: "em1", Type: "email", Handler: "ses", From: "conn@example.com"}, ""},
		{"em2", &connections.Email{ID: "em2", Type: "email", Subtype: "ses", Handler: "ses", Region: "us-east-1", ConfigurationSet: "cs1", ReplyTo: "rt@example.com"}, ""},
		{"em3", &connections.Email{ID: "em3", Type: "ses", Handler: "ses"}, ""},
		{"em4", nil, "Connection em4: Not enabled"},
		{"em5", nil, "Connection em5: Unexpected keys: webhook_url"},
		{"em6", nil, "No email handler for type/subtype email/pigeon"},
		{"em7", nil, "Connection em7: Unexpected keys: bogus"},
		{"em8", nil, "No email handler for type Email"},
		{"em9", &connections.Email{ID: "em9", Type: "email", Handler: "ses"}, ""},
		{"em10", nil, "em10: Bad connection record: Missing keys: type"},
		{"em11", nil, `Connection em11: Must be of type "email" or "ses" not "sqs"`},
		{"em12", &connections.Email{ID: "em12", Type: "email", Handler: "ses"}, ""},
		{"nope", nil, "nope: No such connection"},
		{"sl1", nil, "Connection sl1: Unexpected keys: webhook_url"},
		{"smtp1", &connections.Email{ID: "smtp1", Type: "email", Subtype: "smtp", Handler: "smtp", From: "smtp@example.com",
			Host: "mail.example.com", User: "u", PasswordParam: "/lava/dev/smtp-pw", Port: 465, TLS: true}, ""},
		{"smtp2", nil, "smtp2: password is required if user is specified"},
		{"smtp3", nil, "smtp3: Bad connection record: Missing keys: host"},
		{"smtp4", &connections.Email{ID: "smtp4", Type: "email", Subtype: "smtp", Handler: "smtp", Host: "h", Port: 2525, TLS: true}, ""},
		{"smtp5", nil, "Connection smtp5: Bad port: x"},
	}
	for _, tc := range cases {
		t.Run(tc.id, func(t *testing.T) {
			t.Parallel()
			got, err := store.Email(context.Background(), realm, tc.id)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("error = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestSlack(t *testing.T) {
	t.Parallel()
	_, store, realm := setup(t)
	cases := []struct {
		id      string
		want    *connections.Slack
		wantErr string
	}{
		{"sl1", &connections.Slack{ID: "sl1", WebhookURL: "https://hooks.slack.com/services/T/B/X"}, ""},
		{"sl2", &connections.Slack{ID: "sl2", WebhookURL: "https://hooks.slack.com/services/T/B/Y", From: "Lava Bot", Style: "attachment", Colour: "ff0000", Preamble: "<!here>"}, ""},
		// Decision 0.12: a bad connector style is loaded; it fails only when used.
		{"sl3", &connections.Slack{ID: "sl3", WebhookURL: "https://hooks.slack.com/services/T/B/Z", Style: "fancy"}, ""},
		{"sl4", nil, "Connection sl4: Missing keys: webhook_url"},
		{"sl5", nil, `Connection "sl5" is not a slack connection`},
		{"sl6", nil, "Connection sl6: Not enabled"},
		{"sl7", nil, "Connection sl7: Unexpected keys: channel"},
		{"em1", nil, "Connection em1: Missing keys: webhook_url"},
		{"em11", nil, "Connection em11: Missing keys: webhook_url"},
		{"nope", nil, "nope: No such connection"},
	}
	for _, tc := range cases {
		t.Run(tc.id, func(t *testing.T) {
			t.Parallel()
			got, err := store.Slack(context.Background(), realm, tc.id)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("error = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	if err := (&connections.Slack{ID: "sl3", Style: "fancy"}).StyleError(); err.Error() != `Connection "sl3": Bad style fancy` {
		t.Errorf("StyleError = %q", err)
	}
}

func TestSMTPPasswordFromSSM(t *testing.T) {
	t.Parallel()
	env, store, realm := setup(t)
	param := "/lava/" + realm + "/smtp-pw"
	env.PutSecureParameter(t, param, "s3cret")
	got, err := store.SMTPPassword(context.Background(), &connections.Email{ID: "smtp1", PasswordParam: param})
	if err != nil || got != "s3cret" {
		t.Fatalf("password = %q, %v", got, err)
	}
	_, err = store.SMTPPassword(context.Background(), &connections.Email{ID: "smtp1", PasswordParam: param + "-missing"})
	if err == nil {
		t.Fatal("missing parameter: no error")
	}
	want := "smtp1: Cannot get SMTP password from SSM parameter " + param + "-missing: "
	if len(err.Error()) < len(want) || err.Error()[:len(want)] != want {
		t.Errorf("error = %q, want prefix %q", err, want)
	}
}
