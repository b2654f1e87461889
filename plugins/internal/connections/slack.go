package connections

import (
	"context"
	"fmt"

	"github.com/lava-actions/lava-actions/sdk/value"
)

// Slack message styles.
var SlackStyles = []string{"block", "attachment", "plain"}

// Slack is a slack connection (section 4.3).
type Slack struct {
	// ID is the conn_id.
	ID string
	// WebhookURL is the incoming-webhook URL. It is a secret: never put it
	// in an error, log or report.
	WebhookURL string
	// From, Style, Colour and Preamble are the optional defaults ("" when
	// absent). Style is not checked here: lava project decision 0.12 checks
	// it only when it is the style used (see ValidStyle).
	From, Style, Colour, Preamble string
}

// ValidStyle reports whether s is a Slack message style.
func ValidStyle(s string) bool {
	for _, v := range SlackStyles {
		if s == v {
			return true
		}
	}
	return false
}

// StyleError is the error for a connector style that is used and is not
// valid: lava's text, with the style named instead of lava's "None".
func (c *Slack) StyleError() error {
	return fmt.Errorf("Connection \"%s\": Bad style %s", c.ID, c.Style)
}

// Slack loads slack connection id of realm and checks it (sections 4.1 and
// 4.3). The type must be "slack" exactly.
func (s *Store) Slack(ctx context.Context, realm, id string) (*Slack, error) {
	rec, err := s.Get(ctx, realm, id)
	if err != nil {
		return nil, err
	}
	return ParseSlack(id, rec)
}

// ParseSlack checks a raw record as Store.Slack does.
func ParseSlack(id string, rec *value.Map) (*Slack, error) {
	typ, err := check(id, rec, slackRequired, slackOptional, []string{"slack"}, `Must be of type "slack"`)
	if err != nil {
		return nil, err
	}
	if typ != "slack" {
		return nil, fmt.Errorf("Connection \"%s\" is not a slack connection", id)
	}
	c := &Slack{ID: id}
	for _, f := range []struct {
		key string
		dst *string
	}{
		{"webhook_url", &c.WebhookURL}, {"from", &c.From}, {"style", &c.Style}, {"colour", &c.Colour}, {"preamble", &c.Preamble},
	} {
		if *f.dst, err = stringField(id, rec, f.key); err != nil {
			return nil, err
		}
	}
	if c.WebhookURL == "" {
		return nil, fmt.Errorf("Connection %s: webhook_url is empty", id)
	}
	return c, nil
}
