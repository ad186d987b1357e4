#!/usr/bin/env bash
# L7 benchmark: rampart vs nginx, both as HTTP/1.1 reverse proxies in front of the same
# backend nginx, measured in one run with wrk. See bench/README.md.
#
# Usage: bash bench/l7.sh [--dry-run-with-nginx]
#
# Environment:
#   DURATION=10        seconds of each measured wrk run
#   WARMUP=2           seconds of the warm-up wrk run before each measured one (0 = none)
#   CONNECTIONS=64     wrk connections (-c); wrk always runs with -t1
#   ROUNDS=1           measure every target this many times, interleaved; report the medians
#   RAMPART_BIN=path   use this rampart binary instead of building one
#   DIRECT=1           also measure the backend directly, for reference (0 = skip)
#   FWD=1              also measure nginx sending rampart's forwarding headers (0 = skip)
#   KEEP_TMP=1         keep the temp dir (configs, logs, wrk outputs) after the run
#
# --dry-run-with-nginx puts a second nginx proxy in rampart's slot, to test this script before
# rampart's L7 proxy exists. Its RESULT line carries an extra `subject=nginx-stand-in` field.
#
# Only 127.0.0.1 is ever contacted. Every process this script starts is stopped by its PID.
set -euo pipefail

DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
CONNECTIONS=${CONNECTIONS:-64}
ROUNDS=${ROUNDS:-1}
DIRECT=${DIRECT:-1}
FWD=${FWD:-1}
KEEP_TMP=${KEEP_TMP:-0}
DRY_RUN=0

for arg in "$@"; do
    case $arg in
        --dry-run-with-nginx) DRY_RUN=1 ;;
        -h | --help) sed -n '2,20p' "$0"; exit 0 ;;
        *) echo "l7.sh: unknown argument: $arg" >&2; exit 2 ;;
    esac
done

BENCH=l7.sh
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
check_run_settings


# --- peers --------------------------------------------------------------------------------

install_peers() {
    local need=()
    command -v nginx >/dev/null 2>&1 || [[ -x /usr/sbin/nginx ]] || need+=(nginx)
    command -v wrk >/dev/null 2>&1 || need+=(wrk)
    command -v ss >/dev/null 2>&1 || need+=(iproute2)
    install_packages "${need[@]}"
}
install_peers
NGINX=$(command -v nginx 2>/dev/null || echo /usr/sbin/nginx)
[[ -x $NGINX ]] || die "nginx not found after install"
command -v wrk >/dev/null || die "wrk not found after install"

# --- rampart binary -------------------------------------------------------------------------

SUBJECT=rampart
if ((DRY_RUN)); then
    SUBJECT=nginx-stand-in
    RAMPART=
    log "DRY RUN: a second nginx proxy stands in for rampart; the ratios say nothing about rampart"
else
    rampart_binary
fi

# --- temp dir, process bookkeeping, cleanup ------------------------------------------------

bench_tmpdir

# --- free ports -----------------------------------------------------------------------------

pick_port P_BACKEND
pick_port P_NGINX
pick_port P_NGINX_FWD
pick_port P_SUBJECT
pick_port P_ADMIN

# --- configs --------------------------------------------------------------------------------

mkdir -p "$TMP/www" "$TMP/backend" "$TMP/nginx" "$TMP/nginx-fwd" "$TMP/standin" "$TMP/out"
head -c 16384 /dev/zero | tr '\0' 'x' >"$TMP/www/16k.bin"
chmod -R a+rX "$TMP/www"

# As perf-baseline's backend-nginx.conf.
cat >"$TMP/backend/nginx.conf" <<EOF
worker_processes 1;
pid $TMP/backend/nginx.pid;
error_log $TMP/backend/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 1000000;
    sendfile on; tcp_nopush on;
    server {
        listen 127.0.0.1:$P_BACKEND reuseport backlog=4096;
        root $TMP/www;
        location = / { default_type text/plain; return 200 "hello"; }
        location / { }
    }
}
EOF

# As perf-baseline's nginx-proxy.conf (L7 part only).
# With a third argument "fwd", nginx also sends the forwarding headers rampart always sends
# (X-Forwarded-For/-Proto/-Host, X-Request-Id), as ingress-nginx does: the same work per request.
nginx_proxy_conf() { # dir port [fwd]
    local fwd=
    if [[ ${3:-} == fwd ]]; then
        fwd='
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Forwarded-Host $host;
            proxy_set_header X-Request-Id $request_id;'
    fi
    cat <<EOF
worker_processes 1;
pid $1/nginx.pid;
error_log $1/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 1000000;
    upstream be { server 127.0.0.1:$P_BACKEND; keepalive 64; keepalive_requests 1000000; }
    server {
        listen 127.0.0.1:$2 backlog=4096;
        location / {
            proxy_pass http://be;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_buffering on;$fwd
        }
    }
}
EOF
}
nginx_proxy_conf "$TMP/nginx" "$P_NGINX" >"$TMP/nginx/nginx.conf"
((FWD)) && nginx_proxy_conf "$TMP/nginx-fwd" "$P_NGINX_FWD" fwd >"$TMP/nginx-fwd/nginx.conf"

cat >"$TMP/rampart.yaml" <<EOF
admin: { address: "127.0.0.1:$P_ADMIN" }
listeners:
  - { name: web, address: "127.0.0.1:$P_SUBJECT", protocol: http, access_log: false }
routes:
  - paths: [ { path: /, path_type: Prefix, backend: origin } ]
services:
  - { name: origin, endpoints: ["127.0.0.1:$P_BACKEND"] }
EOF

# --- starting and probing -------------------------------------------------------------------


start_nginx() { # name dir
    "$NGINX" -p "$2" -e "$2/error.log" -c "$2/nginx.conf" -g 'daemon off;' >"$2/stdout.log" 2>&1 &
    PIDS+=($!)
    eval "PID_$1=$!"
}


# The proxy must return the backend's exact bodies, or its numbers mean nothing.
check_bodies() { # label port
    local resp="$TMP/out/check" st len
    http_get "$2" / "$resp" || die "$1: GET / failed"
    st=$(http_status "$resp")
    [[ $st == 200 ]] || die "$1: GET / answered status '$st', want 200"
    [[ $(tail -c 5 "$resp") == hello && $(http_body_len "$resp") == 5 ]] || die "$1: GET / body is not \"hello\""
    http_get "$2" /16k.bin "$resp" || die "$1: GET /16k.bin failed"
    st=$(http_status "$resp")
    [[ $st == 200 ]] || die "$1: GET /16k.bin answered status '$st', want 200"
    len=$(http_body_len "$resp")
    [[ $len == 16384 ]] || die "$1: GET /16k.bin body is $len bytes, want 16384"
}

log "temp dir $TMP; ports: backend $P_BACKEND, nginx $P_NGINX, $SUBJECT $P_SUBJECT, admin $P_ADMIN"

start_nginx backend "$TMP/backend"
wait_ready backend "$PID_backend" "$P_BACKEND" / 200 "$TMP/backend/error.log"
check_bodies backend "$P_BACKEND"

start_nginx nginx "$TMP/nginx"
wait_ready nginx "$PID_nginx" "$P_NGINX" / 200 "$TMP/nginx/error.log"
check_bodies nginx "$P_NGINX"
if ((FWD)); then
    start_nginx nginx_fwd "$TMP/nginx-fwd"
    wait_ready nginx-fwd "$PID_nginx_fwd" "$P_NGINX_FWD" / 200 "$TMP/nginx-fwd/error.log"
    check_bodies nginx-fwd "$P_NGINX_FWD"
fi

if ((DRY_RUN)); then
    nginx_proxy_conf "$TMP/standin" "$P_SUBJECT" >"$TMP/standin/nginx.conf"
    start_nginx standin "$TMP/standin"
    wait_ready "$SUBJECT" "$PID_standin" "$P_SUBJECT" / 200 "$TMP/standin/error.log"
else
    "$RAMPART" check "$TMP/rampart.yaml" >"$TMP/rampart-check.log" 2>&1 || {
        cat "$TMP/rampart-check.log" >&2
        die "'rampart check' rejected the bench config ($TMP/rampart.yaml)"
    }
    "$RAMPART" proxy --config "$TMP/rampart.yaml" --threads 1 >"$TMP/rampart.log" 2>&1 &
    PIDS+=($!)
    PID_rampart=$!
    wait_ready "rampart (admin /healthz)" "$PID_rampart" "$P_ADMIN" /healthz 200 "$TMP/rampart.log"
    wait_ready rampart "$PID_rampart" "$P_SUBJECT" / 200 "$TMP/rampart.log"
fi
check_bodies "$SUBJECT" "$P_SUBJECT"

# --- measuring ------------------------------------------------------------------------------


# Runs wrk; sets RPS, P50, P99 (ms). Fails on non-2xx answers, an empty run, or >1% socket errors.
measure() { # label port path
    local label=$1 url="http://127.0.0.1:$2$3" out="$TMP/out/$1-${3//\//_}.txt"
    if ((WARMUP > 0)); then
        wrk -t1 -c"$CONNECTIONS" -d"${WARMUP}s" "$url" >/dev/null 2>&1 || die "$label: warm-up wrk run failed"
    fi
    wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency "$url" >"$out" 2>&1 || {
        cat "$out" >&2
        die "$label: wrk failed on $url"
    }
    local reqs errs non2xx
    RPS=$(awk '/^Requests\/sec:/ {print $2}' "$out")
    P50=$(to_ms "$(awk '$1 == "50%" {print $2}' "$out")")
    P99=$(to_ms "$(awk '$1 == "99%" {print $2}' "$out")")
    reqs=$(awk '/ requests in / {print $1}' "$out")
    errs=$(awk '/Socket errors:/ { s = 0; for (i = 3; i <= NF; i++) if ($i ~ /^[0-9]+,?$/) s += $i; print s }' "$out")
    non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' "$out")
    if [[ -z $RPS || -z $reqs || $P50 == nan || $P99 == nan || -z $P50 || -z $P99 ]]; then
        cat "$out" >&2
        die "$label: could not parse wrk output for $url"
    fi
    ((reqs > 0)) || { cat "$out" >&2; die "$label: no request completed on $url"; }
    [[ -z $non2xx ]] || { cat "$out" >&2; die "$label: $non2xx non-2xx/3xx answers on $url"; }
    if [[ -n $errs ]] && ((errs > 0)); then
        if ((errs * 100 > reqs)); then
            cat "$out" >&2
            die "$label: $errs socket errors for $reqs requests on $url"
        fi
        log "warning: $label: $errs socket errors for $reqs requests on $url"
    fi
    # The proxy under test must still be the process we started.
    case $label in
        rampart) kill -0 "$PID_rampart" 2>/dev/null || die "rampart died during the run (log: $TMP/rampart.log)" ;;
    esac
}

declare -A R
targets=(nginx "$SUBJECT")
((FWD)) && targets=(nginx nginx-fwd "$SUBJECT")
((DIRECT)) && targets=(backend "${targets[@]}")
port_of() {
    case $1 in
        backend) echo "$P_BACKEND" ;;
        nginx) echo "$P_NGINX" ;;
        nginx-fwd) echo "$P_NGINX_FWD" ;;
        *) echo "$P_SUBJECT" ;;
    esac
}


log "wrk -t1 -c$CONNECTIONS -d${DURATION}s --latency (warm-up ${WARMUP}s each), $ROUNDS round(s)"
for round in $(seq "$ROUNDS"); do
    for size in small 16k; do
        path=/
        [[ $size == 16k ]] && path=/16k.bin
        for t in "${targets[@]}"; do
            log "round $round/$ROUNDS: $t $size ($path)"
            measure "$t" "$(port_of "$t")" "$path"
            R[$t,$size,rps]+="$RPS "
            R[$t,$size,p50]+="$P50 "
            R[$t,$size,p99]+="$P99 "
        done
    done
done
for key in "${!R[@]}"; do
    R[$key]=$(median "${R[$key]}")
done

# --- report ---------------------------------------------------------------------------------


echo
echo "L7 proxy benchmark: wrk -t1 -c$CONNECTIONS -d${DURATION}s --latency, 127.0.0.1, 1 worker/thread each"
((ROUNDS > 1)) && echo "(medians of $ROUNDS interleaved rounds)"
printf '%-16s %-6s %12s %10s %10s\n' target body req/s p50_ms p99_ms
for size in small 16k; do
    for t in "${targets[@]}"; do
        printf '%-16s %-6s %12s %10s %10s\n' "$t" "$size" "${R[$t,$size,rps]}" "${R[$t,$size,p50]}" "${R[$t,$size,p99]}"
    done
done
echo
rs=$(ratio "${R[$SUBJECT,small,rps]}" "${R[nginx,small,rps]}")
rk=$(ratio "${R[$SUBJECT,16k,rps]}" "${R[nginx,16k,rps]}")
ps=$(ratio "${R[$SUBJECT,small,p99]}" "${R[nginx,small,p99]}")
pk=$(ratio "${R[$SUBJECT,16k,p99]}" "${R[nginx,16k,p99]}")
echo "$SUBJECT / nginx: req/s small $rs, 16k $rk (higher is better); p99 small $ps, 16k $pk (lower is better)"
extra=
if ((FWD)); then
    fs=$(ratio "${R[$SUBJECT,small,rps]}" "${R[nginx-fwd,small,rps]}")
    fk=$(ratio "${R[$SUBJECT,16k,rps]}" "${R[nginx-fwd,16k,rps]}")
    fps=$(ratio "${R[$SUBJECT,small,p99]}" "${R[nginx-fwd,small,p99]}")
    fpk=$(ratio "${R[$SUBJECT,16k,p99]}" "${R[nginx-fwd,16k,p99]}")
    echo "$SUBJECT / nginx-fwd (nginx sending the same forwarding headers): req/s small $fs, 16k $fk; p99 small $fps, 16k $fpk"
    extra=" rps_ratio_vs_nginx_fwd_small=$fs rps_ratio_vs_nginx_fwd_16k=$fk p99_ratio_vs_nginx_fwd_small=$fps p99_ratio_vs_nginx_fwd_16k=$fpk"
fi
if ((DRY_RUN)); then
    echo "DRY RUN: '$SUBJECT' is a second nginx, not rampart."
    extra+=" subject=nginx-stand-in"
fi
echo "RESULT rps_ratio_vs_nginx_small=$rs rps_ratio_vs_nginx_16k=$rk p99_ratio_vs_nginx_small=$ps p99_ratio_vs_nginx_16k=$pk$extra"
