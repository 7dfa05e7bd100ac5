# The two commands: `make run` and `make test`. Each installs what it needs and builds first.
BUILD ?= build
JOBS ?= $(shell nproc)
LISTEN ?= 127.0.0.1:8080
DATA ?= ./data

.PHONY: deps build run test bench format clean

deps:
	@bash scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo > /dev/null
	@cmake --build $(BUILD) -j $(JOBS)

run: build
	$(BUILD)/sluice serve --listen $(LISTEN) --data $(DATA)

test: build
	cd $(BUILD) && ctest --output-on-failure -j 2

bench: build
	bash bench/run.sh

format:
	clang-format -i $$(git ls-files '*.cpp' '*.hpp')

clean:
	rm -rf $(BUILD)
