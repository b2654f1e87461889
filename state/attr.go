package state

import (
	"fmt"
	"math/big"
	"sort"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/lava-actions/lava-actions/sdk/value"
)

// ToAttributeValue converts a value of the sdk/value model to a DynamoDB
// attribute value, as boto3's serializer does: strings S, booleans BOOL,
// None NULL, numbers (int64, float64, Decimal) N, maps M, lists L, []byte B.
// A datetime is stored as its isoformat() string. Unlike boto3, a float is
// accepted (stored with Python's repr digits).
func ToAttributeValue(v any) (types.AttributeValue, error) {
	switch t := v.(type) {
	case nil:
		return &types.AttributeValueMemberNULL{Value: true}, nil
	case bool:
		return &types.AttributeValueMemberBOOL{Value: t}, nil
	case string:
		return &types.AttributeValueMemberS{Value: t}, nil
	case int:
		return &types.AttributeValueMemberN{Value: strconv.Itoa(t)}, nil
	case int64:
		return &types.AttributeValueMemberN{Value: strconv.FormatInt(t, 10)}, nil
	case *big.Int:
		return &types.AttributeValueMemberN{Value: t.String()}, nil
	case float64:
		return &types.AttributeValueMemberN{Value: value.FormatFloat(t)}, nil
	case value.Decimal:
		return &types.AttributeValueMemberN{Value: t.String()}, nil
	case value.DateTime:
		return &types.AttributeValueMemberS{Value: t.ISOFormat()}, nil
	case []byte:
		return &types.AttributeValueMemberB{Value: t}, nil
	case *value.Map:
		m := make(map[string]types.AttributeValue, t.Len())
		var err error
		t.Range(func(k string, e any) bool {
			m[k], err = ToAttributeValue(e)
			return err == nil
		})
		if err != nil {
			return nil, err
		}
		return &types.AttributeValueMemberM{Value: m}, nil
	case []any:
		l := make([]types.AttributeValue, len(t))
		for i, e := range t {
			av, err := ToAttributeValue(e)
			if err != nil {
				return nil, err
			}
			l[i] = av
		}
		return &types.AttributeValueMemberL{Value: l}, nil
	}
	return nil, fmt.Errorf("Unsupported type \"%s\" for value: %v", value.PyType(v), v)
}

// FromAttributeValue converts a DynamoDB attribute value to the sdk/value
// model as boto3's deserializer does: numbers become Decimal, M a *value.Map
// (keys sorted, DynamoDB keeps no order), L a list, B []byte, and the set
// types lists.
func FromAttributeValue(av types.AttributeValue) (any, error) {
	switch t := av.(type) {
	case *types.AttributeValueMemberNULL:
		return nil, nil
	case *types.AttributeValueMemberBOOL:
		return t.Value, nil
	case *types.AttributeValueMemberS:
		return t.Value, nil
	case *types.AttributeValueMemberN:
		return value.ParseDecimal(t.Value)
	case *types.AttributeValueMemberB:
		return t.Value, nil
	case *types.AttributeValueMemberM:
		return ItemFromAttributes(t.Value)
	case *types.AttributeValueMemberL:
		out := make([]any, len(t.Value))
		for i, e := range t.Value {
			v, err := FromAttributeValue(e)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	case *types.AttributeValueMemberSS:
		out := make([]any, len(t.Value))
		for i, s := range t.Value {
			out[i] = s
		}
		return out, nil
	case *types.AttributeValueMemberNS:
		out := make([]any, len(t.Value))
		for i, s := range t.Value {
			d, err := value.ParseDecimal(s)
			if err != nil {
				return nil, err
			}
			out[i] = d
		}
		return out, nil
	case *types.AttributeValueMemberBS:
		out := make([]any, len(t.Value))
		for i, b := range t.Value {
			out[i] = b
		}
		return out, nil
	}
	return nil, fmt.Errorf("unsupported DynamoDB attribute value %T", av)
}

// ItemFromAttributes converts a DynamoDB item to a *value.Map with keys in
// sorted order.
func ItemFromAttributes(item map[string]types.AttributeValue) (*value.Map, error) {
	keys := make([]string, 0, len(item))
	for k := range item {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	m := &value.Map{}
	for _, k := range keys {
		v, err := FromAttributeValue(item[k])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		m.Set(k, v)
	}
	return m, nil
}

// pyClass returns Python's repr of the class boto3 gives for av, for error
// texts ("<class 'str'>").
func pyClass(av types.AttributeValue) string {
	switch av.(type) {
	case *types.AttributeValueMemberS:
		return "<class 'str'>"
	case *types.AttributeValueMemberN:
		return "<class 'decimal.Decimal'>"
	case *types.AttributeValueMemberBOOL:
		return "<class 'bool'>"
	case *types.AttributeValueMemberNULL:
		return "<class 'NoneType'>"
	case *types.AttributeValueMemberM:
		return "<class 'dict'>"
	case *types.AttributeValueMemberL:
		return "<class 'list'>"
	case *types.AttributeValueMemberB:
		return "<class 'boto3.dynamodb.types.Binary'>"
	}
	return "<class 'set'>"
}
