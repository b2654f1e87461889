package connections

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/lava-actions/lava-actions/sdk/value"
)

// Email handlers (section 4.2).
const (
	HandlerSES  = "ses"
	HandlerSMTP = "smtp"
)

// Email is an email connection (type "email", or legacy "ses").
type Email struct {
	// ID is the conn_id.
	ID string
	// Type is the type as stored ("email" or "ses"); Subtype the subtype
	// ("" when absent).
	Type, Subtype string
	// Handler is HandlerSES or HandlerSMTP.
	Handler string
	// From, Region, ConfigurationSet, ReplyTo and ReturnPath are the
	// optional string fields ("" when absent). ReplyTo and ReturnPath are
	// not used by the email action (as in lava).
	From, Region, ConfigurationSet, ReplyTo, ReturnPath string
	// Host, User and PasswordParam are the SMTP fields. PasswordParam is
	// the name of the SSM parameter holding the password, not the password.
	Host, User, PasswordParam string
	// Port is the SMTP port: the record's port, else 465 with TLS, else 25.
	Port int
	// TLS is the record's tls flag (default false).
	TLS bool
}

// Email loads email connection id of realm and checks it (sections 4.1 and
// 4.2), including the handler selection and, for SMTP, the host, port, tls
// and user/password fields. It does not read the password.
func (s *Store) Email(ctx context.Context, realm, id string) (*Email, error) {
	rec, err := s.Get(ctx, realm, id)
	if err != nil {
		return nil, err
	}
	return ParseEmail(id, rec)
}

// ParseEmail checks a raw record as Store.Email does.
func ParseEmail(id string, rec *value.Map) (*Email, error) {
	typ, err := check(id, rec, nil, emailOptional, []string{"email", "ses"}, `Must be of type "email" or "ses"`)
	if err != nil {
		return nil, err
	}
	e := &Email{ID: id, Type: typ}
	for _, f := range []struct {
		key string
		dst *string
	}{
		{"subtype", &e.Subtype}, {"from", &e.From}, {"region", &e.Region}, {"configuration_set", &e.ConfigurationSet},
		{"reply_to", &e.ReplyTo}, {"return_path", &e.ReturnPath}, {"host", &e.Host}, {"user", &e.User}, {"password", &e.PasswordParam},
	} {
		if *f.dst, err = stringField(id, rec, f.key); err != nil {
			return nil, err
		}
	}
	switch typ {
	case "ses":
		e.Handler = HandlerSES
	case "email":
		switch {
		case !rec.Has("subtype"):
			e.Handler = HandlerSES
		case e.Subtype == HandlerSES || e.Subtype == HandlerSMTP:
			e.Handler = e.Subtype
		default:
			return nil, fmt.Errorf("No email handler for type/subtype email/%s", value.Str(mustGet(rec, "subtype")))
		}
	default:
		return nil, fmt.Errorf("No email handler for type %s", typ)
	}
	if e.Handler != HandlerSMTP {
		return e, nil
	}
	if e.Host == "" {
		return nil, fmt.Errorf("%s: Bad connection record: Missing keys: host", id)
	}
	tlsv, _ := rec.Get("tls")
	if e.TLS, err = parseBool(tlsv); err != nil {
		return nil, fmt.Errorf("Connection %s: Bad tls value: %s", id, value.Str(tlsv))
	}
	e.Port = 25
	if e.TLS {
		e.Port = 465
	}
	if pv, ok := rec.Get("port"); ok && pv != nil && pv != "" {
		p, err := parsePort(pv)
		if err != nil {
			return nil, fmt.Errorf("Connection %s: Bad port: %s", id, value.Str(pv))
		}
		e.Port = p
	}
	if e.User != "" && e.PasswordParam == "" {
		return nil, fmt.Errorf("%s: password is required if user is specified", id)
	}
	return e, nil
}

// SMTPPassword reads the SMTP password from the SSM parameter named by the
// connection's password field, decrypted. The error text names the
// parameter, never its value.
func (s *Store) SMTPPassword(ctx context.Context, e *Email) (string, error) {
	if s.SSM == nil {
		return "", fmt.Errorf("%s: no SSM client to read the SMTP password", e.ID)
	}
	out, err := s.SSM.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(e.PasswordParam), WithDecryption: aws.Bool(true)})
	if err != nil {
		return "", fmt.Errorf("%s: Cannot get SMTP password from SSM parameter %s: %s", e.ID, e.PasswordParam, awsMessage(err))
	}
	if out.Parameter == nil || out.Parameter.Value == nil {
		return "", fmt.Errorf("%s: SSM parameter %s has no value", e.ID, e.PasswordParam)
	}
	return *out.Parameter.Value, nil
}

func mustGet(m *value.Map, k string) any {
	v, _ := m.Get(k)
	return v
}

// parseBool reads lava's tls flag: a boolean, a number, or a string
// true/false, yes/no, on/off, 1/0 (any case); absent or None is false.
func parseBool(v any) (bool, error) {
	switch t := v.(type) {
	case nil:
		return false, nil
	case bool:
		return t, nil
	case string:
		switch strings.ToLower(strings.TrimSpace(t)) {
		case "true", "yes", "on", "1", "y", "t":
			return true, nil
		case "false", "no", "off", "0", "n", "f", "":
			return false, nil
		}
		return false, fmt.Errorf("bad boolean %q", t)
	case value.Decimal, int64, float64:
		return value.Truthy(t), nil
	}
	return false, fmt.Errorf("bad boolean")
}

func parsePort(v any) (int, error) {
	var s string
	switch t := v.(type) {
	case value.Decimal:
		s = t.String()
	case int64:
		s = strconv.FormatInt(t, 10)
	case string:
		s = strings.TrimSpace(t)
	default:
		return 0, fmt.Errorf("bad port")
	}
	p, err := strconv.Atoi(s)
	if err != nil || p <= 0 || p > 65535 {
		return 0, fmt.Errorf("bad port")
	}
	return p, nil
}
