// Command lava-action-sns is the bundled sns action plugin.
package main

import (
	"github.com/lava-actions/lava-actions/plugins/sns/snsaction"
	"github.com/lava-actions/lava-actions/sdk"
)

func main() { sdk.Serve(snsaction.Action{}) }
