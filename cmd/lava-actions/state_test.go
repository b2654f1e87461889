package main_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/sivchari/kumo"
)

// awsEnv starts kumo with a realm's state table and key, and returns the
// environment for the command.
func awsEnv(t *testing.T, realm string) []string {
	t.Helper()
	srv := kumo.NewServer()
	t.Cleanup(srv.Close)
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""), BaseEndpoint: aws.String(srv.URL)}
	ctx := context.Background()
	db := dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) { o.DisableValidateResponseChecksum = true })
	if _, err := db.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String("lava." + realm + ".state"),
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("state_id"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("state_id"), KeyType: types.KeyTypeHash}},
		BillingMode:          types.BillingModePayPerRequest,
	}); err != nil {
		t.Fatal(err)
	}
	k := kms.NewFromConfig(cfg)
	key, err := k.CreateKey(ctx, &kms.CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String("alias/lava-" + realm + "-sys"), TargetKeyId: key.KeyMetadata.KeyId}); err != nil {
		t.Fatal(err)
	}
	return []string{"AWS_ENDPOINT_URL=" + srv.URL, "AWS_REGION=us-east-1", "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test"}
}

func lavaEnv(t *testing.T, env []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(binDir, "lava-actions"), args...)
	cmd.Env = baseEnv(env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := result{stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		res.code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	assertNoPanic(t, res)
	return res
}

func TestStateCommands(t *testing.T) {
	t.Parallel()
	realm := "cli" + strings.ReplaceAll(t.Name(), "/", "")
	env := awsEnv(t, realm)
	for _, typ := range []string{"json", "raw", "secure"} {
		res := lavaEnv(t, env, "state", "put", "--realm", realm, "--id", "sid-"+typ, "--type", typ, "--value", `{"x": 1, "s": "é"}`, "--ttl", "2h")
		if res.code != 0 {
			t.Fatalf("put %s: %+v", typ, res)
		}
		res = lavaEnv(t, env, "state", "get", "--realm", realm, "--id", "sid-"+typ)
		if res.code != 0 {
			t.Fatalf("get %s: %+v", typ, res)
		}
		var item map[string]any
		if err := json.Unmarshal([]byte(res.stdout), &item); err != nil {
			t.Fatalf("get output: %v\n%s", err, res.stdout)
		}
		v := item["value"].(map[string]any)
		if item["type"] != typ || v["x"] != 1.0 || v["s"] != "é" || item["publisher"] != "lava-actions" {
			t.Errorf("%s item = %v", typ, item)
		}
	}
	if res := lavaEnv(t, env, "state", "put", "--realm", realm, "--id", "LAVA-x", "--value", "1"); res.code != 2 || !strings.Contains(res.stderr, `Values beginning with "lava" are reserved`) {
		t.Errorf("reserved id: %+v", res)
	}
	if res := lavaEnv(t, env, "state", "get", "--realm", realm, "--id", "nope"); res.code != 4 || !strings.Contains(res.stderr, "no such state item") {
		t.Errorf("missing item: %+v", res)
	}
	// -o json: the failure is one JSON object on stdout.
	res := lavaEnv(t, env, "state", "get", "--realm", realm, "--id", "nope", "-o", "json")
	var failure struct {
		Error    string `json:"error"`
		ExitCode int    `json:"exit_code"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &failure); err != nil || res.code != 4 || failure.ExitCode != 4 || !strings.Contains(failure.Error, "no such state item") {
		t.Errorf("missing item, -o json: %+v (%v)", res, err)
	}
	// The positional form is a deprecated alias of --id.
	res = lavaEnv(t, env, "state", "get", "--realm", realm, "sid-json", "-o", "value")
	if res.code != 0 || strings.TrimSpace(res.stdout) != `{"x": 1, "s": "\u00e9"}` || !strings.Contains(res.stderr, "deprecated; use --id") {
		t.Errorf("positional get: %+v", res)
	}
	if res := lavaEnv(t, env, "state", "get", "--realm", realm, "--id", "a", "b"); res.code != 2 || !strings.Contains(res.stderr, "two state ids") {
		t.Errorf("two ids: %+v", res)
	}
	// put -o json.
	res = lavaEnv(t, env, "state", "put", "--realm", realm, "--id", "sid-o", "--value", "1", "-o", "json")
	if res.code != 0 || !strings.Contains(res.stdout, `"state_id": "sid-o"`) {
		t.Errorf("put -o json: %+v", res)
	}

	// W11: run --import-state fills the job's declared state before rendering.
	job := `{"job_id":"demo/job1","run_id":"r","realm":"` + realm + `","state":{"sid-json":"default","missing":"dflt"},
	  "on_success":[{"action":"log","message":"W11 {{ state['sid-json'].x }} {{ state.missing }}"}]}`
	jobFile := filepath.Join(t.TempDir(), "job.json")
	os.WriteFile(jobFile, []byte(job), 0o644)
	realmFile := filepath.Join(t.TempDir(), "realm.json")
	os.WriteFile(realmFile, []byte(`{"realm":"`+realm+`"}`), 0o644)
	res = lavaEnv(t, env, "--import-state", "run", "--on", "success", "--job", jobFile, "--realm", realmFile)
	if res.code != 0 || !strings.Contains(res.stderr, "W11 1 dflt") {
		t.Errorf("run --import-state: %+v", res)
	}
}
