#!/usr/bin/env bash
# Installs kubenv from this checkout: the binary, the kubectl plugin link (kubectl-kubenv),
# shell completions and man pages. Idempotent: run it again to upgrade.
#
#   ./install.sh                     into ~/.local (bin/, share/)
#   ./install.sh --prefix /usr/local
#   ./install.sh --binary PATH       install an already built binary instead of building
#   ./install.sh --uninstall [--prefix DIR]
set -euo pipefail

prefix="${HOME}/.local"
binary=""
uninstall=""
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) prefix="${2:?--prefix needs a directory}"; shift 2 ;;
    --prefix=*) prefix="${1#*=}"; shift ;;
    --binary) binary="${2:?--binary needs a path}"; shift 2 ;;
    --uninstall) uninstall=1; shift ;;
    -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

here=$(cd "$(dirname "$0")" && pwd)
bin="$prefix/bin"
share="$prefix/share"
files=(
  "$bin/kubenv"
  "$bin/kubectl-kubenv"
  "$bin/kubectl_complete-kubenv"
  "$share/bash-completion/completions/kubenv"
  "$share/zsh/site-functions/_kubenv"
  "$share/fish/vendor_completions.d/kubenv.fish"
)

say() { printf 'install.sh: %s\n' "$*"; }

if [ -n "$uninstall" ]; then
  for f in "${files[@]}"; do
    if [ -e "$f" ] || [ -L "$f" ]; then rm -f "$f"; say "removed $f"; fi
  done
  for m in "$share"/man/man1/kubenv*.1; do
    [ -e "$m" ] && rm -f "$m" && say "removed $m"
  done
  say "kubenv is uninstalled from $prefix (your kubeconfig and ~/.config/kubenv are left as they are)"
  exit 0
fi

mkdir -p "$bin" "$share/bash-completion/completions" "$share/zsh/site-functions" \
  "$share/fish/vendor_completions.d" "$share/man/man1"

if [ -n "$binary" ]; then
  [ -x "$binary" ] || { echo "install.sh: $binary is not an executable" >&2; exit 2; }
  install -m 0755 "$binary" "$bin/kubenv.new" && mv -f "$bin/kubenv.new" "$bin/kubenv"
else
  command -v cargo >/dev/null || { echo "install.sh: cargo is needed to build kubenv (https://rustup.rs)" >&2; exit 1; }
  say "building kubenv (cargo install; a few minutes the first time)"
  cargo install --quiet --locked --force --path "$here" --root "$prefix"
fi
say "installed $bin/kubenv ($("$bin/kubenv" --version))"

# krew's convention: a binary named kubectl-kubenv on PATH is the plugin `kubectl kubenv`.
ln -sfn kubenv "$bin/kubectl-kubenv"
say "linked $bin/kubectl-kubenv: \`kubectl kubenv\` works when $bin is on PATH"

# kubectl >= 1.26 completes `kubectl kubenv <TAB>` by running kubectl_complete-kubenv.
cat > "$bin/kubectl_complete-kubenv.new" <<'EOF'
#!/bin/sh
# Completion for `kubectl kubenv`: kubectl runs this with the words after `kubectl kubenv`.
exec "$(dirname "$0")/kubenv" __complete "$@"
EOF
chmod 0755 "$bin/kubectl_complete-kubenv.new" && mv -f "$bin/kubectl_complete-kubenv.new" "$bin/kubectl_complete-kubenv"
say "installed $bin/kubectl_complete-kubenv: \`kubectl kubenv <TAB>\` completes"

install -m 0644 "$here/completions/kubenv.bash" "$share/bash-completion/completions/kubenv"
install -m 0644 "$here/completions/_kubenv" "$share/zsh/site-functions/_kubenv"
install -m 0644 "$here/completions/kubenv.fish" "$share/fish/vendor_completions.d/kubenv.fish"
say "installed completions for bash, zsh and fish under $share"
install -m 0644 "$here"/docs/man/*.1 "$share/man/man1/"
say "installed man pages under $share/man/man1 (man kubenv)"

case ":$PATH:" in
  *":$bin:"*) ;;
  *) say "add $bin to PATH, e.g.: echo 'export PATH=\"$bin:\$PATH\"' >> ~/.bashrc" ;;
esac
