#!/usr/bin/env bash
# WAF benchmark: rampart + OWASP CRS against nginx + libmodsecurity3 + the same CRS (paranoia
# level 1, blocking, anomaly scoring), both reverse proxies in front of the same backend nginx,
# one worker each, measured in one run with wrk. See bench/README.md.
#
# Usage: bash bench/waf.sh [--dry-run-with-modsec]
#
# Environment:
#   DURATION=10        seconds of each measured wrk run
#   WARMUP=2           seconds of the warm-up wrk run before each measured one (0 = none)
#   CONNECTIONS=32     wrk connections (-c); wrk always runs with -t1
#   ROUNDS=1           measure every target this many times, interleaved; report the medians
#   RAMPART_BIN=path   use this rampart binary instead of building one
#   NOWAF=1            also measure nginx as a plain proxy, for reference (0 = skip)
#   KEEP_TMP=1         keep the temp dir (configs, logs, wrk outputs) after the run
#
# --dry-run-with-modsec puts a second nginx + ModSecurity in rampart's slot, to test this script
# without rampart. Its RESULT line carries an extra `subject=modsec-stand-in` field.
#
# Only 127.0.0.1 is ever contacted. Every process this script starts is stopped by its PID.
set -euo pipefail

DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
CONNECTIONS=${CONNECTIONS:-32}
ROUNDS=${ROUNDS:-1}
NOWAF=${NOWAF:-1}
KEEP_TMP=${KEEP_TMP:-0}
DRY_RUN=0

for arg in "$@"; do
    case $arg in
        --dry-run-with-modsec) DRY_RUN=1 ;;
        -h | --help) sed -n '2,21p' "$0"; exit 0 ;;
        *) echo "waf.sh: unknown argument: $arg" >&2; exit 2 ;;
    esac
done

BENCH=waf.sh
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
check_run_settings
# Loading the CRS takes a while in both proxies: wait up to a minute for them to answer.
READY_SECS=60
CRS=$ROOT/third_party/coreruleset
MODSEC_MODULE=/usr/lib/nginx/modules/ngx_http_modsecurity_module.so


[[ -f $CRS/crs-setup.conf.example && -f $CRS/rules/REQUEST-901-INITIALIZATION.conf ]] || die "no CRS at $CRS"

# --- peers --------------------------------------------------------------------------------

install_peers() {
    local need=()
    command -v nginx >/dev/null 2>&1 || [[ -x /usr/sbin/nginx ]] || need+=(nginx)
    [[ -f $MODSEC_MODULE ]] || need+=(libnginx-mod-http-modsecurity)
    dpkg-query -W -f='${Status}' libmodsecurity3 2>/dev/null | grep -q 'install ok installed' || need+=(libmodsecurity3)
    command -v wrk >/dev/null 2>&1 || need+=(wrk)
    command -v ss >/dev/null 2>&1 || need+=(iproute2)
    install_packages "${need[@]}"
}
install_peers
NGINX=$(command -v nginx 2>/dev/null || echo /usr/sbin/nginx)
[[ -x $NGINX ]] || die "nginx not found after install"
[[ -f $MODSEC_MODULE ]] || die "the nginx ModSecurity module is not at $MODSEC_MODULE after install"
command -v wrk >/dev/null || die "wrk not found after install"
MODSEC_VERSION=$(dpkg-query -W -f='${Version}' libmodsecurity3 2>/dev/null || echo unknown)
CRS_VERSION=$(head -n1 "$CRS/VERSION" 2>/dev/null | awk '{print $3}')

# --- rampart binary -------------------------------------------------------------------------

SUBJECT=rampart
if ((DRY_RUN)); then
    SUBJECT=modsec-stand-in
    RAMPART=
    log "DRY RUN: a second nginx + ModSecurity stands in for rampart; the ratios say nothing about rampart"
else
    rampart_binary
fi

# --- temp dir, process bookkeeping, cleanup ------------------------------------------------

bench_tmpdir

# --- free ports -----------------------------------------------------------------------------

pick_port P_BACKEND
pick_port P_NGINX
pick_port P_MODSEC
pick_port P_SUBJECT
pick_port P_ADMIN

# --- configs --------------------------------------------------------------------------------

mkdir -p "$TMP/backend" "$TMP/nginx" "$TMP/modsec" "$TMP/standin" "$TMP/out"

# The backend answers every path and method with a short text/plain body.
cat >"$TMP/backend/nginx.conf" <<EOF
worker_processes 1;
pid $TMP/backend/nginx.pid;
error_log $TMP/backend/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 1000000;
    client_body_buffer_size 16k;
    server {
        listen 127.0.0.1:$P_BACKEND reuseport backlog=4096;
        location / { default_type text/plain; return 200 "hello"; }
    }
}
EOF

# An nginx reverse proxy to the backend; with a rules file, ModSecurity inspects its traffic.
nginx_proxy_conf() { # dir port [modsecurity rules file]
    local load="" modsec=""
    if [[ -n ${3:-} ]]; then
        load="load_module $MODSEC_MODULE;"
        modsec="modsecurity on; modsecurity_rules_file $3;"
    fi
    cat <<EOF
$load
worker_processes 1;
pid $1/nginx.pid;
error_log $1/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 1000000;
    client_body_buffer_size 16k;
    client_body_temp_path $1/client_body;
    proxy_temp_path $1/proxy;
    upstream be { server 127.0.0.1:$P_BACKEND; keepalive 64; keepalive_requests 1000000; }
    server {
        listen 127.0.0.1:$2 backlog=4096;
        $modsec
        location / {
            proxy_pass http://be;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }
}
EOF
}

# ModSecurity: Debian's modsecurity.conf (modsecurity.conf-recommended) switched to blocking,
# its audit log in the temp dir, then the CRS at paranoia level 1 (rule 900000 as in
# crs-setup.conf.example), as shared/labs/modsec-nginx measured it.
modsec_rules() { # dir
    local base=/etc/nginx/modsecurity.conf
    [[ -f $base ]] || die "$base not found (package libnginx-mod-http-modsecurity)"
    sed -e 's/^SecRuleEngine .*/SecRuleEngine On/' \
        -e "s#^SecAuditLog .*#SecAuditLog $1/modsec_audit.log#" \
        -e 's#^SecUnicodeMapFile unicode.mapping#SecUnicodeMapFile /etc/nginx/unicode.mapping#' \
        -e 's/^SecStatusEngine .*/SecStatusEngine Off/' \
        -e "s#^SecTmpDir .*#SecTmpDir $1/#" \
        -e "s#^SecDataDir .*#SecDataDir $1/#" "$base" >"$1/modsecurity.conf"
    cat >"$1/rules.conf" <<EOF
Include $1/modsecurity.conf
Include $CRS/crs-setup.conf.example
SecAction "id:900000,phase:1,pass,t:none,nolog,setvar:tx.blocking_paranoia_level=1"
Include $CRS/rules/*.conf
EOF
}
nginx_proxy_conf "$TMP/nginx" "$P_NGINX" >"$TMP/nginx/nginx.conf"
modsec_rules "$TMP/modsec"
nginx_proxy_conf "$TMP/modsec" "$P_MODSEC" "$TMP/modsec/rules.conf" >"$TMP/modsec/nginx.conf"

# rampart: the same CRS checkout, paranoia level 1, blocking; responses inspected too, as
# ModSecurity's SecResponseBodyAccess On does.
cat >"$TMP/rampart.yaml" <<EOF
admin: { address: "127.0.0.1:$P_ADMIN" }
listeners:
  - { name: web, address: "127.0.0.1:$P_SUBJECT", protocol: http, access_log: false, waf: crs }
routes:
  - paths: [ { path: /, path_type: Prefix, backend: origin } ]
services:
  - { name: origin, endpoints: ["127.0.0.1:$P_BACKEND"] }
waf:
  - name: crs
    mode: blocking
    rules: [ "$CRS" ]
    crs: { paranoia_level: 1 }
    inspect_responses: true
EOF

# --- the requests ---------------------------------------------------------------------------

# A clean GET as a desktop browser sends it (the request of waf-rules/benches/engine.rs).
cat >"$TMP/get.lua" <<'EOF'
wrk.method = "GET"
wrk.path = "/products/view?id=1234&ref=home"
wrk.headers["Host"] = "www.example.com"
wrk.headers["User-Agent"] = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"
wrk.headers["Accept"] = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
wrk.headers["Accept-Language"] = "en-US,en;q=0.9,de;q=0.8"
wrk.headers["Accept-Encoding"] = "gzip, deflate, br, zstd"
wrk.headers["Cookie"] = "session=3f9a1c2e7b4d8a60c1d2e3f4a5b6c7d8; theme=dark"
wrk.headers["Referer"] = "https://www.example.com/products?page=2"
EOF
# A clean 4,073-byte urlencoded form with 35 arguments (shared/labs/modsec-nginx/wrk-post4k.lua).
cat >"$TMP/post.lua" <<'EOF'
local words = "lorem+ipsum+dolor+sit+amet+consectetur+adipiscing+elit+sed+do+eiusmod+tempor+incididunt+ut+labore+et+dolore+magna+aliqua"
local i = 0
local body = "name=John+Smith&email=john.smith%40example.com&phone=%2B1+555+0100&city=Springfield"
while #body < 4000 do
  i = i + 1
  body = body .. "&field" .. i .. "=" .. words
end
wrk.method = "POST"
wrk.path = "/"
wrk.body = body
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Accept"] = "text/html"
wrk.headers["Host"] = "localhost"
wrk.headers["User-Agent"] = "wrk-bench/4.1"
EOF

# --- starting and probing -------------------------------------------------------------------

# One HTTP/1.0 request over bash's /dev/tcp (no curl needed); the raw response goes to $4.
http_raw() { # port request-text outfile
    timeout 10 bash -c '
        exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
        printf "%s" "$2" >&3
        cat <&3' _ "$1" "$2" >"$3" 2>/dev/null
}
http_get() { # port path outfile
    http_raw "$1" "GET $2 HTTP/1.0"$'\r\n'"Host: localhost"$'\r\n'"User-Agent: waf.sh"$'\r\n'"Accept: */*"$'\r\n\r\n' "$3"
}

start_nginx() { # name dir
    "$NGINX" -p "$2" -e "$2/error.log" -c "$2/nginx.conf" -g 'daemon off;' >"$2/stdout.log" 2>&1 &
    PIDS+=($!)
    eval "PID_$1=$!"
}


# A WAF proxy must pass the clean requests untouched and block the attack, or its numbers
# measure something else.
check_waf() { # label port
    local resp="$TMP/out/check" st body
    http_get "$2" "/products/view?id=1234&ref=home" "$resp" || die "$1: clean GET failed"
    st=$(http_status "$resp")
    [[ $st == 200 && $(tail -c 5 "$resp") == hello ]] || die "$1: clean GET answered '$st', want 200 \"hello\""
    body="name=John+Smith&email=john.smith%40example.com&city=Springfield"
    http_raw "$2" "POST / HTTP/1.0"$'\r\n'"Host: localhost"$'\r\n'"User-Agent: waf.sh"$'\r\n'"Accept: */*"$'\r\n'"Content-Type: application/x-www-form-urlencoded"$'\r\n'"Content-Length: ${#body}"$'\r\n\r\n'"$body" "$resp" \
        || die "$1: clean POST failed"
    st=$(http_status "$resp")
    [[ $st == 200 ]] || die "$1: clean POST answered '$st', want 200"
    # Percent-encoded: a raw `<` in the request target is refused (400) before any WAF by
    # some HTTP parsers.
    local attack="/?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E"
    http_get "$2" "$attack" "$resp" || die "$1: attack GET failed"
    st=$(http_status "$resp")
    [[ $st == 403 ]] || die "$1: GET $attack answered '$st', want 403 (is the WAF blocking?)"
}

log "temp dir $TMP; ports: backend $P_BACKEND, nginx $P_NGINX, modsec $P_MODSEC, $SUBJECT $P_SUBJECT, admin $P_ADMIN"
log "libmodsecurity3 $MODSEC_VERSION, CRS $CRS_VERSION (paranoia level 1, blocking)"

start_nginx backend "$TMP/backend"
wait_ready backend "$PID_backend" "$P_BACKEND" / 200 "$TMP/backend/error.log"

if ((NOWAF)); then
    start_nginx nginx "$TMP/nginx"
    wait_ready nginx "$PID_nginx" "$P_NGINX" / 200 "$TMP/nginx/error.log"
fi

# ModSecurity compiles the CRS when nginx starts: allow it time.
start_nginx modsec "$TMP/modsec"
wait_ready modsec "$PID_modsec" "$P_MODSEC" / 200 "$TMP/modsec/error.log"
check_waf modsec "$P_MODSEC"

if ((DRY_RUN)); then
    modsec_rules "$TMP/standin"
    nginx_proxy_conf "$TMP/standin" "$P_SUBJECT" "$TMP/standin/rules.conf" >"$TMP/standin/nginx.conf"
    start_nginx standin "$TMP/standin"
    wait_ready "$SUBJECT" "$PID_standin" "$P_SUBJECT" / 200 "$TMP/standin/error.log"
    PID_subject=$PID_standin
else
    "$RAMPART" check "$TMP/rampart.yaml" >"$TMP/rampart-check.log" 2>&1 || {
        cat "$TMP/rampart-check.log" >&2
        die "'rampart check' rejected the bench config ($TMP/rampart.yaml)"
    }
    "$RAMPART" proxy --config "$TMP/rampart.yaml" --threads 1 >"$TMP/rampart.log" 2>&1 &
    PIDS+=($!)
    PID_subject=$!
    wait_ready "rampart (admin /healthz)" "$PID_subject" "$P_ADMIN" /healthz 200 "$TMP/rampart.log"
    wait_ready rampart "$PID_subject" "$P_SUBJECT" / 200 "$TMP/rampart.log"
fi
check_waf "$SUBJECT" "$P_SUBJECT"

# --- measuring ------------------------------------------------------------------------------


# Runs wrk; sets RPS, P50, P99 (ms). Fails on non-2xx answers, an empty run, or >1% socket
# errors. ModSecurity answers the POST in about a second at the tail: wrk waits up to 10 s.
measure() { # label port kind
    local label=$1 url="http://127.0.0.1:$2" script="$TMP/$3.lua" out="$TMP/out/$1-$3.txt"
    if ((WARMUP > 0)); then
        wrk -t1 -c"$CONNECTIONS" -d"${WARMUP}s" --timeout 10s -s "$script" "$url" >/dev/null 2>&1 \
            || die "$label: warm-up wrk run failed"
    fi
    wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --timeout 10s --latency -s "$script" "$url" >"$out" 2>&1 || {
        cat "$out" >&2
        die "$label: wrk failed on $url ($3)"
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
        die "$label: could not parse wrk output for $url ($3)"
    fi
    ((reqs > 0)) || { cat "$out" >&2; die "$label: no request completed on $url ($3)"; }
    [[ -z $non2xx ]] || { cat "$out" >&2; die "$label: $non2xx non-2xx/3xx answers on $url ($3): a clean request was blocked?"; }
    if [[ -n $errs ]] && ((errs > 0)); then
        if ((errs * 100 > reqs)); then
            cat "$out" >&2
            die "$label: $errs socket errors for $reqs requests on $url ($3)"
        fi
        log "warning: $label: $errs socket errors for $reqs requests on $url ($3)"
    fi
    # The proxy under test must still be the process we started.
    case $label in
        "$SUBJECT") kill -0 "$PID_subject" 2>/dev/null || die "$SUBJECT died during the run" ;;
        modsec) kill -0 "$PID_modsec" 2>/dev/null || die "nginx + ModSecurity died during the run" ;;
    esac
}

declare -A R
targets=(modsec "$SUBJECT")
((NOWAF)) && targets=(nginx "${targets[@]}")
port_of() {
    case $1 in
        nginx) echo "$P_NGINX" ;;
        modsec) echo "$P_MODSEC" ;;
        *) echo "$P_SUBJECT" ;;
    esac
}


log "wrk -t1 -c$CONNECTIONS -d${DURATION}s --latency (warm-up ${WARMUP}s each), $ROUNDS round(s)"
for round in $(seq "$ROUNDS"); do
    for kind in get post; do
        for t in "${targets[@]}"; do
            log "round $round/$ROUNDS: $t $kind"
            measure "$t" "$(port_of "$t")" "$kind"
            R[$t,$kind,rps]+="$RPS "
            R[$t,$kind,p50]+="$P50 "
            R[$t,$kind,p99]+="$P99 "
        done
    done
done
for key in "${!R[@]}"; do
    R[$key]=$(median "${R[$key]}")
done

# --- report ---------------------------------------------------------------------------------


echo
echo "WAF benchmark: CRS $CRS_VERSION, paranoia level 1, blocking; wrk -t1 -c$CONNECTIONS -d${DURATION}s --latency, 127.0.0.1, 1 worker/thread each"
echo "modsec = nginx + libmodsecurity3 $MODSEC_VERSION; nginx = the same nginx proxy without a WAF (reference)"
((ROUNDS > 1)) && echo "(medians of $ROUNDS interleaved rounds)"
printf '%-16s %-9s %12s %10s %10s\n' target request req/s p50_ms p99_ms
for kind in get post; do
    for t in "${targets[@]}"; do
        printf '%-16s %-9s %12s %10s %10s\n' "$t" "$kind" "${R[$t,$kind,rps]}" "${R[$t,$kind,p50]}" "${R[$t,$kind,p99]}"
    done
done
echo
rg=$(ratio "${R[$SUBJECT,get,rps]}" "${R[modsec,get,rps]}")
rp=$(ratio "${R[$SUBJECT,post,rps]}" "${R[modsec,post,rps]}")
pg=$(ratio "${R[$SUBJECT,get,p99]}" "${R[modsec,get,p99]}")
pp=$(ratio "${R[$SUBJECT,post,p99]}" "${R[modsec,post,p99]}")
echo "$SUBJECT / ModSecurity: req/s GET ${rg}x, POST 4 KB ${rp}x (higher is better, target >= 30); p99 GET $pg, POST $pp (lower is better)"
extra=
if ((DRY_RUN)); then
    echo "DRY RUN: '$SUBJECT' is a second nginx + ModSecurity, not rampart."
    extra=" subject=modsec-stand-in"
fi
echo "RESULT rps_ratio_vs_modsec_get=$rg rps_ratio_vs_modsec_post=$rp p99_ratio_vs_modsec_get=$pg p99_ratio_vs_modsec_post=$pp$extra"
