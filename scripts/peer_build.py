#!/usr/bin/python3
"""The peer of `phantom build --conditions original,blur`: the script a
researcher would write with Python and OpenCV (Debian's python3-opencv) for
the same job, used by scripts/bench-peer.sh to time phantom against it.

For every photo of a manifest (CSV path,name, paths relative to --root) it
reads the photo with cv2.imread, finds faces with the YuNet ONNX model
through cv2.dnn (letterboxed to 640x640, top-left, as phantom does; score
0.6, NMS IoU 0.3), pixelates each face on a 10x10 grid (cv2.resize to 10x10
with INTER_AREA, back up with INTER_NEAREST) and writes original/<stem>.jpg
and blur/<stem>.jpg with cv2.imwrite at quality 95. Photos are shared among
--workers processes (multiprocessing), each with one OpenCV thread, as
phantom's workers each run one.

It prints one JSON line: photos, faces, wall seconds, CPU seconds (its own
and its worker processes', imports included).
"""
import argparse
import csv
import json
import multiprocessing
import os
import resource
import sys
import time

import cv2
import numpy as np

SIZE = 640
STRIDES = (8, 16, 32)
GRID = 10

_net = None


def _init(model):
    global _net
    cv2.setNumThreads(1)
    _net = cv2.dnn.readNet(model)


def detect_faces(img):
    """YuNet (face_detection_yunet_2023mar) on a 640x640 letterbox."""
    h, w = img.shape[:2]
    scale = min(SIZE / w, SIZE / h)
    rw, rh = min(SIZE, max(1, round(w * scale))), min(SIZE, max(1, round(h * scale)))
    canvas = np.zeros((SIZE, SIZE, 3), np.uint8)
    canvas[:rh, :rw] = cv2.resize(img, (rw, rh), interpolation=cv2.INTER_LINEAR)
    _net.setInput(cv2.dnn.blobFromImage(canvas))  # BGR, 0..255
    names = [f"{k}_{s}" for s in STRIDES for k in ("cls", "obj", "bbox", "kps")]
    outs = dict(zip(names, _net.forward(names)))
    boxes, scores = [], []
    for s in STRIDES:
        cols = SIZE // s
        score = np.sqrt(np.clip(outs[f"cls_{s}"][0, :, 0], 0, 1) * np.clip(outs[f"obj_{s}"][0, :, 0], 0, 1))
        idx = np.nonzero(score >= 0.6)[0]
        bb = outs[f"bbox_{s}"][0, idx]
        cx = (idx % cols + bb[:, 0]) * s
        cy = (idx // cols + bb[:, 1]) * s
        bw, bh = np.exp(bb[:, 2]) * s, np.exp(bb[:, 3]) * s
        for x, y, ww, hh, sc in zip(cx - bw / 2, cy - bh / 2, bw, bh, score[idx]):
            boxes.append([float(x), float(y), float(ww), float(hh)])
            scores.append(float(sc))
    faces = []
    for i in np.array(cv2.dnn.NMSBoxes(boxes, scores, 0.6, 0.3)).reshape(-1):
        x, y, ww, hh = (v / scale for v in boxes[i])
        x1, y1 = max(0, int(np.floor(x))), max(0, int(np.floor(y)))
        x2, y2 = min(w, int(np.ceil(x + ww))), min(h, int(np.ceil(y + hh)))
        if x2 > x1 and y2 > y1:
            faces.append((x1, y1, x2, y2))
    return faces


def pixelate(img, x1, y1, x2, y2):
    roi = img[y1:y2, x1:x2]
    small = cv2.resize(roi, (GRID, GRID), interpolation=cv2.INTER_AREA)
    img[y1:y2, x1:x2] = cv2.resize(small, (x2 - x1, y2 - y1), interpolation=cv2.INTER_NEAREST)


def build_one(job):
    path, out = job
    img = cv2.imread(path)
    if img is None:
        return -1
    stem = os.path.splitext(os.path.basename(path))[0]
    params = [cv2.IMWRITE_JPEG_QUALITY, 95]
    faces = detect_faces(img)
    cv2.imwrite(os.path.join(out, "original", stem + ".jpg"), img, params)
    for f in faces:
        pixelate(img, *f)
    cv2.imwrite(os.path.join(out, "blur", stem + ".jpg"), img, params)
    return len(faces)


def check(models):
    """Says, per model file, whether cv2.dnn can load it; true when all."""
    ok = True
    for m in models:
        try:
            cv2.dnn.readNet(m)
            print(f"{os.path.basename(m)}: cv2.dnn {cv2.__version__} loads it")
        except cv2.error as e:
            ok = False
            lines = [l.strip("> ").strip() for l in str(e).splitlines() if "Node [" in l]
            reason = (lines[0] if lines else str(e).strip())[:140]
            print(f"{os.path.basename(m)}: cv2.dnn {cv2.__version__} cannot load it: {reason}")
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", nargs="+", metavar="MODEL", help="only say whether cv2.dnn loads these models")
    ap.add_argument("--manifest")
    ap.add_argument("--root")
    ap.add_argument("--model", help="yunet-face.onnx")
    ap.add_argument("--out")
    ap.add_argument("--workers", type=int, default=2)
    a = ap.parse_args()
    if a.check:
        return 0 if check(a.check) else 1
    if not (a.manifest and a.root and a.model and a.out):
        ap.error("--manifest, --root, --model and --out are required")
    with open(a.manifest, newline="") as f:
        paths = [os.path.join(a.root, r["path"]) for r in csv.DictReader(f)]
    for c in ("original", "blur"):
        os.makedirs(os.path.join(a.out, c), exist_ok=True)
    t0 = time.monotonic()
    with multiprocessing.Pool(a.workers, initializer=_init, initargs=(a.model,)) as pool:
        found = pool.map(build_one, [(p, a.out) for p in paths], chunksize=1)
    wall = time.monotonic() - t0
    bad = sum(1 for n in found if n < 0)
    cpu = sum(ru.ru_utime + ru.ru_stime for ru in (resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)))
    print(json.dumps({"photos": len(paths) - bad, "failed": bad, "faces": sum(n for n in found if n > 0),
                      "wall_s": round(wall, 3), "cpu_s": round(cpu, 3)}))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
