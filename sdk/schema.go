package sdk

import (
	"encoding/json"

	"github.com/lava-actions/lava-actions/sdk/value"
)

// Schema returns the JSON Schema (draft 2020-12) of an item of the action
// described by d, with keys in a stable order.
func Schema(d Description) ([]byte, error) {
	props := value.NewMap("action", value.NewMap("const", d.Type))
	required := []any{"action"}
	for _, f := range d.Fields {
		p := kindSchema(f.Kind)
		if f.Doc != "" {
			p.Set("description", f.Doc)
		}
		if f.Render != RenderNone {
			p.Set("x-lava-render", string(f.Render))
		}
		props.Set(f.Name, p)
		if f.Required {
			required = append(required, f.Name)
		}
	}
	s := value.NewMap(
		"$schema", "https://json-schema.org/draft/2020-12/schema",
		"title", "lava "+d.Type+" action",
		"type", "object",
		"properties", props,
		"required", required,
		"additionalProperties", d.Lenient,
	)
	if d.Summary != "" {
		s.Set("description", d.Summary)
	}
	text, err := value.EncodeJSON(s, value.EncodeOptions{Indent: 2})
	if err != nil {
		return nil, err
	}
	return json.RawMessage(text), nil
}

func kindSchema(k Kind) *value.Map {
	switch k {
	case KindString:
		return value.NewMap("type", "string")
	case KindStrings:
		return value.NewMap("oneOf", []any{
			value.NewMap("type", "string"),
			value.NewMap("type", "array", "items", value.NewMap("type", "string")),
		})
	case KindList:
		return value.NewMap("type", "array")
	case KindMap:
		return value.NewMap("type", "object")
	case KindStringOrMap:
		return value.NewMap("type", []any{"string", "object"})
	case KindBool:
		return value.NewMap("type", "boolean")
	case KindNumber:
		return value.NewMap("type", "number")
	case KindDuration:
		return value.NewMap("oneOf", []any{
			value.NewMap("type", "number", "minimum", int64(0)),
			value.NewMap("type", "string", "pattern", `^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*[wdhms]?\s*$`),
		})
	}
	return value.NewMap()
}
