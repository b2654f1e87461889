package sdk_test

import (
	"errors"
	"testing"

	"github.com/lava-actions/lava-actions/sdk"
	"github.com/lava-actions/lava-actions/sdk/value"
)

func TestCheckItem(t *testing.T) {
	t.Parallel()
	strict := sdk.Description{Type: "x", Fields: []sdk.Field{
		{Name: "to", Required: true, Kind: sdk.KindStrings},
		{Name: "subject", Required: true, Kind: sdk.KindString, Render: sdk.RenderText},
		{Name: "message", Required: true, Kind: sdk.KindString, Render: sdk.RenderText},
		{Name: "resources", Kind: sdk.KindList, Render: sdk.RenderEach, KindError: "resources must be a list"},
		{Name: "detail", Kind: sdk.KindStringOrMap, Render: sdk.RenderEach},
		{Name: "parameters", Kind: sdk.KindMap, Render: sdk.RenderStructural},
	}}
	loose := strict
	loose.Lenient = true
	badSyntax := func(src string) error {
		if src == "{{" {
			return errors.New("bad syntax")
		}
		return nil
	}
	ok := `"to": "a@b", "subject": "s", "message": "m"`
	cases := []struct {
		name string
		d    sdk.Description
		item string
		want string
	}{
		{"ok", strict, `{"action": "x", ` + ok + `}`, ""},
		{"missing sorted", strict, `{"action": "x", "to": "a"}`, "Missing keys: message, subject"},
		{"unexpected sorted", strict, `{"action": "x", ` + ok + `, "zz": 1, "X-a": 2}`, "Unexpected keys: X-a, zz"},
		{"extra keys when loose", loose, `{"action": "x", ` + ok + `, "zz": 1}`, ""},
		{"missing before unexpected", strict, `{"action": "x", "zz": 1}`, "Missing keys: message, subject, to"},
		{"kind", strict, `{"action": "x", "to": "a", "subject": 5, "message": "m"}`, "subject must be a string"},
		{"strings list", strict, `{"action": "x", "to": ["a", 5], "subject": "s", "message": "m"}`, "to must be a string or a list of strings"},
		{"custom kind error", strict, `{"action": "x", ` + ok + `, "resources": "r"}`, "resources must be a list"},
		{"syntax text", strict, `{"action": "x", "to": "a", "subject": "{{", "message": "m"}`, "bad syntax"},
		{"syntax each list", strict, `{"action": "x", ` + ok + `, "resources": ["ok", "{{"]}`, "bad syntax"},
		{"syntax each map value", strict, `{"action": "x", ` + ok + `, "detail": {"{{": "ok", "k": "{{"}}`, "bad syntax"},
		{"keys not rendered in each mode", strict, `{"action": "x", ` + ok + `, "detail": {"{{": "ok"}}`, ""},
		{"structural keys", strict, `{"action": "x", ` + ok + `, "parameters": {"{{": 1}}`, "bad syntax"},
		{"structural nested", strict, `{"action": "x", ` + ok + `, "parameters": {"a": [1, {"b": "{{"}]}}`, "bad syntax"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			v, err := value.DecodeJSON([]byte(tc.item), value.DecimalNumbers)
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if err := sdk.CheckItem(tc.d, v.(*value.Map), badSyntax); err != nil {
				got = err.Error()
			}
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestSchemaIsStable(t *testing.T) {
	t.Parallel()
	d := sdk.Description{Type: "log", Lenient: true, Fields: []sdk.Field{{Name: "message", Required: true, Kind: sdk.KindString, Render: sdk.RenderText, Doc: "the message"}}}
	got, err := sdk.Schema(d)
	if err != nil {
		t.Fatal(err)
	}
	want := `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "title": "lava log action",
  "type": "object",
  "properties": {
    "action": {
      "const": "log"
    },
    "message": {
      "type": "string",
      "description": "the message",
      "x-lava-render": "text"
    }
  },
  "required": [
    "action",
    "message"
  ],
  "additionalProperties": true
}`
	if string(got) != want {
		t.Errorf("schema:\n%s\nwant:\n%s", got, want)
	}
}
