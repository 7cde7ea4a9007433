#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The systemd units as `cmake --install` puts them: installed into a temporary prefix, each must
# name the installed programs and documentation, and pass `systemd-analyze verify` (which needs
# no running systemd), alone and with the emulator drop-in applied.
#   systemd_units_test.sh BUILD_DIR
set -euo pipefail
build=$1
command -v systemd-analyze >/dev/null || { echo "systemd-analyze missing (scripts/deps installs systemd)"; exit 1; }
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build" --prefix "$prefix" >/dev/null
units=$prefix/lib/systemd/system
failed=0
fail() { echo "FAIL: $*"; failed=1; }

for unit in sebind-agent.service sebind-emud.service; do
  file=$units/$unit
  [ -f "$file" ] || { fail "$unit not installed in $units"; continue; }
  grep -q '/usr/local/' "$file" && fail "$unit still names /usr/local: $(grep -n /usr/local/ "$file")"
  while read -r program; do
    [ -x "$program" ] || fail "$unit: $program is not an installed program"
  done < <(sed -n 's/^ExecStart[A-Za-z]*=-\{0,1\}\([^ ]*\).*/\1/p' "$file" | grep -v '^$')
  doc=$(sed -n 's|^Documentation=file://||p' "$file")
  [ -n "$doc" ] && [ -f "$doc" ] || fail "$unit: Documentation= points at '$doc', which is not installed"
done
[ -f "$prefix/lib/udev/rules.d/60-sebind-i2c.rules" ] || fail "the udev rule is not installed"
grep -q '^g sebind-i2c ' "$prefix/lib/sysusers.d/sebind.conf" || fail "the sysusers.d file does not make sebind-i2c"
grep -q '^SupplementaryGroups=sebind-i2c$' "$units/sebind-agent.service" ||
  fail "the agent's unit is not in the group the udev rule gives /dev/i2c-*"

# verify reports problems on stderr and exits non-zero for errors; warnings count as failures too.
verify() {
  local out
  if ! out=$(systemd-analyze verify --man=no "$@" 2>&1) || [ -n "$out" ]; then
    fail "systemd-analyze verify $*: ${out:-non-zero exit}"
  fi
}
verify "$units/sebind-agent.service"
verify "$units/sebind-emud.service"
# With the emulator drop-in applied (unit directory = the unit's own directory for verify).
withdrop=$prefix/with-dropin
mkdir -p "$withdrop/sebind-agent.service.d"
cp "$units/sebind-agent.service" "$units/sebind-emud.service" "$withdrop/"
cp "$prefix/share/sebind/examples/systemd/sebind-agent.service.d/emulator.conf" "$withdrop/sebind-agent.service.d/"
verify "$withdrop/sebind-agent.service"
grep -q "emud:/run/sebind/emud.sock" "$withdrop/sebind-agent.service.d/emulator.conf" ||
  fail "the drop-in does not point the agent at the emulator's socket"
grep -q -- "--socket /run/sebind/emud.sock" "$units/sebind-emud.service" ||
  fail "sebind-emud.service does not serve the socket the drop-in names"

[ "$failed" = 0 ] && echo "units verified: $units"
exit "$failed"
