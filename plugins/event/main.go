// Command lava-action-event is the bundled event action plugin.
package main

import (
	"github.com/lava-actions/lava-actions/plugins/event/eventaction"
	"github.com/lava-actions/lava-actions/sdk"
)

func main() { sdk.Serve(eventaction.Action{}) }
