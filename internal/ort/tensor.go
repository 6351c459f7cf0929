package ort

import (
	"fmt"
	"strings"
)

// ElemType is a tensor's element type.
type ElemType int

// Element types phantom's models use. AnyType in a TensorSpec accepts any.
const (
	AnyType ElemType = iota
	Float32
	Float64
	Float16
	Int64
	Int32
	Int8
	Uint8
	Bool
	String
	Other
)

// String returns the type's name ("float32").
func (t ElemType) String() string {
	switch t {
	case AnyType:
		return "any"
	case Float32:
		return "float32"
	case Float64:
		return "float64"
	case Float16:
		return "float16"
	case Int64:
		return "int64"
	case Int32:
		return "int32"
	case Int8:
		return "int8"
	case Uint8:
		return "uint8"
	case Bool:
		return "bool"
	case String:
		return "string"
	}
	return "other"
}

// Tensor is a dense, row-major tensor in Go memory. Data is one of
// []float32, []float64, []int64, []int32, []int8, []uint8 or []bool, with
// exactly the number of elements Shape calls for.
type Tensor struct {
	Shape []int64
	Data  any
}

// NewFloat32 returns a float32 tensor over data (not copied).
func NewFloat32(shape []int64, data []float32) Tensor { return Tensor{Shape: shape, Data: data} }

// NewInt64 returns an int64 tensor over data (not copied).
func NewInt64(shape []int64, data []int64) Tensor { return Tensor{Shape: shape, Data: data} }

// NewBool returns a bool tensor over data (not copied).
func NewBool(shape []int64, data []bool) Tensor { return Tensor{Shape: shape, Data: data} }

// Type returns the element type of t's data.
func (t Tensor) Type() ElemType {
	switch t.Data.(type) {
	case []float32:
		return Float32
	case []float64:
		return Float64
	case []int64:
		return Int64
	case []int32:
		return Int32
	case []int8:
		return Int8
	case []uint8:
		return Uint8
	case []bool:
		return Bool
	}
	return Other
}

// Len returns the number of elements Shape calls for.
func (t Tensor) Len() int {
	n := int64(1)
	for _, d := range t.Shape {
		n *= d
	}
	return int(n)
}

// Float32s returns t's data as []float32, or an error naming the actual type.
func (t Tensor) Float32s() ([]float32, error) {
	if d, ok := t.Data.([]float32); ok {
		return d, nil
	}
	return nil, fmt.Errorf("ort: tensor %v holds %s, not float32", t.Shape, t.Type())
}

// Int64s returns t's data as []int64, or an error naming the actual type.
func (t Tensor) Int64s() ([]int64, error) {
	if d, ok := t.Data.([]int64); ok {
		return d, nil
	}
	return nil, fmt.Errorf("ort: tensor %v holds %s, not int64", t.Shape, t.Type())
}

func dataLen(d any) int {
	switch v := d.(type) {
	case []float32:
		return len(v)
	case []float64:
		return len(v)
	case []int64:
		return len(v)
	case []int32:
		return len(v)
	case []int8:
		return len(v)
	case []uint8:
		return len(v)
	case []bool:
		return len(v)
	}
	return -1
}

// formatShape writes a shape as [1 3 640 640], with -1 shown as "?".
func formatShape(s []int64) string {
	if s == nil {
		return "[any]"
	}
	parts := make([]string, len(s))
	for i, d := range s {
		if d < 0 {
			parts[i] = "?"
		} else {
			parts[i] = fmt.Sprint(d)
		}
	}
	return "[" + strings.Join(parts, " ") + "]"
}
