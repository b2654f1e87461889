# lava-actions: `make help` lists the targets.

GO        ?= go
BIN       := bin
PLUGINS   := dispatch email event log slack sns sqs state
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X github.com/lava-actions/lava-actions/internal/version.Version=$(VERSION)
STATICCHECK_VERSION := v0.8.2

.PHONY: all help build plugins cli test test-python python-deps lint fuzz bench bench-smoke demo clean proto proto-python

all: build ## build the CLI and every bundled plugin

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {printf "  %-10s %s\n", $$1, $$2}'

build: cli plugins ## the CLI (bin/lava-actions) and the plugins (bin/plugins)

cli: ## build bin/lava-actions (lean: no AWS SDK) and bin/lava-actions-full (state commands, --import-state)
	CGO_ENABLED=0 $(GO) build -trimpath -tags lava_lean -ldflags '$(LDFLAGS)' -o $(BIN)/lava-actions ./cmd/lava-actions
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/lava-actions-full ./cmd/lava-actions

plugins: ## build bin/plugins/lava-action-<type> and bin/plugins/SHA256SUMS
	@mkdir -p $(BIN)/plugins
	@for p in $(PLUGINS); do \
		if [ -d plugins/$$p ]; then \
			CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/plugins/lava-action-$$p ./plugins/$$p || exit 1; \
		fi; \
	done
	cd $(BIN)/plugins && sha256sum lava-action-* > SHA256SUMS

test: ## run every test of both Go modules (root and sdk/) with the race detector, then the Python tests
	$(GO) test -race -count=1 ./...
	cd sdk && $(GO) test -race -count=1 ./...
	$(MAKE) test-python

# The Python client and plugin SDK run on Debian's python3 (python3-grpcio,
# python3-protobuf, python3-pytest: `make python-deps`), in a virtual
# environment that sees those system packages. No package registry is used.
PYTHON    ?= /usr/bin/python3
VENV      ?= .venv
test-python: ## the Python client's and plugin SDK's tests (pytest, in $(VENV) on Debian's python3)
	$(PYTHON) -m venv --system-site-packages $(VENV)
	$(VENV)/bin/pip install -q --no-index --no-build-isolation ./clients/python ./sdk/python ./examples/python-teams
	@$(VENV)/bin/python -m pytest -q clients/python/tests sdk/python/tests; s=$$?; \
	if [ $$s -eq 5 ]; then echo "pytest collected no test: the Python test setup is broken"; exit 1; fi; exit $$s

python-deps: ## install the pinned Debian packages the Python parts need (as root, only when missing)
	.ci/python-deps

FUZZTIME ?= 10s
fuzz: ## run each fuzz target for FUZZTIME (default 10s)
	cd sdk && $(GO) test -run '^$$' -fuzz '^FuzzDecodeJSON$$' -fuzztime $(FUZZTIME) ./value
	$(GO) test -run '^$$' -fuzz '^FuzzSpecValidation$$' -fuzztime $(FUZZTIME) ./host
	cd sdk && $(GO) test -run '^$$' -fuzz '^FuzzRender$$' -fuzztime $(FUZZTIME) ./render

lint: ## gofmt, go vet and staticcheck on both modules (root and sdk/)
	@out=$$(gofmt -l $$(git ls-files '*.go' | grep -v '\.pb\.go$$')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	cd sdk && $(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...
	cd sdk && $(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...

bench: ## run the benchmarks and print one table
	$(GO) run ./tests/benchtable

bench-smoke: ## run every benchmark of both modules once, so one that no longer runs fails CI
	@mkdir -p $(BIN)
	@$(GO) test -run '^$$' -bench . -benchtime 1x ./... > $(BIN)/bench-smoke.log 2>&1 || { grep -a -v '^Benchmark\|^ok\|no test files' $(BIN)/bench-smoke.log; exit 1; }
	@cd sdk && $(GO) test -run '^$$' -bench . -benchtime 1x ./... > ../$(BIN)/bench-smoke.log 2>&1 || { grep -a -v '^Benchmark\|^ok\|no test files' ../$(BIN)/bench-smoke.log; exit 1; }
	@echo "every benchmark ran once"

demo: build ## run a sample job's actions against a local AWS endpoint
	$(GO) run ./cmd/lava-demo -plugins $(BIN)/plugins

proto: ## regenerate the gRPC code (needs protoc, protoc-gen-go, protoc-gen-go-grpc)
	protoc --go_out=. --go_opt=module=github.com/lava-actions/lava-actions \
		--go-grpc_out=. --go-grpc_opt=module=github.com/lava-actions/lava-actions proto/action/v1/action.proto

clean: ## remove build output
	rm -rf $(BIN) $(VENV)

proto-python: ## regenerate the Python SDK's protobuf code (needs Debian's protoc 3.21.12)
	@protoc --version | grep -q 'libprotoc 3.21.12' || { echo "need protoc 3.21.12 (protobuf-compiler=3.21.12-*), the runtime's version"; exit 1; }
	@tmp=$$(mktemp -d) && protoc -I proto --python_out=$$tmp action/v1/action.proto && \
	{ printf '# Generated from proto/action/v1/action.proto by protoc 3.21.12 (Debian protobuf-compiler\n# 3.21.12-3+deb12u1) with: make proto-python\n'; cat $$tmp/action/v1/action_pb2.py; } \
		> sdk/python/lava_actions_plugin/_pb/action_pb2.py && rm -rf $$tmp
