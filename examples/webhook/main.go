// Command lava-action-webhook is an example third-party lava action plugin:
// the "webhook" action type, which POSTs a JSON body to an HTTP endpoint.
// Build it as lava-action-webhook and put it in a plugin directory; see
// README.md.
package main

import (
	"github.com/lava-actions/lava-actions/examples/webhook/webhook"
	"github.com/lava-actions/lava-actions/sdk"
)

func main() { sdk.Serve(webhook.Action{}) }
