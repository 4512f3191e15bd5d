#!/usr/bin/env bash
# Boots a firmware image in QEMU's lm3s6965evb. Used as the cargo runner; extra QEMU arguments
# come from $PADLOCK_QEMU_ARGS (the tests add a QMP socket and a gateway address).
set -euo pipefail
elf="$1"
shift || true
qemu=(qemu-system-arm -cpu cortex-m3 -machine lm3s6965evb -display none
      -semihosting-config enable=on,target=native
      -nic user,model=stellaris
      -kernel "$elf")
# shellcheck disable=SC2206
extra=(${PADLOCK_QEMU_ARGS:-})
if command -v defmt-print >/dev/null 2>&1; then
  "${qemu[@]}" "${extra[@]}" "$@" | defmt-print -e "$elf"
else
  echo "defmt-print not found (cargo install defmt-print): logs stay encoded" >&2
  exec "${qemu[@]}" "${extra[@]}" "$@"
fi
