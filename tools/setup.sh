#!/usr/bin/env bash
# One-command set-up of mmvitdet: torch + torchvision, mmcv 2.1.0, mmengine, mmdet, mmpretrain, the rest of
# requirements.txt and mmvitdet itself (editable). Nothing is compiled by default.
#
#   bash tools/setup.sh                     # set up (or finish setting up) the environment; a rerun takes seconds
#   bash tools/setup.sh --if-needed         # nothing (at once) when the environment was set up from the current
#                                           # lock by this script; else as above (run_tests.sh, quickstart.sh)
#   bash tools/setup.sh --check             # only verify, including drift from requirements.lock; changes
#                                           # nothing; exit 1 and say what is missing or drifted otherwise
#   bash tools/setup.sh --no-lock           # resolve from requirements*.txt with pip instead of the lock
#   bash tools/setup.sh --relock            # regenerate requirements.lock / requirements-hf-reference.lock (uv)
#   bash tools/setup.sh --mmcv-ops full     # mmcv with ALL its compiled ops (a verified prebuilt wheel, else a
#                                           # source build: 11-30 min on 2 cores, needs a C++ compiler)
#   bash tools/setup.sh --mmcv-ops lite     # back to the default: mmcv-lite (pure Python) + torchvision's kernels
#
# The environment is installed from requirements.lock (every package pinned with its sha256, for CPython 3.11 on
# Linux x86_64) with uv: uv on PATH, else uv $UV_VERSION fetched once into <repo>/.uv/ with pip. uv takes the
# package sources pip is configured with (index-url, extra-index-url, find-links, from pip's config or PIP_*).
# Without CPython 3.11 on Linux x86_64, without uv, with --no-lock, MMVITDET_TORCH_SPEC, or a working torch of
# another version already installed, the requirements are resolved with pip instead (the steps below).
#
# mmcv ops: Mask R-CNN calls two of mmcv's ~110 compiled functions, nms and RoIAlign. By default mmcv-lite (mmcv's
# pure wheel) is installed and mmvitdet provides mmcv._ext from torchvision's kernels (mmvitdet/ops/), found through
# a .pth file in site-packages; every other mmcv op then raises on call, naming --mmcv-ops full. Without
# --mmcv-ops, a working mmcv of either kind is kept.
#
# Environment: the active virtual environment ($VIRTUAL_ENV) when one is active, else <repo>/.venv (created
# with ${PYTHON:-python3}).
# Knobs: MMVITDET_TORCH_SPEC  what to pip-install when no working torch+torchvision pair is present
#                             (default "torch==2.14.1 torchvision==0.29.1"); a working pair is always kept.
#        PIP_FIND_LINKS       folders offered to pip (and uv); a prebuilt mmcv-2.1.0 wheel there is taken, then
#                             verified. On a GPU machine OpenMMLab's wheel index for the torch/CUDA pair is tried next
#                             (tools/mmcv_wheel_index.py); the source build comes last.
#        MAX_JOBS             parallel compile jobs of an mmcv source build (default: number of cores).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
MODE=install
MMCV_OPS=keep
USE_LOCK=1
while [[ $# -gt 0 ]]; do
    case "$1" in
        --check) MODE=check ;;
        --if-needed) MODE=if-needed ;;
        --relock) MODE=relock ;;
        --no-lock) USE_LOCK=0 ;;
        --mmcv-ops) MMCV_OPS="${2:-}"; shift ;;
        --mmcv-ops=*) MMCV_OPS="${1#*=}" ;;
        -h|--help) sed -n '2,36p' "$0"; exit 0 ;;
        *) echo "setup.sh: unknown argument '$1' (use no argument to install, --check to verify, --if-needed, --no-lock, --relock, --mmcv-ops full|lite)" >&2; exit 2 ;;
    esac
    shift
done
case "$MMCV_OPS" in
    keep|full|lite) ;;
    *) echo "setup.sh: --mmcv-ops takes full or lite, not '$MMCV_OPS'" >&2; exit 2 ;;
esac

TORCH_SPEC="${MMVITDET_TORCH_SPEC:-torch==2.14.1 torchvision==0.29.1}"
MMCV_VERSION=2.1.0
# Built mmcv wheels are kept here, one folder per torch build, so a re-created venv reuses them (git-ignored).
WHEEL_CACHE="$REPO/.whl"
LOCK="$REPO/requirements.lock"
HF_LOCK="$REPO/requirements-hf-reference.lock"
UV_VERSION=0.13.9
START=$SECONDS

say() { echo "[setup] $*"; }
die() { echo "[setup] ERROR: $*" >&2; exit 1; }

# ---------------------------------------------------------------- uv and the package sources pip is configured with
find_uv() {
    if command -v uv >/dev/null 2>&1; then command -v uv; return; fi
    if [[ ! -x "$REPO/.uv/bin/uv" ]]; then
        "${PYTHON:-python3}" -m pip install --quiet --disable-pip-version-check --target "$REPO/.uv" "uv==$UV_VERSION" \
            >&2 || return 1
    fi
    echo "$REPO/.uv/bin/uv"
}
pip_setting() {  # $1: PIP_* variable, $2: pip config key; one value per line
    local value="${!1:-}"
    [[ -n $value ]] || value="$("${PYTHON:-python3}" -m pip config get "global.$2" 2>/dev/null || true)"
    printf '%s\n' $value
}
UV_SOURCES=()
uv_sources() {
    local value
    UV_SOURCES=(--index-strategy unsafe-best-match)  # exact pins with hashes: take each where it is offered
    while read -r value; do [[ -n $value ]] && UV_SOURCES+=(--index-url "$value"); done < <(pip_setting PIP_INDEX_URL index-url)
    while read -r value; do [[ -n $value ]] && UV_SOURCES+=(--extra-index-url "$value"); done < <(pip_setting PIP_EXTRA_INDEX_URL extra-index-url)
    while read -r value; do [[ -n $value ]] && UV_SOURCES+=(--find-links "$value"); done < <(pip_setting PIP_FIND_LINKS find-links)
    return 0
}

if [[ $MODE == relock ]]; then
    UV="$(find_uv)" || die "uv is needed to write the lock: pip install uv==$UV_VERSION"
    uv_sources
    common=(--generate-hashes --python-version 3.11 --python-platform x86_64-manylinux_2_28 --no-annotate
            --custom-compile-command "bash tools/setup.sh --relock" "${UV_SOURCES[@]}")
    rm -f "$LOCK" "$HF_LOCK"  # uv keeps the pins of an existing output file
    "$UV" pip compile "${common[@]}" -o "$LOCK" "$REPO/requirements-lock.in"
    "$UV" pip compile "${common[@]}" --no-deps -o "$HF_LOCK" "$REPO/requirements-hf-reference.txt"
    say "wrote $LOCK and $HF_LOCK ($((SECONDS - START)) s)"
    exit 0
fi

# ---------------------------------------------------------------- environment
if [[ -n "${VIRTUAL_ENV:-}" ]]; then
    VENV="$VIRTUAL_ENV"
    [[ -x "$VENV/bin/python" ]] || die "VIRTUAL_ENV=$VENV has no bin/python: activate a working venv, or unset VIRTUAL_ENV and run bash tools/setup.sh to use $REPO/.venv"
else
    VENV="$REPO/.venv"
    if [[ ! -x "$VENV/bin/python" ]]; then
        [[ $MODE == check ]] && die "no environment: $VENV does not exist and no venv is active. Fix: bash tools/setup.sh"
        say "creating $VENV with ${PYTHON:-python3}"
        "${PYTHON:-python3}" -m venv "$VENV" || die "could not create $VENV with ${PYTHON:-python3} -m venv (install the python3-venv package, or set PYTHON=/path/to/python3.11)"
    fi
fi
PY="$VENV/bin/python"
export PATH="$VENV/bin:$PATH"   # ninja (for the mmcv build) and console scripts of the venv
# What the environment was set up from: the lock files, this script, the package metadata, the checkout.
STAMP="$VENV/.mmvitdet-setup"
stamp_text() {
    cat "$LOCK" "$HF_LOCK" "$REPO/tools/setup.sh" "$REPO/pyproject.toml" 2>/dev/null | sha256sum | cut -d' ' -f1
    echo "$REPO"
}
if [[ $MODE == if-needed ]]; then
    if [[ -f $STAMP && "$(cat "$STAMP")" == "$(stamp_text)" ]]; then
        exit 0  # set up by this script from the current lock; `bash tools/setup.sh --check` verifies it
    fi
    MODE=install
fi
say "environment: $VENV ($("$PY" -c 'import sys; print(sys.version.split()[0])'))"

pip_install() { "$PY" -m pip install --progress-bar off "$@"; }

# ---------------------------------------------------------------- checks (tools/check_env.py says what failed)
check() { "$PY" "$REPO/tools/check_env.py" "$@"; }
# the lock applies: CPython 3.11 on Linux x86_64, no --no-lock, no MMVITDET_TORCH_SPEC
lock_applies() {
    [[ $USE_LOCK == 1 && -z ${MMVITDET_TORCH_SPEC:-} && -f $LOCK ]] && "$PY" -c '
import platform, sys
sys.exit(not (sys.implementation.name == "cpython" and sys.version_info[:2] == (3, 11)
              and sys.platform == "linux" and platform.machine() == "x86_64"))'
}
check_all() {
    if lock_applies; then check torch mmcv stack lock; else check torch mmcv stack; fi
}
installed() { "$PY" -c 'import importlib.metadata as m, sys; m.version(sys.argv[1])' "$1" >/dev/null 2>&1; }
# which mmcv distribution is installed: full, lite, both (broken: they share the folder mmcv/) or none
mmcv_kind() {
    if installed mmcv && installed mmcv-lite; then echo both
    elif installed mmcv; then echo full
    elif installed mmcv-lite; then echo lite
    else echo none
    fi
}

if [[ $MODE == check ]]; then
    check_all || die "the environment $VENV is not set up. Fix: bash tools/setup.sh"
    say "ok ($((SECONDS - START)) s)"
    exit 0
fi
if [[ $MMCV_OPS == keep || $MMCV_OPS == "$(mmcv_kind)" ]] && report="$(check_all 2>&1)"; then
    echo "$report"
    stamp_text > "$STAMP"
    say "already set up, nothing to do ($((SECONDS - START)) s)"
    exit 0
fi

# ---------------------------------------------------------------- 0. from the lock, with uv
# The lock's lines for every package but those named (a requirement with its --hash continuation lines).
lock_without() {
    awk -v skip=" $* " '/^[A-Za-z0-9]/ { name = $1; sub(/==.*/, "", name); drop = index(skip, " " name " ") > 0 }
                       !drop' "$LOCK"
}
locked_version() { sed -n "s/^$1==\([^ ]*\).*/\1/p" "$LOCK"; }
install_from_lock() {
    local uv kind have
    uv="$(find_uv)" || { say "uv could not be installed: resolving with pip instead"; return 1; }
    have="$("$PY" -c 'import importlib.metadata as m; print(m.version("torch"))' 2>/dev/null || true)"
    if [[ -n $have && ${have%%+*} != "$(locked_version torch)" ]] && check torch >/dev/null 2>&1; then
        say "keeping the working torch $have (the lock has $(locked_version torch)): resolving with pip instead"
        return 1
    fi
    uv_sources
    kind="$(mmcv_kind)"
    [[ $MMCV_OPS == keep ]] && { [[ $kind == full ]] && check mmcv >/dev/null 2>&1 && MMCV_OPS=full || MMCV_OPS=lite; }
    # mmcv and mmcv-lite share the folder mmcv/: exactly one of them stays installed
    local drop=()
    [[ $kind == both ]] && drop=(mmcv mmcv-lite)
    [[ $MMCV_OPS == lite && $kind == full ]] && drop=(mmcv)
    [[ $MMCV_OPS == full && $kind == lite ]] && drop=(mmcv-lite)
    if [[ ${#drop[@]} -gt 0 ]]; then
        say "removing ${drop[*]} for --mmcv-ops $MMCV_OPS"
        "$uv" pip uninstall --python "$PY" "${drop[@]}" || die "could not uninstall ${drop[*]} from $VENV"
    fi
    say "installing requirements.lock with $("$uv" --version)"
    # --compile-bytecode: as pip does; where PYTHONDONTWRITEBYTECODE is set nothing else ever writes the .pyc files,
    # and every process would compile torch, mmdet, ... from source again (the test suite ran 1.6x slower)
    # (called as an if condition, where set -e does not act: each step says why it failed)
    if [[ $MMCV_OPS == lite ]]; then
        "$uv" pip install --python "$PY" --no-deps --require-hashes --compile-bytecode "${UV_SOURCES[@]}" -r "$LOCK" \
            || die "installing $LOCK failed (above); bash tools/setup.sh --no-lock resolves with pip instead"
    else
        "$uv" pip install --python "$PY" --no-deps --require-hashes --compile-bytecode "${UV_SOURCES[@]}" \
            -r <(lock_without mmcv-lite) \
            || die "installing $LOCK (without mmcv-lite) failed (above); --no-lock resolves with pip instead"
    fi
    if ! check hf_reference >/dev/null 2>&1; then
        say "installing requirements-hf-reference.lock into $VENV/hf-reference (test-only)"
        "$uv" pip install --python "$PY" --no-deps --require-hashes --compile-bytecode "${UV_SOURCES[@]}" \
            --target "$VENV/hf-reference" \
            -r "$HF_LOCK" || die "installing $HF_LOCK into $VENV/hf-reference failed (above)"
    fi
    "$uv" pip install --python "$PY" --no-deps --no-build-isolation -e "$REPO" \
        || die "installing mmvitdet (editable) from $REPO failed (above)"
    return 0
}

FROM_LOCK=0
if lock_applies && install_from_lock; then
    FROM_LOCK=1
fi

# ---------------------------------------------------------------- 1. torch + torchvision (resolved with pip)
if [[ $FROM_LOCK == 0 ]] && ! check torch; then
    say "installing $TORCH_SPEC"
    # shellcheck disable=SC2086  # the spec is a list of requirements
    pip_install $TORCH_SPEC
    check torch || die "torch+torchvision still not usable after 'pip install $TORCH_SPEC'; set MMVITDET_TORCH_SPEC to a matching pair for this machine (e.g. 'torch==2.14.1 torchvision==0.29.1')"
fi

# ---------------------------------------------------------------- 2. mmcv: lite (default) or full
# setuptools < 81: mmengine (and mmcv's setup.py) import pkg_resources, removed in 81; >= 64 for editable installs.
check_setuptools() {
    "$PY" -c 'import setuptools, sys; m = int(setuptools.__version__.split(".")[0]); sys.exit(not 64 <= m < 81)' 2>/dev/null
}
check_setuptools || pip_install 'setuptools>=64,<81' wheel
check_setuptools || die "setuptools >=64,<81 still not installed"

check_build_tools() {
    "$PY" -c 'import wheel' 2>/dev/null || { echo 'wheel not installed'; return 1; }
    command -v ninja >/dev/null || { echo 'ninja not found (parallel C++ build)'; return 1; }
}

# mmcv._ext from torchvision's kernels wherever mmcv has no compiled extension (inert beside a compiled mmcv)
SITE="$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
"$PY" "$REPO/mmvitdet/ops/ext_finder.py" --write-pth "$SITE" >/dev/null

torch_tag() { "$PY" -c 'import torch; print(torch.__version__.replace("+", "_"))'; }

# torch >= 2.14 headers refuse anything below C++20 (ATen.h: "C++20 or later compatible compiler is required"),
# while mmcv 2.1.0's setup.py hard-codes -std=c++17.
torch_needs_cxx20() {
    "$PY" - <<'EOF'
import os, torch
aten = os.path.join(os.path.dirname(torch.__file__), 'include', 'ATen', 'ATen.h')
raise SystemExit(0 if os.path.exists(aten) and '__cplusplus < 202002L' in open(aten).read() else 1)
EOF
}

build_mmcv_from_source() {
    local tag src_root src wheel_dir
    tag="$(torch_tag)"
    wheel_dir="$WHEEL_CACHE/torch-$tag"
    if compgen -G "$wheel_dir/mmcv-$MMCV_VERSION-*.whl" >/dev/null; then
        say "reusing mmcv wheel built earlier against torch $tag: $(ls "$wheel_dir"/mmcv-$MMCV_VERSION-*.whl)"
    else
        src_root="$REPO/build/mmcv-src"
        src="$src_root/mmcv-$MMCV_VERSION"
        if [[ ! -f "$src/setup.py" ]]; then
            mkdir -p "$src_root"
            [[ -f "$src_root/mmcv-$MMCV_VERSION.tar.gz" ]] || \
                "$PY" -m pip download --no-deps --no-binary :all: --no-build-isolation --progress-bar off \
                    -d "$src_root" "mmcv==$MMCV_VERSION"
            tar -xzf "$src_root/mmcv-$MMCV_VERSION.tar.gz" -C "$src_root"
        fi
        if torch_needs_cxx20; then
            say "torch $tag needs C++20: switching mmcv's setup.py from -std=c++17 to -std=c++20"
            sed -i 's/-std=c++17/-std=c++20/g' "$src/setup.py"
        fi
        say "building mmcv $MMCV_VERSION with ops from source against torch $tag (15-30 min on 2 cores)"
        mkdir -p "$wheel_dir"
        MMCV_WITH_OPS=1 MAX_JOBS="${MAX_JOBS:-$(nproc)}" "$PY" -m pip wheel --no-deps --no-build-isolation \
            --no-cache-dir --progress-bar off -w "$wheel_dir" "$src" \
            || die "building mmcv from $src failed (see the compiler output above)"
    fi
    pip_install --no-cache-dir "$wheel_dir"/mmcv-$MMCV_VERSION-*.whl
}

install_mmcv_full() {
    check_build_tools >/dev/null 2>&1 || pip_install wheel ninja
    check_build_tools || die "build tools still missing after installing them"
    # A prebuilt wheel offered by PIP_FIND_LINKS (PyPI has only the source release of mmcv 2.1.0).
    if MMCV_WITH_OPS=1 pip_install --no-cache-dir --no-build-isolation --only-binary mmcv "mmcv==$MMCV_VERSION" 2>/dev/null; then
        if ! check mmcv; then
            say "the offered mmcv wheel does not match this torch ($(torch_tag)); uninstalling it and building from source"
            "$PY" -m pip uninstall -y mmcv
            build_mmcv_from_source
        fi
    elif index="$("$PY" "$REPO/tools/mmcv_wheel_index.py")" && \
            pip_install --no-cache-dir --only-binary mmcv -f "$index" "mmcv==$MMCV_VERSION"; then
        # GPU machine: OpenMMLab's prebuilt wheel for this torch/CUDA pair (the index mim uses)
        if ! check mmcv; then
            say "OpenMMLab's mmcv wheel from $index does not work with torch $(torch_tag); building from source"
            "$PY" -m pip uninstall -y mmcv
            build_mmcv_from_source
        fi
    else
        say "no prebuilt mmcv $MMCV_VERSION wheel offered (PIP_FIND_LINKS=${PIP_FIND_LINKS:-}; OpenMMLab index: ${index:-not tried without a GPU})"
        build_mmcv_from_source
    fi
}

# mmcv and mmcv-lite share the folder mmcv/: exactly one of them stays installed.
# (mmcv-lite from the lock is verified with the rest at the end)
if [[ $FROM_LOCK == 0 || $MMCV_OPS == full ]]; then
    kind="$(mmcv_kind)"
    if [[ $MMCV_OPS == keep ]]; then
        if [[ $kind == full ]] && check mmcv >/dev/null 2>&1; then MMCV_OPS=full; else MMCV_OPS=lite; fi
    fi
    if [[ $kind == both ]]; then
        say "mmcv and mmcv-lite are both installed (they overwrite each other's files): removing both"
        "$PY" -m pip uninstall -y mmcv mmcv-lite
        kind=none
    fi
    if [[ $MMCV_OPS == lite ]]; then
        if [[ $kind == full ]]; then
            say "removing mmcv (full) for mmcv-lite; bash tools/setup.sh --mmcv-ops full brings it back"
            "$PY" -m pip uninstall -y mmcv
            kind=none
        fi
        if [[ $kind == none ]] || ! check mmcv >/dev/null 2>&1; then
            say "installing mmcv-lite $MMCV_VERSION (pure Python; nms and RoIAlign run on torchvision's kernels)"
            pip_install --force-reinstall --no-deps "mmcv-lite==$MMCV_VERSION"
            pip_install "mmcv-lite==$MMCV_VERSION"
        fi
    else
        if [[ $kind == lite ]]; then
            say "removing mmcv-lite for mmcv with its compiled ops"
            "$PY" -m pip uninstall -y mmcv-lite
            kind=none
        fi
        if [[ $kind == full ]] && ! check mmcv >/dev/null 2>&1; then
            say "removing the unusable mmcv (a wheel built against another torch fails with 'undefined symbol')"
            "$PY" -m pip uninstall -y mmcv
            kind=none
        fi
        [[ $kind == none ]] && install_mmcv_full
    fi
    check mmcv || die "mmcv installed but its ops do not work. Fix: $PY -m pip uninstall -y mmcv mmcv-lite && rm -rf $WHEEL_CACHE && bash tools/setup.sh --mmcv-ops $MMCV_OPS"
fi

# ---------------------------------------------------------------- 3. OpenMMLab stack, requirements, mmvitdet (pip)
[[ $FROM_LOCK == 1 ]] || {
say "installing mmengine, mmdet, mmpretrain, requirements.txt and mmvitdet (editable)"
pip_install mmengine==0.10.7 mmdet==3.3.0 mmpretrain==1.2.0 -r requirements.txt
# Test-only references (timm, transformers) for the checkpoint-layout tests; see the pins explained there.
pip_install -r requirements-test.txt
# DINOv3ViTModel / Aimv2VisionModel references in a folder of their own (requirements-hf-reference.txt says why).
HF_REFERENCE="$VENV/hf-reference"
if ! check hf_reference >/dev/null 2>&1; then
    say "installing the transformers 4.57 reference models into $HF_REFERENCE (test-only)"
    pip_install --no-deps --upgrade --target "$HF_REFERENCE" -r requirements-hf-reference.txt
fi
pip_install --no-build-isolation --no-deps -e .
}

# ---------------------------------------------------------------- verify
check_all || die "set-up finished but the checks above failed; fix the named package, then rerun bash tools/setup.sh"
stamp_text > "$STAMP"
say "done in $((SECONDS - START)) s"
