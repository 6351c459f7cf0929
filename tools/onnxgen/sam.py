#!/usr/bin/python3
"""Writes tiny SAM encoder/decoder pairs to detect/testdata with the exact
signatures of segment-anything's ONNX export (decoder) and of the common
encoder exports, so that phantom's SAM pre-processing, prompt encoding and
mask decoding are tested end to end through ONNX Runtime.

  sam_tiny_encoder.onnx      image float32 [1,3,1024,1024] (normalised, padded by the caller)
                             -> image_embeddings float32 [1,256,64,64]
  sam_tiny_encoder_hwc.onnx  input_image float32 [H,W,3], raw 0..255 (the graph normalises)
                             -> image_embeddings float32 [1,256,64,64]
  sam_tiny_encoder_hwc1024.onnx  the same with a fixed [1024,1024,3] input (the caller pads)
  sam_tiny_decoder.onnx      image_embeddings [1,256,64,64], point_coords [1,N,2],
                             point_labels [1,N], mask_input [1,1,256,256],
                             has_mask_input [1], orig_im_size [2] (all float32)
                             -> masks [1,4,H,W], iou_predictions [1,4], low_res_masks [1,4,256,256]

Encoder: every embedding value is the mean of the normalised image (so about
0 for a grey image of ImageNet's mean colour).

Decoder: it reads the box from the points by label: (x1,y1) is the point
labelled 2 and (x2,y2) the point labelled 3, in the 1024 frame. With
s = 1024/max(H,W), pixel (x,y) of the original image has logit
  d(x,y) = min(s*(x+0.5)-x1, x2-s*(x+0.5), s*(y+0.5)-y1, y2-s*(y+0.5)) + off[k] - 100*has_mask_input
for the k-th mask, off = [-40, 0, -80, 40] (in 1024-frame pixels), so mask 1
is exactly the box, mask 0 and 2 smaller, mask 3 larger. Its predicted IoUs
are [0.95, 0.9 - 2*|mean(embedding)|, 0.7, 0.3]: among the three multimask
outputs 1-3 (SamPredictor leaves out output 0, the single-mask output), the
best is the exact box only when the encoder saw a correctly normalised image;
output 0 has the highest predicted IoU of all four, so a selection that does
not leave it out picks the wrong mask. Wrong labels,
coordinates not scaled to the 1024 frame or a wrong orig_im_size give the
wrong mask. Run with Debian's python3-onnx:
  /usr/bin/python3 tools/onnxgen/sam.py detect/testdata
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

MEAN = np.array([123.675, 116.28, 103.53], np.float32)
STD = np.array([58.395, 57.12, 57.375], np.float32)


def c(name, arr):
    return numpy_helper.from_array(np.asarray(arr), name)


def save(m, path):
    m.ir_version = 7
    onnx.checker.check_model(m, full_check=True)
    onnx.save(m, path)
    print(path, os.path.getsize(path), "bytes")


def encoder(hwc, fixed=False):
    n = helper.make_node
    inits = [c("w", np.full((256, 3, 1, 1), 1.0 / 3, np.float32)),
             c("emb_shape", np.array([1, 256, 64, 64], np.int64))]
    nodes = []
    if hwc:
        dims = [1024, 1024, 3] if fixed else ["height", "width", 3]
        x = helper.make_tensor_value_info("input_image", TensorProto.FLOAT, dims)
        inits += [c("mean", MEAN.reshape(3, 1, 1)), c("std", STD.reshape(3, 1, 1)), c("ax0", np.array([0], np.int64))]
        nodes += [
            n("Transpose", ["input_image"], ["chw"], perm=[2, 0, 1]),
            n("Sub", ["chw", "mean"], ["centred"]),
            n("Div", ["centred", "std"], ["normed"]),
            n("Unsqueeze", ["normed", "ax0"], ["img"]),
        ]
        src = "img"
    else:
        x = helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, 1024, 1024])
        src = "image"
    nodes += [
        n("GlobalAveragePool", [src], ["pooled"]),      # [1,3,1,1]
        n("Conv", ["pooled", "w"], ["mixed"]),           # [1,256,1,1]: mean over channels
        n("Expand", ["mixed", "emb_shape"], ["image_embeddings"]),
    ]
    y = helper.make_tensor_value_info("image_embeddings", TensorProto.FLOAT, [1, 256, 64, 64])
    g = helper.make_graph(nodes, "sam_tiny_encoder", [x], [y], inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)],
                             producer_name="phantom tools/onnxgen/sam.py")


def decoder():
    n = helper.make_node
    F = TensorProto.FLOAT
    inputs = [
        helper.make_tensor_value_info("image_embeddings", F, [1, 256, 64, 64]),
        helper.make_tensor_value_info("point_coords", F, [1, "num_points", 2]),
        helper.make_tensor_value_info("point_labels", F, [1, "num_points"]),
        helper.make_tensor_value_info("mask_input", F, [1, 1, 256, 256]),
        helper.make_tensor_value_info("has_mask_input", F, [1]),
        helper.make_tensor_value_info("orig_im_size", F, [2]),
    ]
    outputs = [
        helper.make_tensor_value_info("masks", F, [1, 4, "H", "W"]),
        helper.make_tensor_value_info("iou_predictions", F, [1, 4]),
        helper.make_tensor_value_info("low_res_masks", F, [1, 4, 256, 256]),
    ]
    inits = [
        c("two", np.array(2.0, np.float32)), c("three", np.array(3.0, np.float32)),
        c("half", np.array(0.5, np.float32)), c("n1024", np.array(1024.0, np.float32)),
        c("neg100", np.array(-100.0, np.float32)),
        c("i0", np.array([0], np.int64)), c("i1", np.array([1], np.int64)), c("i2", np.array([2], np.int64)),
        c("ax1", np.array([1], np.int64)), c("ax01", np.array([0, 1], np.int64)),
        c("zero_i", np.array(0, np.int64)), c("one_i", np.array(1, np.int64)),
        c("off", np.array([-40, 0, -80, 40], np.float32).reshape(1, 4, 1, 1)),
        c("iou_base", np.array([[0.95, 0.9, 0.7, 0.3]], np.float32)),
        c("iou_sel", np.array([[0, 2.0, 0, 0]], np.float32)),
        c("low_res_shape", np.array([1, 4, 256, 256], np.int64)),
    ]
    nodes = [
        # the box corners, picked by label
        n("Equal", ["point_labels", "two"], ["is2b"]),
        n("Equal", ["point_labels", "three"], ["is3b"]),
        n("Cast", ["is2b"], ["is2"], to=F),
        n("Cast", ["is3b"], ["is3"], to=F),
        n("Unsqueeze", ["is2", "i2"], ["is2u"]),          # [1,N,1]
        n("Unsqueeze", ["is3", "i2"], ["is3u"]),
        n("Mul", ["point_coords", "is2u"], ["p2"]),
        n("Mul", ["point_coords", "is3u"], ["p3"]),
        n("ReduceSum", ["p2", "ax1"], ["tl"], keepdims=0),  # [1,2]
        n("ReduceSum", ["p3", "ax1"], ["br"], keepdims=0),
        n("Gather", ["tl", "zero_i"], ["x1"], axis=1),     # [1]
        n("Gather", ["tl", "one_i"], ["y1"], axis=1),
        n("Gather", ["br", "zero_i"], ["x2"], axis=1),
        n("Gather", ["br", "one_i"], ["y2"], axis=1),
        # pixel centres of the original image, in the 1024 frame
        n("Gather", ["orig_im_size", "zero_i"], ["hf"]),
        n("Gather", ["orig_im_size", "one_i"], ["wf"]),
        n("Max", ["hf", "wf"], ["longf"]),
        n("Div", ["n1024", "longf"], ["s"]),
        n("Cast", ["hf"], ["hi"], to=TensorProto.INT64),
        n("Cast", ["wf"], ["wi"], to=TensorProto.INT64),
        n("Range", ["zero_i", "hi", "one_i"], ["ys_i"]),
        n("Range", ["zero_i", "wi", "one_i"], ["xs_i"]),
        n("Cast", ["ys_i"], ["ys"], to=F),
        n("Cast", ["xs_i"], ["xs"], to=F),
        n("Add", ["ys", "half"], ["ysc"]),
        n("Add", ["xs", "half"], ["xsc"]),
        n("Mul", ["ysc", "s"], ["yf"]),                    # [H]
        n("Mul", ["xsc", "s"], ["xf"]),                    # [W]
        n("Sub", ["xf", "x1"], ["dl"]),
        n("Sub", ["x2", "xf"], ["dr"]),
        n("Sub", ["yf", "y1"], ["dt"]),
        n("Sub", ["y2", "yf"], ["db"]),
        n("Min", ["dl", "dr"], ["dx"]),                    # [W]
        n("Min", ["dt", "db"], ["dy"]),                    # [H]
        n("Unsqueeze", ["dy", "ax1"], ["dy2"]),            # [H,1]
        n("Min", ["dy2", "dx"], ["d"]),                    # [H,W]
        n("Unsqueeze", ["d", "ax01"], ["d4"]),             # [1,1,H,W]
        n("Mul", ["has_mask_input", "neg100"], ["hm"]),
        n("Add", ["off", "hm"], ["off2"]),
        n("Add", ["d4", "off2"], ["masks"]),               # [1,4,H,W]
        # IoU predictions depend on the embedding
        n("ReduceMean", ["image_embeddings"], ["emb_mean"], keepdims=0),
        n("Abs", ["emb_mean"], ["emb_abs"]),
        n("Mul", ["iou_sel", "emb_abs"], ["iou_pen"]),
        n("Sub", ["iou_base", "iou_pen"], ["iou_predictions"]),
        n("ConstantOfShape", ["low_res_shape"], ["low_res_masks"],
          value=helper.make_tensor("v", F, [1], [0.0])),
    ]
    g = helper.make_graph(nodes, "sam_tiny_decoder", inputs, outputs, inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)],
                             producer_name="phantom tools/onnxgen/sam.py")


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "detect/testdata"
    save(encoder(False), os.path.join(out, "sam_tiny_encoder.onnx"))
    save(encoder(True), os.path.join(out, "sam_tiny_encoder_hwc.onnx"))
    save(encoder(True, fixed=True), os.path.join(out, "sam_tiny_encoder_hwc1024.onnx"))
    save(decoder(), os.path.join(out, "sam_tiny_decoder.onnx"))


if __name__ == "__main__":
    main()
