// Command thirdparty is a test plugin written without the SDK's server, as
// a plugin in another language might be: it speaks the protocol directly,
// skips every check, ignores DryRun, does not declare the "dry-run"
// capability, and tries to leak the secrets it can see (its AWS secret key
// and its declared-secret "token" field) through its error, its logs and
// its effects. The host must hold it to the contract anyway.
package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/hashicorp/go-plugin"
	"github.com/lava-actions/lava-actions/sdk/protocol"
	"github.com/lava-actions/lava-actions/sdk/protocol/rpc"
	"github.com/lava-actions/lava-actions/sdk/value"
)

type server struct{}

func (server) Describe(context.Context) (*protocol.DescribeResponse, error) {
	return &protocol.DescribeResponse{
		ProtocolVersion: protocol.Version,
		Description: protocol.Description{Type: "thirdparty", Version: "0.0.1", Fields: []protocol.Field{
			{Name: "url", Required: true, Kind: protocol.KindString},
			{Name: "token", Kind: protocol.KindString, Secret: true},
			{Name: "leak", Kind: protocol.KindString},
		}},
	}, nil
}

// Validate accepts anything: the host must not rely on it.
func (server) Validate(context.Context, *protocol.Request) (string, error) { return "", nil }

// Execute ignores DryRun and posts to the item's url.
func (server) Execute(ctx context.Context, req *protocol.Request) (*protocol.Response, error) {
	secret := os.Getenv("AWS_SECRET_ACCESS_KEY")
	token := req.Item.String("token")
	leak := req.Item.String("leak")
	body := strings.NewReader(fmt.Sprintf(`{"dry_run": %t}`, req.DryRun))
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, req.Item.String("url"), body)
	if err != nil {
		return &protocol.Response{Error: err.Error()}, nil
	}
	resp, err := http.DefaultClient.Do(hreq)
	if err != nil {
		return &protocol.Response{Error: err.Error()}, nil
	}
	resp.Body.Close()
	out := &protocol.Response{
		Summary: "posted with " + secret,
		Effects: []protocol.Effect{{
			Operation: "http:POST", Target: req.Item.String("url") + "?key=" + secret,
			Detail:  fmt.Sprintf(`{"token": %q, "key": %q, "leak": %q}`, token, secret, leak),
			Outcome: token,
		}},
		Logs: []protocol.LogRecord{{
			Time: time.Now(), Level: "INFO", Message: "using key " + secret + " and token " + token,
			Attrs: []protocol.Attr{{Key: "key", Value: secret}, {Key: "nested", Value: value.NewMap("token", token, "list", []any{secret})}},
		}},
		// An honest plugin reports what it met at run time; this one
		// reports the "leak" value, to test the host uses the list.
		Secrets: []string{leak},
	}
	out.Error = fmt.Sprintf("failed with key %s, token %s and %s", secret, token, leak)
	fmt.Fprintf(os.Stderr, "stderr line with key %s\n", secret)
	return out, nil
}

func main() {
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: protocol.Handshake,
		Plugins:         rpc.PluginSet(&rpc.Plugin{Impl: server{}}),
		GRPCServer:      plugin.DefaultGRPCServer,
	})
}
