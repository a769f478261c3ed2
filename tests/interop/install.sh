#!/usr/bin/env bash
# Installs what `make test-interop` needs: Debian's servers (apt-get, with services kept from starting) and
# gitlab-ci-local (npm, into a git-ignored cache folder). Idempotent: when everything is present it only
# checks, in well under a second. Needs root for apt-get; without root it installs nothing and says so (the
# test layer then skips, or fails under ZONESYNC_INTEROP=required).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
NPM_DIR="${ZONESYNC_INTEROP_CACHE:-$ROOT/.interop-cache}"
GCL_VERSION="4.72.0"
# libsasl2-modules: the SASL mechanisms (PLAIN, LOGIN) postfix's client logs in to a relay with;
# gnutls-bin: danetool, the independent TLSA computation the DANE tests compare with
PACKAGES=(knot knot-dnssecutils knot-dnsutils unbound nginx-light postfix libsasl2-modules opendkim opendkim-tools swaks
          libnet-ssleay-perl dnsutils rsync gnutls-bin)

missing=()
for pkg in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}\n' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done

if [ "${#missing[@]}" -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "install.sh: not root, cannot apt-get install: ${missing[*]}" >&2
        exit 0
    fi
    # Services must not start on install (they would take :53, :80, :25): policy-rc.d answering 101 is
    # Debian's switch for that. Put one in place if the host has none, and remove it afterwards.
    created_policy=""
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        created_policy=1
    fi
    trap 'if [ -n "$created_policy" ]; then rm -f /usr/sbin/policy-rc.d; fi' EXIT
    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq -o Acquire::Retries=3 -o DPkg::Lock::Timeout=300
    apt-get install -y -qq --no-install-recommends -o Acquire::Retries=3 -o DPkg::Lock::Timeout=300 \
        "${PACKAGES[@]}" > /dev/null
fi

if [ ! -x "$NPM_DIR/node_modules/.bin/gitlab-ci-local" ] \
   || ! grep -q "\"version\": \"$GCL_VERSION\"" "$NPM_DIR/node_modules/gitlab-ci-local/package.json" 2>/dev/null; then
    if command -v npm > /dev/null; then
        mkdir -p "$NPM_DIR"
        npm install --prefix "$NPM_DIR" --no-audit --no-fund --silent "gitlab-ci-local@$GCL_VERSION"
    else
        echo "install.sh: npm not found, cannot install gitlab-ci-local" >&2
    fi
fi
