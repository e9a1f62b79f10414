#!/usr/bin/env bash
# N replicas of the app behind HAProxy with sticky sessions, on local ports; Ctrl-C stops them all.
#
#   bash scripts/replicas.sh                     # proxy on 8500, replicas on 8511 and 8512
#   bash scripts/replicas.sh 8600 8601 8602 8603  # proxy on 8600, three replicas
#
# Why sticky: a Streamlit session lives in the memory of the replica that holds its websocket, and so do
# its live stream's token (/bp/stream) and its uploads. HAProxy gives each browser a cookie (BP_REPLICA)
# on its first request and sends every later request and websocket of that browser to the same replica.
# Websocket upgrades pass in HAProxy's http mode; `timeout tunnel` keeps idle sockets open for an hour.
set -euo pipefail
cd "$(dirname "$0")/.."
proxy_port=${1:-8500}
shift || true
replica_ports=("$@")
[ ${#replica_ports[@]} -gt 0 ] || replica_ports=(8511 8512)
python=${PYTHON:-.venv/bin/python}
haproxy=${HAPROXY:-/usr/sbin/haproxy}
work=$(mktemp -d)
pids=()
cleanup() {
  trap - EXIT INT TERM
  kill "${pids[@]}" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

servers=""
for index in "${!replica_ports[@]}"; do
  port=${replica_ports[$index]}
  name="r$((index + 1))"
  "$python" -m streamlit run app.py --server.port "$port" --server.address 127.0.0.1 --server.headless true \
    --browser.gatherUsageStats false > "$work/$name.log" 2>&1 &
  pids+=($!)
  servers+="    server $name 127.0.0.1:$port check cookie $name"$'\n'
done

cat > "$work/haproxy.cfg" <<CONFIG
global
    maxconn 2000
defaults
    mode http
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    timeout tunnel 1h
frontend playground
    bind 127.0.0.1:$proxy_port
    default_backend replicas
backend replicas
    balance roundrobin
    cookie BP_REPLICA insert indirect nocache httponly
    option httpchk GET /_stcore/health
$servers
CONFIG

"$haproxy" -f "$work/haproxy.cfg" -db &
pids+=($!)
echo "Backprop Playground: http://127.0.0.1:$proxy_port (replicas on ${replica_ports[*]}; logs in $work)"
wait -n  # one of them stopped: stop the rest
