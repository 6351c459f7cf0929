package ort

import (
	"errors"
	"fmt"
	"os"
	"strings"

	ortgo "github.com/yalue/onnxruntime_go"
)

// ErrSignature is returned (wrapped) when a model file's inputs or outputs are
// not the ones the caller expects: a wrong model in the right place.
//
// Its text has no "ort:" prefix: detect re-exports it as its own sentinel.
var ErrSignature = errors.New("model signature mismatch")

// TensorSpec describes one input or output of a model.
//
// As an expectation (in a Signature given to Open or Check): an empty Name
// matches the model's input or output at the same position; Type AnyType
// accepts any element type; a nil Shape accepts any shape, and a -1 dimension
// accepts any size. A dimension the model leaves dynamic (-1 in the file)
// matches any expected size.
type TensorSpec struct {
	Name  string
	Type  ElemType
	Shape []int64
}

// String writes the spec as "name type [dims]", with ? for any size.
func (s TensorSpec) String() string {
	name := s.Name
	if name == "" {
		name = "(any name)"
	}
	return fmt.Sprintf("%s %s %s", name, s.Type, formatShape(s.Shape))
}

// Signature is a model's inputs and outputs. As an expectation, Inputs must
// list every input of the model (a session must feed them all), while
// Outputs lists only the outputs the caller wants, which may be fewer than
// the model has.
type Signature struct {
	Inputs  []TensorSpec
	Outputs []TensorSpec
}

// String lists the inputs and outputs.
func (s Signature) String() string {
	var b strings.Builder
	b.WriteString("inputs: ")
	for i, t := range s.Inputs {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(t.String())
	}
	b.WriteString("; outputs: ")
	for i, t := range s.Outputs {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(t.String())
	}
	return b.String()
}

// Inspect reads the inputs and outputs of the model at path, without running
// it. It starts the environment if needed. A missing file gives an error
// wrapping fs.ErrNotExist (ONNX Runtime's own message is a bare string); a
// file that is not an ONNX model gives an error naming the file.
func Inspect(path string) (Signature, error) {
	if _, err := os.Stat(path); err != nil {
		return Signature{}, fmt.Errorf("ort: %w", err)
	}
	if err := Init(""); err != nil {
		return Signature{}, err
	}
	opts, err := ortgo.NewSessionOptions()
	if err != nil {
		return Signature{}, fmt.Errorf("ort: session options: %w", err)
	}
	defer opts.Destroy()
	// Loading only to read the signature: skip graph optimisation.
	_ = opts.SetGraphOptimizationLevel(ortgo.GraphOptimizationLevelDisableAll)
	_ = opts.SetLogSeverityLevel(ortgo.LoggingLevelFatal)
	_ = opts.SetIntraOpNumThreads(1)
	in, out, err := ortgo.GetInputOutputInfoWithOptions(path, opts)
	if err != nil {
		return Signature{}, fmt.Errorf("ort: reading model %s: %w", path, err)
	}
	return Signature{Inputs: specsOf(in), Outputs: specsOf(out)}, nil
}

func specsOf(infos []ortgo.InputOutputInfo) []TensorSpec {
	out := make([]TensorSpec, len(infos))
	for i, inf := range infos {
		s := TensorSpec{Name: inf.Name, Type: Other}
		if inf.OrtValueType == ortgo.ONNXTypeTensor {
			s.Type = elemTypeOf(inf.DataType)
			s.Shape = append([]int64{}, inf.Dimensions...)
		}
		out[i] = s
	}
	return out
}

func elemTypeOf(t ortgo.TensorElementDataType) ElemType {
	switch t {
	case ortgo.TensorElementDataTypeFloat:
		return Float32
	case ortgo.TensorElementDataTypeDouble:
		return Float64
	case ortgo.TensorElementDataTypeFloat16:
		return Float16
	case ortgo.TensorElementDataTypeInt64:
		return Int64
	case ortgo.TensorElementDataTypeInt32:
		return Int32
	case ortgo.TensorElementDataTypeInt8:
		return Int8
	case ortgo.TensorElementDataTypeUint8:
		return Uint8
	case ortgo.TensorElementDataTypeBool:
		return Bool
	case ortgo.TensorElementDataTypeString:
		return String
	}
	return Other
}

// Resolve checks the model's actual signature got against the expected one,
// s, and returns the expectation with every name, type and shape filled in
// from the model (the shapes as the file states them, -1 for dynamic
// dimensions). The error wraps ErrSignature and says what was expected and
// what was found.
func (s Signature) Resolve(got Signature) (Signature, error) {
	var problems []string
	res := Signature{}
	if len(s.Inputs) != len(got.Inputs) {
		problems = append(problems, fmt.Sprintf("expected %d inputs, found %d", len(s.Inputs), len(got.Inputs)))
	} else {
		for i, w := range s.Inputs {
			g, p := match("input", i, w, got.Inputs)
			problems = append(problems, p...)
			res.Inputs = append(res.Inputs, g)
		}
	}
	for i, w := range s.Outputs {
		g, p := match("output", i, w, got.Outputs)
		problems = append(problems, p...)
		res.Outputs = append(res.Outputs, g)
	}
	if len(problems) > 0 {
		return Signature{}, fmt.Errorf("%w: %s\n  expected %s\n  found    %s",
			ErrSignature, strings.Join(problems, "; "), s, got)
	}
	return res, nil
}

// Check is Resolve without the resolved signature.
func (s Signature) Check(got Signature) error {
	_, err := s.Resolve(got)
	return err
}

func match(kind string, i int, w TensorSpec, got []TensorSpec) (TensorSpec, []string) {
	var g TensorSpec
	found := false
	if w.Name == "" {
		if i < len(got) {
			g, found = got[i], true
		}
	} else {
		for _, c := range got {
			if c.Name == w.Name {
				g, found = c, true
				break
			}
		}
	}
	if !found {
		if w.Name == "" {
			return w, []string{fmt.Sprintf("no %s #%d", kind, i)}
		}
		return w, []string{fmt.Sprintf("no %s named %q", kind, w.Name)}
	}
	var p []string
	if w.Type != AnyType && g.Type != w.Type {
		p = append(p, fmt.Sprintf("%s %q has type %s, expected %s", kind, g.Name, g.Type, w.Type))
	}
	if w.Shape != nil && !shapeMatches(w.Shape, g.Shape) {
		p = append(p, fmt.Sprintf("%s %q has shape %s, expected %s", kind, g.Name, formatShape(g.Shape), formatShape(w.Shape)))
	}
	return g, p
}

func shapeMatches(want, got []int64) bool {
	if len(want) != len(got) {
		return false
	}
	for i := range want {
		if want[i] >= 0 && got[i] >= 0 && want[i] != got[i] {
			return false
		}
	}
	return true
}
