#!/usr/bin/env bash
# Bootstrap everything `./run demo` and `./run test` need. Idempotent: a second run only checks and takes about a
# second. Usage: bootstrap.sh [--without-yaml-host] [--without-browser] [--without-sdks] (`./run demo` passes
# all three, since the demo needs none; `./run demo --yaml` the last two; --without-sdks leaves out 3c and 4b).
# Steps:
#   1. system packages the local IMS records with (ffmpeg, ffprobe, nginx + its RTMP module) and the browser the
#      console's test drives (Debian's chromium), via apt when root;
#   2. .venv with this package (editable) and its dev extra, reinstalled when pyproject.toml changes;
#   3. the Pulumi CLI: a `pulumi` on PATH at least as new as the pinned version, else built from tools/pulumi-cli;
#   3b. the Pulumi YAML language host, built from tools/pulumi-yaml with the CLI's Go caches;
#   3c. ims-record-sdkgen (tools/pulumi-cli/sdkgen: Pulumi's SDK generators, for `./run sdk` and its test);
#   4b. the Node.js packages: sdk/nodejs installed and built (bin/), and the TypeScript example's node_modules
#       (in the background, beside 1 and 2);
#   4. .venv/bin/{pulumi, pulumi-resource-pulumi-python, pulumi-language-python, pulumi-language-yaml};
#   5. .state/: the file backend and PULUMI_HOME;
#   6. the ims-record plugin (this checkout's code) in PULUMI_HOME's plugin cache.
# The Go builds (3, 3b, 3c: minutes when cold) and the Node.js packages (4b) start first, in the background; 1 and
# 2 run beside them.
# Progress goes to stderr, prefixed with "==>"; long steps log under .state/logs/; a bootstrap that did anything
# ends with the time each part took.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
STATE="$ROOT/.state"
TOOLS_BIN="$ROOT/.tools/bin"
LOGS="$STATE/logs"
CLI_MODULE_DIR="$ROOT/tools/pulumi-cli"
YAML_MODULE_DIR="$ROOT/tools/pulumi-yaml"

want_yaml_host=true
want_browser=true
want_sdks=true
for argument in "$@"; do
    case "$argument" in
        --without-yaml-host) want_yaml_host=false ;;
        --without-browser) want_browser=false ;;
        --without-sdks) want_sdks=false ;;
        *)
            echo "bootstrap: unknown argument '$argument' (known: --without-yaml-host --without-browser --without-sdks)" >&2
            exit 2
            ;;
    esac
done

# The pinned CLI version is the pkg/v3 requirement of the consumer module: one place to change it.
PULUMI_VERSION="$(sed -n 's#^require github.com/pulumi/pulumi/pkg/v3 v\([0-9.]*\)$#\1#p;s#^[[:space:]]*github.com/pulumi/pulumi/pkg/v3 v\([0-9.]*\)$#\1#p' \
    "$CLI_MODULE_DIR/go.mod" | head -n1)"
if [[ -z "$PULUMI_VERSION" ]]; then
    echo "bootstrap: cannot read the pinned pulumi/pkg/v3 version from $CLI_MODULE_DIR/go.mod" >&2
    exit 1
fi
YAML_VERSION="$(sed -n 's#^require github.com/pulumi/pulumi-yaml v\([0-9.]*\)$#\1#p' "$YAML_MODULE_DIR/go.mod" | head -n1)"
[[ -n "$YAML_VERSION" ]] || { echo "bootstrap: cannot read the pinned pulumi-yaml version from $YAML_MODULE_DIR/go.mod" >&2; exit 1; }

step() { printf '==> %s\n' "$*" >&2; }
fail() { printf 'bootstrap: %s\n' "$*" >&2; exit 1; }
# One stamp for the contents of the files named on stdin, one per line.
files_hash() { LC_ALL=C sort | xargs sha256sum | sha256sum | cut -d' ' -f1; }

mkdir -p "$STATE" "$LOGS"
# Two bootstraps at once (say `./run demo` in one terminal and `./run test` in another) would race on pip and go.
exec 9>"$STATE/bootstrap.lock"
flock 9

is_root() { [[ "$(id -u)" == 0 ]]; }

bootstrap_started=$SECONDS
# What each part took, "name seconds" per line; printed at the end when anything was done.
TIMINGS="$STATE/bootstrap-timings"
: >"$TIMINGS"
took() { printf '%s\t%s\n' "$1" "$2" >>"$TIMINGS"; }

# --- 3. the Pulumi CLI, and 3b. the YAML language host: decided first, built in the background -----------------
# Prints the semantic version a pulumi binary reports ("3.274.1"), or nothing.
cli_version() { PULUMI_SKIP_UPDATE_CHECK=true "$1" version 2>/dev/null | sed -n 's/^v\{0,1\}\([0-9][0-9.]*\).*/\1/p' | head -n1; }
# True when version $1 >= version $2.
version_at_least() { [[ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" == "$2" ]]; }

pulumi_binary=""
built_cli="$TOOLS_BIN/pulumi"
# A pulumi already on PATH (outside our own .venv/bin) is reused when it is new enough.
path_without_venv="$(tr ':' '\n' <<<"$PATH" | grep -vxF "$VENV/bin" | paste -sd: -)"
if ambient="$(PATH="$path_without_venv" command -v pulumi)"; then
    ambient_version="$(cli_version "$ambient")"
    if [[ -n "$ambient_version" ]] && version_at_least "$ambient_version" "$PULUMI_VERSION"; then
        pulumi_binary="$ambient"
    fi
fi
build_cli=false
if [[ -z "$pulumi_binary" ]]; then
    pulumi_binary="$built_cli"
    [[ "$(cli_version "$built_cli" 2>/dev/null)" == "$PULUMI_VERSION" ]] || build_cli=true
fi
# `runtime: yaml` projects need pulumi-language-yaml; `pulumi plugin install` refuses it ("bundled with Pulumi"), so
# it is built here, next to the CLI, where the engine finds a bundled plugin without a warning. The version is the
# pulumi-yaml requirement of tools/pulumi-yaml/go.mod; the stamp records what was built.
yaml_host="$TOOLS_BIN/pulumi-language-yaml"
build_yaml_host=false
if $want_yaml_host && [[ "$(cat "$yaml_host.version" 2>/dev/null)" != "$YAML_VERSION" || ! -x "$yaml_host" ]]; then
    build_yaml_host=true
fi
# The SDK generator is part of the CLI's module (its generators are the CLI's own version); the stamp is the hash
# of what it is built from.
sdk_generator="$TOOLS_BIN/ims-record-sdkgen"
sdk_generator_stamp="$(printf '%s\n' "$CLI_MODULE_DIR/go.mod" "$CLI_MODULE_DIR/go.sum" "$CLI_MODULE_DIR"/sdkgen/*.go | files_hash)"
build_sdk_generator=false
if $want_sdks && [[ "$(cat "$sdk_generator.version" 2>/dev/null)" != "$sdk_generator_stamp" || ! -x "$sdk_generator" ]]; then
    build_sdk_generator=true
fi
# The Go example's first build compiles Pulumi's Go SDK (about a minute cold); done here, beside the rest, so the
# tests' first `preview` of it (the engine builds the program) and `go vet` of the SDK find it compiled.
GO_EXAMPLE="$ROOT/examples/go-quickstart"
go_example_stamp_file="$STATE/go-example.stamp"
go_example_stamp="$(find "$GO_EXAMPLE" "$ROOT/sdk/go" -type f \( -name '*.go' -o -name go.mod -o -name go.sum \) -print \
    | files_hash)"
warm_go_example=false
if $want_sdks && [[ "$(cat "$go_example_stamp_file" 2>/dev/null)" != "$go_example_stamp" ]]; then
    warm_go_example=true
fi

# Runs in the background: the builds that are needed, one after the other (they share the Go caches and would
# only fight over the cores side by side). Writes what it is doing to $go_stage for the heartbeat.
go_stage="$STATE/bootstrap-go-stage"
go_builds() {
    mkdir -p "$TOOLS_BIN"
    local started
    if $build_cli; then
        local build_log="$LOGS/pulumi-build.log"
        echo "building the Pulumi CLI" >"$go_stage"
        step "building the Pulumi CLI v$PULUMI_VERSION from Go modules into .tools/bin, in the background (several minutes on a cold cache; log: $build_log)"
        started=$SECONDS
        if ! (
            cd "$CLI_MODULE_DIR"
            echo "--- go mod download" && go mod download
            echo "--- go build"
            CGO_ENABLED=0 go build -trimpath -tags osusergo,grpcnotrace \
                -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION" \
                -o "$built_cli.partial" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
        ) >"$build_log" 2>&1; then
            tail -n 20 "$build_log" >&2
            fail "building the Pulumi CLI failed; see $build_log"
        fi
        mv -f "$built_cli.partial" "$built_cli"
        [[ "$(cli_version "$built_cli")" == "$PULUMI_VERSION" ]] || fail "the built CLI does not report v$PULUMI_VERSION"
        step "built the Pulumi CLI v$PULUMI_VERSION in $((SECONDS - started)) s"
        took "Pulumi CLI build (Go)" $((SECONDS - started))
    fi
    if $build_yaml_host; then
        local yaml_log="$LOGS/pulumi-yaml-build.log"
        echo "building the Pulumi YAML language host" >"$go_stage"
        step "building the Pulumi YAML language host v$YAML_VERSION into .tools/bin (about a minute cold; log: $yaml_log)"
        started=$SECONDS
        if ! (
            cd "$YAML_MODULE_DIR"
            CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$yaml_host.partial" \
                github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml
        ) >"$yaml_log" 2>&1; then
            tail -n 20 "$yaml_log" >&2
            fail "building the Pulumi YAML language host failed; see $yaml_log"
        fi
        mv -f "$yaml_host.partial" "$yaml_host"
        echo "$YAML_VERSION" >"$yaml_host.version"
        step "built the Pulumi YAML language host v$YAML_VERSION in $((SECONDS - started)) s"
        took "YAML language host build (Go)" $((SECONDS - started))
    fi
    if $build_sdk_generator; then
        local sdkgen_log="$LOGS/sdkgen-build.log"
        echo "building the SDK generator" >"$go_stage"
        step "building the SDK generator ims-record-sdkgen into .tools/bin (log: $sdkgen_log)"
        started=$SECONDS
        if ! (
            cd "$CLI_MODULE_DIR"
            CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$sdk_generator.partial" ./sdkgen
        ) >"$sdkgen_log" 2>&1; then
            tail -n 20 "$sdkgen_log" >&2
            fail "building the SDK generator failed; see $sdkgen_log"
        fi
        mv -f "$sdk_generator.partial" "$sdk_generator"
        echo "$sdk_generator_stamp" >"$sdk_generator.version"
        took "SDK generator build (Go)" $((SECONDS - started))
    fi
    if $warm_go_example; then
        local example_log="$LOGS/go-example-build.log"
        echo "building the Go example" >"$go_stage"
        step "building the Go example and its SDK (examples/go-quickstart, sdk/go; log: $example_log)"
        started=$SECONDS
        if ! (cd "$GO_EXAMPLE" && go build -o /dev/null . && go vet . github.com/pulumi-ims-record/pulumi-ims-record/sdk/go/...) \
            >"$example_log" 2>&1; then
            tail -n 20 "$example_log" >&2
            fail "building the Go example failed; see $example_log"
        fi
        echo "$go_example_stamp" >"$go_example_stamp_file"
        took "Go example and SDK build" $((SECONDS - started))
    fi
}

go_pid=""
# A failed or interrupted bootstrap does not leave a build running (go, npm and their children).
kill_tree() {
    local child
    for child in $(pgrep -P "$1"); do kill_tree "$child"; done
    kill "$1" 2>/dev/null || true
}
trap '[[ -n "$go_pid" ]] && kill_tree "$go_pid"; [[ -n "${node_pid:-}" ]] && kill_tree "$node_pid"; true' EXIT
if $build_cli || $build_yaml_host || $build_sdk_generator || $warm_go_example; then
    command -v go >/dev/null || fail "building the Pulumi CLI and its YAML language host needs Go >= 1.26 (or put pulumi >= $PULUMI_VERSION on PATH and run ./run demo)"
    go_builds &
    go_pid=$!
fi

# --- 4b. Node.js packages, in the background: the SDK built as npm would publish it, the TypeScript example --------
# The example takes the SDK's bin/ as a file: dependency (copied, see its .npmrc), so both are redone whenever the
# SDK or either lock file changes; the stamp is the hash of all three. npm and tsc run beside pip and the Go builds.
NODE_SDK="$ROOT/sdk/nodejs"
TS_EXAMPLE="$ROOT/examples/ts-quickstart"
node_stamp_file="$STATE/node-packages.stamp"
node_pid=""
if $want_sdks; then
    node_stamp="$(cd "$ROOT" && find sdk/nodejs examples/ts-quickstart \( -name node_modules -o -name bin -o -name 'Pulumi.*.yaml' \) -prune \
        -o -type f -print | files_hash)"
    if [[ "$(cat "$node_stamp_file" 2>/dev/null)" != "$node_stamp" || ! -d "$TS_EXAMPLE/node_modules" ]]; then
        command -v npm >/dev/null || fail "npm is missing: the Node.js SDK and the TypeScript example need Node.js >= 20 with npm"
        step "installing the Node.js SDK (sdk/nodejs, built into bin/) and the TypeScript example's packages, in the background (log: $LOGS/npm.log)"
        (
            started=$SECONDS
            if ! (
                set -e
                npm_ci() { (cd "$1" && npm ci --no-audit --no-fund --loglevel=error); }
                npm_ci "$NODE_SDK"
                rm -rf "$NODE_SDK/bin"
                (cd "$NODE_SDK" && node_modules/.bin/tsc && cp package.json README.md bin/)
                npm_ci "$TS_EXAMPLE"
            ) >"$LOGS/npm.log" 2>&1; then
                tail -n 20 "$LOGS/npm.log" >&2
                fail "installing the Node.js packages failed; see $LOGS/npm.log"
            fi
            echo "$node_stamp" >"$node_stamp_file"
            took "Node.js packages (npm ci, tsc; beside the rest)" $((SECONDS - started))
        ) &
        node_pid=$!
    fi
fi

# --- 1. system packages ---------------------------------------------------------------------------------------------
RTMP_MODULE=/usr/lib/nginx/modules/ngx_rtmp_module.so
missing_packages=()
command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null || missing_packages+=(ffmpeg)
command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || missing_packages+=(nginx)
[[ -e "$RTMP_MODULE" ]] || missing_packages+=(libnginx-mod-rtmp)
# The console's browser test needs it; nothing else does, so without root it is only said to be missing.
if $want_browser && ! command -v chromium >/dev/null; then
    if is_root && command -v apt-get >/dev/null; then
        missing_packages+=(chromium)
    else
        step "chromium is missing: the console's browser test will be skipped (sudo apt-get install chromium)"
    fi
fi
if ((${#missing_packages[@]})); then
    if is_root && command -v apt-get >/dev/null; then
        step "installing system packages: ${missing_packages[*]} (apt-get, log: $LOGS/apt.log)"
        started=$SECONDS
        export DEBIAN_FRONTEND=noninteractive
        apt-get update >"$LOGS/apt.log" 2>&1 || fail "apt-get update failed; see $LOGS/apt.log"
        apt-get install -y --no-install-recommends "${missing_packages[@]}" >>"$LOGS/apt.log" 2>&1 \
            || fail "apt-get install ${missing_packages[*]} failed; see $LOGS/apt.log"
        took "system packages (apt: ${missing_packages[*]})" $((SECONDS - started))
    else
        fail "missing system packages: ${missing_packages[*]}. Install them, e.g.
    sudo apt-get install ffmpeg nginx libnginx-mod-rtmp
(the local IMS records with ffmpeg and the test stream is served by nginx with its RTMP module)."
    fi
fi

# --- 2. virtual environment -----------------------------------------------------------------------------------------
PYTHON="${PYTHON:-python3}"
if [[ ! -x "$VENV/bin/python" ]]; then
    command -v "$PYTHON" >/dev/null || fail "no $PYTHON on PATH: install Python >= 3.10 (or set PYTHON=/path/to/python3)"
    step "creating $VENV with $("$PYTHON" --version 2>&1)"
    if ! "$PYTHON" -m venv "$VENV" 2>"$LOGS/venv.log"; then
        if is_root && command -v apt-get >/dev/null; then
            step "installing python3-venv (apt-get)"
            apt-get update >>"$LOGS/apt.log" 2>&1 && apt-get install -y python3-venv >>"$LOGS/apt.log" 2>&1 \
                || fail "could not install python3-venv; see $LOGS/apt.log"
            rm -rf "$VENV"
            "$PYTHON" -m venv "$VENV" || fail "could not create $VENV"
        else
            fail "could not create $VENV ($(tail -n1 "$LOGS/venv.log")); install python3-venv"
        fi
    fi
fi
# Reinstall when the dependency declaration changes; the stamp is the hash of pyproject.toml (and of the way we
# install). "compat" editable mode puts the checkout on sys.path through a .pth file: the default mode snapshots
# the package layout at install time, so a package created later resolves as an empty namespace package.
install_stamp="$VENV/.pulumi-ims-record-installed"
# The generated Python SDK of the native package (sdk/python, `pulumi_ims_record_sdk`) goes in beside it.
wanted_stamp="editable-compat $(cat "$ROOT/pyproject.toml" "$ROOT/sdk/python/pyproject.toml" | sha256sum | cut -d' ' -f1)"
if [[ "$(cat "$install_stamp" 2>/dev/null)" != "$wanted_stamp" ]]; then
    step "installing pulumi-ims-record and sdk/python (editable) with the dev extra into .venv (log: $LOGS/pip.log)"
    started=$SECONDS
    # --no-compile: byte-compiling every installed module (pulumi-alicloud alone is 160 MB of source) took
    # about half of a fresh install (48 s → 26 s here); Python compiles what is imported, once, when it is.
    if ! "$VENV/bin/python" -m pip install --disable-pip-version-check --progress-bar off --no-compile \
        --config-settings editable_mode=compat -e "$ROOT[dev]" -e "$ROOT/sdk/python" \
        >"$LOGS/pip.log" 2>&1; then
        tail -n 20 "$LOGS/pip.log" >&2
        fail "pip install -e '.[dev]' -e sdk/python failed; see $LOGS/pip.log"
    fi
    echo "$wanted_stamp" >"$install_stamp"
    took "Python packages (venv, pip)" $((SECONDS - started))
fi

# --- 3. waiting for the Go builds -----------------------------------------------------------------------------------
if [[ -n "$go_pid" ]]; then
    waited=$SECONDS
    while kill -0 "$go_pid" 2>/dev/null; do
        # One heartbeat line every 30 s, so a cold build never looks hung.
        for _ in $(seq 30); do kill -0 "$go_pid" 2>/dev/null || break; sleep 1; done
        kill -0 "$go_pid" 2>/dev/null \
            && step "  still $(cat "$go_stage" 2>/dev/null || echo building) ($((SECONDS - bootstrap_started)) s since the bootstrap started)"
    done
    go_status=0
    wait "$go_pid" || go_status=$?
    go_pid=""
    ((go_status == 0)) || exit "$go_status"
    took "waiting for the Go builds after the rest was done" $((SECONDS - waited))
fi
if [[ -n "$node_pid" ]]; then
    node_status=0
    wait "$node_pid" || node_status=$?
    node_pid=""
    ((node_status == 0)) || exit "$node_status"
fi
trap - EXIT

# --- 4. binaries the engine looks for on PATH -----------------------------------------------------------------------
# The plugin launchers live in .tools/bin and are linked from .venv/bin: when pulumi is .tools/bin/pulumi, the engine
# finds them both on PATH and next to its own executable, and (the two being the same file) does not warn about it.
# They run this checkout's venv Python by absolute path; a moved checkout needs `./run bootstrap` again.
mkdir -p "$TOOLS_BIN"
# Writes $2 to $1 (mode 755) only when it differs, so a finished bootstrap touches nothing.
install_script() {
    if [[ "$(cat "$1" 2>/dev/null)" != "$2" ]]; then
        printf '%s\n' "$2" >"$1.tmp" && chmod 755 "$1.tmp" && mv -f "$1.tmp" "$1"
    fi
}
link() { [[ "$(readlink "$2" 2>/dev/null)" == "$1" ]] || ln -sfn "$1" "$2"; }
# The dynamic-provider plugin: the engine starts it for every pulumi-python resource. The PyPI wheel lacks it.
# Like Pulumi's own script: the project's virtualenv (runtime.options.virtualenv, which the engine passes as
# PULUMI_RUNTIME_VIRTUALENV as written), else PULUMI_PYTHON_CMD, else this checkout's venv. The engine starts the
# plugin in the program directory, which is below the project root when Pulumi.yaml has `main:` (the root
# project's is examples/quickstart), while a relative virtualenv is relative to the root: so the nearest
# directory, from the program directory up, that holds it.
install_script "$TOOLS_BIN/pulumi-resource-pulumi-python" "#!/bin/sh
# The Pulumi dynamic-provider plugin, installed by scripts/bootstrap.sh: serve pulumi.dynamic in the project's
# Python environment.
if [ -n \"\${PULUMI_RUNTIME_VIRTUALENV:-}\" ]; then
    case \"\$PULUMI_RUNTIME_VIRTUALENV\" in
        /*) venv=\"\$PULUMI_RUNTIME_VIRTUALENV\" ;;
        *)
            dir=\"\$PWD\"
            while [ ! -x \"\$dir/\$PULUMI_RUNTIME_VIRTUALENV/bin/python\" ] && [ \"\$dir\" != / ]; do dir=\$(dirname \"\$dir\"); done
            [ -x \"\$dir/\$PULUMI_RUNTIME_VIRTUALENV/bin/python\" ] || dir=\"\$PWD\"
            venv=\"\$dir/\$PULUMI_RUNTIME_VIRTUALENV\" ;;
    esac
    if [ ! -x \"\$venv/bin/python\" ]; then
        echo \"The project's virtual environment \$venv does not exist: run 'pulumi install'.\" >&2
        exit 1
    fi
    PATH=\"\$venv/bin:\$PATH\"; export PATH; unset PYTHONHOME
    exec \"\$venv/bin/python\" -u -m pulumi.dynamic \"\$@\"
fi
exec \"\${PULUMI_PYTHON_CMD:-$VENV/bin/python}\" -u -m pulumi.dynamic \"\$@\""
# The language host for `runtime: python` projects, so plain `pulumi up` works and not only the Automation API (the
# Go host is not served by the module proxy; scripts/language_host.py is a small Python stand-in).
install_script "$TOOLS_BIN/pulumi-language-python" "#!/bin/sh
# The Pulumi language host for Python programs, installed by scripts/bootstrap.sh.
exec \"$VENV/bin/python\" -u \"$ROOT/scripts/language_host.py\" \"\$@\""
# Pulumi's Node.js and Go language hosts are not served either: scripts/process_language_host.py stands in for both.
for runtime in nodejs go; do
    install_script "$TOOLS_BIN/pulumi-language-$runtime" "#!/bin/sh
# The Pulumi language host for $runtime programs, installed by scripts/bootstrap.sh.
exec \"$VENV/bin/python\" -u \"$ROOT/scripts/process_language_host.py\" $runtime \"\$@\""
    link "$TOOLS_BIN/pulumi-language-$runtime" "$VENV/bin/pulumi-language-$runtime"
done
link "$pulumi_binary" "$VENV/bin/pulumi"
link "$TOOLS_BIN/pulumi-resource-pulumi-python" "$VENV/bin/pulumi-resource-pulumi-python"
link "$TOOLS_BIN/pulumi-language-python" "$VENV/bin/pulumi-language-python"
# Not built for the demo (--without-yaml-host) until something needs it: no link to a file that is not there.
[[ -x "$yaml_host" ]] && link "$yaml_host" "$VENV/bin/pulumi-language-yaml"

# --- 5. state: file backend, PULUMI_HOME ----------------------------------------------------------------
# (The demo stacks' passphrase is set by scripts/env.sh.)
mkdir -p "$STATE/backend" "$STATE/pulumi-home"

# --- 6. the ims-record plugin in this checkout's plugin cache ---------------------------------------------------
# Installed the way Pulumi installs plugins, so the engine finds it in PULUMI_HOME without "using ... from $PATH"
# (scripts/env.sh ignores plugins on PATH). It runs this checkout's code, so it never needs reinstalling for a
# change; only a new version does. Outside the checkout, build a self-contained one (README: your own YAML project).
PACKAGE_VERSION="$(sed -n 's/^version = "\(.*\)"$/\1/p' "$ROOT/pyproject.toml" | head -n1)"
dev_plugin="$ROOT/.tools/ims-record-plugin/pulumi-resource-ims-record"  # not on PATH: the cache's copy is used
mkdir -p "$(dirname "$dev_plugin")"
install_script "$dev_plugin" "#!/bin/sh
# The ims-record plugin of this checkout (scripts/bootstrap.sh installs it into .state/pulumi-home): its code.
exec \"$VENV/bin/python\" -u -m pulumi_ims_record.provider.native \"\$@\""
cached_plugin="$STATE/pulumi-home/plugins/resource-ims-record-v$PACKAGE_VERSION/pulumi-resource-ims-record"
if ! cmp -s "$dev_plugin" "$cached_plugin"; then
    PULUMI_HOME="$STATE/pulumi-home" PULUMI_SKIP_UPDATE_CHECK=true "$VENV/bin/pulumi" plugin install \
        resource ims-record "$PACKAGE_VERSION" --file "$dev_plugin" --reinstall >"$LOGS/plugin-install.log" 2>&1 \
        || { cat "$LOGS/plugin-install.log" >&2; fail "could not install the ims-record plugin into .state/pulumi-home"; }
fi

step "bootstrap done: $("$VENV/bin/pulumi" version) at $pulumi_binary, $("$VENV/bin/python" --version) in .venv"
if [[ -s "$TIMINGS" ]]; then
    step "bootstrap took $((SECONDS - bootstrap_started)) s in all (the Go builds ran beside the rest):"
    while IFS=$'\t' read -r part seconds; do step "  $(printf '%5s s  %s' "$seconds" "$part")"; done <"$TIMINGS"
fi
