package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/lava-actions/lava-actions/host"
	"github.com/lava-actions/lava-actions/sdk/value"
	"github.com/spf13/cobra"
)

func newValidateCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "validate FILE...",
		Short: "Check the action lists of job and realm items without running them",
		Long: `Validate reads job and realm items (a file holds one JSON object or a JSON
list of them; "-" is stdin) and checks every on_success, on_retry and on_fail
list present as the host checks a list before running it: its shape, known
action types, each item's fields against its plugin's schema, and template
syntax. It starts the plugins needed but runs no action.

It prints one line per list, "FILE: on_success: ok" or the error, and exits
with status 2 when any file or list is invalid.`,
		Example: `  lava-actions validate jobs/*.json realm.json`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return badInput(errors.New("validate needs at least one FILE"))
			}
			return nil
		},
		RunE: e.runE(func(cmd *cobra.Command, args []string) error { return validateFiles(cmd.Context(), e, args) }),
	}
}

func validateFiles(ctx context.Context, e *env, files []string) error {
	if err := oneStdin(files...); err != nil {
		return err
	}
	h, err := e.newHost(0)
	if err != nil {
		return err
	}
	defer shutdown(h, e.logger())
	bad := false
	say := func(format string, args ...any) { fmt.Fprintf(e.stdout, format+"\n", args...) }
	for _, file := range files {
		v, err := readJSON(file, e.stdin, value.DecimalNumbers)
		if err != nil {
			say("%s", err)
			bad = true
			continue
		}
		name := displayName(file)
		items := []any{v}
		labels := []string{name}
		if list, ok := v.([]any); ok {
			items, labels = list, make([]string, len(list))
			for i := range list {
				labels[i] = fmt.Sprintf("%s[%d]", name, i)
			}
			if len(list) == 0 {
				say("%s: empty list", name)
			}
		}
		for i, it := range items {
			item, ok := it.(*value.Map)
			if !ok {
				say("%s: a job or realm item must be a JSON object, not %s", labels[i], jsonType(it))
				bad = true
				continue
			}
			if !validateItem(ctx, h, labels[i], item, say) {
				bad = true
			}
			if ctx.Err() != nil {
				return failed(ctx.Err())
			}
		}
	}
	if bad {
		return &reportedError{code: ExitBadInput}
	}
	return nil
}

// validateItem validates each action list of one job or realm item. An item
// with a job_id is a job (its lists render with it as the job); any other
// is a realm item.
func validateItem(ctx context.Context, h *host.Host, label string, item *value.Map, say func(string, ...any)) bool {
	job, realm := (*value.Map)(nil), item
	if item.Has("job_id") {
		job, realm = item, nil
	}
	ok, found := true, false
	for _, trigger := range host.Triggers {
		list, has := item.Get(string(trigger))
		if !has {
			continue
		}
		found = true
		err := h.ValidateList(ctx, string(trigger), list, job, realm)
		var ae *host.ActionError
		switch {
		case err == nil:
			say("%s: %s: ok", label, trigger)
		case errors.As(err, &ae):
			say("%s: %s", label, oneLine(err.Error()))
			ok = false
		default:
			say("%s: %s: %s", label, trigger, oneLine(err.Error()))
			ok = false
		}
	}
	if !found {
		say("%s: no action lists", label)
	}
	return ok
}
