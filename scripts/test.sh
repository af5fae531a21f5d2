#!/usr/bin/env bash
# The test command (README: `npm ci && npm test`). Installs the real services the tests run
# (Debian packages), builds, and runs every test. In CI a missing service is a failure; on a
# developer machine without root the tests that need it say what they skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

# package -> a binary that proves it is installed
declare -A needs=(
  [dnsmasq]=/usr/sbin/dnsmasq   # reverse-DNS tests: a real DNS server on loopback
  [nginx]=/usr/sbin/nginx       # canary behind a reverse proxy; generated blocklists
  [apache2]=/usr/sbin/apache2   # block --to apache: apachectl configtest and a running server
  [haproxy]=/usr/sbin/haproxy   # block --to haproxy: haproxy -c and a running frontend
  [nftables]=/usr/sbin/nft      # block --to nftables: nft -f inside a network namespace
  [ipset]=/usr/sbin/ipset       # block --to ipset: ipset restore inside a network namespace
  [crowdsec]=/usr/bin/cscli     # block --to crowdsec: a local API started by the test, cscli decisions import
  [iproute2]=/usr/sbin/ip       # the firewall test brings up loopback in its network namespace
  [curl]=/usr/bin/curl          # the firewall test's HTTP client, bound to a blocked address
  [chromium]=/usr/bin/chromium  # the HTML report and the live dashboard, opened in a real headless browser
  [man-db]=/usr/bin/man         # `man replaywatch` from the installed package
  [zsh]=/usr/bin/zsh            # the zsh completion script, loaded by a real zsh
)
missing=()
for package in "${!needs[@]}"; do
  [ -x "${needs[$package]}" ] || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "test.sh: installing ${missing[*]} from Debian" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    # policy-rc.d keeps the packages from starting their own daemons: the tests start them
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    # crowdsec's postinst registers with its Central API (online) unless this file is non-empty;
    # offline that fails the install. The tests run their own local API and need no Central API.
    mkdir -p /etc/crowdsec
    [ -s /etc/crowdsec/online_api_credentials.yaml ] || echo '# no Central API (offline test machine)' > /etc/crowdsec/online_api_credentials.yaml
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    rm -f /usr/sbin/policy-rc.d
  elif [ "${CI:-}" = true ]; then
    echo "test.sh: CI needs ${missing[*]} and cannot install them (not root)" >&2
    exit 1
  else
    echo "test.sh: ${missing[*]} not installed and not root: the tests that need them will be skipped" >&2
  fi
fi

npm run --silent build
node scripts/run-tests.js "$@"
