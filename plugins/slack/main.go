// Command lava-action-slack is the bundled slack action plugin (lava spec
// 3.6 and 4.3): it posts a message to a lava slack connection's webhook.
package main

import (
	"github.com/lava-actions/lava-actions/plugins/slack/slackaction"
	"github.com/lava-actions/lava-actions/sdk"
)

func main() { sdk.Serve(slackaction.New(slackaction.Options{})) }
