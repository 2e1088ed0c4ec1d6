#!/usr/bin/env python3
"""make test: the README's Leptos block is examples/leptos-app/src/readme.rs word for word.

That file is compiled for wasm32 with the example (a host doc-test would build Leptos natively,
minutes of a cold `make test`, for code that runs only in the browser); the README's other Rust
blocks are doc-tests.
"""
import pathlib
import sys

root = pathlib.Path(__file__).resolve().parent.parent
readme = (root / "README.md").read_text()
heading = "#### Leptos: the auth state as a signal\n\n```rust,ignore\n"
if heading not in readme:
    sys.exit("check-readme: the README's Leptos block (```rust,ignore after its heading) is gone")
block = readme.split(heading, 1)[1].split("```\n", 1)[0]
source = (root / "examples/leptos-app/src/readme.rs").read_text()
code = "".join(l for l in source.splitlines(keepends=True) if not l.startswith("// "))
if block != code:
    sys.exit("check-readme: the README's Leptos block differs from examples/leptos-app/src/readme.rs")
print("check-readme: the README's Leptos block is the one examples/leptos-app compiles")
