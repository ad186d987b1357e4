#!/usr/bin/env bash
# L4 benchmark: rampart's TCP proxy vs HAProxy (`mode tcp`) and nginx (`stream`), each with one
# worker thread, in front of the same backends, measured in one run: wrk request rates (small and
# 16 KiB responses from an nginx backend) and iperf3 bulk throughput. See bench/README.md.
#
# Usage: bash bench/l4.sh
#
# Environment:
#   DURATION=10        seconds of each measured wrk / iperf3 run
#   WARMUP=2           seconds of the warm-up wrk run before each measured one (0 = none)
#   CONNECTIONS=64     wrk connections (-c); wrk always runs with -t1
#   ROUNDS=1           measure every target this many times, interleaved; report the medians
#   RAMPART_BIN=path   use this rampart binary instead of building one
#   DIRECT=1           also measure the backends directly, for reference (0 = skip)
#   KEEP_TMP=1         keep the temp dir (configs, logs, raw outputs) after the run
#
# Only 127.0.0.1 is ever contacted. Every process this script starts is stopped by its PID.
set -euo pipefail

DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
CONNECTIONS=${CONNECTIONS:-64}
ROUNDS=${ROUNDS:-1}
DIRECT=${DIRECT:-1}
KEEP_TMP=${KEEP_TMP:-0}

for arg in "$@"; do
    case $arg in
        -h | --help) sed -n '2,17p' "$0"; exit 0 ;;
        *) echo "l4.sh: unknown argument: $arg" >&2; exit 2 ;;
    esac
done

BENCH=l4.sh
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
check_run_settings


# --- peers --------------------------------------------------------------------------------

STREAM_MODULE=/usr/lib/nginx/modules/ngx_stream_module.so
install_peers() {
    local need=()
    command -v nginx >/dev/null 2>&1 || [[ -x /usr/sbin/nginx ]] || need+=(nginx)
    [[ -f $STREAM_MODULE ]] || need+=(libnginx-mod-stream)
    command -v haproxy >/dev/null 2>&1 || [[ -x /usr/sbin/haproxy ]] || need+=(haproxy)
    command -v wrk >/dev/null 2>&1 || need+=(wrk)
    command -v iperf3 >/dev/null 2>&1 || need+=(iperf3)
    command -v ss >/dev/null 2>&1 || need+=(iproute2)
    install_packages "${need[@]}"
}
install_peers
NGINX=$(command -v nginx 2>/dev/null || echo /usr/sbin/nginx)
HAPROXY=$(command -v haproxy 2>/dev/null || echo /usr/sbin/haproxy)
[[ -x $NGINX ]] || die "nginx not found after install"
[[ -x $HAPROXY ]] || die "haproxy not found after install"
[[ -f $STREAM_MODULE ]] || die "nginx stream module not found at $STREAM_MODULE"
command -v wrk >/dev/null || die "wrk not found after install"
command -v iperf3 >/dev/null || die "iperf3 not found after install"

# --- rampart binary -------------------------------------------------------------------------

rampart_binary

# --- temp dir, process bookkeeping, cleanup ------------------------------------------------

bench_tmpdir

# --- free ports -----------------------------------------------------------------------------

# web: to the nginx backend (wrk); bulk: to the iperf3 server.
for v in BACKEND IPERF HAPROXY_WEB HAPROXY_BULK NGINX_WEB NGINX_BULK RAMPART_WEB RAMPART_BULK ADMIN; do
    pick_port "P_$v"
done

# --- configs --------------------------------------------------------------------------------

mkdir -p "$TMP/www" "$TMP/backend" "$TMP/nginx" "$TMP/haproxy" "$TMP/out"
head -c 16384 /dev/zero | tr '\0' 'x' >"$TMP/www/16k.bin"
chmod -R a+rX "$TMP/www"

# As perf-baseline's backend-nginx.conf.
cat >"$TMP/backend/nginx.conf" <<EOC
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
EOC

# As perf-baseline's nginx-proxy.conf, stream part.
cat >"$TMP/nginx/nginx.conf" <<EOC
load_module $STREAM_MODULE;
worker_processes 1;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/error.log warn;
events { worker_connections 4096; }
stream {
    server { listen 127.0.0.1:$P_NGINX_WEB backlog=4096; proxy_pass 127.0.0.1:$P_BACKEND; }
    server { listen 127.0.0.1:$P_NGINX_BULK; proxy_pass 127.0.0.1:$P_IPERF; }
}
EOC

# As perf-baseline's haproxy.cfg, tcp part (no splice-auto: HAProxy's default).
cat >"$TMP/haproxy/haproxy.cfg" <<EOC
global
    nbthread 1
    maxconn 4000
defaults
    mode tcp
    timeout connect 5s
    timeout client 60s
    timeout server 60s
frontend fe_web
    bind 127.0.0.1:$P_HAPROXY_WEB
    default_backend be_web
backend be_web
    server s1 127.0.0.1:$P_BACKEND
frontend fe_bulk
    bind 127.0.0.1:$P_HAPROXY_BULK
    default_backend be_bulk
backend be_bulk
    server s1 127.0.0.1:$P_IPERF
EOC

cat >"$TMP/rampart.yaml" <<EOC
admin: { address: "127.0.0.1:$P_ADMIN" }
listeners:
  - { name: web, address: "127.0.0.1:$P_RAMPART_WEB", protocol: tcp, service: web }
  - { name: bulk, address: "127.0.0.1:$P_RAMPART_BULK", protocol: tcp, service: bulk }
services:
  - { name: web, endpoints: ["127.0.0.1:$P_BACKEND"] }
  - { name: bulk, endpoints: ["127.0.0.1:$P_IPERF"] }
EOC

# --- starting and probing -------------------------------------------------------------------


start() { # name logfile command...
    local name=$1 logf=$2
    shift 2
    "$@" >"$logf" 2>&1 &
    PIDS+=($!)
    eval "PID_$name=$!"
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

log "temp dir $TMP; ports: backend $P_BACKEND, iperf3 $P_IPERF, haproxy $P_HAPROXY_WEB/$P_HAPROXY_BULK, nginx $P_NGINX_WEB/$P_NGINX_BULK, rampart $P_RAMPART_WEB/$P_RAMPART_BULK (admin $P_ADMIN)"

start backend "$TMP/backend/stdout.log" "$NGINX" -p "$TMP/backend" -e "$TMP/backend/error.log" -c "$TMP/backend/nginx.conf" -g 'daemon off;'
wait_ready backend "$PID_backend" "$P_BACKEND" / 200 "$TMP/backend/error.log"
check_bodies backend "$P_BACKEND"
start iperf "$TMP/iperf3-server.log" iperf3 -s -B 127.0.0.1 -p "$P_IPERF"

start haproxy "$TMP/haproxy/haproxy.log" "$HAPROXY" -db -f "$TMP/haproxy/haproxy.cfg"
wait_ready haproxy "$PID_haproxy" "$P_HAPROXY_WEB" / 200 "$TMP/haproxy/haproxy.log"
check_bodies haproxy "$P_HAPROXY_WEB"

start nginx "$TMP/nginx/stdout.log" "$NGINX" -p "$TMP/nginx" -e "$TMP/nginx/error.log" -c "$TMP/nginx/nginx.conf" -g 'daemon off;'
wait_ready nginx "$PID_nginx" "$P_NGINX_WEB" / 200 "$TMP/nginx/error.log"
check_bodies nginx "$P_NGINX_WEB"

"$RAMPART" check "$TMP/rampart.yaml" >"$TMP/rampart-check.log" 2>&1 || {
    cat "$TMP/rampart-check.log" >&2
    die "'rampart check' rejected the bench config ($TMP/rampart.yaml)"
}
start rampart "$TMP/rampart.log" "$RAMPART" proxy --config "$TMP/rampart.yaml" --threads 1
wait_ready "rampart (admin /healthz)" "$PID_rampart" "$P_ADMIN" /healthz 200 "$TMP/rampart.log"
wait_ready rampart "$PID_rampart" "$P_RAMPART_WEB" / 200 "$TMP/rampart.log"
check_bodies rampart "$P_RAMPART_WEB"

# --- measuring ------------------------------------------------------------------------------


alive() { # label: the proxy under test must still be the process we started
    case $1 in
        rampart | haproxy | nginx)
            local pid_var="PID_$1"
            kill -0 "${!pid_var}" 2>/dev/null || die "$1 died during the run (logs in $TMP)"
            ;;
    esac
}

# Runs wrk; sets RPS, P99 (ms). Fails on non-2xx answers, an empty run, or >1% socket errors.
measure_wrk() { # label port path
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
    P99=$(to_ms "$(awk '$1 == "99%" {print $2}' "$out")")
    reqs=$(awk '/ requests in / {print $1}' "$out")
    errs=$(awk '/Socket errors:/ { s = 0; for (i = 3; i <= NF; i++) if ($i ~ /^[0-9]+,?$/) s += $i; print s }' "$out")
    non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' "$out")
    if [[ -z $RPS || -z $reqs || $P99 == nan || -z $P99 ]]; then
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
    alive "$label"
}

# Runs iperf3 (one stream, client sends); sets GBPS, the receiver's Gbit/s.
measure_iperf() { # label port
    local label=$1 out="$TMP/out/$1-iperf3.txt"
    iperf3 -c 127.0.0.1 -p "$2" -t "$DURATION" -f m >"$out" 2>&1 || {
        cat "$out" >&2
        die "$label: iperf3 failed through port $2"
    }
    local mbps
    mbps=$(awk '/receiver/ { for (i = 1; i < NF; i++) if ($(i + 1) == "Mbits/sec") v = $i } END { print v }' "$out")
    [[ -n $mbps ]] || { cat "$out" >&2; die "$label: could not parse iperf3 output"; }
    GBPS=$(awk -v m="$mbps" 'BEGIN { printf "%.2f", m / 1000 }')
    alive "$label"
}

declare -A R
targets=(haproxy nginx rampart)
((DIRECT)) && targets=(direct "${targets[@]}")
web_port() {
    case $1 in
        direct) echo "$P_BACKEND" ;;
        haproxy) echo "$P_HAPROXY_WEB" ;;
        nginx) echo "$P_NGINX_WEB" ;;
        rampart) echo "$P_RAMPART_WEB" ;;
    esac
}
bulk_port() {
    case $1 in
        direct) echo "$P_IPERF" ;;
        haproxy) echo "$P_HAPROXY_BULK" ;;
        nginx) echo "$P_NGINX_BULK" ;;
        rampart) echo "$P_RAMPART_BULK" ;;
    esac
}


log "wrk -t1 -c$CONNECTIONS -d${DURATION}s (warm-up ${WARMUP}s each) and iperf3 -t $DURATION, $ROUNDS round(s)"
for round in $(seq "$ROUNDS"); do
    for size in small 16k; do
        path=/
        [[ $size == 16k ]] && path=/16k.bin
        for t in "${targets[@]}"; do
            log "round $round/$ROUNDS: $t wrk $size ($path)"
            measure_wrk "$t" "$(web_port "$t")" "$path"
            R[$t,$size,rps]+="$RPS "
            R[$t,$size,p99]+="$P99 "
        done
    done
    for t in "${targets[@]}"; do
        log "round $round/$ROUNDS: $t iperf3"
        measure_iperf "$t" "$(bulk_port "$t")"
        R[$t,bulk]+="$GBPS "
    done
done
for key in "${!R[@]}"; do
    R[$key]=$(median "${R[$key]}")
done

# --- report ---------------------------------------------------------------------------------


echo
echo "L4 proxy benchmark: wrk -t1 -c$CONNECTIONS -d${DURATION}s, iperf3 -t $DURATION (1 stream), 127.0.0.1, 1 worker/thread each"
((ROUNDS > 1)) && echo "(medians of $ROUNDS interleaved rounds)"
printf '%-10s %12s %10s %12s %10s %12s\n' target small_req/s p99_ms 16k_req/s p99_ms bulk_Gbit/s
for t in "${targets[@]}"; do
    printf '%-10s %12s %10s %12s %10s %12s\n' "$t" "${R[$t,small,rps]}" "${R[$t,small,p99]}" "${R[$t,16k,rps]}" "${R[$t,16k,p99]}" "${R[$t,bulk]}"
done
echo
hs=$(ratio "${R[rampart,small,rps]}" "${R[haproxy,small,rps]}")
hk=$(ratio "${R[rampart,16k,rps]}" "${R[haproxy,16k,rps]}")
hb=$(ratio "${R[rampart,bulk]}" "${R[haproxy,bulk]}")
ns=$(ratio "${R[rampart,small,rps]}" "${R[nginx,small,rps]}")
nk=$(ratio "${R[rampart,16k,rps]}" "${R[nginx,16k,rps]}")
nb=$(ratio "${R[rampart,bulk]}" "${R[nginx,bulk]}")
direct=
if ((DIRECT)); then
    db=$(ratio "${R[rampart,bulk]}" "${R[direct,bulk]}")
    direct=" bulk_share_of_direct=$db"
fi
echo "rampart / haproxy: req/s small $hs, 16k $hk; bulk $hb (higher is better)"
echo "rampart / nginx:   req/s small $ns, 16k $nk; bulk $nb"
echo "RESULT rps_ratio_vs_haproxy_small=$hs rps_ratio_vs_haproxy_16k=$hk bulk_ratio_vs_haproxy=$hb rps_ratio_vs_nginx_small=$ns rps_ratio_vs_nginx_16k=$nk bulk_ratio_vs_nginx=$nb$direct"
