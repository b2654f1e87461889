package sdk

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/lava-actions/lava-actions/sdk/value"
)

// CheckItem checks an item against the fields of d, in the order lava does:
// missing keys, then (unless the action is Lenient) unexpected keys, then each present
// field's kind, then the template syntax of rendered fields. Error texts are
// lava's: "Missing keys: a, b", "Unexpected keys: x", "message must be a
// string".
func CheckItem(d Description, item *value.Map, check func(src string) error) error {
	var missing []string
	known := map[string]bool{"action": true}
	for _, f := range d.Fields {
		known[f.Name] = true
		if f.Required && !item.Has(f.Name) {
			missing = append(missing, f.Name)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return fmt.Errorf("Missing keys: %s", strings.Join(missing, ", "))
	}
	if !d.Lenient {
		var extra []string
		for _, k := range item.Keys() {
			if !known[k] {
				extra = append(extra, k)
			}
		}
		if len(extra) > 0 {
			slices.Sort(extra)
			return fmt.Errorf("Unexpected keys: %s", strings.Join(extra, ", "))
		}
	}
	for _, f := range d.Fields {
		v, ok := item.Get(f.Name)
		if !ok {
			continue
		}
		if !kindMatches(f.Kind, v) {
			if f.KindError != "" {
				return errors.New(f.KindError)
			}
			return fmt.Errorf("%s must be %s", f.Name, kindPhrase(f.Kind))
		}
	}
	if check == nil {
		return nil
	}
	for _, f := range d.Fields {
		v, ok := item.Get(f.Name)
		if !ok || f.Render == RenderNone {
			continue
		}
		if err := CheckTemplates(v, f.Render, check); err != nil {
			return err
		}
	}
	return nil
}

// CheckTemplates calls check on every template in v that mode renders: v
// itself for RenderText, each string item or map value for RenderEach, and
// every string at any depth, map keys included, for RenderStructural. Use
// it for fields checked by an action's own Validate.
func CheckTemplates(v any, mode RenderMode, check func(string) error) error {
	if mode == RenderNone {
		return nil
	}
	switch t := v.(type) {
	case string:
		return check(t)
	case []any:
		if mode == RenderText {
			return nil
		}
		for _, e := range t {
			if err := CheckTemplates(e, mode, check); err != nil {
				return err
			}
		}
	case *value.Map:
		var err error
		t.Range(func(k string, e any) bool {
			if mode == RenderStructural {
				if err = check(k); err != nil {
					return false
				}
			}
			if mode != RenderText {
				err = CheckTemplates(e, mode, check)
			}
			return err == nil
		})
		return err
	}
	return nil
}

func kindMatches(k Kind, v any) bool {
	switch k {
	case KindString:
		_, ok := v.(string)
		return ok
	case KindStrings:
		switch t := v.(type) {
		case string:
			return true
		case []any:
			for _, e := range t {
				if _, ok := e.(string); !ok {
					return false
				}
			}
			return true
		}
		return false
	case KindList:
		_, ok := v.([]any)
		return ok
	case KindMap:
		_, ok := v.(*value.Map)
		return ok
	case KindStringOrMap:
		switch v.(type) {
		case string, *value.Map:
			return true
		}
		return false
	case KindBool:
		_, ok := v.(bool)
		return ok
	case KindNumber:
		switch v.(type) {
		case int64, float64, value.Decimal:
			return true
		}
		return false
	}
	return true // KindAny, KindDuration (checked by ParseDuration)
}

func kindPhrase(k Kind) string {
	switch k {
	case KindString:
		return "a string"
	case KindStrings:
		return "a string or a list of strings"
	case KindList:
		return "a list"
	case KindMap:
		return "a dict"
	case KindStringOrMap:
		return "a string or a dict"
	case KindBool:
		return "a boolean"
	case KindNumber:
		return "a number"
	}
	return string(k)
}

// validate runs the field checks and then the action's own Validator.
func validate(ctx context.Context, a Action, d Description, req *Request) error {
	if err := CheckItem(d, req.Item, req.Engine().Check); err != nil {
		return err
	}
	if v, ok := a.(Validator); ok {
		return v.Validate(ctx, req)
	}
	return nil
}
