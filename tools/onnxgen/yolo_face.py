#!/usr/bin/python3
"""Writes tiny YOLOv8 ONNX models with the exact input and output signatures
of real exports, whose outputs encode known boxes, so that phantom's layout
detection, letterbox, decoding, thresholds and NMS are tested end to end
through ONNX Runtime without real weights.

Files (in the directory given, normally detect/testdata):
  yolo_face_std.onnx      images [1,3,640,640] -> output0 [1,20,8400]  Ultralytics standard, 5 landmarks
  yolo_face_std5.onnx     images [1,3,640,640] -> output0 [1,5,8400]   standard, no landmarks
  yolo_face_e2e.onnx      images [1,3,640,640] -> output0 [1,300,21]   end-to-end (NMS in graph), 5 landmarks
  yolo_coco_std.onnx      images [1,3,640,640] -> output0 [1,84,8400]  COCO detector
  yolo_coco_e2e.onnx      images [1,3,640,640] -> output0 [1,300,6]    COCO end-to-end
  yolo_wrong.onnx         images [1,3,640,640] -> output0 [1,7,8400]   fits no layout

Every output is zero except for the boxes below (in input pixels, 640x640).
Box A's score is computed from the image: mean(R) - mean(B) over the whole
input tensor. For a uniform pure-red photo of 1280x720, letterboxed (scale
0.5, centred, grey 114 padding, RGB/255), that is 360/640 = 0.5625; a wrong
channel order gives a negative score (no box) and a missing /255 a score far
above 1. The expected detections are spelled out in detect/yolo_tiny_test.go.

Run with Debian's python3-onnx (apt-get install -y python3-onnx):
  /usr/bin/python3 tools/onnxgen/yolo_face.py detect/testdata
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

N = 8400
K = 300

# name: (cx, cy, w, h, score); score None = computed from the image (box A).
FACES = [
    ("A", 200, 300, 80, 100, None),   # kept
    ("A2", 205, 305, 80, 100, 0.50),  # overlaps A: removed by NMS (standard layouts only)
    ("B", 400, 250, 60, 60, 0.30),    # kept (>= 0.25)
    ("C", 500, 400, 50, 50, 0.20),    # below the threshold
    ("D", 300, 60, 40, 40, 0.90),     # wholly in the top padding: dropped
    ("E", 100, 480, 100, 60, 0.40),   # half in the bottom padding: clipped
]
# Columns of the standard layout that hold the boxes (spread over the strides).
COLS = [100, 4000, 6500, 6600, 8000, 8399]


def kpts(cx, cy):
    """Five landmarks around a box centre: eyes, nose, mouth corners."""
    return [(cx - 15, cy - 10), (cx + 15, cy - 10), (cx, cy + 5), (cx - 10, cy + 20), (cx + 10, cy + 20)]


def score_a_graph(nodes, inits):
    """Adds nodes computing mean(R) - mean(B) of 'images' into 'score_a' [1]."""
    nodes.append(helper.make_node("ReduceMean", ["images"], ["chmean"], axes=[0, 2, 3], keepdims=0))  # [3]
    inits.append(numpy_helper.from_array(np.array([0], np.int64), "idx_r"))
    inits.append(numpy_helper.from_array(np.array([2], np.int64), "idx_b"))
    nodes.append(helper.make_node("Gather", ["chmean", "idx_r"], ["mean_r"], axis=0))
    nodes.append(helper.make_node("Gather", ["chmean", "idx_b"], ["mean_b"], axis=0))
    nodes.append(helper.make_node("Sub", ["mean_r", "mean_b"], ["score_a"]))  # [1]


def scatter_model(shape, entries, dyn_index, path):
    """A model whose output0 of the given shape is zero except entries
    (index tuple -> value), and whose entry at dyn_index is score_a."""
    nodes, inits = [], []
    score_a_graph(nodes, inits)
    idx = [list(i) for i in entries] + [list(dyn_index)]
    inits.append(numpy_helper.from_array(np.array(shape, np.int64), "shape"))
    inits.append(numpy_helper.from_array(np.array(idx, np.int64), "indices"))
    inits.append(numpy_helper.from_array(np.array(list(entries.values()), np.float32), "const_updates"))
    nodes.append(helper.make_node("ConstantOfShape", ["shape"], ["zeros"],
                                  value=helper.make_tensor("v", TensorProto.FLOAT, [1], [0.0])))
    nodes.append(helper.make_node("Concat", ["const_updates", "score_a"], ["updates"], axis=0))
    nodes.append(helper.make_node("ScatterND", ["zeros", "indices", "updates"], ["output0"]))
    graph = helper.make_graph(
        nodes, "tiny_yolo",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, 640, 640])],
        [helper.make_tensor_value_info("output0", TensorProto.FLOAT, shape)],
        inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="phantom onnxgen")
    model.ir_version = 7
    onnx.checker.check_model(model)
    onnx.save(model, path)


def face_standard(path, landmarks):
    ch = 20 if landmarks else 5
    entries = {}
    dyn = None
    for (name, cx, cy, w, h, s), col in zip(FACES, COLS):
        for r, v in enumerate((cx, cy, w, h)):
            entries[(0, r, col)] = float(v)
        if s is None:
            dyn = (0, 4, col)
        else:
            entries[(0, 4, col)] = s
        if landmarks:
            for k, (x, y) in enumerate(kpts(cx, cy)):
                entries[(0, 5 + 3 * k, col)] = float(x)
                entries[(0, 6 + 3 * k, col)] = float(y)
                entries[(0, 7 + 3 * k, col)] = 0.9
    scatter_model([1, ch, N], entries, dyn, path)


def face_e2e(path):
    entries = {}
    dyn = None
    for row, (name, cx, cy, w, h, s) in enumerate(FACES):
        for c, v in enumerate((cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)):
            entries[(0, row, c)] = float(v)
        if s is None:
            dyn = (0, row, 4)
        else:
            entries[(0, row, 4)] = s
        entries[(0, row, 5)] = 0.0  # class
        for k, (x, y) in enumerate(kpts(cx, cy)):
            entries[(0, row, 6 + 3 * k)] = float(x)
            entries[(0, row, 7 + 3 * k)] = float(y)
            entries[(0, row, 8 + 3 * k)] = 0.9
    scatter_model([1, K, 21], entries, dyn, path)


# COCO: (cx, cy, w, h, {class: score}); None = score_a for person.
COCO = [
    (200, 320, 120, 300, {0: None}),           # P1 person, kept
    (210, 330, 120, 300, {0: 0.40}),           # P2 overlaps P1: removed by NMS
    (450, 320, 100, 250, {0: 0.30}),           # P3 person, kept
    (330, 400, 80, 60, {16: 0.90}),            # a dog: not a person
    (500, 200, 100, 80, {0: 0.50, 2: 0.70}),   # a car that is also a bit person: not a person
]


def coco_standard(path):
    entries = {}
    dyn = None
    for (cx, cy, w, h, scores), col in zip(COCO, COLS):
        for r, v in enumerate((cx, cy, w, h)):
            entries[(0, r, col)] = float(v)
        for c, s in scores.items():
            if s is None:
                dyn = (0, 4 + c, col)
            else:
                entries[(0, 4 + c, col)] = s
    scatter_model([1, 84, N], entries, dyn, path)


def coco_e2e(path):
    entries = {}
    dyn = None
    row = 0
    for cx, cy, w, h, scores in COCO:
        c, s = max(scores.items(), key=lambda kv: 1.0 if kv[1] is None else kv[1])
        if row == 1:  # an end-to-end model would not emit P2
            row += 1
            continue
        for i, v in enumerate((cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)):
            entries[(0, row, i)] = float(v)
        if s is None:
            dyn = (0, row, 4)
        else:
            entries[(0, row, 4)] = s
        entries[(0, row, 5)] = float(c)
        row += 1
    scatter_model([1, K, 6], entries, dyn, path)


def wrong(path):
    scatter_model([1, 7, N], {(0, 0, 0): 1.0}, (0, 4, 0), path)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "detect/testdata"
    os.makedirs(out, exist_ok=True)
    face_standard(os.path.join(out, "yolo_face_std.onnx"), True)
    face_standard(os.path.join(out, "yolo_face_std5.onnx"), False)
    face_e2e(os.path.join(out, "yolo_face_e2e.onnx"))
    coco_standard(os.path.join(out, "yolo_coco_std.onnx"))
    coco_e2e(os.path.join(out, "yolo_coco_e2e.onnx"))
    wrong(os.path.join(out, "yolo_wrong.onnx"))


if __name__ == "__main__":
    main()
