#!/usr/bin/env python3
"""make test: every code block of the docs is checked, and every link between them leads somewhere.

The files: README.md, docs/*.md, npm/README.md (the npm package's README) and CHANGELOG.md.
docs/development.md ("The docs check") says what a writer needs to know; in short:

- ```js, ```javascript, ```ts, ```typescript, ```jsx and ```tsx blocks are type-checked with the
  TypeScript of tests/e2e (`strict`, `"lib": ["es2022", "dom"]`, `noEmit`) against the package's
  own declarations (npm/js/token-keeper.d.ts as `token-keeper`, npm/js/react.d.ts as
  `token-keeper/react`, npm/js/isolated.d.ts as `token-keeper/isolated`; ky, axios, ofetch and React from tests/e2e/node_modules). Each block is
  a module of its own. A block that uses names from the text around it gets them from a comment
  on the line just before it, `<!-- tsc: declare const keeper: import("token-keeper").TokenKeeper; -->`,
  whose text goes first in the module.
- ```rust blocks are doc-tests (src/lib.rs includes README.md and docs/rust.md), except the one
  ```rust,ignore block of docs/rust.md under "## Leptos: the auth state as a signal", which must be
  examples/leptos-app/src/readme.rs word for word (that file is compiled for wasm32 with the
  example); any other `ignore` is refused, so no Rust block escapes the compiler.
- ```json blocks must parse; ```toml blocks must parse.
- ```sh, ```text, ```html, ```svelte and ```vue blocks are not checked. A fence without a
  language is refused (rustdoc would take it for Rust), and so is any other language.
- Links to files of the repo must name files that exist, and their `#anchor`s headings that exist.
- The npm README holds no Rust block; every option and method of the package's declarations
  appears in the option and method tables of docs/javascript.md and of npm/README.md.
"""
import json
import pathlib
import re
import shutil
import subprocess
import sys
import tomllib

root = pathlib.Path(__file__).resolve().parent.parent
out = root / "target" / "docs-check"
TSC = root / "tests/e2e/node_modules/.bin/tsc"

TYPESCRIPT = {"js": "ts", "javascript": "ts", "ts": "ts", "typescript": "ts", "jsx": "tsx", "tsx": "tsx"}
UNCHECKED = {"sh", "text", "html", "svelte", "vue"}
LEPTOS_HEADING = "## Leptos: the auth state as a signal"
# A fence: three backticks at the start of a line (indented in a list item), then a language
# without backticks (```` ```js ```` inside a line is code, not a fence).
FENCE = re.compile(r"^\s*```[^`]*$")

problems = []


def problem(where, what):
    problems.append(f"{where}: {what}")


def files():
    found = [root / "README.md", root / "CHANGELOG.md", root / "npm/README.md"]
    found += sorted((root / "docs").glob("*.md"))
    return [f for f in found if f.exists()]


def blocks(path):
    """Yields (line of the opening fence, language, preamble, code, heading above it)."""
    lines = path.read_text().split("\n")
    preamble, heading, i = None, None, 0
    rel = path.relative_to(root)
    while i < len(lines):
        line = lines[i]
        if line.lstrip().startswith("<!-- tsc:"):
            text = line.lstrip()[len("<!-- tsc:"):]
            while "-->" not in text and i + 1 < len(lines):
                i += 1
                text += "\n" + lines[i]
            preamble = text.split("-->", 1)[0].strip()
            if i + 1 >= len(lines) or not FENCE.match(lines[i + 1]):
                problem(f"{rel}:{i + 1}", "a `<!-- tsc: … -->` comment must stand just before a block")
                preamble = None
        elif FENCE.match(line):
            indent = line[: len(line) - len(line.lstrip())]
            start, lang = i + 1, line.strip()[3:].strip()
            code = []
            i += 1
            while i < len(lines) and lines[i] != indent + "```":
                code.append(lines[i][len(indent):])
                i += 1
            if i == len(lines):
                problem(f"{rel}:{start}", "a block that never closes")
            yield start, lang, preamble, "\n".join(code) + "\n", heading
            preamble = None
        elif line.startswith("#"):
            heading = line
        i += 1


def slug(heading):
    """GitHub's anchor for a heading: lowercase, punctuation dropped, spaces as hyphens."""
    text = heading.lstrip("#").strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path):
    seen, result = {}, set()
    in_code = False
    for line in path.read_text().split("\n"):
        if FENCE.match(line):
            in_code = not in_code
        elif not in_code and re.match(r"#{1,6} ", line):
            base = slug(line)
            n = seen.get(base, 0)
            seen[base] = n + 1
            result.add(base if n == 0 else f"{base}-{n}")
    return result


def check_links(path):
    rel = path.relative_to(root)
    text, in_code = [], False
    for line in path.read_text().split("\n"):
        if FENCE.match(line):
            in_code = not in_code
        elif not in_code:
            text.append(line)
    text = "\n".join(text)
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target):
            continue
        file, _, anchor = target.partition("#")
        dest = (path.parent / file).resolve() if file else path
        if not dest.exists():
            problem(rel, f"the link `{target}` leads to no file")
        elif anchor and dest.suffix == ".md" and anchor not in anchors(dest):
            problem(rel, f"the link `{target}` names no heading of {dest.relative_to(root)}")


def check_blocks():
    modules = []  # (module file name, doc file, line of the block's first line, preamble lines)
    for path in files():
        rel = path.relative_to(root)
        for start, lang, preamble, code, heading in blocks(path):
            where = f"{rel}:{start}"
            base = lang.split(",")[0]
            if not lang:
                problem(where, "a block without a language (say ```text for plain text)")
            elif base in TYPESCRIPT:
                name = f"{str(rel).replace('/', '_').replace('.md', '')}_{start}.{TYPESCRIPT[base]}"
                head = (preamble + "\n") if preamble else ""
                (out / name).write_text(head + code + "export {};\n")
                modules.append((name, rel, start + 1, head.count("\n")))
            elif base == "rust":
                if "ignore" in lang.split(","):
                    if not (rel == pathlib.Path("docs/rust.md") and heading == LEPTOS_HEADING):
                        problem(where, "a Rust block that is not compiled (```rust,ignore)")
                    else:
                        check_leptos(code, where)
                elif rel not in (pathlib.Path("README.md"), pathlib.Path("docs/rust.md")):
                    problem(where, "a Rust block outside README.md and docs/rust.md is not a doc-test")
                if rel == pathlib.Path("npm/README.md"):
                    problem(where, "the npm package's README holds no Rust")
            elif base == "json":
                try:
                    json.loads(code)
                except ValueError as e:
                    problem(where, f"not JSON: {e}")
            elif base == "toml":
                try:
                    tomllib.loads(code)
                except tomllib.TOMLDecodeError as e:
                    problem(where, f"not TOML: {e}")
            elif base not in UNCHECKED:
                problem(where, f"a ```{lang} block: no check knows that language")
            if preamble and base not in TYPESCRIPT:
                problem(where, "a `<!-- tsc: … -->` comment before a block tsc does not check")
    return modules


def check_leptos(code, where):
    source = (root / "examples/leptos-app/src/readme.rs").read_text()
    compiled = "".join(l for l in source.splitlines(keepends=True) if not l.startswith("// "))
    if code != compiled:
        problem(where, "the Leptos block differs from examples/leptos-app/src/readme.rs")


def run_tsc(modules):
    if not TSC.exists():
        problem("tests/e2e", "no TypeScript: run `npm install` in tests/e2e (scripts/setup.sh does)")
        return
    up = "../.."
    config = {
        "compilerOptions": {
            "target": "es2022",
            "module": "es2022",
            "moduleResolution": "bundler",
            "lib": ["es2022", "dom"],
            "jsx": "react-jsx",
            "strict": True,
            "noEmit": True,
            # The libraries' own declarations are not ours to check (ofetch's name undici, which is
            # not installed); tests/e2e/types.test.js checks the package's with skipLibCheck off.
            "skipLibCheck": True,
            "types": [],
            "paths": {
                "token-keeper": [f"{up}/npm/js/token-keeper.d.ts"],
                "token-keeper/react": [f"{up}/npm/js/react.d.ts"],
                "token-keeper/isolated": [f"{up}/npm/js/isolated.d.ts"],
                "*": [f"{up}/tests/e2e/node_modules/*", f"{up}/tests/e2e/node_modules/@types/*"],
            },
        },
        "files": [m[0] for m in modules],
    }
    (out / "tsconfig.json").write_text(json.dumps(config, indent=2))
    run = subprocess.run([str(TSC), "-p", str(out / "tsconfig.json")], capture_output=True, text=True)
    if run.returncode == 0:
        return
    # tsc names the generated module; name the doc's line instead.
    where = {m[0]: m for m in modules}
    for line in (run.stdout + run.stderr).splitlines():
        m = re.match(r"(?:target/docs-check/)?([\w.\-]+\.tsx?)\((\d+),(\d+)\): (.*)", line)
        if m and m.group(1) in where:
            _, doc, first, skip = where[m.group(1)]
            n = int(m.group(2))
            at = f"{doc}:{first + n - 1 - skip}" if n > skip else f"{doc}:{first - 1} (its tsc comment)"
            problem(at, m.group(4))
        elif line.strip():
            problem("tsc", line)


def check_api_named():
    """Every option and method of the declarations appears in the guides' tables."""
    dts = (root / "npm/js/token-keeper.d.ts").read_text()
    options_block = dts.split("export interface TokenKeeperOptions {", 1)[1].split("\n}", 1)[0]
    options = re.findall(r"^  (\w+)\??:", options_block, flags=re.M)
    class_block = dts.split("export class TokenKeeper {", 1)[1].split("\n}", 1)[0]
    methods = [m for m in re.findall(r"^  (?:readonly )?(\w+)[(<:?]", class_block, flags=re.M)
               if m != "constructor"]
    for doc in (root / "docs/javascript.md", root / "npm/README.md"):
        if not doc.exists():
            continue
        text = doc.read_text()
        for name in options:
            if f"| `{name}` |" not in text:
                problem(doc.relative_to(root), f"the option `{name}` has no row in the options table")
        for name in methods:
            if not re.search(rf"^\| (?:\\\||[^|\n])*`{name}\b", text, flags=re.M):
                problem(doc.relative_to(root), f"`{name}` has no row in the methods table")


shutil.rmtree(out, ignore_errors=True)
out.mkdir(parents=True)
for path in files():
    check_links(path)
modules = check_blocks()
check_api_named()
run_tsc(modules)
if problems:
    print("\n".join(f"check-docs: {p}" for p in problems), file=sys.stderr)
    sys.exit(1)
print(f"check-docs: {len(files())} files; {len(modules)} JavaScript/TypeScript blocks type-checked, "
      "the Leptos block is examples/leptos-app's, every link leads somewhere")
