# phantom — make targets. `make demo` and `make test` are the two commands a
# newcomer needs on a fresh Debian 12 machine (as root, with Go installed).

GO      ?= go
CACHE   ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/phantom
BIN     := bin/phantom
DEMO    ?= demo-out

.PHONY: all setup setup-cuda models build demo test bench bench-peer lint fmt clean

all: build

## setup: install native dependencies, ONNX Runtime, backgrounds and sample photos
setup:
	scripts/setup.sh

## setup-cuda: setup, plus the GPU build of ONNX Runtime (core + CUDA plugin) into $(CACHE)/ort-cuda
setup-cuda:
	scripts/setup.sh --cuda

## models: setup, plus the ISNet person-mask model into $(CACHE)/models
models:
	scripts/setup.sh --models

## build: build bin/phantom
build:
	$(GO) build -o $(BIN) ./cmd/phantom

## demo: the main job on the sample photos with the no-weights OpenCV default
demo: setup build
	rm -rf $(DEMO)
	$(BIN) build "$(CACHE)/samples" -o $(DEMO) --backgrounds "$(CACHE)/backgrounds" --models none
	@echo "variants in $(DEMO)/, contact sheet: $(DEMO)/contact-sheet.png"

## test: setup, then vet, lint and run every test
test: setup lint
	$(GO) vet ./...
	$(GO) test ./...

## bench: run the benchmarks once each
bench: setup
	$(GO) test -run '^$$' -bench . -benchtime 3x ./...

## bench-peer: phantom against the Python/OpenCV script of the same job
## (scripts/bench-peer.sh; needs PHANTOM_DATA, installs python3-opencv)
bench-peer: setup build
	scripts/bench-peer.sh

## lint: staticcheck, every check but ST1003 (initialisms in names)
lint:
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 -checks all,-ST1003 ./...

fmt:
	gofmt -l -w .

clean:
	rm -rf bin $(DEMO)
