# Leadmagnet: two commands do everything on a fresh Debian machine with Rust, Node and apt.
#   make demo   build the widget and serve the demo page + collector on 127.0.0.1:8080
#   make test   every test: format, lints, native, wasm in Chromium, end-to-end
# The work itself is in `cargo xtask` (xtask/src/main.rs); these targets only name it.

.PHONY: demo test size bench bench-ingest bench-events widget bootstrap toolchain clean

demo: widget
	cargo run --quiet -p leadmagnet-server --bin leadmagnet -- serve --demo \
		$(if $(PORT),--port $(PORT)) $(if $(DATABASE_URL),--database-url '$(DATABASE_URL)')

test: bootstrap
	cargo xtask test

size: widget
	cargo xtask size

# Figures, not tests: how soon the form paints and works, snippet and embed vs. plain HTML (docs/benchmarks.md).
bench: widget
	cargo build --quiet -p leadmagnet-server --bin leadmagnet
	node tests/bench/paint.mjs

# Figures, not tests: leads/s and latency of POST /api/v1/leads on SQLite and PostgreSQL.
bench-ingest: bootstrap
	cargo xtask bench-ingest

# Figures, not tests: event batches/s and latency of POST /api/v1/events (people of 1,000 events).
bench-events: bootstrap
	cargo xtask bench-events

widget: bootstrap
	cargo xtask widget

# The pinned toolchain (rust-toolchain.toml: channel, rust-src, clippy, rustfmt, wasm32) is
# installed before the first cargo call: with RUSTUP_AUTO_INSTALL=0 nothing installs itself.
bootstrap: toolchain
	cargo xtask bootstrap

toolchain:
	@rustup toolchain install


clean:
	cargo clean
	rm -rf www/dist node_modules
