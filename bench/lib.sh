# Shared parts of the bench scripts (l7.sh, l4.sh, waf.sh): sourced, never run. The sourcing
# script sets BENCH (its own name, for messages) and KEEP_TMP first.
#
# die / log                 report and stop, or report
# check_run_settings        DURATION, WARMUP, CONNECTIONS, ROUNDS are whole numbers (> 0 but WARMUP)
# install_packages PKG...   apt-get install (with sudo when not root), retrying after an update
# rampart_binary            sets RAMPART: $RAMPART_BIN, or a release build (CARGO_TARGET_DIR honoured)
# bench_tmpdir              sets TMP and PIDS; on exit, stops every PID in PIDS and removes TMP
# pick_port VAR             a free 127.0.0.1 port in 20000-31999 into VAR
# http_get / http_status / http_body_len    a GET over bash's /dev/tcp and its parts
# wait_ready                until a port answers a path with a status, or fail with the log
# to_ms / median / ratio    numbers for the report

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

die() {
    echo "$BENCH: FAILED: $*" >&2
    exit 1
}
log() { echo "==> $*" >&2; }

# Usage errors exit 2, as the scripts' own argument checks do.
check_run_settings() {
    local v
    for v in DURATION WARMUP CONNECTIONS ROUNDS; do
        [[ ${!v} =~ ^[0-9]+$ ]] || { echo "$BENCH: $v must be a whole number, got '${!v}'" >&2; exit 2; }
    done
    ((DURATION > 0 && ROUNDS > 0 && CONNECTIONS > 0)) || { echo "$BENCH: DURATION, ROUNDS and CONNECTIONS must be > 0" >&2; exit 2; }
}

install_packages() { # package...
    (($# == 0)) && return 0
    log "installing $*"
    local sudo=()
    ((EUID == 0)) || sudo=(sudo)
    export DEBIAN_FRONTEND=noninteractive
    # apt's chatter goes to stderr: stdout is the report.
    if ! "${sudo[@]}" apt-get install -y "$@" >&2; then
        log "apt-get install failed; running apt-get update and retrying"
        "${sudo[@]}" apt-get update >&2
        "${sudo[@]}" apt-get install -y "$@" >&2
    fi
}

rampart_binary() {
    if [[ -n ${RAMPART_BIN:-} ]]; then
        RAMPART=$RAMPART_BIN
        [[ -x $RAMPART ]] || die "RAMPART_BIN=$RAMPART is not an executable file"
        log "using RAMPART_BIN=$RAMPART (not rebuilt)"
        return 0
    fi
    log "building rampart (cargo build --release -p rampart)"
    # Ask cargo where the binary went, so CARGO_TARGET_DIR and .cargo/config.toml are honoured.
    local build_json target_dir
    build_json=$(cd "$ROOT" && cargo build --release -p rampart --bin rampart --message-format=json-render-diagnostics) \
        || die "cargo build --release -p rampart failed"
    RAMPART=$(printf '%s\n' "$build_json" | grep -o '"executable":"[^"]*/rampart"' | tail -n1 | sed 's/^"executable":"//; s/"$//' || true)
    if [[ -z $RAMPART ]]; then
        target_dir=${CARGO_TARGET_DIR:-target}
        [[ $target_dir = /* ]] || target_dir=$ROOT/$target_dir
        RAMPART=$target_dir/release/rampart
    fi
    [[ -x $RAMPART ]] || die "built rampart binary not found at $RAMPART"
    log "rampart binary: $RAMPART"
}

bench_tmpdir() {
    TMP=$(mktemp -d "${TMPDIR:-/tmp}/rampart-${BENCH%.sh}.XXXXXX")
    # nginx workers may run as an unprivileged user: they must be able to read what is in it.
    chmod 755 "$TMP"
    PIDS=()
    trap bench_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

bench_cleanup() {
    local rc=$?
    local pid
    for pid in "${PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        for _ in $(seq 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    if ((KEEP_TMP)); then
        echo "$BENCH: temp dir kept: $TMP" >&2
    else
        rm -rf "$TMP"
    fi
    exit "$rc"
}

# Below the kernel's ephemeral range (32768+ by default) so client sockets cannot collide.
TAKEN=" "
pick_port() { # varname
    local used port
    used=" $(ss -Htan 2>/dev/null | awk '{n=split($4,a,":"); print a[n]}' | sort -u | tr '\n' ' ') "
    for _ in $(seq 200); do
        port=$((20000 + RANDOM % 12000))
        [[ $used == *" $port "* || $TAKEN == *" $port "* ]] && continue
        TAKEN+="$port "
        printf -v "$1" '%s' "$port"
        return 0
    done
    die "no free port found in 20000-31999"
}

# GET over bash's /dev/tcp (no curl needed); writes the raw response to $3.
http_get() { # port path outfile
    timeout 5 bash -c '
        exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
        printf "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n" "$2" >&3
        cat <&3' _ "$1" "$2" >"$3" 2>/dev/null
}
http_status() { head -n1 "$1" | awk '{print $2}'; }
http_body_len() { # bytes after the blank line that ends the head
    local head_len total
    head_len=$(LC_ALL=C awk '{ n += length($0) + 1 } $0 == "\r" || $0 == "" { print n; exit }' "$1")
    total=$(wc -c <"$1")
    echo $((total - ${head_len:-$total}))
}

# Waits until port answers $path with status $want; fails loudly when pid dies or time is up
# (READY_SECS, 30 by default).
wait_ready() { # label pid port path want-status logfile
    local label=$1 pid=$2 port=$3 path=$4 want=$5 logf=$6 resp="$TMP/out/probe" secs=${READY_SECS:-30}
    for _ in $(seq $((secs * 10))); do
        if ! kill -0 "$pid" 2>/dev/null; then
            local code=0
            wait "$pid" 2>/dev/null || code=$?
            echo "---- $label log ($logf) ----" >&2
            tail -n 40 "$logf" >&2 || true
            die "$label exited (status $code) before answering on 127.0.0.1:$port"
        fi
        if http_get "$port" "$path" "$resp" && [[ $(http_status "$resp") == "$want" ]]; then
            return 0
        fi
        sleep 0.1
    done
    echo "---- $label log ($logf) ----" >&2
    tail -n 40 "$logf" >&2 || true
    die "$label did not answer $want on http://127.0.0.1:$port$path within $secs s"
}

# wrk's latency ("812.00us", "1.20ms", "2.01s") in milliseconds.
to_ms() {
    awk -v v="$1" 'BEGIN {
        if (match(v, /^[0-9.]+/) == 0) { print "nan"; exit }
        n = substr(v, 1, RLENGTH); u = substr(v, RLENGTH + 1)
        if (u == "us") f = 0.001; else if (u == "ms") f = 1; else if (u == "s") f = 1000;
        else if (u == "m") f = 60000; else if (u == "h") f = 3600000; else { print "nan"; exit }
        printf "%.3f", n * f }'
}

# Median of whitespace-separated numbers.
median() { tr ' ' '\n' <<<"$1" | grep . | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print "nan"; else printf "%.2f", a / b }'; }
