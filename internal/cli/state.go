//go:build !lava_lean

package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/lava-actions/lava-actions/sdk/value"
	"github.com/lava-actions/lava-actions/state"
	"github.com/spf13/cobra"
)

// awsConfig loads the AWS configuration the way the plugins do: the
// default credential and region chain, AWS_ENDPOINT_URL honoured, and the
// SDK's standard retryer.
func awsConfig(ctx context.Context) (aws.Config, error) {
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRetryer(func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) { o.MaxAttempts = 5 })
	}))
	if err != nil {
		return cfg, fmt.Errorf("load AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	return cfg, nil
}

// stateImporter returns the host's ImportState function: state.Store.Import
// over the default AWS configuration.
func stateImporter(ctx context.Context) (func(ctx context.Context, realm string, job *value.Map) error, error) {
	cfg, err := awsConfig(ctx)
	if err != nil {
		return nil, err
	}
	return state.NewFromConfig(cfg).Import, nil
}

// delegateAWS does nothing in a full build: the state commands and
// --import-state run in this process.
func delegateAWS(*cobra.Command, *env) error { return nil }

func newStateCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "state",
		Short: "Read and write lava state items (lava.<realm>.state)",
		Long: `State reads and writes the state items that jobs publish with the state action
and read through their "state" map, in the DynamoDB table lava.<realm>.state.
Types: json, raw and secure (KMS-encrypted, key alias/lava-<realm>-sys by
default). Ids starting with "lava" (any case) are reserved.`,
	}
	cmd.AddCommand(newStateGetCmd(e), newStatePutCmd(e))
	return cmd
}

func newStateGetCmd(e *env) *cobra.Command {
	var realm, id, output string
	cmd := &cobra.Command{
		Use:   "get --realm REALM --id STATE_ID [-o json|value]",
		Short: "Print a state item (secure values are decrypted)",
		Long: `Get prints a state item: the whole item as JSON, or with -o value its value
only. An item that does not exist exits with status 4. The state id may
also be given as an argument (deprecated: use --id, as state put does).

` + exitCodesHelp,
		Args: cobra.MaximumNArgs(1),
		RunE: e.runE(func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output, "json", "value"); err != nil {
				return err
			}
			if len(args) == 1 {
				if id != "" && id != args[0] {
					return badInput(fmt.Errorf("two state ids: --id %q and argument %q", id, args[0]))
				}
				id = args[0]
				fmt.Fprintln(e.stderr, "lava-actions: warning: STATE_ID as an argument is deprecated; use --id")
			}
			if id == "" {
				return badInput(errors.New("state get needs --id STATE_ID"))
			}
			cfg, err := awsConfig(cmd.Context())
			if err != nil {
				return failed(err)
			}
			it, err := state.NewFromConfig(cfg).Get(cmd.Context(), realm, id)
			if errors.Is(err, state.ErrNotFound) {
				return &codedError{code: ExitNotFound, err: fmt.Errorf("%s: no such state item in %s", id, state.Table(realm))}
			}
			if err != nil {
				return failed(err)
			}
			v, err := value.EncodeJSON(it.Value, value.EncodeOptions{DecimalAsText: true, DateTimeAsISO: true})
			if err != nil {
				return failed(err)
			}
			if output == "value" {
				fmt.Fprintln(e.stdout, v)
				return nil
			}
			return writeJSON(e.stdout, map[string]any{
				"state_id": it.ID, "type": it.Type, "value": json.RawMessage(v), "publisher": it.Publisher,
				"timestamp": it.Timestamp.ISOFormat(), "ttl": it.TTL,
			})
		}),
	}
	cmd.Flags().StringVar(&realm, "realm", "", "realm name (required)")
	cmd.Flags().StringVar(&id, "id", "", "state_id (required)")
	cmd.Flags().StringVarP(&output, "output", "o", "json", "json (the whole item) or value (the value only)")
	_ = cmd.MarkFlagRequired("realm")
	return cmd
}

func newStatePutCmd(e *env) *cobra.Command {
	var realm, id, typ, ttl, publisher, kmsKey, valueText, output string
	cmd := &cobra.Command{
		Use:   "put --realm REALM --id STATE_ID --value JSON [--type json|raw|secure] [--ttl 7d] [-o text|json]",
		Short: "Write a state item",
		Args:  noArgs,
		RunE: e.runE(func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(output, "text", "json"); err != nil {
				return err
			}
			if state.Reserved(id) {
				return badInput(fmt.Errorf("bad state_id: %w", state.ErrReserved))
			}
			if err := state.CheckType(typ); err != nil {
				return badInput(err)
			}
			v, err := value.DecodeJSON([]byte(valueText), value.PythonNumbers)
			if err != nil {
				return badInput(fmt.Errorf("--value: %w", err))
			}
			var ttlArg any = ttl
			if ttl == "" {
				ttlArg = nil
			}
			secs, err := state.ResolveTTL(ttlArg, os.Getenv("LAVA_STATE_TTL"), os.Getenv("LAVA_STATE_MAX_TTL"))
			if err != nil {
				return badInput(err)
			}
			cfg, err := awsConfig(cmd.Context())
			if err != nil {
				return failed(err)
			}
			it := &state.Item{ID: id, Type: typ, Value: v, Publisher: publisher}
			if _, err := state.NewFromConfig(cfg).Put(cmd.Context(), realm, it, state.PutOptions{TTL: secs, KMSKey: kmsKey}); err != nil {
				return failed(err)
			}
			if output == "json" {
				return writeJSON(e.stdout, map[string]any{"state_id": id, "type": it.Type, "table": state.Table(realm), "ttl": it.TTL})
			}
			fmt.Fprintf(e.stdout, "%s: %s item written to %s (ttl %d)\n", id, it.Type, state.Table(realm), it.TTL)
			return nil
		}),
	}
	f := cmd.Flags()
	f.StringVar(&realm, "realm", "", "realm name (required)")
	f.StringVar(&id, "id", "", "state_id (required)")
	f.StringVar(&valueText, "value", "", "the value as JSON (required)")
	f.StringVar(&typ, "type", state.TypeJSON, "json, raw or secure")
	f.StringVar(&ttl, "ttl", "", "time to live, a lava duration (default STATE_TTL, 7d; capped at STATE_MAX_TTL, 366d)")
	f.StringVar(&publisher, "publisher", "lava-actions", "who publishes the item")
	f.StringVar(&kmsKey, "kms-key", "", "KMS key for secure items (default alias/lava-<realm>-sys)")
	f.StringVarP(&output, "output", "o", "text", "output format: text or json")
	for _, n := range []string{"realm", "id", "value"} {
		_ = cmd.MarkFlagRequired(n)
	}
	return cmd
}
