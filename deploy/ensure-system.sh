#!/usr/bin/env bash
# Makes sure the Debian packages Fengqiao needs on this machine are there.
#   ensure-system.sh run   RabbitMQ for the embedded stack
#   ensure-system.sh test  Chromium and CJK fonts for the browser tests
#   ensure-system.sh bench wrk, the HTTP load generator of the benchmarks
# As root it installs what is missing with apt-get; otherwise it says the command to run.
set -euo pipefail
what=${1:-test}
case "$what" in
  run)  need=(rabbitmq-server); cmds=(rabbitmq-server) ;;
  test) need=(chromium fonts-noto-cjk); cmds=(chromium "") ;;
  bench) need=(wrk); cmds=(wrk) ;;
  *) echo "usage: $0 run|test|bench" >&2; exit 2 ;;
esac
missing=()
for i in "${!need[@]}"; do
  pkg=${need[$i]}; cmd=${cmds[$i]}
  if [ -n "$cmd" ]; then
    command -v "$cmd" >/dev/null 2>&1 || [ -x "/usr/sbin/$cmd" ] || missing+=("$pkg")
  else
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "missing Debian packages: ${missing[*]}" >&2
  echo "install them with:  sudo apt-get install -y ${missing[*]}" >&2
  [ "$what" = run ] && echo "(or run the stack with: docker compose up)" >&2
  exit 1
fi
