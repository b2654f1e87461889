package emailaction

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ses"
	sestypes "github.com/aws/aws-sdk-go-v2/service/ses/types"
	"github.com/lava-actions/lava-actions/plugins/internal/connections"
	"github.com/lava-actions/lava-actions/sdk"
	"github.com/lava-actions/lava-actions/sdk/value"
)

func sesSendEmailInput(sender string, to []string, subject, message string, html bool) *ses.SendEmailInput {
	content := &sestypes.Content{Data: aws.String(message), Charset: aws.String("UTF-8")}
	body := &sestypes.Body{}
	if html {
		body.Html = content
	} else {
		body.Text = content
	}
	return &ses.SendEmailInput{
		Source:      aws.String(sender),
		Destination: &sestypes.Destination{ToAddresses: to},
		Message: &sestypes.Message{
			Subject: &sestypes.Content{Data: aws.String(subject), Charset: aws.String("UTF-8")},
			Body:    body,
		},
	}
}

// viaConnection is spec 4.2: load the connection, build the MIME message
// and send it through the connection's handler.
func (a *Action) viaConnection(ctx context.Context, req *sdk.Request, connID string, to []string, subject, message string) (*sdk.Result, error) {
	conn, err := a.store.Email(ctx, req.RealmName(), connID)
	if err != nil {
		return nil, err
	}
	sender := req.Item.String("from")
	if sender == "" {
		sender = conn.From
	}
	if sender == "" && conn.Handler == connections.HandlerSES {
		sender = req.Config.Get("SES_FROM", "")
	}
	if sender == "" {
		return nil, errors.New("Email sender must be specified")
	}
	if len(to) == 0 {
		return nil, errors.New("No recipients specified for email")
	}
	if subject == "" || message == "" {
		return nil, errNoContent
	}
	lim, err := readLimits(req.Config)
	if err != nil {
		return nil, err
	}
	var names []string
	if v := mustGet(req.Item, "attachments"); v != nil {
		rendered, err := req.RenderValue(v)
		if err != nil {
			return nil, err
		}
		list, _ := rendered.([]any)
		for _, e := range list {
			s, _ := e.(string)
			names = append(names, s)
		}
	}
	if len(names) > lim.attachments {
		return nil, fmt.Errorf("Too many email attachments (max %d)", lim.attachments)
	}
	files, err := a.loadAttachments(ctx, req.Config, names, lim.attachmentSize)
	if err != nil {
		return nil, err
	}
	raw, err := BuildMessage(sender, to, subject, message, files)
	if err != nil {
		return nil, err
	}
	if int64(len(raw)) > lim.all {
		return nil, fmt.Errorf("Email size %d bytes exceeds maximum allowed size of %d bytes", len(raw), lim.all)
	}
	if conn.Handler == connections.HandlerSMTP {
		return a.sendSMTP(ctx, req, conn, sender, to, subject, raw)
	}
	return a.sendRawSES(ctx, req, conn, to, subject, raw)
}

func (a *Action) sendRawSES(ctx context.Context, req *sdk.Request, conn *connections.Email, to []string, subject string, raw []byte) (*sdk.Result, error) {
	region := conn.Region
	if region == "" {
		region = req.Config.Get("SES_REGION", "us-east-1")
	}
	if region == "" {
		region = "us-east-1"
	}
	cs := conn.ConfigurationSet
	if cs == "" {
		cs = req.Config.Get("SES_CONFIGURATION_SET", "")
	}
	toList := make([]any, len(to))
	for i, s := range to {
		toList[i] = s
	}
	detail := value.NewMap("Destinations", toList, "RawMessage", value.NewMap("Data", string(raw)))
	in := &ses.SendRawEmailInput{Destinations: to, RawMessage: &sestypes.RawMessage{Data: raw}}
	if cs != "" {
		detail.Set("ConfigurationSetName", cs)
		in.ConfigurationSetName = aws.String(cs)
	}
	eff := sdk.Effect{Operation: "ses:SendRawEmail", Target: region, Detail: sdk.EncodeDetail(detail)}
	if req.DryRun {
		return &sdk.Result{Summary: fmt.Sprintf("would send email %q to %s through connection %s (SES %s)", subject, strings.Join(to, ", "), conn.ID, region),
			Effects: []sdk.Effect{eff}}, nil
	}
	out, err := a.sesClient(region).SendRawEmail(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("%s: %s", conn.ID, apiMessage(err))
	}
	eff.Outcome = aws.ToString(out.MessageId)
	return &sdk.Result{Summary: fmt.Sprintf("sent email %q to %s through connection %s (SES %s)", subject, strings.Join(to, ", "), conn.ID, region),
		Effects: []sdk.Effect{eff}}, nil
}

func hostPort(conn *connections.Email) string {
	return net.JoinHostPort(conn.Host, strconv.Itoa(conn.Port))
}
