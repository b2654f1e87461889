package convert

import (
	"fmt"
	"math"
	"time"

	"github.com/lava-actions/lava-actions/sdk/internal/actionpb"
	"github.com/lava-actions/lava-actions/sdk/value"
)

// MapToProto converts an ordered map; nil gives an empty map.
func MapToProto(m *value.Map) *actionpb.Map {
	out := &actionpb.Map{}
	m.Range(func(k string, v any) bool {
		out.Entries = append(out.Entries, &actionpb.Entry{Key: k, Value: ValueToProto(v)})
		return true
	})
	return out
}

// MapFromProto converts back; nil gives an empty map.
func MapFromProto(p *actionpb.Map) (*value.Map, error) {
	m := &value.Map{}
	for _, e := range p.GetEntries() {
		v, err := ValueFromProto(e.GetValue())
		if err != nil {
			return nil, fmt.Errorf("key %q: %w", e.GetKey(), err)
		}
		m.Set(e.GetKey(), v)
	}
	return m, nil
}

// ValueToProto converts a value of the model. Types outside the model are
// sent as their Python str().
func ValueToProto(v any) *actionpb.Value {
	switch t := v.(type) {
	case nil:
		return &actionpb.Value{Kind: &actionpb.Value_Null{Null: true}}
	case bool:
		return &actionpb.Value{Kind: &actionpb.Value_Bool{Bool: t}}
	case int:
		return &actionpb.Value{Kind: &actionpb.Value_Int{Int: int64(t)}}
	case int64:
		return &actionpb.Value{Kind: &actionpb.Value_Int{Int: t}}
	case float64:
		return &actionpb.Value{Kind: &actionpb.Value_Float{Float: t}}
	case string:
		return &actionpb.Value{Kind: &actionpb.Value_Str{Str: t}}
	case value.Decimal:
		return &actionpb.Value{Kind: &actionpb.Value_Decimal{Decimal: t.String()}}
	case value.DateTime:
		return &actionpb.Value{Kind: &actionpb.Value_Datetime{Datetime: t.Format(time.RFC3339Nano)}}
	case *value.Map:
		return &actionpb.Value{Kind: &actionpb.Value_Map{Map: MapToProto(t)}}
	case []any:
		l := &actionpb.List{Items: make([]*actionpb.Value, len(t))}
		for i, e := range t {
			l.Items[i] = ValueToProto(e)
		}
		return &actionpb.Value{Kind: &actionpb.Value_List{List: l}}
	default:
		return &actionpb.Value{Kind: &actionpb.Value_Str{Str: value.Str(v)}}
	}
}

// ValueFromProto converts back to the model.
func ValueFromProto(p *actionpb.Value) (any, error) {
	switch k := p.GetKind().(type) {
	case nil, *actionpb.Value_Null:
		return nil, nil
	case *actionpb.Value_Bool:
		return k.Bool, nil
	case *actionpb.Value_Int:
		return k.Int, nil
	case *actionpb.Value_Float:
		if math.IsNaN(k.Float) {
			return math.NaN(), nil
		}
		return k.Float, nil
	case *actionpb.Value_Str:
		return k.Str, nil
	case *actionpb.Value_Decimal:
		return value.ParseDecimal(k.Decimal)
	case *actionpb.Value_Datetime:
		t, err := time.Parse(time.RFC3339Nano, k.Datetime)
		if err != nil {
			return nil, fmt.Errorf("bad datetime: %w", err)
		}
		return value.DateTime{Time: t}, nil
	case *actionpb.Value_Map:
		return MapFromProto(k.Map)
	case *actionpb.Value_List:
		out := make([]any, len(k.List.GetItems()))
		for i, e := range k.List.GetItems() {
			v, err := ValueFromProto(e)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	}
	return nil, fmt.Errorf("unknown value kind %T", p.GetKind())
}
