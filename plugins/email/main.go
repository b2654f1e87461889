// Command lava-action-email is the bundled email action plugin (lava spec
// 3.5 and 4.2): bare SES, or a lava email connection (SES or SMTP).
package main

import (
	"github.com/lava-actions/lava-actions/plugins/email/emailaction"
	"github.com/lava-actions/lava-actions/sdk"
)

func main() { sdk.Serve(emailaction.New(emailaction.Options{})) }
