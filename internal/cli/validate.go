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
	var output string
	cmd := &cobra.Command{
		Use:   "validate [-o json] FILE...",
		Short: "Check the action lists of job and realm items without running them",
		Long: `Validate reads job and realm items (a file holds one JSON object or a JSON
list of them; "-" is stdin) and checks every on_success, on_retry and on_fail
list present as the host checks a list before running it: its shape, known
action types, each item's fields against its plugin's schema, and template
syntax. It starts the plugins needed but runs no action.

It prints one line per list, "FILE: on_success: ok" or the error (with -o
json one object: {"results":[{"source","key","status","error"}…],
"invalid":N}, status ok, invalid or no-lists), and exits with status 2 when
any file or list is invalid.`,
		Example: `  lava-actions validate jobs/*.json realm.json`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return badInput(errors.New("validate needs at least one FILE"))
			}
			return nil
		},
		RunE: e.runE(func(cmd *cobra.Command, args []string) error { return validateFiles(cmd.Context(), e, args, output) }),
	}
	cmd.Flags().StringVarP(&output, "output", "o", "text", "output format: text or json")
	return cmd
}

// validation is one line of validate's output.
type validation struct {
	Source string `json:"source"`
	Key    string `json:"key,omitempty"`
	// Status is ok, invalid or no-lists.
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`
}

func (v validation) text() string {
	switch {
	case v.Status == "ok":
		return fmt.Sprintf("%s: %s: ok", v.Source, v.Key)
	case v.Status == "no-lists" && v.Error != "":
		return fmt.Sprintf("%s: %s", v.Source, v.Error)
	case v.Status == "no-lists":
		return fmt.Sprintf("%s: no action lists", v.Source)
	case v.Key == "":
		return v.Error
	}
	return fmt.Sprintf("%s: %s", v.Source, v.Error)
}

func validateFiles(ctx context.Context, e *env, files []string, output string) error {
	if err := checkOutput(output, "text", "json"); err != nil {
		return err
	}
	if err := oneStdin(files...); err != nil {
		return err
	}
	h, err := e.newHost(0)
	if err != nil {
		return err
	}
	defer shutdown(h, e.logger())
	var results []validation
	invalid := 0
	add := func(v validation) {
		if v.Status == "invalid" {
			invalid++
		}
		if output == "text" {
			fmt.Fprintln(e.stdout, v.text())
		}
		results = append(results, v)
	}
	for _, file := range files {
		name := displayName(file)
		v, err := readJSON(file, e.stdin, value.DecimalNumbers)
		if err != nil {
			add(validation{Source: name, Status: "invalid", Error: oneLine(err.Error())})
			continue
		}
		items := []any{v}
		labels := []string{name}
		if list, ok := v.([]any); ok {
			items, labels = list, make([]string, len(list))
			for i := range list {
				labels[i] = fmt.Sprintf("%s[%d]", name, i)
			}
			if len(list) == 0 {
				add(validation{Source: name, Status: "no-lists", Error: "empty list"})
			}
		}
		for i, it := range items {
			item, ok := it.(*value.Map)
			if !ok {
				add(validation{Source: labels[i], Status: "invalid",
					Error: fmt.Sprintf("%s: a job or realm item must be a JSON object, not %s", labels[i], jsonType(it))})
				continue
			}
			validateItem(ctx, h, labels[i], item, add)
			if ctx.Err() != nil {
				return failed(ctx.Err())
			}
		}
	}
	if output == "json" {
		if results == nil {
			results = []validation{}
		}
		if err := writeJSON(e.stdout, map[string]any{"results": results, "invalid": invalid}); err != nil {
			return failed(err)
		}
	}
	if invalid > 0 {
		return &reportedError{code: ExitBadInput}
	}
	return nil
}

// validateItem validates each action list of one job or realm item. An item
// with a job_id is a job (its lists render with it as the job); any other
// is a realm item.
func validateItem(ctx context.Context, h *host.Host, label string, item *value.Map, add func(validation)) {
	job, realm := (*value.Map)(nil), item
	if item.Has("job_id") {
		job, realm = item, nil
	}
	found := false
	for _, trigger := range host.Triggers {
		list, has := item.Get(string(trigger))
		if !has {
			continue
		}
		found = true
		v := validation{Source: label, Key: string(trigger), Status: "ok"}
		err := h.ValidateList(ctx, string(trigger), list, job, realm)
		var ae *host.ActionError
		switch {
		case err == nil:
		case errors.As(err, &ae):
			v.Status, v.Error = "invalid", oneLine(err.Error())
		default:
			v.Status, v.Error = "invalid", string(trigger)+": "+oneLine(err.Error())
		}
		add(v)
	}
	if !found {
		add(validation{Source: label, Status: "no-lists"})
	}
}
