#!/usr/bin/python3
"""Writes detect/testdata/gdino_tiny.onnx (and gdino_tiny_fixed.onnx, whose
image is fixed at 800x800 and text at 16 tokens, as some exports are): a tiny
model with the exact input and output signature of the common Grounding DINO
ONNX export, whose outputs encode known boxes so that phantom's tokenisation,
text masks, pre-processing and decoding are tested end to end through ONNX
Runtime.

Signature (as the export has it):
  img             float32 [batch, 3, height, width]   (fixed 800x800 in *_fixed)
  input_ids       int64   [batch, seq_len]
  attention_mask  bool    [batch, seq_len]
  position_ids    int64   [batch, seq_len]
  token_type_ids  int64   [batch, seq_len]
  text_token_mask bool    [batch, seq_len, seq_len]
  -> logits float32 [batch, 900, 256], boxes float32 [batch, 900, 4] (cx, cy, w, h in 0..1)

What it computes. A token t is a "person token" when input_ids[t] == 2711
("person" in bert-base-uncased) AND position_ids[t] == 0 AND attention_mask[t]
AND row t of text_token_mask has exactly 2 true entries (the phrase
"person ." masks itself and its "."); likewise a "dog token" for id 3899. So
a wrong tokenisation, wrong phrase-wise position ids or a wrong (e.g. all-true)
text mask gives no detection. A "separator token" is a "." (id 1012) that ends
such a one-word phrase: position_ids[t] == 1, attended, row t of the mask with
exactly 2 true entries. For query q and token t:
  logits[q, t] = P[q] if t is a person token, D[q] if a dog token,
                 SEP[q] if a separator token, -10 otherwise,
and -inf for t >= seq_len (the export pads the text axis to 256 with -inf).
Query 5 scores only on the separator (SEP[5] = 1.5, sigmoid 0.818): Grounding
DINO's inference.py keeps it (the largest logit over all text tokens passes the
box threshold), a rule that looks only at the phrase's own tokens drops it.
Query 1 also depends on the image: P[1] = 1 - 4*|mean(img)|, which is about 1
(sigmoid 0.73, kept) for a grey image of the ImageNet mean colour normalised as
Grounding DINO does, and far below the box threshold when the normalisation is
wrong. boxes are constants (see BOXES). Run with Debian's python3-onnx:
  /usr/bin/python3 tools/onnxgen/gdino.py detect/testdata
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

NQ = 900
# query: (cx, cy, w, h), person logit, dog logit, separator logit
QUERIES = {
    0: ((0.30, 0.50, 0.20, 0.60), 3.0, -10.0, -10.0),   # person 0.953
    1: ((0.70, 0.50, 0.20, 0.60), None, -10.0, -10.0),  # person, image dependent
    2: ((0.50, 0.25, 0.10, 0.30), -0.40, -10.0, -10.0), # person 0.401 (> 0.35)
    3: ((0.10, 0.10, 0.10, 0.10), -0.70, -10.0, -10.0), # person 0.332 (< 0.35): dropped
    4: ((0.80, 0.80, 0.30, 0.20), -10.0, 2.0, -10.0),   # dog 0.881
    5: ((0.15, 0.75, 0.10, 0.30), -10.0, -10.0, 1.5),   # "." 0.818 only
}


def build(fixed):
    P = np.full((NQ, 1), -10.0, np.float32)
    D = np.full((NQ, 1), -10.0, np.float32)
    SEP = np.full((NQ, 1), -10.0, np.float32)
    B = np.tile(np.array([0.5, 0.5, 0.05, 0.05], np.float32), (NQ, 1))
    for q, (box, p, d, sep) in QUERIES.items():
        B[q] = box
        P[q] = 0.0 if p is None else p
        D[q] = d
        SEP[q] = sep
    sel1 = np.zeros((NQ, 1), np.float32)
    sel1[1] = 1.0

    h, w = (800, 800) if fixed else ("height", "width")
    S = 16 if fixed else "seq_len"
    inputs = [
        helper.make_tensor_value_info("img", TensorProto.FLOAT, ["batch", 3, h, w]),
        helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", S]),
        helper.make_tensor_value_info("attention_mask", TensorProto.BOOL, ["batch", S]),
        helper.make_tensor_value_info("position_ids", TensorProto.INT64, ["batch", S]),
        helper.make_tensor_value_info("token_type_ids", TensorProto.INT64, ["batch", S]),
        helper.make_tensor_value_info("text_token_mask", TensorProto.BOOL, ["batch", S, S]),
    ]
    outputs = [
        helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", NQ, 256]),
        helper.make_tensor_value_info("boxes", TensorProto.FLOAT, ["batch", NQ, 4]),
    ]
    c = lambda name, arr: numpy_helper.from_array(np.asarray(arr), name)
    inits = [
        c("P", P), c("D", D), c("SEP", SEP), c("B", B[None]), c("sel1", sel1),
        c("id_person", np.array(2711, np.int64)), c("id_dog", np.array(3899, np.int64)),
        c("id_dot", np.array(1012, np.int64)), c("one_pos", np.array(1, np.int64)),
        c("zero_i", np.array(0, np.int64)), c("two_f", np.array(2.0, np.float32)),
        c("one_f", np.array(1.0, np.float32)), c("four_f", np.array(4.0, np.float32)),
        c("neg10", np.array(-10.0, np.float32)), c("neginf", np.array(-np.inf, np.float32)),
        c("axes2", np.array([2], np.int64)), c("one_i", np.array([1], np.int64)),
        c("two_i", np.array([2], np.int64)), c("n256", np.array([256], np.int64)),
        c("zeros5", np.zeros(5, np.int64)), c("axes0", np.array([0], np.int64)),
    ]
    n = helper.make_node
    nodes = [
        # token gates, [1, S] bool
        n("Equal", ["input_ids", "id_person"], ["is_p"]),
        n("Equal", ["input_ids", "id_dog"], ["is_d"]),
        n("Equal", ["position_ids", "zero_i"], ["pos0"]),
        n("Cast", ["text_token_mask"], ["ttm_f"], to=TensorProto.FLOAT),
        n("ReduceSum", ["ttm_f", "axes2"], ["rowsum"], keepdims=0),
        n("Equal", ["rowsum", "two_f"], ["row2"]),
        n("And", ["pos0", "row2"], ["g0"]),
        n("And", ["g0", "attention_mask"], ["g1"]),
        n("And", ["g1", "is_p"], ["gate_p"]),
        n("And", ["g1", "is_d"], ["gate_d"]),
        n("Equal", ["input_ids", "id_dot"], ["is_s"]),
        n("Equal", ["position_ids", "one_pos"], ["pos1"]),
        n("And", ["pos1", "row2"], ["s0"]),
        n("And", ["s0", "attention_mask"], ["s1"]),
        n("And", ["s1", "is_s"], ["gate_s"]),
        # image term: P1 = 1 - 4 |mean(img)|
        n("ReduceMean", ["img"], ["img_mean"], keepdims=0),
        n("Abs", ["img_mean"], ["img_abs"]),
        n("Mul", ["img_abs", "four_f"], ["img_4"]),
        n("Sub", ["one_f", "img_4"], ["p1"]),
        n("Mul", ["sel1", "p1"], ["p1col"]),
        n("Add", ["P", "p1col"], ["Pq"]),                 # [900, 1]
        # logits [1, 900, S]
        n("Unsqueeze", ["gate_p", "one_i"], ["gp3"]),      # [1, 1, S]
        n("Unsqueeze", ["gate_d", "one_i"], ["gd3"]),
        n("Unsqueeze", ["Pq", "axes0"], ["Pq3"]),          # [1, 900, 1]
        n("Unsqueeze", ["D", "axes0"], ["D3"]),
        n("Unsqueeze", ["gate_s", "one_i"], ["gs3"]),
        n("Unsqueeze", ["SEP", "axes0"], ["SEP3"]),
        n("Where", ["gs3", "SEP3", "neg10"], ["l_s"]),       # [1, 900, S]
        n("Where", ["gd3", "D3", "l_s"], ["l_d"]),
        n("Where", ["gp3", "Pq3", "l_d"], ["l_pd"]),
        # pad the text axis to 256 with -inf
        n("Shape", ["input_ids"], ["ids_shape"]),
        n("Slice", ["ids_shape", "one_i", "two_i"], ["seq"]),
        n("Sub", ["n256", "seq"], ["padlen"]),
        n("Concat", ["zeros5", "padlen"], ["pads"], axis=0),
        n("Pad", ["l_pd", "pads", "neginf"], ["logits"], mode="constant"),
        n("Identity", ["B"], ["boxes"]),
    ]
    g = helper.make_graph(nodes, "gdino_tiny", inputs, outputs, inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)],
                          producer_name="phantom tools/onnxgen/gdino.py")
    m.ir_version = 7
    onnx.checker.check_model(m, full_check=True)
    return m


# Tokens of bert-base-uncased's vocab.txt at their real ids (line numbers);
# the other lines are left empty. Enough for the prompts the tests use.
VOCAB = {"[PAD]": 0, "[UNK]": 100, "[CLS]": 101, "[SEP]": 102, "[MASK]": 103,
         "!": 999, ".": 1012, "?": 1029, "a": 1037, "the": 1996,
         "person": 2711, "dog": 3899, "##face": 12172, "hugging": 17662}


def write_vocab(path):
    lines = [""] * (max(VOCAB.values()) + 1)
    for tok, i in VOCAB.items():
        lines[i] = tok
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    print(path, os.path.getsize(path), "bytes")


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "detect/testdata"
    write_vocab(os.path.join(out, "gdino_vocab.txt"))
    for fixed, name in ((False, "gdino_tiny.onnx"), (True, "gdino_tiny_fixed.onnx")):
        path = os.path.join(out, name)
        onnx.save(build(fixed), path)
        print(path, os.path.getsize(path), "bytes")


if __name__ == "__main__":
    main()
